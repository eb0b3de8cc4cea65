"""End to end: `make up`, the printed curl through the ALB, the object in the bucket, a task
killed and replaced behind the ALB, `make down`.

Uses the fixed local ports of the stack (4566, 5000, 5001, 8080): they must be free when it
starts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator

import boto3
import psutil
import pytest

from devstack import emulator as emulator_lib
from devstack import processes, stack
from devstack import terragrunt as tg
from devstack.live import LIVE, warnings_in
from devstack.stackdef import EMULATOR, REGION, REPO_ROOT

ALB_PORT = 8080
PORTS = (EMULATOR.port, stack.FRONTEND_PORT, stack.WORKER_PORT, ALB_PORT)
# Generous: in `make test` the twin shares 2 cores with the module tests and the plans.
UP_TIMEOUT_S = 1800
OBJECT_TIMEOUT_S = 60
# The target group's health check (modules/alb): every 15 s, unhealthy after 3 failures,
# healthy after 2 passes.
HEALTH_INTERVAL_S = 15
UNHEALTHY_THRESHOLD = 3
HEALTHY_THRESHOLD = 2
# A replacement task: gunicorn's start on a loaded machine, then two passing checks.
REPLACED_TIMEOUT_S = 60 + HEALTH_INTERVAL_S * (HEALTHY_THRESHOLD + 1)


def make(target: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"AWS_EMULATOR_ENDPOINT", "MAKEFLAGS"}}
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def listen_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on TCP `port`."""
    return {
        connection.laddr.ip
        for connection in psutil.net_connections(kind="tcp")
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port
    }


@pytest.fixture
def stack_lifecycle() -> Iterator[None]:
    busy = [port for port in PORTS if processes.listening(port)]
    if busy:
        pytest.fail(f"ports {busy} are in use: stop what uses them (`make down`?) and rerun")
    try:
        yield
    finally:
        make("down", timeout=120)


