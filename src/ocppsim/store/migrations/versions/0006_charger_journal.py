"""Durable charger state and the outbox of transaction messages.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "charger_state",
        sa.Column("charger_id", sa.Integer, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("charger_id", name="pk_charger_state"),
        sa.ForeignKeyConstraint(
            ["charger_id"],
            ["chargers.id"],
            name="fk_charger_state_charger_id_chargers",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "charger_outbox",
        sa.Column("charger_id", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("ref", sa.Integer, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("charger_id", "seq", name="pk_charger_outbox"),
        sa.ForeignKeyConstraint(
            ["charger_id"],
            ["chargers.id"],
            name="fk_charger_outbox_charger_id_chargers",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("charger_outbox")
    op.drop_table("charger_state")
