"""Raw HTTP/1.1 over loopback sockets.

Raw sockets send what no client library would: broken framing, bare CRs, odd targets.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """What came back on one connection: every response in order, or why there was none."""

    statuses: list[int] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    timed_out: bool = False
    reset: bool = False

    def json(self, index: int = 0) -> Any:
        return json.loads(self.bodies[index])


def exchange(port: int, raw: bytes, *, head: bool = False, timeout: float = 10.0) -> Reply:
    """Send `raw`, half-close, read until the server closes or `timeout` passes."""
    deadline = time.monotonic() + timeout
    data = bytearray()
    reply = Reply()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(raw)
            # EOF after the request: a server waiting for more body sees the end now.
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            # Answered and closed before reading it all (e.g. 413): EPIPE, ECONNRESET or
            # ENOTCONN on our side; what the server sent may still be readable.
            pass
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                reply.timed_out = True
                break
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                reply.timed_out = True
                break
            except OSError:  # reset, or no longer connected
                reply.reset = True
                break
            if not chunk:
                break
            data.extend(chunk)
    _parse(bytes(data), reply, head)
    return reply


def _parse(data: bytes, reply: Reply, head: bool) -> None:
    position = 0
    while position < len(data):
        end = data.find(b"\r\n\r\n", position)
        if end < 0:
            break
        lines = data[position:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            break
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body_start = end + 4
        if 100 <= status < 200:  # interim (100 Continue): the final response follows
            position = body_start
            continue
        length = 0 if head and not reply.statuses else int(headers.get("content-length", "0"))
        reply.statuses.append(status)
        reply.headers.append(headers)
        reply.bodies.append(data[body_start : body_start + length])
        position = body_start + length


def request(
    method: str,
    target: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    content_length: bool = True,
) -> bytes:
    """A well-framed request (bytes) unless the caller breaks it on purpose."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    given = dict(headers or {})
    if content_length and body and "Content-Length" not in given:
        given["Content-Length"] = str(len(body))
    lines.extend(f"{name}: {value}" for name, value in given.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
