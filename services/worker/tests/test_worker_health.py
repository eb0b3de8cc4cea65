"""Health: 200 only while the loops are alive and a receive completed recently."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from worker.health import Health, Heartbeat, make_server, serve_in_background


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_unhealthy_before_the_first_receive() -> None:
    healthy, body = Health(Heartbeat(Clock()), lambda: True, 60).report()
    assert not healthy
    assert body["status"] == "unhealthy"


def test_healthy_after_a_recent_receive_then_stale() -> None:
    clock = Clock()
    heartbeat = Heartbeat(clock)
    health = Health(heartbeat, lambda: True, 60)
    heartbeat.beat()
    clock.now += 59
    assert health.report() == (
        True,
        {"status": "healthy", "poll_loops_alive": True, "seconds_since_last_receive": 59.0},
    )
    clock.now += 2
    assert health.report()[0] is False


def test_unhealthy_when_a_loop_is_dead() -> None:
    heartbeat = Heartbeat(Clock())
    heartbeat.beat()
    healthy, body = Health(heartbeat, lambda: False, 60).report()
    assert not healthy
    assert body["poll_loops_alive"] is False


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("beat", [True, False])
def test_http_endpoint_reports_status(beat: bool) -> None:
    heartbeat = Heartbeat()
    if beat:
        heartbeat.beat()
    server = make_server("127.0.0.1", 0, Health(heartbeat, lambda: True, 60))
    serve_in_background(server)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        status, body = get(base + "/")
        assert status == (200 if beat else 503)
        assert body["status"] == ("healthy" if beat else "unhealthy")
        assert get(base + "/other")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
