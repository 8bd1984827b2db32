"""Users, API keys, per-user settings and chargers.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from ocppsim.store.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_keys_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_api_keys_user_id", "api_keys", ["user_id"])
    op.create_table(
        "user_settings",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("ocpp_backend_url", sa.String(512), nullable=False),
        sa.Column("rfid_card_id", sa.String(20), nullable=False),
        sa.Column("heartbeat_interval", sa.Integer, nullable=False),
        sa.Column("mass_batch_size", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_user_settings"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_user_settings_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "chargers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("chargepoint_id", sa.String(48), nullable=False),
        sa.Column("charger_type", sa.String(2), nullable=False),
        sa.Column("max_power_kw", sa.Float, nullable=False),
        sa.Column("num_connectors", sa.Integer, nullable=False),
        sa.Column("ocpp_version", sa.String(8), nullable=False),
        sa.Column("auth_mode", sa.String(16), nullable=False),
        sa.Column("rfid_tag", sa.String(20), nullable=False),
        sa.Column("backend_url", sa.String(512), nullable=False),
        sa.Column("pnc_emaid", sa.String(20), nullable=False),
        sa.Column("pnc_pcid", sa.String(64), nullable=False),
        sa.Column("pnc_certificate_hash", sa.String(128), nullable=False),
        sa.Column("charger_name", sa.String(100), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("free_charging", sa.Boolean, nullable=False),
        sa.Column("error_code", sa.String(32), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chargers"),
        sa.UniqueConstraint("user_id", "chargepoint_id", name="uq_chargers_user_chargepoint"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_chargers_user_id_users", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("chargers")
    op.drop_table("user_settings")
    op.drop_index("ix_api_keys_user_id", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("users")
