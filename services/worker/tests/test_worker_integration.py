"""The worker as its container runs it (`python -m worker`) against a real emulator."""

from __future__ import annotations

import json
import os
import re
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
from devstack.testkit.aws import Resources, wait_until

pytestmark = pytest.mark.integration

KEY = re.compile(
    r"messages/\d{4}/\d\d/\d\d/\d{8}T\d{6}\.\d{3}Z-(?P<message_id>[0-9a-f-]{36})\.json"
)


def worker_env(res: Resources, port: int, **extra: str) -> dict[str, str]:
    return {
        "QUEUE_URL": res.queue_url,
        "DATA_BUCKET": res.bucket,
        "AWS_ENDPOINT_URL": res.endpoint,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        **extra,
    }


def start_worker(service: Callable[..., Any], env: dict[str, str]) -> tuple[Any, str]:
    process = service("worker", env)
    url = f"http://127.0.0.1:{env['PORT']}/"
    processes.wait_for_status(url, 200, 30, process)
    return process, url


def start_frontend(service: Callable[..., Any], res: Resources) -> str:
    port = free_port()
    env = {
        "QUEUE_URL": res.queue_url,
        "TOKEN_PARAMETER": res.token_parameter,
        "AWS_ENDPOINT_URL": res.endpoint,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
    }
    process = service("frontend", env)
    url = f"http://127.0.0.1:{port}/"
    processes.wait_for_status(url, 200, 30, process)
    return url


def send_raw(res: Resources, bodies: list[dict[str, Any]]) -> None:
    sqs = res.sqs()
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": json.dumps(body)}
            for i, body in enumerate(bodies[start : start + 10])
        ]
        assert not sqs.send_message_batch(QueueUrl=res.queue_url, Entries=entries).get("Failed")


def objects(res: Resources) -> dict[str, Any]:
    s3 = res.s3()
    return {
        key: json.loads(s3.get_object(Bucket=res.bucket, Key=key)["Body"].read())
        for key in res.object_keys()
    }


def terminate_and_time(process: Any) -> tuple[int, float]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=30)
    return code, time.monotonic() - started


