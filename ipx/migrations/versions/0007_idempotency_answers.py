"""Idempotency answers are stored with their work: drop reservations that never got one.

Until now a key was reserved in a transaction of its own, and a request that died before
storing its answer left a row with no status, which retries skipped after two minutes. Keys are
now inserted and answered in the work's own transaction, so such rows cannot be made any more,
and nothing would clear the old ones: this removes them, freeing their keys. Stop servers of
the earlier version before upgrading: a row without status may be one of their requests in
flight.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_keys WHERE status IS NULL")


def downgrade() -> None:
    pass  # the deleted rows were answerless reservations; nothing to restore
