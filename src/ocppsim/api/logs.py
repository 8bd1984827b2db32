"""Logging that never shows a credential: API keys are scrubbed from every record."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

_QUERY_SECRET = re.compile(r"((?:^|[?&;])(?:api_key|key|token|ticket)=)[^&\s\"';]*", re.IGNORECASE)
_KEY = re.compile(r"ocps_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{10,}")
REDACTED = "[REDACTED]"


def redact(text: str) -> str:
    """Replace secret query parameters and anything shaped like an ocppsim key."""
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    return _KEY.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Scrub the message and its arguments (uvicorn's access log passes the path as an arg)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the redacting filter on every handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": RedactingFilter}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["loggers"]["ocppsim"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