@pytest.mark.integration
# make up (up to UP_TIMEOUT_S on a loaded machine), a task replaced behind the ALB, make down.
@pytest.mark.timeout(UP_TIMEOUT_S + 600)
@pytest.mark.usefixtures("stack_lifecycle")
def test_make_up_curl_object_make_down() -> None:
    started = time.monotonic()
    up = make("up", timeout=UP_TIMEOUT_S)
    up_seconds = time.monotonic() - started
    assert up.returncode == 0, up.stdout[-6000:] + up.stderr[-3000:]
    print(f"make up (fresh stack): {up_seconds:.1f}s")
    assert "emulator: ready" in up.stdout
    for service in ("frontend-service", "queue-worker-service"):
        assert re.search(rf"{service}: task \d+ healthy", up.stdout), up.stdout
    assert "front door: every target group has a healthy target" in up.stdout
    applied_log = (REPO_ROOT / ".local" / "terragrunt.log").read_text(encoding="utf-8")
    assert not warnings_in(applied_log), warnings_in(applied_log)

    # Nothing the stack starts is reachable from outside the machine.
    for port in PORTS:
        assert listen_addresses(port) == {"127.0.0.1"}, f"port {port}: {listen_addresses(port)}"

    values = stack.read_stack_env()
    assert values["ALB_URL"] == f"http://127.0.0.1:{ALB_PORT}"
    assert values["FRONTEND_URL"] == f"http://127.0.0.1:{stack.FRONTEND_PORT}"
    assert values["AWS_ENDPOINT_URL"] == EMULATOR.endpoint
    for key in ("QUEUE_URL", "DLQ_URL", "DATA_BUCKET", "TOKEN_PARAMETER", "TOKEN_KMS_KEY"):
        assert values[key], key

    # The printed command, pasted as is.
    curl_lines = [
        line.strip() for line in up.stdout.splitlines() if line.strip().startswith("curl ")
    ]
    assert len(curl_lines) == 1, up.stdout
    assert f" {values['ALB_URL']}/ " in curl_lines[0]
    direct = up.stdout.index("the tasks directly")
    assert up.stdout.index(curl_lines[0]) < direct
    assert f"{values['FRONTEND_URL']}/" in up.stdout[direct:]
    response = subprocess.run(
        ["bash", "-c", curl_lines[0]], capture_output=True, text=True, timeout=30, check=True
    )
    message_id = json.loads(response.stdout)["message_id"]
    assert message_id

    s3 = boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=values["AWS_ENDPOINT_URL"],
        aws_access_key_id=emulator_lib.EMULATOR_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=emulator_lib.EMULATOR_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    keys: list[str] = []
    assert processes.wait_until(
        lambda: bool(
            keys.extend(
                item["Key"]
                for item in s3.list_objects_v2(Bucket=values["DATA_BUCKET"]).get("Contents", [])
            )
            or keys
        ),
        OBJECT_TIMEOUT_S,
        interval=0.5,
    ), "the worker wrote nothing to the data bucket"
    body = s3.get_object(Bucket=values["DATA_BUCKET"], Key=keys[0])["Body"].read().decode()
    assert "hello from make up" in body

    # What was applied has converged: planning the network again changes nothing.
    replan = tg.run(
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "--non-interactive",
        cwd=LIVE / "local" / "vpc",
        env=stack.aws_env(values["AWS_ENDPOINT_URL"]),
        timeout=300,
    )
    assert replan.returncode == 0, (
        f"live/local/vpc is not up to date after its apply:\n{replan.output[-4000:]}"
    )

    # Through the ALB: logged in the ALB access-log format, forwarded to the frontend task.
    access_log = (REPO_ROOT / ".local" / "alb-access.log").read_text(encoding="utf-8")
    assert any(
        line.startswith("http ")
        and '"POST http://127.0.0.1:8080/ HTTP/1.1"' in line
        and f"127.0.0.1:{stack.FRONTEND_PORT} " in line
        and " 202 202 " in line
        for line in access_log.splitlines()
    ), access_log[-2000:]

    kill_the_frontend_task_and_see_it_replaced(values, curl_lines[0])

    listed = make("objects", timeout=60)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert keys[0] in listed.stdout

    # Running it again while up is harmless and quick.
    started = time.monotonic()
    again = make("up", timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "stack: already up" in again.stdout
    assert time.monotonic() - started < 30

    down = make("down", timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not [port for port in PORTS if processes.listening(port)]
    assert not (REPO_ROOT / ".local").exists()
    assert not list((LIVE / "local").rglob(".terragrunt-cache"))


def frontend_task() -> dict[str, object]:
    state = json.loads((REPO_ROOT / ".local" / "tasks.json").read_text(encoding="utf-8"))
    tasks = [task for task in state["tasks"] if task["key"] == "frontend"]
    assert len(tasks) <= 1, tasks
    return tasks[0] if tasks else {}


def kill_the_frontend_task_and_see_it_replaced(values: dict[str, str], curl_line: str) -> None:
    """ECS and the ALB together: the dead task leaves the target group (503), a new task is
    started, registered and, once healthy, serves the POSTs again."""
    alb = values["ALB_URL"] + "/"
    first = frontend_task()
    killed_at = time.monotonic()
    assert processes.stop_group(int(str(first["pid"])), timeout=10)
    assert processes.wait_until(
        lambda: processes.http_status(alb, timeout=2.0) == 503,
        HEALTH_INTERVAL_S * UNHEALTHY_THRESHOLD,
        interval=0.2,
    ), "the ALB did not answer 503 after its only target died"
    print(f"503 after the kill: {time.monotonic() - killed_at:.1f}s")
    assert processes.wait_until(
        lambda: frontend_task().get("number", first["number"]) != first["number"],
        10,
        interval=0.5,
    ), "the killed task was not replaced"
    assert processes.wait_until(
        lambda: processes.http_status(alb, timeout=2.0) == 200, REPLACED_TIMEOUT_S, interval=1.0
    ), "the replacement task did not turn healthy behind the ALB"
    print(f"served again after the kill: {time.monotonic() - killed_at:.1f}s")
    response = subprocess.run(
        ["bash", "-c", curl_line + " -w '\\n%{http_code}'"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert response.stdout.strip().splitlines()[-1] == "202", response.stdout
