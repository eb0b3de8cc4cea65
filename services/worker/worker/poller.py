"""One poll loop: long-poll SQS, upload the batch, delete what was stored.

While a batch is being stored its messages are tracked by the visibility keeper
(visibility.py), which extends their visibility until each is deleted or abandoned.

Shutdown: the loop runs in its own thread and checks a stop event between
steps. A receive in progress cannot be interrupted, so the main thread does not
wait for loops that are blocked in a receive; it waits only for loops that are
uploading or deleting (see main.py). A loop whose receive returns after the stop
hands the messages straight back (visibility 0) instead of processing them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from worker.aws import error_code
from worker.health import Heartbeat
from worker.uploader import REQUEST_ID_ATTRIBUTE, Message, Uploader
from worker.visibility import VisibilityKeeper

logger = logging.getLogger("worker.poller")

RECEIVING = "receiving"
PROCESSING = "processing"
STOPPED = "stopped"


class Backoff:
    """Exponential pause after failures, so an outage is not hammered."""

    def __init__(self, first: float = 0.5, cap: float = 10.0) -> None:
        self._first = first
        self._cap = cap
        self._failures = 0

    def next_delay(self) -> float:
        self._failures += 1
        return min(self._cap, self._first * 2 ** (self._failures - 1))

    def reset(self) -> None:
        self._failures = 0


class Poller:
    def __init__(
        self,
        *,
        receive_client: Any,
        sqs_client: Any,
        queue_url: str,
        uploader: Uploader,
        visibility: VisibilityKeeper,
        stop: threading.Event,
        heartbeat: Heartbeat,
        wait_time_seconds: int,
        max_messages: int,
    ) -> None:
        self._receive_client = receive_client
        self._sqs = sqs_client
        self._queue_url = queue_url
        self._uploader = uploader
        self._visibility = visibility
        self._stop = stop
        self._heartbeat = heartbeat
        self._wait_time_seconds = wait_time_seconds
        self._max_messages = max_messages
        self._state_lock = threading.Lock()
        self._state = RECEIVING
        self.processed = 0

    @property
    def state(self) -> str:
        with self._state_lock:
            return self._state

    def _set_state(self, state: str) -> None:
        with self._state_lock:
            self._state = state

    def run(self) -> None:
        backoff = Backoff()
        # The first receive does not wait: it proves SQS is reachable and makes
        # the health check pass at once instead of after a 20 s empty poll.
        wait_time_seconds = 0
        try:
            while not self._stop.is_set():
                self._set_state(RECEIVING)
                step = "queue visibility timeout lookup"
                try:
                    # Once per process (cached): the deadline the heartbeat must beat.
                    self._visibility.load_timeout()
                    step = "receive"
                    messages = self.receive(wait_time_seconds)
                except (BotoCoreError, ClientError) as error:
                    logger.warning(f"{step} failed", extra={"error_code": error_code(error)})
                    self._stop.wait(backoff.next_delay())
                    continue
                received_at = time.monotonic()
                self._heartbeat.beat()
                wait_time_seconds = self._wait_time_seconds
                if not messages:
                    backoff.reset()
                    continue
                self._set_state(PROCESSING)
                if self._stop.is_set():
                    self.hand_back(messages)
                    break
                if self.process(messages, received_at):
                    backoff.reset()
                else:
                    self._stop.wait(backoff.next_delay())
        finally:
            self._set_state(STOPPED)

    def receive(self, wait_time_seconds: int) -> list[Message]:
        response = self._receive_client.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._max_messages,
            WaitTimeSeconds=wait_time_seconds,
            MessageSystemAttributeNames=["SentTimestamp"],
            MessageAttributeNames=[REQUEST_ID_ATTRIBUTE],
        )
        return [Message.from_sqs(raw) for raw in response.get("Messages", [])]

    def process(self, messages: Sequence[Message], received_at: float | None = None) -> bool:
        """Upload all, delete the stored ones; True when every message was stored.

        `received_at` (time.monotonic() when the receive returned) starts the visibility
        heartbeat's clock; a failed upload stops its message's heartbeat at once, a stored one
        is kept invisible until its delete.
        """
        self._visibility.track(messages, time.monotonic() if received_at is None else received_at)
        try:
            stored = self._uploader.upload_all(messages, on_failure=self._abandon)
            self.delete(stored)
        finally:
            self._visibility.release(messages)
        self.processed += len(stored)
        return len(stored) == len(messages)

    def _abandon(self, message: Message) -> None:
        self._visibility.release([message])

    def delete(self, messages: Sequence[Message]) -> None:
        # Messages not deleted here (upload failed, or this call failed) become
        # visible again after the visibility timeout; their keys are deterministic,
        # so storing one twice overwrites the same object.
        self._batch_call("delete_message_batch", messages, {})

    def hand_back(self, messages: Sequence[Message]) -> None:
        """Make received-but-unstarted messages visible again at once."""
        self._batch_call("change_message_visibility_batch", messages, {"VisibilityTimeout": 0})
        logger.info("handed back messages", extra={"count": len(messages)})

    def _batch_call(
        self, operation: str, messages: Sequence[Message], extra: dict[str, Any]
    ) -> None:
        if not messages:
            return
        entries = [
            {"Id": str(index), "ReceiptHandle": message.receipt_handle, **extra}
            for index, message in enumerate(messages)
        ]
        try:
            response = getattr(self._sqs, operation)(QueueUrl=self._queue_url, Entries=entries)
        except (BotoCoreError, ClientError) as error:
            logger.warning(f"{operation} failed", extra={"error_code": error_code(error)})
            return
        for failure in response.get("Failed", []):
            logger.warning(
                f"{operation} entry failed",
                extra={
                    "message_id": messages[int(failure["Id"])].message_id,
                    "error_code": failure.get("Code"),
                },
            )
