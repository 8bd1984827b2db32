"""The OCPP message log, and per-user retention settings for it.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_settings") as batch:
        batch.add_column(
            sa.Column("log_retention_records", sa.Integer, nullable=False, server_default="100000")
        )
        batch.add_column(
            sa.Column("log_retention_days", sa.Integer, nullable=False, server_default="7")
        )
    op.create_table(
        "ocpp_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("chargepoint_id", sa.String(48), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("message_type", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ocpp_log"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_ocpp_log_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_ocpp_log_user_id_id", "ocpp_log", ["user_id", "id"])
    op.create_index(
        "ix_ocpp_log_user_id_chargepoint_id_id", "ocpp_log", ["user_id", "chargepoint_id", "id"]
    )


def downgrade() -> None:
    op.drop_table("ocpp_log")
    with op.batch_alter_table("user_settings") as batch:
        batch.drop_column("log_retention_days")
        batch.drop_column("log_retention_records")
