"""devstack pieces that need no emulator: progress parsing, stack.env, the curl line, the
target-group health report of `make up`."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devstack import emulator, processes, stack
from devstack import terragrunt as tg


def test_progress_of_reports_applies_and_waiters() -> None:
    applied = (
        "06:01:02.345 STDOUT [alb] tf: Apply complete! Resources: 9 added, 0 changed, 0 destroyed."
    )
    waiting = "06:01:12.000 STDOUT [sqs] tf: aws_sqs_queue.dlq: Still creating... [20s elapsed]"
    assert tg.progress_of(applied) == "alb: applied (9 added, 0 changed, 0 destroyed)"
    assert tg.progress_of(waiting) == "sqs: aws_sqs_queue.dlq still creating (20s elapsed)"
    assert tg.progress_of("06:01:02.345 INFO   [vpc] tf: Initializing the backend...") is None
    assert tg.progress_of("not a terragrunt line") is None


def test_progress_prefixes_elapsed_time(capsys: pytest.CaptureFixture[str]) -> None:
    stack.Progress()("emulator: ready")
    assert re.fullmatch(r"\[\s*\d+\.\ds\] emulator: ready\n", capsys.readouterr().out)


SETTINGS = stack.StackSettings(
    endpoint="http://127.0.0.1:4566",
    region="eu-central-1",
    alb_url="http://127.0.0.1:8080",
    queue_url="http://127.0.0.1:4566/123456789012/devops-local-messages",
    dlq_url="http://127.0.0.1:4566/123456789012/devops-local-messages-dlq",
    data_bucket="devops-local-data-123456789012-eu-central-1",
    token_parameter="/app/frontend/token",
    token_key="arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000000",
)


def test_stack_env_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "stack.env"
    stack.write_stack_env(SETTINGS, path)
    assert stack.read_stack_env(path) == SETTINGS.stack_env()
    assert set(SETTINGS.stack_env()) == {
        "ALB_URL",
        "FRONTEND_URL",
        "WORKER_URL",
        "AWS_ENDPOINT_URL",
        "QUEUE_URL",
        "DLQ_URL",
        "DATA_BUCKET",
        "TOKEN_PARAMETER",
        "TOKEN_KMS_KEY",
    }


def test_stack_env_is_exported_to_programs_a_shell_starts(tmp_path: Path) -> None:
    path = tmp_path / "stack.env"
    stack.write_stack_env(SETTINGS, path)
    shown = subprocess.run(
        [
            "bash",
            "-c",
            f". {shlex.quote(str(path))} && "
            'python3 -c \'import os; print(os.environ["ALB_URL"], os.environ["QUEUE_URL"])\'',
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split() == [SETTINGS.alb_url, SETTINGS.queue_url]


def test_curl_command_is_a_valid_request_for_the_frontend() -> None:
    line = stack.curl_command(
        "http://127.0.0.1:8080", "s3cr3t", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    argv = shlex.split(line)
    assert argv[:4] == ["curl", "-sS", "-X", "POST"]
    assert argv[4] == "http://127.0.0.1:8080/"
    assert "Content-Type: application/json" in argv
    body = json.loads(argv[argv.index("-d") + 1])
    assert body["token"] == "s3cr3t"
    assert body["data"]["email_timestream"] == "2026-01-02T03:04:05Z"


def test_unhealthy_target_groups_name_the_group_and_the_health_check() -> None:
    state = {
        "arn:tg": {
            "name": "devops-local-tg",
            "health_check": "GET /healthz expecting 200",
            "targets": {
                "127.0.0.1:5000": {
                    "state": "unhealthy",
                    "reason": "Target.ResponseCodeMismatch: GET /healthz answered 404",
                }
            },
        },
        "arn:ok": {
            "name": "ok",
            "health_check": "GET / expecting 200",
            "targets": {"127.0.0.1:5001": {"state": "healthy", "reason": ""}},
        },
    }
    (problem,) = stack.unhealthy_groups(state)
    assert problem.startswith("target group devops-local-tg: no healthy target")
    assert "GET /healthz expecting 200" in problem
    assert "answered 404" in problem


def test_worker_data_prefix_is_the_ecs_units(live_copy: Path) -> None:
    result = tg.run("render", "--format", "json", cwd=live_copy / "local" / "ecs")
    assert result.returncode == 0, result.output
    assert json.loads(result.stdout)["inputs"]["data_prefix"] == stack.DATA_PREFIX


def test_terragrunt_env_puts_any_environment_in_emulator_mode() -> None:
    env = emulator.terragrunt_env("http://127.0.0.1:4999")
    assert env["AWS_EMULATOR_ENDPOINT"] == env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4999"
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert env["TG_BACKEND_BOOTSTRAP"] == "true"


def test_emulator_port_accepts_only_loopback() -> None:
    assert stack.emulator_port("http://127.0.0.1:4566") == 4566
    with pytest.raises(stack.StackError):
        stack.emulator_port("http://example.invalid:4566")


def test_stop_group_stops_a_detached_process_tree(tmp_path: Path) -> None:
    pidfile = tmp_path / "sleeper.pid"
    pid = processes.start_detached(
        ["bash", "-c", "sleep 60 & sleep 60; wait"],
        {"PATH": os.environ["PATH"]},
        tmp_path / "log",
        tmp_path,
        pidfile,
    )
    assert processes.read_pid(pidfile) == pid
    assert processes.wait_until(lambda: processes.owns_group(pid), 5)
    started = time.monotonic()
    assert processes.stop_group(pid, timeout=5)
    assert time.monotonic() - started < 5
    assert not processes.owns_group(pid)
