"""End to end: `make up`, the printed curl through the ALB, the object in the bucket (with the
client's request id), a task killed and replaced behind the ALB, a dead-lettered message
redriven exactly once, `make down` (a snapshot kept), `make up` again from the snapshot (no
apply, timed), the objects still there and nothing to plan, `make down`.

Uses the fixed local ports of the stack (4566, 5000, 5001, 8080): they must be free when it
starts.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import psutil
import pytest

from devstack import emulator as emulator_lib
from devstack import processes, stack
from devstack import terragrunt as tg
from devstack.live import LIVE, warnings_in
from devstack.stackdef import EMULATOR, NAME_PREFIX, REGION, REPO_ROOT, SERVICES

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
# make up from the snapshot: the emulator, the restore, the tasks, then the target group's two
# passing checks 15 s apart: about 20 s on a quiet machine, 41 s measured at a load average of
# 40 on 2 cores (`make test` runs the module tests and the plans beside it). A full apply takes
# 150 s quiet and over 500 s so loaded: the bound still tells the two apart.
REUP_BOUND_S = 60
REUP_TIMEOUT_S = 120
# The worker's receive is a 20 s long poll that outlives the worker process in the emulator:
# a message sent earlier could be handed to a receive nobody reads.
LONG_POLL_S = 20
SNAPSHOTS = REPO_ROOT / ".local" / "snapshots"
# The units planned after the restore (see there why sqs and ecs are not).
NOT_PLANNED = ("sqs", "ecs")
PLAN_EXCLUDED = [f"--filter=!{unit}" for unit in NOT_PLANNED]
PLANNED_UNITS = sorted(
    unit.name
    for unit in (LIVE / "local").iterdir()
    if (unit / "terragrunt.hcl").is_file() and unit.name not in NOT_PLANNED
)


def make(target: str, timeout: float, *variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"AWS_EMULATOR_ENDPOINT", "MAKEFLAGS"}}
    return subprocess.run(
        ["make", "--no-print-directory", target, *variables],
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
    # The first `make up` must apply: no snapshot of an earlier run.
    cleaned = make("down", 120, "CLEAN=1")
    assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
    try:
        yield
    finally:
        make("down", timeout=120)


def aws_client(service: str, values: dict[str, str]) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=values["AWS_ENDPOINT_URL"],
        aws_access_key_id=emulator_lib.EMULATOR_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=emulator_lib.EMULATOR_ENV["AWS_SECRET_ACCESS_KEY"],
    )


def bucket_objects(s3: Any, bucket: str) -> dict[str, dict[str, Any]]:
    """Every object of the bucket: key -> {"body": text, "metadata": user metadata}."""
    found = {}
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        got = s3.get_object(Bucket=bucket, Key=item["Key"])
        found[item["Key"]] = {"body": got["Body"].read().decode(), "metadata": got["Metadata"]}
    return found


def object_of(s3: Any, bucket: str, message_id: str) -> dict[str, Any]:
    """The object the worker wrote for `message_id` (its key ends with it), waited for."""
    found: dict[str, Any] = {}

    def written() -> bool:
        keys = [
            item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])
            if item["Key"].endswith(f"-{message_id}.json")
        ]  # fmt: skip
        if keys:
            got = s3.get_object(Bucket=bucket, Key=keys[0])
            found.update(key=keys[0], body=got["Body"].read().decode(), metadata=got["Metadata"])
        return bool(keys)

    assert processes.wait_until(written, OBJECT_TIMEOUT_S, interval=0.5), (
        f"the worker wrote no object for message {message_id}"
    )
    return found


def post_through_alb(values: dict[str, str], body: dict[str, Any], request_id: str) -> Any:
    request = urllib.request.Request(  # noqa: S310 - the twin's ALB on loopback
        values["ALB_URL"] + "/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Request-Id": request_id},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.status == 202
        return response.headers["X-Request-Id"], json.loads(response.read())


def queue_counts(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def peek_bodies(sqs: Any, url: str) -> list[str]:
    """The bodies of the queue's visible messages; each stays visible (timeout 0)."""
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=1
    ).get("Messages", [])
    return [message["Body"] for message in messages]


