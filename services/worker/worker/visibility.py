"""Visibility heartbeat: keeps in-flight messages invisible while their batch is being stored.

SQS makes a received message visible again once the queue's visibility timeout T has passed. A
batch that takes longer (a slow S3) would then be received again by another loop or task and
stored twice, possibly in parallel. While a message is tracked, the keeper sets its visibility
back to T from now whenever a third of T has passed since the last time, so an extension that
needs retries still lands before the deadline. Tracking ends when the poll loop releases the
message (stored and deleted, or its upload failed) or when the total extension reaches the cap
(`max_extension_seconds`); SQS then redelivers it as usual.

One keeper (one thread) serves every poll loop of the process: the extensions of all due
messages go out together, ten per ChangeMessageVisibilityBatch call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from worker.aws import error_code
from worker.config import MAX_VISIBILITY_SECONDS
from worker.uploader import Message

logger = logging.getLogger("worker.visibility")

# Entries per ChangeMessageVisibilityBatch call (SQS's limit).
_BATCH_SIZE = 10


@dataclass
class _Lease:
    message: Message
    # When the message becomes visible again. Measured from when the receive (or extension)
    # returned, which is no earlier than SQS started the clock: the real deadline is a little
    # earlier, and the lead of 2T/3 covers that.
    deadline: float
    # The latest deadline the cap allows.
    limit: float


class VisibilityKeeper:
    def __init__(
        self,
        sqs_client: Any,
        queue_url: str,
        max_extension_seconds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sqs = sqs_client
        self._queue_url = queue_url
        self._max_extension = max_extension_seconds
        self._clock = clock
        self._timeout: int | None = None
        self._load_lock = threading.Lock()  # the poll loops start together: one lookup
        self._leases: dict[str, _Lease] = {}  # by receipt handle: unique per receive
        self._changed = threading.Condition()
        self._woken = False
        self._closed = False
        self.extensions = 0

    def load_timeout(self) -> int:
        """Read the queue's VisibilityTimeout once (raises the client's errors until it works)."""
        with self._load_lock:
            if self._timeout is None:
                attributes = self._sqs.get_queue_attributes(
                    QueueUrl=self._queue_url, AttributeNames=["VisibilityTimeout"]
                )["Attributes"]
                self._timeout = int(attributes["VisibilityTimeout"])
                logger.info(
                    "visibility heartbeat ready",
                    extra={
                        "visibility_timeout": self._timeout,
                        "max_extension": self._max_extension,
                    },
                )
            return self._timeout

    def track(self, messages: Iterable[Message], received_at: float) -> None:
        """Keep `messages` (received at `received_at` on the clock) invisible until released."""
        timeout = self._timeout
        if timeout is None or timeout < 1 or self._max_extension < 1:
            return  # unknown or zero timeout, or extension disabled: nothing to keep
        limit = received_at + min(timeout + self._max_extension, MAX_VISIBILITY_SECONDS)
        with self._changed:
            for message in messages:
                self._leases[message.receipt_handle] = _Lease(message, received_at + timeout, limit)
            self._woken = True
            self._changed.notify()

    def release(self, messages: Iterable[Message]) -> None:
        """Stop extending `messages` (stored and deleted, or abandoned)."""
        with self._changed:
            for message in messages:
                self._leases.pop(message.receipt_handle, None)

    def tracked(self) -> int:
        with self._changed:
            return len(self._leases)

    def extend_due(self) -> float | None:
        """Extend every message due now; seconds until the next one is due (None: none tracked)."""
        timeout = self._timeout
        if timeout is None:
            return None
        lead = timeout * 2 / 3
        now = self._clock()
        due: list[tuple[_Lease, int]] = []
        with self._changed:
            for receipt, lease in list(self._leases.items()):
                if lease.deadline - now > lead:
                    continue
                seconds = int(min(timeout, lease.limit - now))
                # Stop once the cap leaves nothing to add to the current deadline; SQS then
                # redelivers the message at that deadline.
                if seconds < 1 or now + seconds <= lease.deadline:
                    del self._leases[receipt]
                    logger.warning(
                        "visibility extension cap reached; the message will be redelivered",
                        extra={"message_id": lease.message.message_id},
                    )
                    continue
                due.append((lease, seconds))
        call_failed = False
        for start in range(0, len(due), _BATCH_SIZE):
            call_failed |= not self._extend(due[start : start + _BATCH_SIZE])
        return self._next_delay(lead, retry_soon=call_failed, timeout=timeout)

    def _extend(self, chunk: list[tuple[_Lease, int]]) -> bool:
        """One ChangeMessageVisibilityBatch; False when the call itself failed (retry soon)."""
        started = self._clock()
        entries = [
            {
                "Id": str(index),
                "ReceiptHandle": lease.message.receipt_handle,
                "VisibilityTimeout": seconds,
            }
            for index, (lease, seconds) in enumerate(chunk)
        ]
        try:
            response = self._sqs.change_message_visibility_batch(
                QueueUrl=self._queue_url, Entries=entries
            )
        except (BotoCoreError, ClientError) as error:
            logger.warning("visibility extension failed", extra={"error_code": error_code(error)})
            return False
        refused = {failure["Id"]: failure.get("Code") for failure in response.get("Failed", [])}
        extended = 0
        with self._changed:
            for index, (lease, seconds) in enumerate(chunk):
                receipt = lease.message.receipt_handle
                if receipt not in self._leases:
                    continue  # released meanwhile (deleted or abandoned): nothing to keep
                if str(index) in refused:
                    # Not transient (receipt handle no longer valid, message not in flight):
                    # extending it again cannot work.
                    del self._leases[receipt]
                    logger.warning(
                        "visibility extension refused",
                        extra={
                            "message_id": lease.message.message_id,
                            "error_code": refused[str(index)],
                        },
                    )
                    continue
                lease.deadline = started + seconds
                extended += 1
        self.extensions += extended
        if extended:
            logger.info("extended visibility", extra={"count": extended})
        return True

    def _next_delay(self, lead: float, *, retry_soon: bool, timeout: int) -> float | None:
        now = self._clock()
        with self._changed:
            if not self._leases:
                return None
            delay = max(0.0, min(lease.deadline - lead for lease in self._leases.values()) - now)
        if retry_soon:
            # Every lease stays due until a call succeeds: pause instead of spinning, short
            # enough for several more attempts before the earliest deadline.
            delay = max(delay, min(1.0, max(0.1, timeout / 10)))
        return delay

    def run(self) -> None:
        """The heartbeat thread: extend what is due, sleep until the next is due or a track()."""
        while True:
            delay = self.extend_due()
            with self._changed:
                if self._closed:
                    return
                if not self._woken:
                    self._changed.wait(timeout=delay)
                self._woken = False
                if self._closed:
                    return

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()
