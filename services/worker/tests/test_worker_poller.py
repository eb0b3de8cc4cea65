"""Poll loop, uploads and deletes against moto's in-process mocks."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws
from worker import aws as worker_aws
from worker.config import Config
from worker.health import Heartbeat
from worker.poller import PROCESSING, STOPPED, Backoff, Poller
from worker.uploader import Message, Uploader, object_key
from worker.visibility import VisibilityKeeper

REGION = "eu-central-1"
BUCKET = "worker-unit-bucket"


@pytest.fixture(scope="module")
def mocked() -> Iterator[dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_S3"):
            patch.delenv(key, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
            yield {"sqs": boto3.client("sqs", region_name=REGION), "s3": s3}


@pytest.fixture
def queue(mocked: dict[str, Any]) -> str:
    return str(mocked["sqs"].create_queue(QueueName=f"w-{uuid.uuid4().hex}")["QueueUrl"])


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=10) as pool:
        yield pool


class FlakyS3:
    """Delegates to the mocked S3 but refuses bodies containing a marker."""

    def __init__(self, s3: Any, marker: str = "FAIL") -> None:
        self._s3 = s3
        self._marker = marker.encode()
        self.puts = 0

    def put_object(self, **kwargs: Any) -> Any:
        self.puts += 1
        if self._marker in kwargs["Body"]:
            raise ClientError({"Error": {"Code": "SlowDown"}}, "PutObject")
        return self._s3.put_object(**kwargs)


def make_poller(
    mocked: dict[str, Any],
    queue: str,
    executor: ThreadPoolExecutor,
    *,
    s3: Any = None,
    receive_client: Any = None,
    stop: threading.Event | None = None,
    prefix: str = "",
    visibility: VisibilityKeeper | None = None,
) -> Poller:
    return Poller(
        receive_client=receive_client or mocked["sqs"],
        sqs_client=mocked["sqs"],
        queue_url=queue,
        uploader=Uploader(s3 or mocked["s3"], BUCKET, prefix, executor),
        visibility=visibility or VisibilityKeeper(mocked["sqs"], queue, 600),
        stop=stop or threading.Event(),
        heartbeat=Heartbeat(),
        wait_time_seconds=0,
        max_messages=10,
    )


def send(mocked: dict[str, Any], queue: str, bodies: list[dict[str, Any]]) -> None:
    for body in bodies:
        mocked["sqs"].send_message(QueueUrl=queue, MessageBody=json.dumps(body))


def counts(mocked: dict[str, Any], queue: str) -> tuple[int, int]:
    attributes = mocked["sqs"].get_queue_attributes(
        QueueUrl=queue,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def stored(mocked: dict[str, Any], prefix: str) -> dict[str, Any]:
    listing = mocked["s3"].list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {
        item["Key"]: json.loads(
            mocked["s3"].get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        )
        for item in listing
    }


def test_object_key_comes_from_sent_timestamp_and_message_id() -> None:
    message = Message("abc-123", "rh", "{}", 1693561101123)
    assert object_key("messages/", message) == (
        "messages/2023/09/01/20230901T093821.123Z-abc-123.json"
    )
    redelivered = Message("abc-123", "other-receipt", "{}", 1693561101123)
    assert object_key("messages/", redelivered) == object_key("messages/", message)


def test_receive_asks_for_sent_timestamp(
    mocked: dict[str, Any], queue: str, executor: ThreadPoolExecutor
) -> None:
    send(mocked, queue, [{"n": 1}])
    before = int(time.time() * 1000)
    (message,) = make_poller(mocked, queue, executor).receive(0)
    assert before - 5000 <= message.sent_timestamp_ms <= before + 5000
    assert json.loads(message.body) == {"n": 1}


def test_process_uploads_all_and_deletes_them(
    mocked: dict[str, Any], queue: str, executor: ThreadPoolExecutor
) -> None:
    prefix = f"{uuid.uuid4().hex}/"
    bodies = [{"email_timestream": str(i), "n": i} for i in range(10)]
    send(mocked, queue, bodies)
    poller = make_poller(mocked, queue, executor, prefix=prefix)
    messages = poller.receive(0)
    assert len(messages) == 10
    assert poller.process(messages) is True
    objects = stored(mocked, prefix)
    assert sorted(objects.values(), key=lambda body: body["n"]) == bodies
    for key in objects:
        assert re.fullmatch(
            rf"{prefix}\d{{4}}/\d\d/\d\d/\d{{8}}T\d{{6}}\.\d{{3}}Z-[\w-]+\.json", key
        )
    assert counts(mocked, queue) == (0, 0)


def test_only_successful_uploads_are_deleted(
    mocked: dict[str, Any], queue: str, executor: ThreadPoolExecutor
) -> None:
    prefix = f"{uuid.uuid4().hex}/"
    send(mocked, queue, [{"n": 1}, {"n": 2, "x": "FAIL"}, {"n": 3}, {"n": 4, "x": "FAIL"}])
    poller = make_poller(mocked, queue, executor, s3=FlakyS3(mocked["s3"]), prefix=prefix)
    messages = poller.receive(0)
    assert len(messages) == 4
    assert poller.process(messages) is False
    assert sorted(body["n"] for body in stored(mocked, prefix).values()) == [1, 3]
    assert counts(mocked, queue) == (0, 2)  # the two failures wait for their visibility timeout


def test_hand_back_makes_messages_visible_at_once(
    mocked: dict[str, Any], queue: str, executor: ThreadPoolExecutor
) -> None:
    send(mocked, queue, [{"n": 1}, {"n": 2}])
    poller = make_poller(mocked, queue, executor)
    messages = poller.receive(0)
    assert counts(mocked, queue) == (0, 2)
    poller.hand_back(messages)
    assert counts(mocked, queue) == (2, 0)


class StopAfterReceive:
    """A receive that completes just after SIGTERM arrived (the 20 s long-poll case)."""

    def __init__(self, sqs: Any, stop: threading.Event) -> None:
        self._sqs = sqs
        self._stop = stop

    def receive_message(self, **kwargs: Any) -> Any:
        response = self._sqs.receive_message(**kwargs)
        if response.get("Messages"):
            self._stop.set()
        return response


def test_messages_received_after_stop_are_handed_back_not_processed(
    mocked: dict[str, Any], queue: str, executor: ThreadPoolExecutor
) -> None:
    send(mocked, queue, [{"n": 1}, {"n": 2}, {"n": 3}])
    stop = threading.Event()
    s3 = FlakyS3(mocked["s3"])
    poller = make_poller(
        mocked,
        queue,
        executor,
        s3=s3,
        stop=stop,
        receive_client=StopAfterReceive(mocked["sqs"], stop),
    )
    poller.run()
    assert s3.puts == 0
    assert counts(mocked, queue) == (3, 0)
    assert poller.state == STOPPED


def test_run_processes_everything_until_stopped(
    mocked: dict[str, Any], queue: str, executor: ThreadPoolExecutor
) -> None:
    prefix = f"{uuid.uuid4().hex}/"
    send(mocked, queue, [{"n": i} for i in range(25)])
    stop = threading.Event()
    poller = make_poller(mocked, queue, executor, stop=stop, prefix=prefix)
    thread = threading.Thread(target=poller.run)
    thread.start()
    deadline = time.monotonic() + 20
    while poller.processed < 25 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert poller.processed == 25
    assert len(stored(mocked, prefix)) == 25
    assert counts(mocked, queue) == (0, 0)


class FailingThenWorkingReceive:
    def __init__(self, sqs: Any, failures: int) -> None:
        self._sqs = sqs
        self.failures = failures
        self.calls = 0

    def receive_message(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        return self._sqs.receive_message(**kwargs)


def test_receive_errors_back_off_and_recover(
    mocked: dict[str, Any], queue: str, executor: ThreadPoolExecutor
) -> None:
    send(mocked, queue, [{"n": 1}])
    stop = threading.Event()
    receive = FailingThenWorkingReceive(mocked["sqs"], failures=2)
    poller = make_poller(mocked, queue, executor, receive_client=receive, stop=stop)
    thread = threading.Thread(target=poller.run)
    started = time.monotonic()
    thread.start()
    deadline = started + 10
    while poller.processed < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=10)
    assert poller.processed == 1
    assert time.monotonic() - started >= 1.5  # 0.5 s + 1 s backoff before the third call
    assert poller._heartbeat.age() is not None


def test_backoff_grows_and_is_capped() -> None:
    backoff = Backoff(first=0.5, cap=4)
    assert [backoff.next_delay() for _ in range(6)] == [0.5, 1, 2, 4, 4, 4]
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_upload_failure_log_never_contains_the_body(
    mocked: dict[str, Any],
    queue: str,
    executor: ThreadPoolExecutor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    send(mocked, queue, [{"secret": "body-marker-FAIL"}])
    poller = make_poller(mocked, queue, executor, s3=FlakyS3(mocked["s3"]))
    with caplog.at_level("INFO"):
        poller.process(poller.receive(0))
    assert any(record.getMessage() == "upload failed" for record in caplog.records)
    assert "body-marker" not in caplog.text
    for record in caplog.records:
        assert "body-marker" not in json.dumps(record.__dict__, default=str)


def test_state_is_processing_while_uploading(
    mocked: dict[str, Any], queue: str, executor: ThreadPoolExecutor
) -> None:
    seen: list[str] = []
    stop = threading.Event()

    class Observing(FlakyS3):
        def put_object(self, **kwargs: Any) -> Any:
            seen.append(poller.state)
            stop.set()
            return super().put_object(**kwargs)

    send(mocked, queue, [{"n": 1}])
    poller = make_poller(mocked, queue, executor, s3=Observing(mocked["s3"]), stop=stop)
    poller.run()
    assert seen == [PROCESSING]
    assert counts(mocked, queue) == (0, 0)  # finished and deleted although stop was set


def test_clients_have_timeouts_and_bounded_standard_retries() -> None:
    config = Config(queue_url="http://127.0.0.1:1/000000000000/q", data_bucket="bucket")
    receive = worker_aws.sqs_receive_client(config)
    assert receive.meta.config.read_timeout > config.wait_time_seconds
    for client in (worker_aws.sqs_client(config), worker_aws.s3_client(config)):
        assert client.meta.config.connect_timeout == config.aws_connect_timeout_seconds
        assert client.meta.config.read_timeout == config.aws_read_timeout_seconds
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}


def send_with_request_id(mocked: dict[str, Any], queue: str, body: str, request_id: str) -> None:
    mocked["sqs"].send_message(
        QueueUrl=queue,
        MessageBody=body,
        MessageAttributes={"request_id": {"DataType": "String", "StringValue": request_id}},
    )


def test_request_id_attribute_becomes_object_metadata_and_is_logged(
    mocked: dict[str, Any],
    queue: str,
    executor: ThreadPoolExecutor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    prefix = f"{uuid.uuid4().hex}/"
    send_with_request_id(mocked, queue, '{"n": 1}', "req-7f3a.b_9")
    poller = make_poller(mocked, queue, executor, prefix=prefix)
    (message,) = poller.receive(0)
    assert message.request_id == "req-7f3a.b_9"
    with caplog.at_level("INFO"):
        assert poller.process([message]) is True
    (key,) = stored(mocked, prefix)
    head = mocked["s3"].head_object(Bucket=BUCKET, Key=key)
    assert head["Metadata"] == {"request-id": "req-7f3a.b_9"}
    (line,) = [r for r in caplog.records if r.getMessage() == "message stored"]
    assert (line.message_id, line.request_id) == (message.message_id, "req-7f3a.b_9")  # type: ignore[attr-defined]


def test_message_without_request_id_is_stored_without_metadata(
    mocked: dict[str, Any], queue: str, executor: ThreadPoolExecutor
) -> None:
    prefix = f"{uuid.uuid4().hex}/"
    send(mocked, queue, [{"n": 1}])
    poller = make_poller(mocked, queue, executor, prefix=prefix)
    (message,) = poller.receive(0)
    assert message.request_id is None
    assert poller.process([message]) is True
    (key,) = stored(mocked, prefix)
    assert mocked["s3"].head_object(Bucket=BUCKET, Key=key)["Metadata"] == {}


@pytest.mark.parametrize("value", ["has space", "x" * 129, 'quote"', "naïve"])
def test_unsafe_request_id_is_ignored_not_a_failure(
    mocked: dict[str, Any],
    queue: str,
    executor: ThreadPoolExecutor,
    caplog: pytest.LogCaptureFixture,
    value: str,
) -> None:
    prefix = f"{uuid.uuid4().hex}/"
    send_with_request_id(mocked, queue, '{"n": 1}', value)
    poller = make_poller(mocked, queue, executor, prefix=prefix)
    with caplog.at_level("WARNING"):
        (message,) = poller.receive(0)
    assert message.request_id is None
    assert any("request_id attribute ignored" in r.getMessage() for r in caplog.records)
    assert value not in caplog.text
    assert poller.process([message]) is True
    (key,) = stored(mocked, prefix)
    assert mocked["s3"].head_object(Bucket=BUCKET, Key=key)["Metadata"] == {}


class BlockingS3(FlakyS3):
    """Fails marked bodies at once; holds the others until released."""

    def __init__(self, s3: Any) -> None:
        super().__init__(s3)
        self.release = threading.Event()

    def put_object(self, **kwargs: Any) -> Any:
        if b"FAIL" not in kwargs["Body"]:
            assert self.release.wait(10)
        return super().put_object(**kwargs)


def test_heartbeat_tracks_a_batch_until_stored_and_drops_failures_at_once(
    mocked: dict[str, Any], queue: str, executor: ThreadPoolExecutor
) -> None:
    prefix = f"{uuid.uuid4().hex}/"
    send(mocked, queue, [{"n": 1}, {"n": 2, "x": "FAIL"}, {"n": 3}])
    visibility = VisibilityKeeper(mocked["sqs"], queue, 600)
    visibility.load_timeout()
    s3 = BlockingS3(mocked["s3"])
    poller = make_poller(mocked, queue, executor, s3=s3, prefix=prefix, visibility=visibility)
    messages = poller.receive(0)
    assert len(messages) == 3
    result: list[bool] = []
    worker = threading.Thread(target=lambda: result.append(poller.process(messages)))
    worker.start()
    # The failed upload is abandoned while the other two are still being stored.
    assert wait_for(lambda: s3.puts >= 1 and visibility.tracked() == 2)
    s3.release.set()
    worker.join(timeout=10)
    assert result == [False]
    assert visibility.tracked() == 0
    assert sorted(body["n"] for body in stored(mocked, prefix).values()) == [1, 3]


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


class CountingSqs:
    """The mocked SQS, counting the calls of each operation."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        operation = getattr(self._sqs, name)

        def call(**kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return operation(**kwargs)

        return call


def test_run_reads_the_queue_visibility_timeout_once(
    mocked: dict[str, Any], executor: ThreadPoolExecutor
) -> None:
    queue = mocked["sqs"].create_queue(
        QueueName=f"w-{uuid.uuid4().hex}", Attributes={"VisibilityTimeout": "45"}
    )["QueueUrl"]
    send(mocked, queue, [{"n": 1}])
    stop = threading.Event()
    sqs = CountingSqs(mocked["sqs"])
    visibility = VisibilityKeeper(sqs, queue, 600)
    poller = make_poller(
        mocked,
        queue,
        executor,
        stop=stop,
        visibility=visibility,
        receive_client=StopAfterReceive(mocked["sqs"], stop),
    )
    poller.run()
    assert sqs.calls == {"get_queue_attributes": 1}
    assert visibility.load_timeout() == 45
    assert sqs.calls == {"get_queue_attributes": 1}
