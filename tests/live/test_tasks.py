"""The twin's ECS (devstack.tasks): task definitions read from moto's in-process mock, tasks
run as real processes on loopback, registered in and deregistered from the target group."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack import processes, stackdef, tasks
from devstack.tasks import ContainerHealthCheck, Supervisor, TaskSpec

REGION = "eu-central-1"
ECR = f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
AWS = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_REGION": REGION}


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        yield {
            name: boto3.client(name, region_name=REGION)
            for name in ("ecs", "ssm", "secretsmanager", "elbv2", "ec2")
        }


def worker_container(environment: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "name": "queue-worker-service",
        "image": f"{ECR}/sqs-puller-service:latest",
        "essential": True,
        "memory": 512,
        "environment": [{"name": k, "value": v} for k, v in environment.items()],
        **extra,
    }


def create_service(
    clients: dict[str, Any], container: dict[str, Any], name: str = "queue-worker-service"
) -> None:
    ecs = clients["ecs"]
    ecs.create_cluster(clusterName="twin-cluster")
    definition = ecs.register_task_definition(
        family=f"twin-{name}", containerDefinitions=[container]
    )["taskDefinition"]
    ecs.create_service(
        cluster="twin-cluster",
        serviceName=name,
        taskDefinition=definition["taskDefinitionArn"],
        desiredCount=1,
    )


WORKER_ENV = {
    "QUEUE_URL": "http://127.0.0.1:9/123456789012/q",
    "DATA_BUCKET": "twin-data",
    "DATA_PREFIX": "messages/",
    "AWS_REGION": REGION,
    "PORT": "5001",
}


def test_images_map_to_the_stack_json_services() -> None:
    assert tasks.service_key(f"{ECR}/frontend-service:abc123") == "frontend"
    assert tasks.service_key(f"{ECR}/sqs-puller-service@sha256:00") == "worker"
    with pytest.raises(tasks.TaskDefinitionError, match=r"not in stack\.json"):
        tasks.service_key(f"{ECR}/unknown:latest")


def test_spec_from_the_task_definition_with_secrets(aws: dict[str, Any]) -> None:
    aws["ssm"].put_parameter(Name="/twin/token", Value="s3cr3t", Type="SecureString")
    secret_arn = aws["secretsmanager"].create_secret(
        Name="twin/db", SecretString=json.dumps({"password": "pw"})
    )["ARN"]
    parameter_arn = f"arn:aws:ssm:{REGION}:123456789012:parameter/twin/token"
    container = worker_container(
        WORKER_ENV,
        secrets=[
            {"name": "TOKEN_BY_NAME", "valueFrom": "/twin/token"},
            {"name": "TOKEN_BY_ARN", "valueFrom": parameter_arn},
            {"name": "DB_PASSWORD", "valueFrom": f"{secret_arn}:password::"},
        ],
        healthCheck={
            "command": ["CMD", "python", "-c", "open('http://127.0.0.1:5001/')"],
            "interval": 15,
            "retries": 3,
            "startPeriod": 40,
        },
    )
    create_service(aws, container)
    (spec,) = tasks.read_specs(aws["ecs"], aws["ssm"], aws["secretsmanager"], "twin-cluster")
    assert spec.service == "queue-worker-service"
    assert spec.key == "worker"
    assert spec.desired == 1
    assert spec.command == tuple(processes.container_command("worker"))
    assert spec.directory == stackdef.SERVICES["worker"].directory
    assert spec.environment["DATA_BUCKET"] == "twin-data"
    assert spec.environment["TOKEN_BY_NAME"] == spec.environment["TOKEN_BY_ARN"] == "s3cr3t"
    assert spec.environment["DB_PASSWORD"] == "pw"  # pragma: allowlist secret
    assert spec.container_port == 5001  # no port mapping: the PORT variable
    assert spec.health_check is not None
    assert spec.health_check.argv(5001, 40123)[-1] == "open('http://127.0.0.1:40123/')"


def test_task_environment_binds_the_task_port_on_loopback_only() -> None:
    spec = TaskSpec(
        service="frontend-service",
        key="frontend",
        desired=1,
        command=("true",),
        directory=Path(),
        environment={"PORT": "5000", "QUEUE_URL": "q"},
        container_port=5000,
        health_check=None,
        target_groups=(),
    )
    env = tasks.task_environment(spec, 40001, AWS)
    assert env["PORT"] == "40001"
    assert env["GUNICORN_CMD_ARGS"] == "--bind 127.0.0.1:40001"
    assert env["HOST"] == "127.0.0.1"
    assert env["QUEUE_URL"] == "q"
    assert env["AWS_ENDPOINT_URL"] == AWS["AWS_ENDPOINT_URL"]


def test_container_health_check_shell_form() -> None:
    check = ContainerHealthCheck.from_definition(
        {"command": ["CMD-SHELL", "curl -f http://127.0.0.1:5000/ || exit 1"]}
    )
    assert check.argv(5000, 41000) == ["/bin/sh", "-c", "curl -f http://127.0.0.1:41000/ || exit 1"]
    assert (check.interval, check.timeout, check.retries) == (30.0, 5.0, 3)
    with pytest.raises(tasks.TaskDefinitionError, match="CMD or CMD-SHELL"):
        ContainerHealthCheck.from_definition({"command": ["NONE"]})


def supervisor(
    clients: dict[str, Any], tmp_path: Path, target_groups: tuple[str, ...] = ()
) -> Supervisor:
    specs = tasks.read_specs(
        clients["ecs"], clients["ssm"], clients["secretsmanager"], "twin-cluster"
    )
    specs = [TaskSpec(**{**spec.__dict__, "target_groups": target_groups}) for spec in specs]
    return Supervisor(
        specs,
        clients["elbv2"],
        aws=AWS,
        log_dir=tmp_path / "tasks",
        state_file=tmp_path / "tasks.json",
        report=lambda _message: None,
    )


@pytest.mark.integration
def test_renamed_variable_in_the_task_definition_stops_the_task_with_its_config_error(
    aws: dict[str, Any], tmp_path: Path
) -> None:
    """Drift between IaC and code: the ecs module renames DATA_BUCKET, the worker says so."""
    drifted = {("BUCKET_NAME" if k == "DATA_BUCKET" else k): v for k, v in WORKER_ENV.items()}
    create_service(aws, worker_container(drifted))
    twin = supervisor(aws, tmp_path)
    try:
        twin.step()
        (task,) = twin.tasks
        assert processes.wait_until(lambda: task.process.poll() is not None, 30)
        twin.step()
        (stopped,) = twin.stopped
        assert stopped["service"] == "queue-worker-service"
        assert stopped["exit_code"] != 0
        assert stopped["reason"] == "Essential container in task exited"
        assert "DATA_BUCKET is required" in stopped["last_log_line"]
        # A failed start backs off before the replacement, as ECS throttles failing tasks.
        assert not twin.tasks
        state = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
        assert "DATA_BUCKET is required" in state["stopped"][0]["last_log_line"]
    finally:
        for task in list(twin.tasks):
            twin.retire(task, "test over")


@pytest.mark.integration
def test_a_task_that_exits_is_deregistered_and_replaced(
    aws: dict[str, Any], tmp_path: Path
) -> None:
    ec2 = aws["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = aws["elbv2"].create_target_group(
        Name="twin-tg", Protocol="HTTP", Port=5001, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    # A task that serves HTTP on its PORT until it is killed: the command overrides the CMD.
    server = (
        "import http.server as s, os; s.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])),"
        " s.SimpleHTTPRequestHandler).serve_forever()"
    )
    create_service(aws, worker_container(WORKER_ENV, command=["python", "-c", server]))
    twin = supervisor(aws, tmp_path, target_groups=(group,))

    def registered() -> set[tuple[str, int]]:
        health = aws["elbv2"].describe_target_health(TargetGroupArn=group)
        return {
            (d["Target"]["Id"], d["Target"]["Port"]) for d in health["TargetHealthDescriptions"]
        }

    try:
        twin.step()
        (first,) = twin.tasks
        assert registered() == {("127.0.0.1", first.port)}
        assert processes.wait_until(
            lambda: processes.http_ok(f"http://127.0.0.1:{first.port}/"), 30
        )

        processes.stop_group(first.process.pid, timeout=5)
        first.process.wait(timeout=10)  # the exit is seen by the next pass, not a later one
        twin.step()  # reaped and deregistered; replaced after the failed-start back-off
        assert twin.stopped[-1]["number"] == first.number
        assert registered() == set()

        def replaced() -> bool:
            twin.step()
            return bool(twin.tasks)

        assert processes.wait_until(replaced, 2 * tasks.FAILED_START_S, interval=0.5)
        (second,) = twin.tasks
        assert second.number == first.number + 1
        assert second.port != first.port
        assert registered() == {("127.0.0.1", second.port)}
        assert processes.wait_until(
            lambda: processes.http_ok(f"http://127.0.0.1:{second.port}/"), 30
        )
    finally:
        for task in list(twin.tasks):
            twin.retire(task, "test over")
    assert registered() == set()


@pytest.mark.integration
def test_desired_count_changes_start_and_stop_tasks(
    aws: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`aws ecs update-service --desired-count 0` pauses the service, 1 resumes it at once."""
    monkeypatch.setattr(tasks, "DESIRED_REFRESH_S", 0.0)
    sleeper = ["python", "-c", "import time; time.sleep(60)"]
    create_service(aws, worker_container(WORKER_ENV, command=sleeper))
    twin = supervisor(aws, tmp_path)
    twin.ecs, twin.cluster = aws["ecs"], "twin-cluster"
    try:
        twin.step()
        (first,) = twin.tasks
        aws["ecs"].update_service(
            cluster="twin-cluster", service="queue-worker-service", desiredCount=0
        )
        twin.step()
        assert twin.tasks == []
        assert first.process.returncode is not None
        assert twin.stopped[-1]["reason"] == "Scaling activity initiated by (desiredCount 0)"
        aws["ecs"].update_service(
            cluster="twin-cluster", service="queue-worker-service", desiredCount=1
        )
        twin.step()  # no failed-start back-off after a scale-in
        (second,) = twin.tasks
        assert second.number == first.number + 1
    finally:
        for task in list(twin.tasks):
            twin.retire(task, "test over")
