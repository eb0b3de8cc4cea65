"""Structured JSON logging: one line per request, never the token or the payload."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

LOGGER_NAME = "frontend"
_FIELDS = ("method", "path", "status", "latency_ms", "request_id", "message_id", "error_code")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in _FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type only: a traceback's text can quote request data.
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, separators=(",", ":"))


def configure(level: int = logging.INFO) -> logging.Logger:
    """JSON lines on the current stdout for the service logger (replaces earlier handlers)."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    return logger


def log_request(
    logger: logging.Logger,
    *,
    method: str,
    path: str,
    status: int,
    latency_ms: float,
    request_id: str,
    message_id: str | None,
    error_code: str | None,
) -> None:
    logger.info(
        "request",
        extra={
            "method": method,
            "path": path,
            "status": status,
            "latency_ms": round(latency_ms, 2),
            "request_id": request_id,
            "message_id": message_id,
            "error_code": error_code,
        },
    )