@pytest.mark.integration
# make up (up to UP_TIMEOUT_S on a loaded machine), a task replaced behind the ALB, a redrive,
# make down, make up from the snapshot, make down.
@pytest.mark.timeout(UP_TIMEOUT_S + 900)
@pytest.mark.usefixtures("stack_lifecycle")
def test_make_up_curl_object_make_down() -> None:
    started = time.monotonic()
    up = make("up", timeout=UP_TIMEOUT_S)
    up_seconds = time.monotonic() - started
    assert up.returncode == 0, up.stdout[-6000:] + up.stderr[-3000:]
    print(f"make up (fresh stack): {up_seconds:.1f}s")
    assert "emulator: ready" in up.stdout
    assert "snapshot: no snapshot: full apply" in up.stdout
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
    assert values["DLQ_URL"] != values["QUEUE_URL"]

    assert_wired_as_live_declares(values)

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

    s3 = aws_client("s3", values)
    bucket = values["DATA_BUCKET"]
    first = object_of(s3, bucket, message_id)
    assert "hello from make up" in first["body"]

    # One request id from the client to the object (issue 12): through the ALB, echoed,
    # carried by the message and stored as the object's user metadata.
    body = json.loads(shlex.split(curl_lines[0])[-1])
    request_id = f"e2e-{uuid.uuid4().hex}"
    echoed, answer = post_through_alb(values, body, request_id)
    assert echoed == request_id
    assert answer["request_id"] == request_id
    traced = object_of(s3, bucket, answer["message_id"])
    assert traced["metadata"].get("request-id") == request_id
    assert json.loads(traced["body"]) == body["data"]

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
    assert first["key"] in listed.stdout

    # Running it again while up is harmless and quick.
    started = time.monotonic()
    again = make("up", timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "stack: already up" in again.stdout
    assert time.monotonic() - started < 30

    poison = dead_letter_a_message_and_redrive_it(values)

    # make down keeps a snapshot; make up restores it without applying.
    down = make("down", timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "snapshot: saved" in down.stdout, down.stdout
    assert not [port for port in PORTS if processes.listening(port)]
    assert [path.name for path in (REPO_ROOT / ".local").iterdir()] == ["snapshots"]
    assert len(list(SNAPSHOTS.glob("*.pickle"))) == 1
    assert not list((LIVE / "local").rglob(".terragrunt-cache"))

    started = time.monotonic()
    reup = make("up", timeout=REUP_TIMEOUT_S)
    reup_seconds = time.monotonic() - started
    assert reup.returncode == 0, reup.stdout[-6000:] + reup.stderr[-3000:]
    print(f"make up (from the snapshot): {reup_seconds:.1f}s")
    assert "matches the inputs: restore, no apply" in reup.stdout, reup.stdout
    assert "terragrunt run --all apply" not in reup.stdout
    assert stack.read_stack_env() == values
    before = {first["key"], traced["key"], poison}
    s3 = aws_client("s3", values)
    objects = bucket_objects(s3, bucket)
    assert before <= set(objects), sorted(objects)
    assert objects[traced["key"]]["metadata"].get("request-id") == request_id
    _, answer = post_through_alb(values, body, f"e2e-{uuid.uuid4().hex}")
    object_of(s3, bucket, answer["message_id"])

    # The restore is faithful: Terraform finds the resources of the restored state as its
    # configuration declares them, nothing to change. sqs and ecs are left out: moto keeps
    # neither an ECS service's managed-tags flag and grace period nor the queue's redrive
    # policy spacing, so their plans show the same few changes right after a fresh apply too;
    # their restore is proved above (the queues, DLQ and services the tasks run from).
    replan = tg.run(
        "run",
        "--all",
        "--non-interactive",
        *PLAN_EXCLUDED,
        "--",
        "plan",
        "-detailed-exitcode",
        "-input=false",
        cwd=LIVE / "local",
        env=stack.aws_env(values["AWS_ENDPOINT_URL"]),
        timeout=900,
    )
    assert replan.returncode == 0, f"live/local changed after the restore:\n{replan.output[-4000:]}"
    planned = re.findall(r"\[(\w[\w-]*)\] tf: No changes\.", replan.output)
    assert sorted(planned) == sorted(PLANNED_UNITS), replan.output[-4000:]
    # The bound is asserted last: a slow re-up on a loaded machine is reported after every
    # functional check has run.
    assert reup_seconds <= REUP_BOUND_S, reup.stdout

    down = make("down", timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not [port for port in PORTS if processes.listening(port)]
    assert [path.name for path in (REPO_ROOT / ".local").iterdir()] == ["snapshots"]


def assert_wired_as_live_declares(values: dict[str, str]) -> None:
    """The applied units fit together as live/ wires them: names from stack.json and the
    design, two zones behind one NAT gateway, images from this account's registry, an
    HTTP-only load balancer, and the alarms watching the resources the other units made."""
    name = f"{NAME_PREFIX}-local"
    services = [service.ecs_service for service in SERVICES.values()]
    ecs = aws_client("ecs", values)
    (cluster,) = ecs.describe_clusters(clusters=[f"{name}-cluster"])["clusters"]
    running = ecs.describe_services(cluster=cluster["clusterArn"], services=services)["services"]
    assert sorted(s["serviceName"] for s in running) == sorted(services)
    logs = aws_client("logs", values)
    groups = {
        g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/ecs/")["logGroups"]
    }
    assert {f"/ecs/{name}/{service}" for service in services} <= groups, groups

    assert values["TOKEN_PARAMETER"] == "/app/frontend/token"
    assert values["DLQ_URL"].endswith(f"/{name}-messages-dlq")
    assert values["DATA_BUCKET"] == f"{name}-data-{EMULATOR.account_id}-{REGION}"

    ec2 = aws_client("ec2", values)
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Environment", "Values": ["local"]}])["Vpcs"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    subnets = ec2.describe_subnets(Filters=in_vpc)["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2, subnets
    nat = ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"]
    assert len([g for g in nat if g["State"] != "deleted"]) == 1, nat

    repositories = aws_client("ecr", values).describe_repositories()["repositories"]
    assert {r["repositoryName"] for r in repositories} >= {
        s.ecr_repository for s in SERVICES.values()
    }
    assert all(r["repositoryUri"].startswith(EMULATOR.account_id) for r in repositories)

    elbv2 = aws_client("elbv2", values)
    (balancer,) = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"]
    assert balancer["DNSName"]
    listeners = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert [listener["Protocol"] for listener in listeners] == ["HTTP"]

    cloudwatch = aws_client("cloudwatch", values)
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=f"{name}-")["MetricAlarms"]
    by_name = {alarm["AlarmName"]: alarm for alarm in alarms}
    assert len(by_name) == 5 + len(services), sorted(by_name)
    dlq_alarm = by_name[f"{name}-dlq-messages"]
    assert {"Name": "QueueName", "Value": f"{name}-messages-dlq"} in dlq_alarm["Dimensions"]
    worker_alarm = by_name[f"{name}-{SERVICES['worker'].ecs_service}-tasks-below-desired"]
    watched = [
        dimension
        for query in worker_alarm["Metrics"]
        if "MetricStat" in query
        for dimension in query["MetricStat"]["Metric"]["Dimensions"]
    ]
    assert {"Name": "ClusterName", "Value": f"{name}-cluster"} in watched, worker_alarm
    dashboards = cloudwatch.list_dashboards()["DashboardEntries"]
    assert name in {d["DashboardName"] for d in dashboards}


def dead_letter_a_message_and_redrive_it(values: dict[str, str]) -> str:
    """A message received maxReceiveCount times and never deleted (what the worker does with
    one it cannot store) lands in the DLQ; `make redrive ENV=local` brings it back exactly
    once and the worker stores it. The worker is scaled to 0 meanwhile (ECS update-service,
    which the twin follows), so the counts are exact. Returns the stored object's key."""
    sqs, ecs = aws_client("sqs", values), aws_client("ecs", values)
    queue, dlq = values["QUEUE_URL"], values["DLQ_URL"]
    assert processes.wait_until(lambda: queue_counts(sqs, queue) == (0, 0), OBJECT_TIMEOUT_S)
    assert queue_counts(sqs, dlq) == (0, 0)
    (cluster,) = ecs.list_clusters()["clusterArns"]
    worker = SERVICES["worker"].ecs_service
    ecs.update_service(cluster=cluster, service=worker, desiredCount=0)
    assert processes.wait_until(
        lambda: not [t for t in tasks_state()["tasks"] if t["key"] == "worker"], 30
    ), "the worker task did not stop after desiredCount 0"
    time.sleep(LONG_POLL_S)  # its last long polls end unanswered

    poison = json.dumps({"poison": uuid.uuid4().hex})
    sqs.send_message(QueueUrl=queue, MessageBody=poison)
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])["Attributes"][
            "RedrivePolicy"
        ]
    )
    receives = 0

    def dead_lettered() -> bool:
        nonlocal receives
        receives += len(peek_bodies(sqs, queue))
        return queue_counts(sqs, dlq) == (1, 0)

    assert processes.wait_until(dead_lettered, 30, interval=0.1)
    assert receives == int(policy["maxReceiveCount"])
    assert queue_counts(sqs, queue) == (0, 0)
    assert peek_bodies(sqs, dlq) == [poison]

    redriven = make("redrive", 120, "ENV=local")
    assert redriven.returncode == 0, redriven.stdout + redriven.stderr
    assert "moved 1 messages" in redriven.stdout, redriven.stdout
    assert queue_counts(sqs, dlq) == (0, 0)
    assert queue_counts(sqs, queue) == (1, 0)
    assert peek_bodies(sqs, queue) == [poison]

    ecs.update_service(cluster=cluster, service=worker, desiredCount=1)
    s3 = aws_client("s3", values)

    def stored() -> list[str]:
        objects = bucket_objects(s3, values["DATA_BUCKET"])
        return [key for key, item in objects.items() if item["body"] == poison]

    assert processes.wait_until(lambda: bool(stored()), OBJECT_TIMEOUT_S, interval=1.0), (
        "the redriven message was not stored"
    )
    assert processes.wait_until(lambda: queue_counts(sqs, queue) == (0, 0), OBJECT_TIMEOUT_S)
    (key,) = stored()
    assert queue_counts(sqs, dlq) == (0, 0)
    return key


def tasks_state() -> dict[str, Any]:
    return dict(json.loads((REPO_ROOT / ".local" / "tasks.json").read_text(encoding="utf-8")))


def frontend_task() -> dict[str, object]:
    tasks = [task for task in tasks_state()["tasks"] if task["key"] == "frontend"]
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
