"""devstack.redrive against a real moto server (which lacks StartMessageMoveTask: the loop)."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack import emulator as emulator_lib
from devstack import redrive
from devstack.stackdef import EMULATOR, REGION, REPO_ROOT

pytestmark = pytest.mark.integration

ATTRIBUTES = {
    "request_id": {"DataType": "String", "StringValue": "3f2b6c1e9a0d4e7f"},
    "email_timestream": {"DataType": "String", "StringValue": "2026-01-01T00:00:00Z"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
}


@pytest.fixture
def sqs(emulator: emulator_lib.Emulator) -> Any:
    # One attempt per call: the emulator's answer to StartMessageMoveTask is a 500 the
    # default client would retry with backoff (a test below uses the default client).
    return boto3.session.Session().client(
        "sqs",
        endpoint_url=emulator.endpoint,
        region_name=REGION,
        aws_access_key_id=EMULATOR.credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=EMULATOR.credentials["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.fixture
def queues(sqs: Any) -> tuple[str, str]:
    """A queue whose messages go to its DLQ after one receive, and that DLQ."""
    name = f"redrive-{uuid.uuid4().hex[:10]}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}
    queue_url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": json.dumps(policy)})[
        "QueueUrl"
    ]
    return queue_url, dlq_url


def counts(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Receive (and delete) everything in `url`."""
    received: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return received
        received.extend(batch)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )


def fill_dlq(sqs: Any, dlq_url: str, count: int) -> list[str]:
    bodies = [json.dumps({"n": n}) for n in range(count)]
    for start in range(0, count, 10):
        sqs.send_message_batch(
            QueueUrl=dlq_url,
            Entries=[
                {"Id": str(i), "MessageBody": body}
                for i, body in enumerate(bodies[start : start + 10])
            ],
        )
    return bodies


def without_empty_lists(attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {k: v for k, v in value.items() if v not in ([], None)}
        for name, value in attributes.items()
    }


def test_poison_message_goes_back_to_the_queue_exactly_once(
    sqs: Any,
    queues: tuple[str, str],
    emulator_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    queue_url, dlq_url = queues
    sent = sqs.send_message(
        QueueUrl=queue_url, MessageBody='{"poison": true}', MessageAttributes=ATTRIBUTES
    )
    # First receive (receive count 1 = maxReceiveCount), not deleted, visible again at once;
    # the next receive moves it to the DLQ, as the worker's failed uploads do.
    sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []
    assert counts(sqs, dlq_url) == (1, 0)

    # The default client, configured from the environment like the CLI run.
    assert redrive.main(["--queue-url", queue_url, "--dlq-url", dlq_url]) == 0
    output = capsys.readouterr().out
    assert "StartMessageMoveTask is not available here" in output
    assert output.count("moving with a receive/send/delete loop instead") == 1
    assert "moved 1 messages" in output

    assert counts(sqs, dlq_url) == (0, 0)
    (message,) = drain(sqs, queue_url)
    assert message["Body"] == '{"poison": true}'
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert without_empty_lists(message["MessageAttributes"]) == ATTRIBUTES
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]


def test_every_message_moves_once_none_lost_none_duplicated(
    sqs: Any, queues: tuple[str, str]
) -> None:
    queue_url, dlq_url = queues
    bodies = fill_dlq(sqs, dlq_url, 25)
    assert redrive.main(["--queue-url", queue_url, "--dlq-url", dlq_url], sqs=sqs) == 0
    assert sorted(m["Body"] for m in drain(sqs, queue_url)) == sorted(bodies)
    assert counts(sqs, dlq_url) == (0, 0)


