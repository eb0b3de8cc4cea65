"""Write message bodies to S3 under keys derived from the message, in parallel."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from worker.aws import error_code

logger = logging.getLogger("worker.uploader")

# The message attribute the frontend sets, and the user metadata it becomes (x-amz-meta-request-id).
REQUEST_ID_ATTRIBUTE = "request_id"
REQUEST_ID_METADATA = "request-id"
# What the frontend sends: safe in an HTTP header (object metadata) and a log line. Anything
# else on the queue (another producer, a hand-made message) is ignored, never a failure.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}", re.ASCII)


@dataclass(frozen=True)
class Message:
    message_id: str
    receipt_handle: str
    body: str
    sent_timestamp_ms: int
    request_id: str | None = None

    @classmethod
    def from_sqs(cls, raw: dict[str, Any]) -> Message:
        sent = raw.get("Attributes", {}).get("SentTimestamp", "0")
        message_id = str(raw["MessageId"])
        return cls(
            message_id=message_id,
            receipt_handle=str(raw["ReceiptHandle"]),
            body=str(raw.get("Body", "")),
            sent_timestamp_ms=int(sent),
            request_id=_request_id(raw, message_id),
        )


def _request_id(raw: dict[str, Any], message_id: str) -> str | None:
    attribute = raw.get("MessageAttributes", {}).get(REQUEST_ID_ATTRIBUTE)
    if attribute is None:
        return None
    value = attribute.get("StringValue")
    if isinstance(value, str) and _REQUEST_ID.fullmatch(value):
        return value
    logger.warning(
        "request_id attribute ignored: not 1-128 characters of [A-Za-z0-9._-]",
        extra={"message_id": message_id},
    )
    return None


def object_key(prefix: str, message: Message) -> str:
    """`<prefix>YYYY/MM/DD/<UTC timestamp>-<MessageId>.json` from SentTimestamp.

    Derived only from the message, so a redelivery overwrites its own object.
    """
    sent = datetime.fromtimestamp(message.sent_timestamp_ms / 1000, tz=UTC)
    stamp = f"{sent:%Y%m%dT%H%M%S}.{message.sent_timestamp_ms % 1000:03d}Z"
    return f"{prefix}{sent:%Y/%m/%d}/{stamp}-{message.message_id}.json"


class Uploader:
    def __init__(
        self, s3_client: Any, bucket: str, prefix: str, executor: ThreadPoolExecutor
    ) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._prefix = prefix
        self._executor = executor

    def upload(self, message: Message) -> bool:
        """Put one message; False (logged, body never logged) when S3 refused it."""
        key = object_key(self._prefix, message)
        metadata = {REQUEST_ID_METADATA: message.request_id} if message.request_id else {}
        context = {"message_id": message.message_id, "request_id": message.request_id}
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=message.body.encode("utf-8", "surrogatepass"),
                ContentType="application/json",
                Metadata=metadata,
            )
        except (BotoCoreError, ClientError) as error:
            logger.warning("upload failed", extra={**context, "error_code": error_code(error)})
            return False
        logger.info("message stored", extra=context)
        return True

    def upload_all(
        self,
        messages: Sequence[Message],
        on_failure: Callable[[Message], None] | None = None,
    ) -> list[Message]:
        """Upload in parallel; the messages whose upload succeeded.

        `on_failure` is called (in the upload's thread) as soon as an upload has failed.
        """

        def upload_one(message: Message) -> bool:
            stored = self.upload(message)
            if not stored and on_failure is not None:
                on_failure(message)
            return stored

        results = list(self._executor.map(upload_one, messages))
        return [message for message, ok in zip(messages, results, strict=True) if ok]
