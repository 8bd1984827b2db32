"""Per-charger connection security: OCPP security profile, Basic-auth password, private CA.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        batch.add_column(
            sa.Column("security_profile", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("basic_auth_password", sa.String(64), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("ca_certificate_pem", sa.Text, nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        batch.drop_column("ca_certificate_pem")
        batch.drop_column("basic_auth_password")
        batch.drop_column("security_profile")