def test_max_moves_at_most_n_and_leaves_the_rest(
    sqs: Any, queues: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    queue_url, dlq_url = queues
    bodies = fill_dlq(sqs, dlq_url, 12)
    assert (
        redrive.main(["--queue-url", queue_url, "--dlq-url", dlq_url, "--max", "5"], sqs=sqs) == 0
    )
    assert "moved 5 messages" in capsys.readouterr().out
    moved = [m["Body"] for m in drain(sqs, queue_url)]
    left = [m["Body"] for m in drain(sqs, dlq_url)]
    assert len(moved) == 5
    assert sorted(moved + left) == sorted(bodies)


def test_dry_run_lists_ids_and_changes_nothing(
    sqs: Any, queues: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    queue_url, dlq_url = queues
    ids = [
        sqs.send_message(QueueUrl=dlq_url, MessageBody=json.dumps({"n": n}))["MessageId"]
        for n in range(3)
    ]
    assert redrive.main(["--queue-url", queue_url, "--dlq-url", dlq_url, "--dry-run"], sqs=sqs) == 0
    output = capsys.readouterr().out
    assert sorted(
        line.split()[-1] for line in output.splitlines() if line.startswith("would move")
    ) == sorted(ids)
    assert "3 messages would move" in output
    assert counts(sqs, dlq_url) == (3, 0)  # visible again at once
    assert counts(sqs, queue_url) == (0, 0)
    assert sorted(m["MessageId"] for m in drain(sqs, dlq_url)) == sorted(ids)


class FailingSend:
    """The real client, except that SendMessageBatch fails (whole call or one entry)."""

    def __init__(self, sqs: Any, whole_call: bool) -> None:
        self._sqs = sqs
        self._whole_call = whole_call

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)

    def send_message_batch(self, **kwargs: Any) -> Any:
        if self._whole_call:
            raise ClientError({"Error": {"Code": "KMS.AccessDeniedException"}}, "SendMessageBatch")
        entries = kwargs["Entries"]
        response = self._sqs.send_message_batch(QueueUrl=kwargs["QueueUrl"], Entries=entries[1:])
        failed = {"Id": entries[0]["Id"], "Code": "InternalError", "SenderFault": False}
        return {**response, "Failed": [*response.get("Failed", []), failed]}


def test_a_failed_send_stops_and_leaves_the_message_in_the_dlq(
    sqs: Any, queues: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    queue_url, dlq_url = queues
    fill_dlq(sqs, dlq_url, 1)
    code = redrive.main(
        ["--queue-url", queue_url, "--dlq-url", dlq_url], sqs=FailingSend(sqs, whole_call=True)
    )
    assert code == 1
    error = capsys.readouterr().err
    assert "KMS.AccessDeniedException" in error
    assert "stay in the DLQ" in error
    assert counts(sqs, dlq_url) == (1, 0)  # still there, visible again
    assert counts(sqs, queue_url) == (0, 0)


def test_a_refused_entry_stops_after_moving_the_others(
    sqs: Any, queues: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    queue_url, dlq_url = queues
    bodies = fill_dlq(sqs, dlq_url, 3)
    code = redrive.main(
        ["--queue-url", queue_url, "--dlq-url", dlq_url], sqs=FailingSend(sqs, whole_call=False)
    )
    assert code == 1
    assert "it and the rest stay in the DLQ" in capsys.readouterr().err
    moved = [m["Body"] for m in drain(sqs, queue_url)]
    left = [m["Body"] for m in drain(sqs, dlq_url)]
    assert len(moved) == 2
    assert len(left) == 1
    assert sorted(moved + left) == sorted(bodies)


class MoveTaskSqs:
    """An SQS that has StartMessageMoveTask (AWS): the tool must use it, not the loop."""

    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []
        self.polls = 0

    def get_queue_attributes(self, **kwargs: Any) -> Any:
        name = kwargs["QueueUrl"].rsplit("/", 1)[-1]
        return {
            "Attributes": {
                "QueueArn": f"arn:aws:sqs:{REGION}:123456789012:{name}",
                "ApproximateNumberOfMessages": "0",
            }
        }

    def start_message_move_task(self, **kwargs: Any) -> Any:
        self.started.append(kwargs)
        return {"TaskHandle": "handle"}

    def list_message_move_tasks(self, **kwargs: Any) -> Any:
        self.polls += 1
        status = "RUNNING" if self.polls < 3 else "COMPLETED"
        return {"Results": [{"Status": status, "ApproximateNumberOfMessagesMoved": 42}]}

    def receive_message(self, **kwargs: Any) -> Any:
        raise AssertionError("the loop must not run where the move task exists")


def test_start_message_move_task_is_used_where_sqs_has_it() -> None:
    fake = MoveTaskSqs()
    lines: list[str] = []
    summary = redrive.Redrive(
        fake,
        f"https://sqs.{REGION}.amazonaws.com/123456789012/q",
        f"https://sqs.{REGION}.amazonaws.com/123456789012/q-dlq",
        lines.append,
        sleep=lambda _: None,
    ).move(limit=None)
    assert summary == redrive.Summary(42, "StartMessageMoveTask")
    assert fake.started == [
        {
            "SourceArn": f"arn:aws:sqs:{REGION}:123456789012:q-dlq",
            "DestinationArn": f"arn:aws:sqs:{REGION}:123456789012:q",
        }
    ]
    assert fake.polls == 3
    assert lines == []


@pytest.mark.parametrize(
    ("code", "unsupported"),
    [
        ("UnsupportedOperation", True),
        ("InvalidAction", True),
        ("500", True),  # an endpoint without the operation, no AWS error name
        ("InternalError", False),
        ("AccessDenied", False),
    ],
)
def test_only_a_missing_operation_falls_back_to_the_loop(code: str, unsupported: bool) -> None:
    error = ClientError({"Error": {"Code": code}}, "StartMessageMoveTask")
    assert redrive._unsupported(error) is unsupported


def test_same_queue_twice_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        redrive.main(["--queue-url", "http://h/1/q", "--dlq-url", "http://h/1/q"], sqs=object())
    assert exit_info.value.code == 2
    assert "must be different queues" in capsys.readouterr().err


def test_make_redrive_local_reads_the_stack_env(
    sqs: Any, queues: tuple[str, str], emulator: emulator_lib.Emulator, tmp_path: Path
) -> None:
    queue_url, dlq_url = queues
    ids = [
        sqs.send_message(QueueUrl=dlq_url, MessageBody=json.dumps({"n": n}))["MessageId"]
        for n in range(2)
    ]
    stack_env = tmp_path / "stack.env"
    stack_env.write_text(
        f"AWS_ENDPOINT_URL={emulator.endpoint}\nQUEUE_URL={queue_url}\nDLQ_URL={dlq_url}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "redrive",
            "ENV=local",
            f"STACK_ENV={stack_env}",
            "DRY_RUN=1",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(
        line.split()[-1] for line in result.stdout.splitlines() if line.startswith("would move")
    ) == sorted(ids)
    assert counts(sqs, dlq_url) == (2, 0)
