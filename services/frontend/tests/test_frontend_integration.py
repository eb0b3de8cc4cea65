"""The frontend as its container runs it (gunicorn + gunicorn_conf.py) against a real emulator."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from devstack import processes
from devstack.emulator import free_port
from devstack.testkit import proxy, raw_http
from devstack.testkit.aws import Resources
from devstack.testkit.pipeline import frontend_env, start_frontend

pytestmark = pytest.mark.integration


def submit(url: str, token: str, data: dict[str, Any]) -> requests.Response:
    return requests.post(url, json={"token": token, "data": data}, timeout=30)


def test_post_enqueues_data_and_rotated_token_applies_without_restart(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    res = resources()
    process, url = start_frontend(
        service, frontend_env(res, free_port(), TOKEN_CACHE_TTL_SECONDS="1")
    )
    health = requests.get(url, timeout=5)
    assert (health.status_code, health.json()["status"]) == (200, "healthy")

    data = {"email_timestream": "1693561101", "subject": "hi", "tags": ["a", "b"]}
    accepted = submit(url, res.token, data)
    assert accepted.status_code == 202
    message_id = accepted.json()["message_id"]
    messages = res.sqs().receive_message(
        QueueUrl=res.queue_url, MessageAttributeNames=["All"], WaitTimeSeconds=1
    )["Messages"]
    assert [m["MessageId"] for m in messages] == [message_id]
    assert json.loads(messages[0]["Body"]) == data
    assert messages[0]["MessageAttributes"]["email_timestream"]["StringValue"] == (
        "2023-09-01T09:38:21Z"
    )

    assert submit(url, "wrong", data).status_code == 401
    rejected = requests.post(url, data="{", headers={"Content-Type": "application/json"}, timeout=5)
    assert (rejected.status_code, rejected.json()["error"]) == (400, "body is not valid JSON")
    assert requests.put(url, json={}, timeout=5).status_code == 405

    # Rotation, step 1: the new token becomes current, the old one stays as previous.
    res.ssm().put_parameter(
        Name=res.token_parameter,
        Value=f"rotated-token\n{res.token}",
        Type="SecureString",
        Overwrite=True,
    )
    deadline = time.monotonic() + 10
    while submit(url, "rotated-token", data).status_code != 202:
        assert time.monotonic() < deadline, "rotated token never accepted"
        time.sleep(0.3)
    # Each gunicorn worker has its own cache; after one more TTL all have refreshed.
    time.sleep(2.5)
    for _ in range(6):  # the overlap: both tokens work on every worker
        assert submit(url, "rotated-token", data).status_code == 202
        assert submit(url, res.token, data).status_code == 202
    # Step 2: the previous token is dropped; within one TTL it is refused everywhere.
    res.ssm().put_parameter(
        Name=res.token_parameter, Value="rotated-token", Type="SecureString", Overwrite=True
    )
    time.sleep(2.5)
    assert all(submit(url, res.token, data).status_code == 401 for _ in range(6))
    assert all(submit(url, "rotated-token", data).status_code == 202 for _ in range(3))

    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=25) == 0
    assert time.monotonic() - started < 10


def test_bad_configuration_stops_gunicorn_with_one_line() -> None:
    process = processes.start_service(
        "frontend", {"PORT": str(free_port()), "AWS_REGION": "eu-central-1"}
    )
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        processes.stop(process)
    assert process.returncode != 0
    assert stderr.decode().splitlines() == ["frontend: configuration error: QUEUE_URL is required"]


def test_bad_port_value_stops_gunicorn_with_one_line(resources: Callable[..., Resources]) -> None:
    res = resources()
    env = {"QUEUE_URL": res.queue_url, "PORT": "eighty", "AWS_REGION": "eu-central-1"}
    process = processes.start_service("frontend", env)
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        processes.stop(process)
    assert process.returncode != 0
    assert len(stderr.decode().splitlines()) == 1
    assert "PORT" in stderr.decode()


@pytest.mark.parametrize("mode", ["blackhole", "fail", "closed"])
def test_unreachable_sqs_is_503_within_seconds(
    resources: Callable[..., Resources], service: Callable[..., Any], emulator: Any, mode: str
) -> None:
    res = resources()
    with proxy.running(emulator.endpoint) as sqs_proxy:
        if mode == "closed":
            endpoint = f"http://127.0.0.1:{free_port()}"
        else:
            sqs_proxy.set_mode(mode)
            endpoint = sqs_proxy.endpoint
        _, url = start_frontend(
            service, frontend_env(res, free_port(), AWS_ENDPOINT_URL_SQS=endpoint)
        )
        started = time.monotonic()
        response = submit(url, res.token, {"email_timestream": "0"})
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.json()["error"] == "service temporarily unavailable, retry later"
        # The default budget: 2 x (0.3 s connect + 0.7 s read) + backoff <= 3 s.
        print(f"\n{mode}: 503 after {elapsed:.2f} s")
        assert elapsed <= 3.0, f"503 after {elapsed:.2f} s"
        if mode != "closed":
            assert sqs_proxy.requests == 2  # bounded retries


def test_throttled_ssm_is_503_and_the_failure_is_cached_briefly(
    resources: Callable[..., Resources], service: Callable[..., Any], emulator: Any
) -> None:
    res = resources()
    with proxy.running(emulator.endpoint) as ssm_proxy:
        ssm_proxy.set_mode("throttle")
        env = frontend_env(
            res,
            free_port(),
            AWS_ENDPOINT_URL_SSM=ssm_proxy.endpoint,
            WEB_CONCURRENCY="1",
            TOKEN_FAILURE_CACHE_SECONDS="3",
        )
        _, url = start_frontend(service, env)
        started = time.monotonic()
        response = submit(url, res.token, {"email_timestream": "0"})
        assert response.status_code == 503
        assert time.monotonic() - started <= 3.0
        assert ssm_proxy.requests == 2  # one read, two attempts
        # A burst while SSM throttles: answered from the cached failure, no SSM call.
        assert all(submit(url, "x", {}).status_code == 503 for _ in range(20))
        assert ssm_proxy.requests == 2
        ssm_proxy.set_mode("pass")
        deadline = time.monotonic() + 10
        while submit(url, res.token, {"email_timestream": "0"}).status_code != 202:
            assert time.monotonic() < deadline, "SSM recovered but the token never came back"
            time.sleep(0.3)


@pytest.mark.parametrize("mode", ["blackhole", "throttle"])
def test_ssm_outage_serves_the_last_token_within_grace_then_503(
    resources: Callable[..., Resources], service: Callable[..., Any], emulator: Any, mode: str
) -> None:
    res = resources()
    with proxy.running(emulator.endpoint) as ssm_proxy:
        env = frontend_env(
            res,
            free_port(),
            AWS_ENDPOINT_URL_SSM=ssm_proxy.endpoint,
            WEB_CONCURRENCY="1",
            TOKEN_CACHE_TTL_SECONDS="1",
            TOKEN_GRACE_SECONDS="4",
            TOKEN_FAILURE_CACHE_SECONDS="1",
            # A blackholed SSM read then takes 2 x 2.2 s: far from the 0.5 s refresh wait.
            AWS_BUDGET_SECONDS="6",
        )
        _, url = start_frontend(service, env)
        assert submit(url, res.token, {"email_timestream": "0"}).status_code == 202
        ssm_proxy.set_mode(mode)
        time.sleep(1.2)  # the TTL is over: every refresh from now on fails
        outage_started = time.monotonic()
        while time.monotonic() - outage_started < 2.5:  # inside TTL + grace
            started = time.monotonic()
            assert submit(url, res.token, {"email_timestream": "0"}).status_code == 202
            if mode == "blackhole":
                # No request waits for the SSM timeout, at most the 0.5 s refresh wait.
                assert time.monotonic() - started < 2.0
            assert submit(url, "wrong", {"email_timestream": "0"}).status_code == 401
            time.sleep(0.2)
        time.sleep(2.5)  # past TTL + grace (5 s after the last good read)
        response = submit(url, res.token, {"email_timestream": "0"})
        assert response.status_code == 503


def test_fifty_concurrent_requests_at_expiry_make_one_ssm_call(
    resources: Callable[..., Resources], service: Callable[..., Any], emulator: Any
) -> None:
    res = resources()
    # 200 ms per SSM call: the refresh is still in flight while the other requests arrive.
    with proxy.running(emulator.endpoint, latency_s=0.2) as ssm_proxy:
        env = frontend_env(
            res,
            free_port(),
            AWS_ENDPOINT_URL_SSM=ssm_proxy.endpoint,
            WEB_CONCURRENCY="1",
            GUNICORN_THREADS="50",
            # A 4.2 s read timeout: a starved-but-healthy call is never retried (and counted twice).
            AWS_BUDGET_SECONDS="10",
            # Long enough that the burst below ends before the refreshed value expires.
            TOKEN_CACHE_TTL_SECONDS="5",
        )
        _, url = start_frontend(service, env)
        assert submit(url, res.token, {"email_timestream": "0"}).status_code == 202
        assert ssm_proxy.requests == 1
        time.sleep(5.2)  # expired

        def post(_: int) -> int:
            return submit(url, res.token, {"email_timestream": "0"}).status_code

        burst_started = time.monotonic()
        with ThreadPoolExecutor(max_workers=50) as pool:
            statuses = list(pool.map(post, range(50)))
        assert time.monotonic() - burst_started < 5.0, "burst outlived the TTL: retune"
        assert statuses == [202] * 50
        assert ssm_proxy.requests == 2  # one refresh for all 50


def test_request_id_round_trips_to_the_sqs_message_attribute(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    res = resources()
    _, url = start_frontend(service, frontend_env(res, free_port()))
    response = requests.post(
        url,
        json={"token": res.token, "data": {"email_timestream": "0"}},
        headers={"X-Request-Id": "client-req.42_A"},
        timeout=10,
    )
    assert response.status_code == 202
    assert response.headers["X-Request-Id"] == "client-req.42_A"
    assert response.json()["request_id"] == "client-req.42_A"
    (message,) = res.sqs().receive_message(
        QueueUrl=res.queue_url, MessageAttributeNames=["All"], WaitTimeSeconds=1
    )["Messages"]
    assert message["MessageAttributes"]["request_id"] == {
        "StringValue": "client-req.42_A",
        "DataType": "String",
    }
    # Bearer authentication, with no token in the body.
    bearer = requests.post(
        url,
        json={"data": {"email_timestream": "0"}},
        headers={"Authorization": f"Bearer {res.token}"},
        timeout=10,
    )
    assert bearer.status_code == 202


INVALID_REQUEST_IDS = [
    b"x" * 129,
    b"has space",
    b"semi;colon",
    b"abc%0d%0aSet-Cookie:%20x=1",
    b"caf\xe9",  # a Latin-1 byte
    b"abc\rSet-Cookie: x=1",  # a bare CR inside the value
    b"abc\x00def",
]


def test_invalid_request_ids_are_replaced_and_never_echoed(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    res = resources()
    port = free_port()
    start_frontend(service, frontend_env(res, port))
    body = json.dumps({"token": res.token, "data": {"email_timestream": "0"}}).encode()
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    tail = b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    for value in INVALID_REQUEST_IDS:
        reply = raw_http.exchange(port, head + b"X-Request-Id: " + value + b"\r\n" + tail)
        (status,) = reply.statuses
        headers = reply.headers[0]
        if status == 400 and "x-request-id" not in headers:
            # gunicorn refused the header block itself (bare CR, NUL) before the app.
            assert value not in reply.bodies[0], value
            continue
        assert status == 202, value
        returned = headers["x-request-id"]
        assert len(returned) == 32, value  # a generated uuid4 hex
        assert returned.encode() != value
        assert value not in reply.bodies[0]
        assert reply.json()["request_id"] == returned
    # CR LF ends the header: `abc` is the (valid) id, the injected line a request header
    # that never becomes a response header.
    injected = head + b"X-Request-Id: abc\r\nSet-Cookie: x=1\r\n" + tail
    reply = raw_http.exchange(port, injected)
    assert reply.statuses == [202]
    assert reply.headers[0]["x-request-id"] == "abc"
    assert "set-cookie" not in reply.headers[0]


def test_raw_targets_that_normalise_to_slash_are_404(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    res = resources()
    port = free_port()
    start_frontend(service, frontend_env(res, port))
    body = json.dumps({"token": res.token, "data": {"email_timestream": "0"}}).encode()
    for method, target in [("POST", "//"), ("POST", "///"), ("POST", "/%2F"), ("GET", "//")]:
        raw = raw_http.request(method, target, body, {"Content-Type": "application/json"})
        reply = raw_http.exchange(port, raw)
        assert reply.statuses == [404], target
        assert reply.json()["error"] == "not found; the only path is /"
    assert res.queue_counts() == (0, 0)


MALFORMED_CHUNKED_BODIES = [
    b"zz\r\n{}\r\n0\r\n\r\n",  # chunk size not hex
    b"2;a\rb\r\n{}\r\n0\r\n\r\n",  # bare CR in a chunk extension
    b"2;\x01\r\n{}\r\n0\r\n\r\n",  # control character in a chunk extension
    b"2\r\n{}XX0\r\n\r\n",  # no CRLF after the chunk data
    b"ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",  # absurd size
    b"2\r\n{}\r\n",  # ends without the last chunk
]


def test_malformed_body_framing_is_400_json(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    res = resources()
    port = free_port()
    start_frontend(service, frontend_env(res, port))
    head = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    for chunked_body in MALFORMED_CHUNKED_BODIES:
        reply = raw_http.exchange(port, head + chunked_body)
        assert reply.statuses[:1] == [400], (chunked_body, reply)
        assert reply.json()["error"].startswith("body"), chunked_body
    # A body shorter than its Content-Length (the client then closes its side).
    body = json.dumps({"token": res.token, "data": {"email_timestream": "0"}}).encode()
    raw = raw_http.request(
        "POST",
        "/",
        body,
        {"Content-Type": "application/json", "Content-Length": str(len(body) + 1)},
    )
    reply = raw_http.exchange(port, raw)
    assert reply.statuses == [400]
    assert reply.json()["error"] == "body ended before it was complete"
    assert res.queue_counts() == (0, 0)


def test_concurrent_posts_are_all_accepted_and_enqueued(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    res = resources()
    _, url = start_frontend(service, frontend_env(res, free_port()))

    def post(index: int) -> int:
        return submit(url, res.token, {"email_timestream": str(index)}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, range(40)))
    assert statuses == [202] * 40
    assert res.queue_counts()[0] == 40
