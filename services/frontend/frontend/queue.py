"""Enqueue accepted payloads on SQS."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from frontend.validation import TIMESTAMP_FIELD, format_timestamp

# SQS's maximum message size: body plus attribute names, types and values.
MAX_MESSAGE_BYTES = 256 * 1024
_ATTRIBUTE_TYPE = "String"
REQUEST_ID_ATTRIBUTE = "request_id"


class MessageTooLargeError(ValueError):
    """The message would exceed SQS's size limit."""


class QueueUnavailableError(Exception):
    """SQS could not be reached or refused the send after bounded retries."""


class MessageQueue:
    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._sqs = sqs_client
        self._queue_url = queue_url

    def send(self, data: dict[str, Any], timestamp: datetime, request_id: str) -> str:
        """Send `data` as JSON with timestamp and request id attributes; the MessageId."""
        # ASCII-only JSON: every character is one SQS allows, whatever the payload holds.
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
        attributes = {
            TIMESTAMP_FIELD: format_timestamp(timestamp),
            REQUEST_ID_ATTRIBUTE: request_id,
        }
        size = len(body) + sum(
            len(name) + len(_ATTRIBUTE_TYPE) + len(value) for name, value in attributes.items()
        )
        if size > MAX_MESSAGE_BYTES:
            raise MessageTooLargeError(f"message is {size} bytes, over {MAX_MESSAGE_BYTES}")
        try:
            response = self._sqs.send_message(
                QueueUrl=self._queue_url,
                MessageBody=body,
                MessageAttributes={
                    name: {"DataType": _ATTRIBUTE_TYPE, "StringValue": value}
                    for name, value in attributes.items()
                },
            )
            return str(response["MessageId"])
        except (BotoCoreError, ClientError, KeyError) as error:
            raise QueueUnavailableError(_error_code(error)) from error


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__
