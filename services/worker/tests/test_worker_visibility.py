"""The visibility heartbeat: when it extends, what, for how long, and when it stops."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws
from worker.uploader import Message
from worker.visibility import VisibilityKeeper

QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/123456789012/ingest"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeSqs:
    """Records ChangeMessageVisibilityBatch calls; can refuse entries or fail whole calls."""

    def __init__(self, timeout: int, clock: Clock | None = None) -> None:
        self.timeout = timeout
        self.clock = clock or Clock()
        self.calls: list[list[dict[str, Any]]] = []
        self.call_times: list[float] = []
        self.refuse: set[str] = set()  # receipt handles
        self.fail_calls = 0

    def get_queue_attributes(self, **kwargs: Any) -> Any:
        assert kwargs == {"QueueUrl": QUEUE_URL, "AttributeNames": ["VisibilityTimeout"]}
        return {"Attributes": {"VisibilityTimeout": str(self.timeout)}}

    def change_message_visibility_batch(self, **kwargs: Any) -> Any:
        assert kwargs["QueueUrl"] == QUEUE_URL
        entries = kwargs["Entries"]
        assert 1 <= len(entries) <= 10
        self.calls.append(entries)
        self.call_times.append(self.clock())
        if self.fail_calls:
            self.fail_calls -= 1
            raise EndpointConnectionError(endpoint_url=QUEUE_URL)
        failed = [
            {"Id": e["Id"], "Code": "ReceiptHandleIsInvalid", "SenderFault": True}
            for e in entries
            if e["ReceiptHandle"] in self.refuse
        ]
        return {"Successful": [], "Failed": failed}

    def extended(self) -> list[tuple[str, int]]:
        """(receipt handle, seconds) of every entry sent, in order."""
        return [(e["ReceiptHandle"], e["VisibilityTimeout"]) for call in self.calls for e in call]


def messages(count: int) -> list[Message]:
    return [Message(f"id-{i}", f"rh-{i}", "{}", 0) for i in range(count)]


def keeper(timeout: int = 30, max_extension: int = 600) -> tuple[VisibilityKeeper, FakeSqs, Clock]:
    clock = Clock()
    sqs = FakeSqs(timeout, clock)
    visibility = VisibilityKeeper(sqs, QUEUE_URL, max_extension, clock=clock)
    assert visibility.load_timeout() == timeout
    return visibility, sqs, clock


def test_nothing_is_extended_before_a_third_of_the_timeout() -> None:
    visibility, sqs, clock = keeper(timeout=30)
    visibility.track(messages(3), received_at=clock.now)
    assert visibility.extend_due() == pytest.approx(10)
    clock.now += 9.9
    assert visibility.extend_due() == pytest.approx(0.1)
    assert sqs.calls == []


def test_due_messages_get_the_full_timeout_again_and_the_next_beat_is_a_third_later() -> None:
    visibility, sqs, clock = keeper(timeout=30)
    visibility.track(messages(3), received_at=clock.now)
    clock.now += 10
    assert visibility.extend_due() == pytest.approx(10)
    assert sqs.extended() == [("rh-0", 30), ("rh-1", 30), ("rh-2", 30)]
    clock.now += 10
    visibility.extend_due()
    assert len(sqs.calls) == 2
    assert visibility.extensions == 6


def test_released_messages_are_not_extended() -> None:
    visibility, sqs, clock = keeper(timeout=30)
    batch = messages(3)
    visibility.track(batch, received_at=clock.now)
    visibility.release(batch[:2])
    clock.now += 10
    visibility.extend_due()
    assert sqs.extended() == [("rh-2", 30)]
    visibility.release(batch[2:])
    assert visibility.extend_due() is None
    assert visibility.tracked() == 0


def test_more_than_ten_due_messages_go_out_in_batches_of_ten() -> None:
    visibility, sqs, clock = keeper(timeout=30)
    visibility.track(messages(23), received_at=clock.now)
    clock.now += 10
    visibility.extend_due()
    assert [len(call) for call in sqs.calls] == [10, 10, 3]
    assert sorted(handle for handle, _ in sqs.extended()) == sorted(f"rh-{i}" for i in range(23))


def test_total_extension_is_capped_then_the_message_is_let_go(
    caplog: pytest.LogCaptureFixture,
) -> None:
    visibility, sqs, clock = keeper(timeout=30, max_extension=25)
    received_at = clock.now
    visibility.track(messages(1), received_at=received_at)
    with caplog.at_level("WARNING"):
        for _ in range(20):
            delay = visibility.extend_due()
            if delay is None:
                break
            clock.now += delay
    assert visibility.tracked() == 0
    deadlines = [
        called_at + entries[0]["VisibilityTimeout"]
        for called_at, entries in zip(sqs.call_times, sqs.calls, strict=True)
    ]
    # Extended every 10 s, the last time by what is left: the deadline ends exactly at
    # receive + timeout + cap (55 s) and never goes past it.
    assert [d - received_at for d in deadlines] == [40, 50, 55]
    assert any("cap reached" in r.getMessage() for r in caplog.records)


def test_zero_cap_disables_the_heartbeat() -> None:
    visibility, sqs, clock = keeper(timeout=30, max_extension=0)
    visibility.track(messages(2), received_at=clock.now)
    assert visibility.tracked() == 0
    assert visibility.extend_due() is None
    assert sqs.calls == []


def test_zero_visibility_timeout_tracks_nothing() -> None:
    visibility, _, clock = keeper(timeout=0)
    visibility.track(messages(2), received_at=clock.now)
    assert visibility.tracked() == 0


def test_refused_entries_are_dropped_the_others_extended(
    caplog: pytest.LogCaptureFixture,
) -> None:
    visibility, sqs, clock = keeper(timeout=30)
    sqs.refuse = {"rh-1"}
    visibility.track(messages(3), received_at=clock.now)
    clock.now += 10
    with caplog.at_level("WARNING"):
        visibility.extend_due()
    assert visibility.tracked() == 2
    (refusal,) = [r for r in caplog.records if r.getMessage() == "visibility extension refused"]
    assert (refusal.message_id, refusal.error_code) == ("id-1", "ReceiptHandleIsInvalid")  # type: ignore[attr-defined]
    clock.now += 10
    visibility.extend_due()
    assert [handle for handle, _ in sqs.extended()[3:]] == ["rh-0", "rh-2"]


def test_a_failed_call_is_retried_soon_without_spinning() -> None:
    visibility, sqs, clock = keeper(timeout=30)
    sqs.fail_calls = 2
    visibility.track(messages(2), received_at=clock.now)
    clock.now += 10
    assert visibility.extend_due() == pytest.approx(1.0)  # min(1 s, T/10): retry, no hot loop
    clock.now += 1
    assert visibility.extend_due() == pytest.approx(1.0)
    clock.now += 1
    assert visibility.extend_due() == pytest.approx(10)  # third call succeeded
    assert visibility.tracked() == 2
    assert visibility.extensions == 2


def test_lease_released_while_its_extension_is_in_flight_is_not_revived() -> None:
    visibility, sqs, clock = keeper(timeout=30)
    batch = messages(2)

    class ReleasingSqs(FakeSqs):
        def change_message_visibility_batch(self, **kwargs: Any) -> Any:
            visibility.release(batch[:1])  # the poll loop deletes it meanwhile
            return super().change_message_visibility_batch(**kwargs)

    releasing = ReleasingSqs(30, clock)
    visibility._sqs = releasing
    visibility.track(batch, received_at=clock.now)
    clock.now += 10
    visibility.extend_due()
    assert visibility.tracked() == 1
    assert visibility.extensions == 1
    assert sqs.calls == []


@pytest.fixture
def moto_sqs() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"):
            patch.delenv(key, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            yield boto3.client("sqs", region_name="eu-central-1")


def test_heartbeat_thread_keeps_a_message_invisible_past_the_timeout_until_released(
    moto_sqs: Any,
) -> None:
    queue = moto_sqs.create_queue(
        QueueName=f"v-{uuid.uuid4().hex}", Attributes={"VisibilityTimeout": "1"}
    )["QueueUrl"]
    moto_sqs.send_message(QueueUrl=queue, MessageBody="{}")
    visibility = VisibilityKeeper(moto_sqs, queue, 600)
    visibility.load_timeout()
    thread = threading.Thread(target=visibility.run, daemon=True)
    thread.start()
    try:
        (raw,) = moto_sqs.receive_message(QueueUrl=queue)["Messages"]
        visibility.track([Message.from_sqs(raw)], received_at=time.monotonic())
        time.sleep(2.5)  # 2.5 x the timeout
        assert moto_sqs.receive_message(QueueUrl=queue).get("Messages", []) == []
        assert visibility.extensions >= 3
        visibility.release([Message.from_sqs(raw)])
        time.sleep(1.3)
        (again,) = moto_sqs.receive_message(QueueUrl=queue)["Messages"]
        assert again["MessageId"] == raw["MessageId"]
    finally:
        visibility.close()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_load_timeout_propagates_errors_and_retries_next_time() -> None:
    class Flaky(FakeSqs):
        def __init__(self) -> None:
            super().__init__(30)
            self.failures = 1

        def get_queue_attributes(self, **kwargs: Any) -> Any:
            if self.failures:
                self.failures -= 1
                raise ClientError({"Error": {"Code": "AccessDenied"}}, "GetQueueAttributes")
            return super().get_queue_attributes(**kwargs)

    visibility = VisibilityKeeper(Flaky(), QUEUE_URL, 600)
    with pytest.raises(ClientError):
        visibility.load_timeout()
    assert visibility.load_timeout() == 30
