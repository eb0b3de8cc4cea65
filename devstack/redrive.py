"""Move the messages of a dead-letter queue back to the queue they came from.

    python -m devstack.redrive --queue-url URL --dlq-url URL [--dry-run] [--max N]

`make redrive ENV=<env>` runs it with the URLs of that environment. The SQS client comes from the
environment like any AWS CLI (credentials, AWS_REGION, AWS_ENDPOINT_URL for the emulator).

- Where SQS offers it, StartMessageMoveTask moves everything server-side; the tool waits for the
  task and prints the count. SQS's task cannot stop after N messages, so `--max` always uses
  the loop below.
- Where it is missing (the emulator) or with `--max`: a loop receives up to 10 messages from the
  DLQ, sends them to the queue with their body and message attributes unchanged, and deletes
  from the DLQ only the ones whose send succeeded. A failed send stops the run with an error;
  that message and the rest stay in the DLQ (made visible again at once). Nothing is ever
  deleted before it was sent, so a crash can duplicate a message, never lose one.
- `--dry-run` lists the ids that would move. SQS has no peek: it receives the messages and makes
  them visible again at once, so only their receive count changes; nothing is sent or deleted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# Error codes of an endpoint that does not implement an operation. The emulator answers
# StartMessageMoveTask with a bare HTTP 500 page, which botocore reports with the status as
# the code (a real AWS error always has a name, e.g. InternalError).
_UNSUPPORTED_CODES = {
    "UnsupportedOperation",
    "AWS.SimpleQueueService.UnsupportedOperation",
    "InvalidAction",
    "UnknownOperationException",
    "NotImplemented",
}
_BATCH = 10
# How long a received message stays hidden in the DLQ while the loop sends and deletes it; if
# the tool dies in between, the message reappears there after this long.
_IN_FLIGHT_SECONDS = 60
_FINISHED = {"COMPLETED", "FAILED", "CANCELLED"}
_MESSAGE_ATTRIBUTE_FIELDS = ("DataType", "StringValue", "BinaryValue")


class RedriveError(RuntimeError):
    """The redrive stopped; the message says what moved and what is left where."""


@dataclass(frozen=True)
class Summary:
    moved: int
    method: str


Report = Callable[[str], None]


class Redrive:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        dlq_url: str,
        report: Report,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._dlq_url = dlq_url
        self._report = report
        self._sleep = sleep

    # --- what is there -------------------------------------------------------------------

    def dlq_depth(self) -> int:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self._dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def dry_run(self, limit: int | None) -> list[str]:
        """The ids of the messages that would move (at most `limit`); changes nothing else."""
        # By id: a message received again (a listing longer than _IN_FLIGHT_SECONDS) counts once.
        held: dict[str, dict[str, Any]] = {}
        try:
            while limit is None or len(held) < limit:
                wanted = _BATCH if limit is None else min(_BATCH, limit - len(held))
                batch = self._receive(wanted)
                if not batch or all(message["MessageId"] in held for message in batch):
                    break
                held.update((message["MessageId"], message) for message in batch)
            for message_id in held:
                self._report(f"would move {message_id}")
        finally:
            self._hand_back(list(held.values()))
        return list(held)

    # --- moving ------------------------------------------------------------------------------

    def move(self, limit: int | None) -> Summary:
        if limit is None:
            moved = self._move_with_task()
            if moved is not None:
                return Summary(moved, "StartMessageMoveTask")
        else:
            self._report(
                f"--max {limit}: moving with a receive/send/delete loop "
                "(a move task cannot stop after N messages)"
            )
        return Summary(self._move_with_loop(limit), "receive/send/delete loop")

    def _move_with_task(self, wait_seconds: float = 600, poll_seconds: float = 2) -> int | None:
        """Moved count via StartMessageMoveTask, or None when the endpoint lacks it."""
        dlq_arn = self._arn(self._dlq_url)
        try:
            self._sqs.start_message_move_task(
                SourceArn=dlq_arn, DestinationArn=self._arn(self._queue_url)
            )
        except ClientError as error:
            if not _unsupported(error):
                raise
            self._report(
                f"StartMessageMoveTask is not available here ({_code(error)}): "
                "moving with a receive/send/delete loop instead"
            )
            return None
        deadline = time.monotonic() + wait_seconds
        while True:
            (task,) = self._sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1)["Results"]
            if task["Status"] in _FINISHED:
                break
            if time.monotonic() >= deadline:
                raise RedriveError(
                    f"the move task is still {task['Status']} after {wait_seconds:.0f}s "
                    f"({task.get('ApproximateNumberOfMessagesMoved', 0)} moved so far); "
                    f"follow it with: aws sqs list-message-move-tasks --source-arn {dlq_arn}"
                )
            self._sleep(poll_seconds)
        moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
        if task["Status"] != "COMPLETED":
            raise RedriveError(
                f"the move task ended {task['Status']} after about {moved} messages: "
                f"{task.get('FailureReason', 'no reason given')}; the rest stay in the DLQ"
            )
        return moved

    def _move_with_loop(self, limit: int | None) -> int:
        moved = 0
        while limit is None or moved < limit:
            batch = self._receive(_BATCH if limit is None else min(_BATCH, limit - moved))
            if not batch:
                break
            moved += self._move_batch(batch, moved_before=moved)
        return moved

    def _move_batch(self, batch: list[dict[str, Any]], moved_before: int) -> int:
        entries = [
            {"Id": str(index), "MessageBody": message["Body"], **_attributes(message)}
            for index, message in enumerate(batch)
        ]
        try:
            response = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
        except (BotoCoreError, ClientError) as error:
            self._hand_back(batch)
            raise RedriveError(
                f"sending to the queue failed ({_code(error)}) after {moved_before} moved; "
                f"the {len(batch)} messages of this batch and the rest stay in the DLQ"
            ) from error
        failed = {
            int(failure["Id"]): failure.get("Code", "?") for failure in response.get("Failed", [])
        }
        sent = [message for index, message in enumerate(batch) if index not in failed]
        self._delete_from_dlq(sent, moved_before)
        if failed:
            self._hand_back([batch[index] for index in failed])
            first = min(failed)
            raise RedriveError(
                f"sending {batch[first]['MessageId']} to the queue failed ({failed[first]}) "
                f"after {moved_before + len(sent)} moved; it and the rest stay in the DLQ"
            )
        return len(sent)

    def _delete_from_dlq(self, sent: list[dict[str, Any]], moved_before: int) -> None:
        if not sent:
            return
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(sent)
        ]
        try:
            response = self._sqs.delete_message_batch(QueueUrl=self._dlq_url, Entries=entries)
            undeleted = [sent[int(failure["Id"])] for failure in response.get("Failed", [])]
        except (BotoCoreError, ClientError):
            undeleted = sent
        if undeleted:
            ids = ", ".join(message["MessageId"] for message in undeleted)
            raise RedriveError(
                f"sent but not deleted from the DLQ: {ids}; they are in both queues now and "
                f"will be delivered twice (after {moved_before + len(sent)} sent)"
            )

    # --- helpers -------------------------------------------------------------------------

    def _receive(self, count: int) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self._dlq_url,
            MaxNumberOfMessages=count,
            # A short long poll: an empty answer then means empty, not an unlucky sample.
            WaitTimeSeconds=1,
            VisibilityTimeout=_IN_FLIGHT_SECONDS,
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def _hand_back(self, messages: list[dict[str, Any]]) -> None:
        """Make received messages visible in the DLQ again at once (best effort)."""
        for start in range(0, len(messages), _BATCH):
            entries = [
                {
                    "Id": str(index),
                    "ReceiptHandle": message["ReceiptHandle"],
                    "VisibilityTimeout": 0,
                }
                for index, message in enumerate(messages[start : start + _BATCH])
            ]
            try:
                self._sqs.change_message_visibility_batch(QueueUrl=self._dlq_url, Entries=entries)
            except (BotoCoreError, ClientError) as error:
                self._report(
                    f"warning: could not make {len(entries)} messages visible again "
                    f"({_code(error)}); they reappear in the DLQ within {_IN_FLIGHT_SECONDS}s"
                )

    def _arn(self, url: str) -> str:
        return str(
            self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
        )


def _attributes(message: dict[str, Any]) -> dict[str, Any]:
    """The message attributes as SendMessage takes them (none: no key at all)."""
    received = message.get("MessageAttributes") or {}
    if not received:
        return {}
    return {
        "MessageAttributes": {
            name: {field: value[field] for field in _MESSAGE_ATTRIBUTE_FIELDS if field in value}
            for name, value in received.items()
        }
    }


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


def _unsupported(error: ClientError) -> bool:
    code = _code(error)
    return code in _UNSUPPORTED_CODES or code.isdigit()


def sqs_client() -> Any:
    """The one SQS client of a run, configured from the environment like the AWS CLI."""
    return boto3.session.Session().client(
        "sqs", config=Config(retries={"mode": "standard", "total_max_attempts": 3})
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def main(argv: Sequence[str] | None = None, sqs: Any = None) -> int:
    """The command line; `sqs` is the client to use (default: one from the environment)."""
    parser = argparse.ArgumentParser(
        prog="python -m devstack.redrive",
        description="Move the messages of a dead-letter queue back to its queue.",
    )
    parser.add_argument("--queue-url", required=True, help="the queue to move the messages to")
    parser.add_argument("--dlq-url", required=True, help="the dead-letter queue to empty")
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would move; change nothing"
    )
    parser.add_argument("--max", type=_positive, help="move at most N messages")
    args = parser.parse_args(argv)
    if args.queue_url == args.dlq_url:
        parser.error("--queue-url and --dlq-url must be different queues")

    redrive = Redrive(sqs if sqs is not None else sqs_client(), args.queue_url, args.dlq_url, print)
    try:
        print(f"DLQ {args.dlq_url}: about {redrive.dlq_depth()} messages")
        if args.dry_run:
            ids = redrive.dry_run(args.max)
            print(f"dry run: {len(ids)} messages would move to {args.queue_url}; nothing changed")
            return 0
        summary = redrive.move(args.max)
        print(f"moved {summary.moved} messages to {args.queue_url} ({summary.method})")
        print(f"DLQ {args.dlq_url}: about {redrive.dlq_depth()} messages left")
    except (RedriveError, BotoCoreError, ClientError) as error:
        print(f"redrive: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