def test_post_to_frontend_ends_as_an_object_equal_to_data(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    res = resources()
    frontend_url = start_frontend(service, res)
    process, health_url = start_worker(service, worker_env(res, free_port()))
    health = requests.get(health_url, timeout=5).json()
    assert health["status"] == "healthy"

    data = {"email_timestream": "2023-01-01T00:00:00Z", "to": "ops@example.com", "n": [1, 2]}
    response = requests.post(frontend_url, json={"token": res.token, "data": data}, timeout=10)
    assert response.status_code == 202
    message_id = response.json()["message_id"]
    assert wait_until(lambda: len(res.object_keys()) == 1, timeout=20)
    ((key, body),) = objects(res).items()
    assert body == data
    assert KEY.fullmatch(key)
    assert key.endswith(f"-{message_id}.json")
    assert wait_until(lambda: res.queue_counts() == (0, 0), timeout=10)

    # The worker is now idle inside a 20 s long poll; SIGTERM must still end it quickly.
    time.sleep(1.5)
    code, elapsed = terminate_and_time(process)
    assert code == 0
    assert elapsed < 10


def test_sigterm_finishes_in_flight_uploads_and_deletes(
    resources: Callable[..., Resources], service: Callable[..., Any], emulator: Any
) -> None:
    res = resources(visibility_timeout=60)
    with proxy.running(emulator.endpoint, latency_s=1.5) as slow_s3:
        env = worker_env(res, free_port(), AWS_ENDPOINT_URL_S3=slow_s3.endpoint, POLLERS="1")
        process, _ = start_worker(service, env)
        send_raw(res, [{"n": i} for i in range(10)])
        assert wait_until(lambda: slow_s3.requests >= 1, timeout=20, interval=0.05)
        code, elapsed = terminate_and_time(process)
    assert code == 0
    assert elapsed < 10
    assert sorted(body["n"] for body in objects(res).values()) == list(range(10))
    assert res.queue_counts() == (0, 0)  # deleted, not left to reappear


def test_message_whose_upload_keeps_failing_ends_in_the_dlq(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    # The bucket does not exist: every PutObject fails with NoSuchBucket.
    res = resources(visibility_timeout=1, max_receive_count=2, create_bucket=False)
    start_worker(service, worker_env(res, free_port(), WAIT_TIME_SECONDS="1"))
    send_raw(res, [{"poison": True}])
    assert res.dlq_url is not None
    assert wait_until(lambda: res.queue_counts(res.dlq_url)[0] == 1, timeout=30)
    assert res.queue_counts() == (0, 0)
    (message,) = res.sqs().receive_message(QueueUrl=res.dlq_url)["Messages"]
    assert json.loads(message["Body"]) == {"poison": True}


def test_s3_failing_for_a_while_loses_nothing(
    resources: Callable[..., Resources], service: Callable[..., Any], emulator: Any
) -> None:
    res = resources(visibility_timeout=2, max_receive_count=10)
    with proxy.running(emulator.endpoint) as s3_proxy:
        s3_proxy.set_mode("fail")
        env = worker_env(res, free_port(), AWS_ENDPOINT_URL_S3=s3_proxy.endpoint)
        start_worker(service, env)
        send_raw(res, [{"n": i} for i in range(30)])
        # One delivery of the 30 messages is 90 requests (3 attempts each); more
        # means messages came back after their visibility timeout and failed again.
        assert wait_until(lambda: s3_proxy.requests >= 120, timeout=30)
        assert res.object_keys() == []
        s3_proxy.set_mode("pass")
        assert wait_until(lambda: len(res.object_keys()) == 30, timeout=60)
    assert sorted(body["n"] for body in objects(res).values()) == list(range(30))
    assert wait_until(lambda: res.queue_counts() == (0, 0), timeout=10)
    assert res.queue_counts(res.dlq_url) == (0, 0)


def test_worker_killed_mid_stream_and_restarted_stores_exactly_once(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    total = 500
    res = resources(visibility_timeout=3)
    frontend_url = start_frontend(service, res)
    worker_port = free_port()
    worker, _ = start_worker(service, worker_env(res, worker_port))

    def post(index: int) -> str:
        data = {"email_timestream": str(1_700_000_000 + index), "n": index}
        response = requests.post(frontend_url, json={"token": res.token, "data": data}, timeout=30)
        assert response.status_code == 202, response.text
        return str(response.json()["message_id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        first = list(pool.map(post, range(total // 2)))
        assert wait_until(lambda: len(res.object_keys()) >= 50, timeout=30, interval=0.05)
        os.killpg(worker.pid, signal.SIGKILL)  # no chance to finish or hand back
        worker.wait(timeout=10)
        second = list(pool.map(post, range(total // 2, total)))
    accepted = first + second
    assert len(set(accepted)) == total

    start_worker(service, worker_env(res, worker_port))
    assert wait_until(lambda: len(res.object_keys()) >= total, timeout=90, interval=0.5)
    assert wait_until(lambda: res.queue_counts() == (0, 0), timeout=30)
    keys = res.object_keys()
    assert len(keys) == total
    assert {KEY.fullmatch(key).group("message_id") for key in keys} == set(accepted)  # type: ignore[union-attr]
    assert sorted(body["n"] for body in objects(res).values()) == list(range(total))


def test_health_is_503_when_sqs_never_answers(
    resources: Callable[..., Resources], service: Callable[..., Any], emulator: Any
) -> None:
    res = resources()
    with proxy.running(emulator.endpoint) as sqs_proxy:
        sqs_proxy.set_mode("blackhole")
        port = free_port()
        process = service("worker", worker_env(res, port, AWS_ENDPOINT_URL_SQS=sqs_proxy.endpoint))
        url = f"http://127.0.0.1:{port}/"
        assert wait_until(lambda: processes.http_status(url) is not None, timeout=20)
        response = requests.get(url, timeout=5)
        assert response.status_code == 503
        assert response.json()["status"] == "unhealthy"
        # Stuck in a receive: SIGTERM still ends the process promptly.
        code, elapsed = terminate_and_time(process)
    assert code == 0
    assert elapsed < 10


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({}, "worker: configuration error: QUEUE_URL is required"),
        (
            {"QUEUE_URL": "http://127.0.0.1:1/0/q"},
            "worker: configuration error: DATA_BUCKET is required",
        ),
    ],
)
def test_bad_configuration_exits_non_zero_with_one_line(env: dict[str, str], reason: str) -> None:
    process = processes.start_service("worker", env)
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        processes.stop(process)
    assert process.returncode == 2
    assert stderr.decode().splitlines() == [reason]
