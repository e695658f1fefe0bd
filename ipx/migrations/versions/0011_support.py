"""Support programmes: programme versions, applications, claimed loans; parties' SME attribute.

``parties.sme`` (NULL: never recorded), with its source and when a clerk recorded it.
``support_claims`` holds a partial unique index: a loan is claimed at most once per programme
(series) while the claim is live.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("parties") as batch:
        batch.add_column(sa.Column("sme", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("sme_source", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("sme_recorded_at", sa.DateTime(timezone=True), nullable=True))
    _programmes()
    _applications()
    _claims()


def _programmes() -> None:
    op.create_table(
        "support_programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=True),
        sa.Column("share", sa.BigInteger(), nullable=True),
        sa.Column("cap_per_loan", sa.BigInteger(), nullable=False),
        sa.Column("cap_per_firm_year", sa.BigInteger(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sme_only", sa.Boolean(), nullable=False),
        sa.Column("first_loan_only", sa.Boolean(), nullable=False),
        sa.Column("asset_kinds", sa.JSON(), nullable=False),
        sa.Column("applications_open", sa.Date(), nullable=True),
        sa.Column("applications_close", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_programmes")),
        sa.UniqueConstraint("series_id", "version", name="uq_support_programmes_series_version"),
    )
    with op.batch_alter_table("support_programmes") as batch:
        batch.create_index(batch.f("ix_support_programmes_series_id"), ["series_id"])


def _applications() -> None:
    op.create_table(
        "support_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("pledge_ids", sa.JSON(), nullable=False),
        sa.Column("claim", sa.JSON(), nullable=False),
        sa.Column("document_digests", sa.JSON(), nullable=False),
        sa.Column("computed_amount", sa.BigInteger(), nullable=False),
        sa.Column("working", sa.JSON(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("approved_amount", sa.BigInteger(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("refusal_reasons", sa.JSON(), nullable=True),
        sa.Column("payment_reference", sa.String(length=100), nullable=True),
        sa.Column("submitted_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["parties.id"],
            name=op.f("fk_support_applications_applicant_id_parties"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["parties.id"], name=op.f("fk_support_applications_bank_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["parties.id"], name=op.f("fk_support_applications_firm_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["support_programmes.id"],
            name=op.f("fk_support_applications_programme_id_support_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_applications")),
    )
    with op.batch_alter_table("support_applications") as batch:
        for column in ("programme_id", "series_id", "status", "bank_id", "firm_id"):
            batch.create_index(batch.f(f"ix_support_applications_{column}"), [column])


def _claims() -> None:
    op.create_table(
        "support_claims",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["support_applications.id"],
            name=op.f("fk_support_claims_application_id_support_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_support_claims_pledge_id_pledges")
        ),
        sa.PrimaryKeyConstraint("application_id", "pledge_id", name=op.f("pk_support_claims")),
    )
    op.create_index(
        "uq_support_claims_active_pledge",
        "support_claims",
        ["series_id", "pledge_id"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_index("uq_support_claims_active_pledge", table_name="support_claims")
    op.drop_table("support_claims")
    op.drop_table("support_applications")
    op.drop_table("support_programmes")
    with op.batch_alter_table("parties") as batch:
        batch.drop_column("sme_recorded_at")
        batch.drop_column("sme_source")
        batch.drop_column("sme")
