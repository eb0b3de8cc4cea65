"""A loopback HTTP proxy in front of the emulator that can add latency or fail.

Modes: "pass" forwards; "fail" answers 503 (a transient error SDKs retry);
"throttle" answers 400 ThrottlingException; "blackhole" accepts and never answers;
"drop" forwards, then closes the connection without an answer (the request took
effect upstream, the client sees a connection error and retries).
Every mode can add `latency_s` before forwarding (the benchmark's 20 ms).

`mode` applies to every request; `fault(method, path)` can choose a mode per request
instead (None: the proxy's mode). `log` records (method, path, mode) of every request.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

MODES = ("pass", "fail", "throttle", "blackhole", "drop")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


Fault = Callable[[str, str], str | None]


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body of a well-formed request, chunked or with a Content-Length."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


class FaultProxy:
    def __init__(self, upstream: str, latency_s: float = 0.0, fault: Fault | None = None) -> None:
        parsed = urlparse(upstream)
        self._upstream_host = parsed.hostname or "127.0.0.1"
        self._upstream_port = parsed.port or 80
        self.latency_s = latency_s
        self._fault = fault
        self._mode = "pass"
        self._lock = threading.Lock()
        self.requests = 0
        self.log: list[tuple[str, str, str]] = []
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def mode(self) -> str:
        with self._lock:
            return self._mode

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        with self._lock:
            self._mode = mode

    def _choose(self, method: str, path: str) -> str:
        """Count and log the request; the mode it gets."""
        mode = (self._fault(method, path) if self._fault else None) or self.mode
        if mode not in MODES:
            raise ValueError(mode)
        with self._lock:
            self.requests += 1
            self.log.append((method, path, mode))
        return mode

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without TCP_NODELAY, Nagle
            # plus the client's delayed ACK would add ~40 ms to every response.
            disable_nagle_algorithm = True
            upstream: http.client.HTTPConnection | None = None

            def log_message(self, format: str, *args: object) -> None:
                return

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _forward(self) -> None:
                body = read_body(self)
                mode = proxy._choose(self.command, self.path)
                if proxy.latency_s:
                    time.sleep(proxy.latency_s)
                if mode == "blackhole":
                    proxy._closing.wait(120)
                    self.close_connection = True
                    return
                if mode == "fail":
                    self._reply(503, b"", "text/plain")
                    return
                if mode == "throttle":
                    error = {"__type": "ThrottlingException", "message": "Rate exceeded"}
                    self._reply(400, json.dumps(error).encode(), "application/x-amz-json-1.1")
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["Content-Length"] = str(len(body))
                for attempt in (1, 2):
                    if self.upstream is None:
                        self.upstream = http.client.HTTPConnection(
                            proxy._upstream_host, proxy._upstream_port, timeout=60
                        )
                    try:
                        self.upstream.request(self.command, self.path, body=body, headers=headers)
                        response = self.upstream.getresponse()
                        payload = response.read()
                        break
                    except (http.client.HTTPException, OSError):
                        self.upstream.close()
                        self.upstream = None
                        if attempt == 2:
                            self._reply(502, b"", "text/plain")  # upstream gone
                            return
                if mode == "drop":
                    self.close_connection = True
                    return
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (timeout or shutdown); nothing to answer

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward  # noqa: N815 - http.server names

        return Handler


@contextmanager
def running(
    upstream: str, latency_s: float = 0.0, fault: Fault | None = None
) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream, latency_s, fault).start()
    try:
        yield proxy
    finally:
        proxy.stop()
