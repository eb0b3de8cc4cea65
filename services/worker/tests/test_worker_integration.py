"""The worker as its container runs it (`python -m worker`) against a real emulator."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from devstack import processes
from devstack.emulator import free_port
from devstack.testkit import proxy
from devstack.testkit.aws import Resources, wait_until
from devstack.testkit.pipeline import (
    KEY,
    frontend_env,
    objects,
    send_raw,
    start_frontend,
    start_worker,
    terminate_and_time,
    worker_env,
)

pytestmark = pytest.mark.integration


def test_post_to_frontend_ends_as_an_object_equal_to_data(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    res = resources()
    _, frontend_url = start_frontend(service, frontend_env(res, free_port()))
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


def test_frontend_and_worker_work_with_the_customer_managed_keys(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    """Queues under a KMS key and a bucket encrypted with it by default, whose policy refuses
    uploads asking for other encryption (the emulator evaluates those conditions): the
    worker's uploads carry no encryption headers, so they pass and get the bucket's key."""
    res = resources(kms=True)
    s3 = res.s3()
    for refused in (
        {"ServerSideEncryption": "AES256"},
        {
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": "arn:aws:kms:eu-central-1:123456789012:key/other",
        },
    ):
        with pytest.raises(ClientError) as denied:
            s3.put_object(Bucket=res.bucket, Key="messages/refused.json", Body=b"{}", **refused)
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, refused
    _, frontend_url = start_frontend(service, frontend_env(res, free_port()))
    start_worker(service, worker_env(res, free_port()))

    data = {"email_timestream": "2023-01-01T00:00:00Z", "message": "under a customer key"}
    response = requests.post(frontend_url, json={"token": res.token, "data": data}, timeout=10)
    assert response.status_code == 202, response.text
    assert wait_until(lambda: len(res.object_keys()) == 1, timeout=20)
    ((key, body),) = objects(res).items()
    assert body == data
    head = s3.head_object(Bucket=res.bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == res.kms_key_arn


def test_sigterm_finishes_in_flight_uploads_and_deletes(
    resources: Callable[..., Resources], service: Callable[..., Any], emulator: Any
) -> None:
    res = resources(visibility_timeout=60)
    with proxy.running(emulator.endpoint, latency_s=1.5) as slow_s3:
        env = worker_env(res, free_port(), AWS_ENDPOINT_URL_S3=slow_s3.endpoint, POLLERS="1")
        # Queued before the worker starts, so its first receive takes all ten (a long poll
        # started earlier returns with the first few).
        send_raw(res, [{"n": i} for i in range(10)])
        process, _ = start_worker(service, env)
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


# More poll loops than messages, one message per receive: however the emulator hands the
# messages out, at least one loop is idle and polls every second while they are stored.
MESSAGES = 3
POLLERS = MESSAGES + 1


def put_counts(s3_proxy: proxy.FaultProxy) -> Counter[str]:
    """How many times each object key was PUT through the proxy."""
    return Counter(path for method, path, _ in s3_proxy.log if method == "PUT")


def test_slow_s3_past_the_visibility_timeout_stores_each_message_once(
    resources: Callable[..., Resources], service: Callable[..., Any], emulator: Any, tmp_path: Path
) -> None:
    # Every upload takes 2.5 x the queue's visibility timeout, and an idle poll loop polls
    # every second: without the heartbeat it receives the messages again while they are still
    # being stored (the control test below shows it does).
    res = resources(visibility_timeout=2)
    with proxy.running(emulator.endpoint, latency_s=5) as slow_s3:
        start_with_an_idle_loop(service, res, slow_s3)
        assert wait_until(lambda: res.queue_counts() == (0, 0), timeout=45, interval=0.5)
        assert wait_until(lambda: len(put_counts(slow_s3)) == MESSAGES, timeout=5)
        puts = put_counts(slow_s3)
    assert set(puts.values()) == {1}, puts
    assert sorted(body["n"] for body in objects(res).values()) == list(range(MESSAGES))
    log = "".join(path.read_text() for path in tmp_path.glob("worker-*.log"))
    assert '"message":"extended visibility"' in log


def test_control_without_the_heartbeat_slow_s3_gets_messages_received_twice(
    resources: Callable[..., Resources], service: Callable[..., Any], emulator: Any
) -> None:
    res = resources(visibility_timeout=2)
    with proxy.running(emulator.endpoint, latency_s=5) as slow_s3:
        start_with_an_idle_loop(service, res, slow_s3, VISIBILITY_MAX_EXTENSION_SECONDS="0")
        assert wait_until(lambda: max(put_counts(slow_s3).values(), default=0) >= 2, timeout=30)


def start_with_an_idle_loop(
    service: Callable[..., Any], res: Resources, s3_proxy: proxy.FaultProxy, **extra: str
) -> None:
    """MESSAGES queued before the worker starts, each taking 5 s to store."""
    send_raw(res, [{"n": i} for i in range(MESSAGES)])
    env = worker_env(
        res,
        free_port(),
        AWS_ENDPOINT_URL_S3=s3_proxy.endpoint,
        POLLERS=str(POLLERS),
        MAX_MESSAGES="1",
        WAIT_TIME_SECONDS="1",
        # One attempt with a read timeout above the proxy's latency: every PUT the proxy logs
        # is one the worker chose to make, none a retry of a timed-out one.
        AWS_MAX_ATTEMPTS="1",
        AWS_READ_TIMEOUT_SECONDS="30",
        **extra,
    )
    start_worker(service, env)


def test_request_id_attribute_becomes_object_metadata(
    resources: Callable[..., Resources], service: Callable[..., Any]
) -> None:
    res = resources()
    start_worker(service, worker_env(res, free_port()))
    sqs = res.sqs()
    with_id = sqs.send_message(
        QueueUrl=res.queue_url,
        MessageBody=json.dumps({"n": 1}),
        MessageAttributes={
            "request_id": {"DataType": "String", "StringValue": "3f2b6c1e9a0d4e7f"},
            "email_timestream": {"DataType": "String", "StringValue": "2026-01-01T00:00:00Z"},
        },
    )["MessageId"]
    without_id = sqs.send_message(QueueUrl=res.queue_url, MessageBody=json.dumps({"n": 2}))[
        "MessageId"
    ]
    assert wait_until(lambda: len(res.object_keys()) == 2, timeout=20)
    metadata = {
        KEY.fullmatch(key).group("message_id"): res.s3().head_object(Bucket=res.bucket, Key=key)[  # type: ignore[union-attr]
            "Metadata"
        ]
        for key in res.object_keys()
    }
    assert metadata == {with_id: {"request-id": "3f2b6c1e9a0d4e7f"}, without_id: {}}
    assert wait_until(lambda: res.queue_counts() == (0, 0), timeout=10)
