"""The request id: the client's `X-Request-Id` when it is safe to echo, else a new one."""

from __future__ import annotations

import re
import uuid

HEADER = "X-Request-Id"
# Safe in a header, a log line and an SQS attribute: no spaces, quotes or control characters.
_VALID = re.compile(r"[A-Za-z0-9._-]{1,128}", re.ASCII)


def accept_or_generate(client_value: str | None) -> str:
    """`client_value` if it is 1-128 characters of [A-Za-z0-9._-], otherwise a new UUID."""
    if client_value is not None and _VALID.fullmatch(client_value):
        return client_value
    return uuid.uuid4().hex
