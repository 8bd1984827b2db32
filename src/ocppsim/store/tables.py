"""The database schema (SQLAlchemy Core). Change it only together with a migration."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no time zone of its own)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # Non-secret lookup handle, shown to the user (e.g. "ocps_3fA9xQ2b").
    sa.Column("prefix", sa.String(32), nullable=False, unique=True),
    # SHA-256 of the whole key; the key itself is never stored.
    sa.Column("digest", sa.LargeBinary(32), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_used_at", UtcDateTime(), nullable=True),
    sa.Index("ix_api_keys_user_id", "user_id"),
)

user_settings = sa.Table(
    "user_settings",
    metadata,
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("ocpp_backend_url", sa.String(512), nullable=False),
    sa.Column("rfid_card_id", sa.String(20), nullable=False),
    sa.Column("heartbeat_interval", sa.Integer, nullable=False),
    sa.Column("mass_batch_size", sa.Integer, nullable=False),
    # OCPP message log retention: the newest N records and no record older than D days.
    sa.Column("log_retention_records", sa.Integer, nullable=False, server_default="100000"),
    sa.Column("log_retention_days", sa.Integer, nullable=False, server_default="7"),
)

chargers = sa.Table(
    "chargers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("chargepoint_id", sa.String(48), nullable=False),
    sa.Column("charger_type", sa.String(2), nullable=False),
    sa.Column("max_power_kw", sa.Float, nullable=False),
    sa.Column("num_connectors", sa.Integer, nullable=False),
    sa.Column("ocpp_version", sa.String(8), nullable=False),
    sa.Column("auth_mode", sa.String(16), nullable=False),
    # Empty string: use the owner's default (settings.rfid_card_id / ocpp_backend_url).
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
    # Lifetime energy registers per connector (Wh, comma-separated); they never decrease.
    sa.Column("meter_registers", sa.String(200), nullable=False, server_default=""),
    # OCPP security profile 0-2; the Basic-auth password is write-only over the API.
    sa.Column("security_profile", sa.Integer, nullable=False, server_default="0"),
    sa.Column("basic_auth_password", sa.String(64), nullable=False, server_default=""),
    sa.Column("ca_certificate_pem", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("user_id", "chargepoint_id", name="uq_chargers_user_chargepoint"),
)

#: SQLite makes an INTEGER PRIMARY KEY the rowid (fast appends); elsewhere a 64-bit id.
_LogId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The OCPP message log: every frame of a user's chargers and their connection events.
# Ids are assigned by the one log writer in increasing order (they are the SSE event ids).
ocpp_log = sa.Table(
    "ocpp_log",
    metadata,
    sa.Column("id", _LogId, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("chargepoint_id", sa.String(48), nullable=False),
    # call, result, error, send, result_error, invalid (unreadable frame) or connection
    sa.Column("kind", sa.String(16), nullable=False),
    # sent / received for frames, local for connection events
    sa.Column("direction", sa.String(8), nullable=False),
    # the action (a reply carries the action of the call it answers) or the connection event
    sa.Column("message_type", sa.String(64), nullable=False),
    sa.Column("message_id", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # JSON
    sa.Column("ts", sa.Float, nullable=False),  # epoch seconds, UTC
    sa.Index("ix_ocpp_log_user_id_id", "user_id", "id"),
    sa.Index("ix_ocpp_log_user_id_chargepoint_id_id", "user_id", "chargepoint_id", "id"),
)

# What a persistent charger must not forget across a restart or a kill (issue "nothing lost"):
# its durable state (a JSON snapshot of the core and its adapter: registers, availability,
# running sessions, transaction ids and seqNo) and its outbox of transaction messages, each
# written before it is sent and deleted once answered. Both go with the charger's row.
charger_state = sa.Table(
    "charger_state",
    metadata,
    sa.Column(
        "charger_id",
        sa.Integer,
        sa.ForeignKey("chargers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("state", sa.Text, nullable=False),  # JSON
    sa.Column("ts", sa.Float, nullable=False),  # epoch seconds of the snapshot
)

charger_outbox = sa.Table(
    "charger_outbox",
    metadata,
    sa.Column(
        "charger_id",
        sa.Integer,
        sa.ForeignKey("chargers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # The charger's own sequence number: the order messages are sent in.
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # JSON, as stored by the adapter
    # The charger's session the message belongs to (1.6 fills its transactionId by it).
    sa.Column("ref", sa.Integer, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
)

# Web UI log-in sessions. Only the SHA-256 digest of the cookie's token is stored; the CSRF
# token is the synchronizer token the UI sends back on every state-changing request.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("digest", sa.LargeBinary(32), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),
    sa.Index("ix_web_sessions_user_id", "user_id"),
)

# Server-wide settings an administrator changes (name -> value as text, e.g. "true").
server_settings = sa.Table(
    "server_settings",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
