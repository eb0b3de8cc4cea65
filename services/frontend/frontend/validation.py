"""The rules of `data`: an object holding a valid `email_timestream` timestamp."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

TIMESTAMP_FIELD = "email_timestream"

# RFC 3339 `date-time` with a mandatory offset. ASCII digits only: Python's \d
# would also match other scripts' digits.
_RFC3339 = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<off_hour>[0-9]{2}):(?P<off_minute>[0-9]{2}))",
    re.ASCII,
)
_DIGITS = re.compile(r"[0-9]{1,12}", re.ASCII)
# Latest instant Python's datetime can represent (9999-12-31T23:59:59Z).
_MAX_EPOCH_SECONDS = 253_402_300_799


class InvalidRequestError(ValueError):
    """The body breaks a rule; `status` is the HTTP status, the message names the field."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_timestamp(value: Any) -> datetime:
    """An aware UTC datetime from RFC 3339 (with offset) or Unix epoch seconds.

    Raises ValueError for anything else.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, int):
        return _from_epoch(value)
    if not isinstance(value, str):
        raise ValueError(f"a {type(value).__name__} is not a timestamp")
    if _DIGITS.fullmatch(value):
        return _from_epoch(int(value))
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise ValueError("not RFC 3339 with an offset, nor epoch seconds")
    return _from_rfc3339(match)


def _from_epoch(seconds: int) -> datetime:
    if not 0 <= seconds <= _MAX_EPOCH_SECONDS:
        raise ValueError("epoch seconds out of range")
    return datetime.fromtimestamp(seconds, tz=UTC)


def _from_rfc3339(match: re.Match[str]) -> datetime:
    fields = match.groupdict()
    offset: timezone
    if fields["sign"] is None:
        offset = UTC
    else:
        off_hour, off_minute = int(fields["off_hour"]), int(fields["off_minute"])
        if off_hour > 23 or off_minute > 59:
            raise ValueError("offset out of range")
        delta = timedelta(hours=off_hour, minutes=off_minute)
        offset = timezone(-delta if fields["sign"] == "-" else delta)
    microsecond = int((fields["fraction"] or "0")[:6].ljust(6, "0"))
    try:
        local = datetime(
            int(fields["year"]),
            int(fields["month"]),
            int(fields["day"]),
            int(fields["hour"]),
            int(fields["minute"]),
            int(fields["second"]),
            microsecond,
            tzinfo=offset,
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        # Month 13, Feb 30, hour 25, second 60 (no leap seconds), or outside years 1-9999.
        raise ValueError("not a valid date-time") from None


def format_timestamp(moment: datetime) -> str:
    """The normalised form: UTC, `Z` suffix, microseconds only when present."""
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def extract_data(body: dict[str, Any]) -> tuple[dict[str, Any], datetime]:
    """The `data` object and its normalised timestamp; other keys pass through unchanged."""
    data = body.get("data")
    if not isinstance(data, dict):
        raise InvalidRequestError(400, "data must be a JSON object")
    if TIMESTAMP_FIELD not in data:
        raise InvalidRequestError(400, f"data.{TIMESTAMP_FIELD} is required")
    try:
        timestamp = parse_timestamp(data[TIMESTAMP_FIELD])
    except ValueError:
        raise InvalidRequestError(
            400,
            f"data.{TIMESTAMP_FIELD} must be an RFC 3339 date-time with an offset "
            "or Unix epoch seconds",
        ) from None
    return data, timestamp
