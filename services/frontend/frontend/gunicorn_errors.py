"""JSON instead of gunicorn's HTML for requests it rejects before the app sees them.

gunicorn answers a request it cannot parse (request line, headers, HTTP version,
an unknown transfer coding...) itself, through `gunicorn.util.write_error`, and
has no setting for the format; `gunicorn_conf.py` installs `write_json_error` in
its place, so every error a client gets from this service is JSON.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util

# The reason gunicorn gives can quote the offending request line or header.
_MAX_MESSAGE_CHARS = 200


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's `write_error` signature; `{"error": ...}` with Connection: close."""
    message = f"{reason}: {mesg}" if mesg else reason
    body = json.dumps({"error": message[:_MAX_MESSAGE_CHARS]}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    util.write_error = write_json_error
