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
from devstack.testkit import proxy
from devstack.testkit.aws import Resources

pytestmark = pytest.mark.integration

START_TIMEOUT_S = 30


def frontend_env(resources: Resources, port: int, **extra: str) -> dict[str, str]:
    return {
        "QUEUE_URL": resources.queue_url,
        "TOKEN_PARAMETER": resources.token_parameter,
        "AWS_ENDPOINT_URL": resources.endpoint,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        **extra,
    }


def start_frontend(service: Callable[..., Any], env: dict[str, str]) -> tuple[Any, str]:
    process = service("frontend", env)
    url = f"http://127.0.0.1:{env['PORT']}/"
    processes.wait_for_status(url, 200, START_TIMEOUT_S, process)
    return process, url


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
    assert (health.status_code, health.json()) == (200, {"status": "healthy"})

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
    assert (rejected.status_code, rejected.json()) == (400, {"error": "body is not valid JSON"})
    assert requests.put(url, json={}, timeout=5).status_code == 405

    res.ssm().put_parameter(
        Name=res.token_parameter, Value="rotated-token", Type="SecureString", Overwrite=True
    )
    deadline = time.monotonic() + 10
    while submit(url, "rotated-token", data).status_code != 202:
        assert time.monotonic() < deadline, "rotated token never accepted"
        time.sleep(0.3)
    # Each gunicorn worker has its own cache; after one more TTL all have refreshed.
    time.sleep(1.2)
    assert all(submit(url, res.token, data).status_code == 401 for _ in range(6))

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
        assert response.json() == {"error": "service temporarily unavailable, retry later"}
        # Defaults: 2 attempts x (1 s connect / 2 s read) plus jittered backoff.
        assert elapsed < 7.0
        if mode != "closed":
            assert sqs_proxy.requests == 2  # bounded retries


def test_throttled_ssm_is_503_and_failure_is_not_cached(
    resources: Callable[..., Resources], service: Callable[..., Any], emulator: Any
) -> None:
    res = resources()
    with proxy.running(emulator.endpoint) as ssm_proxy:
        ssm_proxy.set_mode("throttle")
        _, url = start_frontend(
            service,
            frontend_env(res, free_port(), AWS_ENDPOINT_URL_SSM=ssm_proxy.endpoint),
        )
        started = time.monotonic()
        response = submit(url, res.token, {"email_timestream": "0"})
        assert response.status_code == 503
        assert time.monotonic() - started < 6.0
        assert ssm_proxy.requests == 2
        ssm_proxy.set_mode("pass")
        assert submit(url, res.token, {"email_timestream": "0"}).status_code == 202


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
