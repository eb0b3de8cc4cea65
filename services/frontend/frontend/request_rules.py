"""What a well-formed request is, checked in one place and in this order.

| Rule | Status when broken |
|---|---|
| the request target is exactly `/` (raw, before any decoding or slash merging) | 404 |
| the method is GET, HEAD or POST | 405 |
| POST: `Content-Type: application/json`, charset (if given) utf-8 | 415 |
| POST: body at most MAX_REQUEST_BYTES | 413 |
| POST: body framing readable (chunk sizes, extensions, length) | 400 |
| POST: body strict UTF-8 (no surrogates, no UTF-16/32, no BOM) | 400 |
| POST: body one JSON object: no duplicate keys, no NaN/Infinity/1e400, no lone surrogates | 400 |
| POST: a token, in `Authorization: Bearer` or the body's `token`, that matches | 401 |
| POST: `data` an object with a valid `email_timestream` (validation.py) | 400 |

Unauthenticated callers learn nothing about the `data` rules: the token comes first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Request
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from frontend.queue import MAX_MESSAGE_BYTES
from frontend.validation import InvalidRequestError, extract_data

ALLOWED_METHODS = ("GET", "HEAD", "POST")
# A request is the message plus the token and envelope; anything bigger cannot fit in SQS.
MAX_REQUEST_BYTES = MAX_MESSAGE_BYTES + 4096
_BEARER = "bearer"


@dataclass(frozen=True)
class Submission:
    data: dict[str, Any]
    timestamp: datetime


def check_target(request: Request) -> None:
    """404 unless the raw target is `/` (with any query); 405 for other methods."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw is None:
        path = request.path
    elif raw.startswith(("http://", "https://")):  # absolute-form, as proxies may send
        path = urlsplit(raw).path or "/"
    else:
        path = raw.split("?", 1)[0]
    # Compared raw: `//`, `/%2F` or `/./` must not reach the handler through normalisation.
    if path != "/":
        raise InvalidRequestError(404, "not found; the only path is /")
    if request.method not in ALLOWED_METHODS:
        raise InvalidRequestError(405, f"method {request.method} is not allowed; use GET or POST")


def read_submission(request: Request, token_matches: Callable[[str], bool]) -> Submission:
    """The checked `data` of a POST, or InvalidRequestError naming the broken rule."""
    if request.mimetype != "application/json":
        raise InvalidRequestError(415, "Content-Type must be application/json")
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.lower() not in {"utf-8", "utf8"}:
        raise InvalidRequestError(415, "Content-Type charset must be utf-8")
    body = parse_json_object(_read_body(request))
    if not token_matches(_credential(request, body)):
        raise InvalidRequestError(401, "token is missing or invalid")
    data, timestamp = extract_data(body)
    return Submission(data, timestamp)


def _read_body(request: Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
        raise InvalidRequestError(413, f"body is larger than {MAX_REQUEST_BYTES} bytes")
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:  # a chunked body past the limit
        raise InvalidRequestError(413, f"body is larger than {MAX_REQUEST_BYTES} bytes") from None
    except ClientDisconnected:
        raise InvalidRequestError(400, "body ended before it was complete") from None
    except (ParseException, OSError) as error:
        # gunicorn's InvalidChunkSize, InvalidChunkExtension, ChunkMissingTerminator,
        # NoMoreData...: the client framed the body wrongly, and the connection is closed.
        raise InvalidRequestError(400, f"body could not be read ({type(error).__name__})") from None
    if request.content_length is not None and len(body) < request.content_length:
        # gunicorn marks its input terminated, so werkzeug reads to EOF, not to the length.
        raise InvalidRequestError(400, "body ended before it was complete")
    return body


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; re-serialising them would produce invalid JSON.
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    # `1e400` parses to infinity, which would leave as `Infinity`: not JSON either.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # Which of two `token`s counts would depend on the parser: refuse to guess.
        raise ValueError("duplicate key")
    return result


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """One JSON object from strict UTF-8 bytes (RFC 8259: JSON on the wire is UTF-8)."""
    try:
        text = raw.decode("utf-8")  # strict: rejects encoded surrogates and UTF-16/32
    except UnicodeDecodeError:
        raise InvalidRequestError(400, "body is not valid UTF-8") from None
    if text.startswith("\ufeff"):
        raise InvalidRequestError(400, "body must not start with a byte order mark")
    try:
        body = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError, duplicate keys and over-long integers.
        raise InvalidRequestError(400, "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidRequestError(400, "body must be a JSON object")
    try:
        # A `\ud800` escape decodes to a lone surrogate, which is no Unicode text.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequestError(400, "body contains an unpaired surrogate escape") from None
    return body


def _credential(request: Request, body: dict[str, Any]) -> str:
    """The token of `Authorization: Bearer <token>` if that header is present, else `token`."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != _BEARER or not token or " " in token:
            raise InvalidRequestError(401, "token is missing or invalid")
        return token
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise InvalidRequestError(401, "token is missing or invalid")
    return token
