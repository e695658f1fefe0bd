"""Each bank's own monthly revaluation schedule.

``notify_revaluation_schedules`` holds one row per bank that set its schedule (the day of the
month, an optional LTV threshold, whether it is on) and the China date of its last scheduled
run. An operational setting, as subscriptions are: not a ledger event. A bank without a row
keeps the operator's default (``REVALUATION_EVERY_DAYS``).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_revaluation_schedules",
        sa.Column("party_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day_of_month", sa.Integer(), nullable=False),
        sa.Column("ltv_threshold", sa.String(length=6), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_run_on", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_notify_revaluation_schedules_party_id_parties"),
        ),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_notify_revaluation_schedules")),
    )


def downgrade() -> None:
    op.drop_table("notify_revaluation_schedules")
