"""Write message bodies to S3 under keys derived from the message, in parallel."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger("worker.uploader")


@dataclass(frozen=True)
class Message:
    message_id: str
    receipt_handle: str
    body: str
    sent_timestamp_ms: int

    @classmethod
    def from_sqs(cls, raw: dict[str, Any]) -> Message:
        sent = raw.get("Attributes", {}).get("SentTimestamp", "0")
        return cls(
            message_id=str(raw["MessageId"]),
            receipt_handle=str(raw["ReceiptHandle"]),
            body=str(raw.get("Body", "")),
            sent_timestamp_ms=int(sent),
        )


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
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=message.body.encode("utf-8", "surrogatepass"),
                ContentType="application/json",
            )
        except (BotoCoreError, ClientError) as error:
            logger.warning(
                "upload failed",
                extra={"message_id": message.message_id, "error_code": _error_code(error)},
            )
            return False
        return True

    def upload_all(self, messages: Sequence[Message]) -> list[Message]:
        """Upload in parallel; the messages whose upload succeeded."""
        results = list(self._executor.map(self.upload, messages))
        return [message for message, ok in zip(messages, results, strict=True) if ok]


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__
