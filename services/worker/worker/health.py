"""Liveness of the poll loops, and the HTTP endpoint that reports it (ECS health check)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Heartbeat:
    """When a receive last completed (successfully, empty or not)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None

    def beat(self) -> None:
        with self._lock:
            self._last = self._clock()

    def age(self) -> float | None:
        with self._lock:
            return None if self._last is None else self._clock() - self._last


class Health:
    def __init__(
        self, heartbeat: Heartbeat, loops_alive: Callable[[], bool], max_age_seconds: float
    ) -> None:
        self._heartbeat = heartbeat
        self._loops_alive = loops_alive
        self._max_age = max_age_seconds

    def report(self) -> tuple[bool, dict[str, object]]:
        age = self._heartbeat.age()
        alive = self._loops_alive()
        healthy = alive and age is not None and age <= self._max_age
        return healthy, {
            "status": "healthy" if healthy else "unhealthy",
            "poll_loops_alive": alive,
            "seconds_since_last_receive": None if age is None else round(age, 3),
        }


def make_server(host: str, port: int, health: Health) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "worker-health"
        sys_version = ""

        def do_GET(self) -> None:
            if self.path != "/":
                self._send(404, {"error": "not found"})
                return
            healthy, body = health.report()
            self._send(200 if healthy else 503, body)

        def _send(self, status: int, body: dict[str, object]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            # Probes every few seconds would drown the log; the status is in the body.
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve_in_background(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="health", daemon=True)
    thread.start()
    return thread
