"""The twin's ECS: run each service's tasks as local processes, from its task definition.

    python -m devstack.tasks --cluster devops-local-cluster --state .local/tasks.json

For every service of the cluster in the emulator (describe_services -> describe_task_definition)
it keeps `desiredCount` processes running, each started the way the ECS agent starts the
container:

* the container's `command`, else the image's CMD: the ECR repository of `image` maps to the
  service directory through stack.json (its Dockerfile's CMD, run in that directory);
* the container's `environment`, and its `secrets` resolved from SSM Parameter Store or Secrets
  Manager in the emulator (valueFrom an ARN or a parameter name; `:json-key::` is honoured);
* one loopback port per task: PORT is the task's port (the first task of a service gets the
  stack.json port, replacements and further tasks a free one), and the task binds 127.0.0.1
  only (GUNICORN_CMD_ARGS for gunicorn, HOST for the worker), not every interface;
* AWS_ENDPOINT_URL and the emulator's dummy credentials in place of the task role;
* the container `healthCheck` (run every interval after startPeriod, `retries` failures make
  the task unhealthy; 127.0.0.1:<containerPort> in the command becomes the task's port).

A task that exits or turns unhealthy is stopped and replaced, as the ECS scheduler does (with
a back-off when tasks keep failing at start). A change of a service's `desiredCount`
(`aws ecs update-service --desired-count N`, read every few seconds) starts or stops tasks:
`--desired-count 0` pauses the worker, e.g. to look at the queues undisturbed.
Tasks of a service with a load balancer are registered in its target group (target type ip:
Id 127.0.0.1, Port = the task's port) when they start and deregistered when they stop. The
emulator keys targets by Id only, so a target group holds one task at a time: the local
environment runs one task per service.
The running tasks and the last stopped ones are written to the state file (`make up`, tests).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack import processes, stackdef

HOST = processes.HOST
SUPERVISE_INTERVAL_S = 0.5
# A task that exits sooner than this after its start counts as a failed start (back-off).
FAILED_START_S = 10.0
MAX_BACKOFF_S = 30.0
STOPPED_KEPT = 20
# How often the services' desiredCount is read again.
DESIRED_REFRESH_S = 2.0


class TaskDefinitionError(ValueError):
    """A task definition the twin cannot run; the message names the service and the field."""


@dataclass(frozen=True)
class ContainerHealthCheck:
    command: tuple[str, ...]
    shell: bool
    interval: float
    timeout: float
    retries: int
    start_period: float

    @classmethod
    def from_definition(cls, check: Mapping[str, Any]) -> ContainerHealthCheck:
        kind, *rest = check["command"]
        if kind not in {"CMD", "CMD-SHELL"}:
            raise TaskDefinitionError(
                f"healthCheck command must start with CMD or CMD-SHELL: {kind}"
            )
        return cls(
            command=tuple(rest),
            shell=kind == "CMD-SHELL",
            interval=float(check.get("interval", 30)),
            timeout=float(check.get("timeout", 5)),
            retries=int(check.get("retries", 3)),
            start_period=float(check.get("startPeriod", 0)),
        )

    def argv(self, container_port: int | None, port: int) -> list[str]:
        """The command with the container's own port replaced by the task's loopback port."""
        parts = [
            part.replace(f"{HOST}:{container_port}", f"{HOST}:{port}") if container_port else part
            for part in self.command
        ]
        return ["/bin/sh", "-c", " ".join(parts)] if self.shell else parts


@dataclass(frozen=True)
class TaskSpec:
    """How to start one task of an ECS service, read from its task definition."""

    service: str
    key: str
    desired: int
    command: tuple[str, ...]
    directory: Path
    environment: Mapping[str, str]
    container_port: int | None
    health_check: ContainerHealthCheck | None
    target_groups: tuple[str, ...]


def service_key(image: str) -> str:
    """The stack.json service whose ECR repository the image is from."""
    repository = re.split(r"[:@]", image.rsplit("/", 1)[-1], maxsplit=1)[0]
    for key, service in stackdef.SERVICES.items():
        if service.ecr_repository == repository:
            return key
    raise TaskDefinitionError(f"image {image!r}: repository {repository!r} is not in stack.json")


def resolve_secret(value_from: str, ssm: Any, secretsmanager: Any) -> str:
    """The value of one container secret, as the ECS agent fetches it."""
    if value_from.startswith("arn:") and ":secretsmanager:" in value_from:
        # arn:aws:secretsmanager:region:account:secret:name[:json-key:version-stage:version-id]
        parts = value_from.split(":")
        secret_id = ":".join(parts[:7])
        json_key, stage, version = [*parts[7:], "", "", ""][:3]
        request: dict[str, str] = {"SecretId": secret_id}
        if stage:
            request["VersionStage"] = stage
        if version:
            request["VersionId"] = version
        value = str(secretsmanager.get_secret_value(**request)["SecretString"])
        return str(json.loads(value)[json_key]) if json_key else value
    name = value_from.split(":parameter", 1)[1] if value_from.startswith("arn:") else value_from
    response = ssm.get_parameter(Name=name, WithDecryption=True)
    return str(response["Parameter"]["Value"])


def read_specs(ecs: Any, ssm: Any, secretsmanager: Any, cluster: str) -> list[TaskSpec]:
    """One TaskSpec per service of the cluster (its first container: one per task here)."""
    arns = ecs.list_services(cluster=cluster)["serviceArns"]
    if not arns:
        raise TaskDefinitionError(f"cluster {cluster} has no services")
    specs = []
    for service in ecs.describe_services(cluster=cluster, services=arns)["services"]:
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
        containers = definition["taskDefinition"]["containerDefinitions"]
        if len(containers) != 1:
            raise TaskDefinitionError(
                f"{service['serviceName']}: the twin runs one container per task, "
                f"got {len(containers)}"
            )
        container = containers[0]
        key = service_key(container["image"])
        environment = {item["name"]: item["value"] for item in container.get("environment", [])}
        for secret in container.get("secrets", []):
            environment[secret["name"]] = resolve_secret(secret["valueFrom"], ssm, secretsmanager)
        mappings = container.get("portMappings", [])
        port = mappings[0]["containerPort"] if mappings else environment.get("PORT")
        check = container.get("healthCheck")
        specs.append(
            TaskSpec(
                service=service["serviceName"],
                key=key,
                desired=int(service["desiredCount"]),
                command=tuple(container.get("command") or processes.container_command(key)),
                directory=stackdef.SERVICES[key].directory,
                environment=environment,
                container_port=int(port) if port else None,
                health_check=ContainerHealthCheck.from_definition(check) if check else None,
                target_groups=tuple(
                    lb["targetGroupArn"] for lb in service.get("loadBalancers", [])
                ),
            )
        )
    return specs


def task_environment(spec: TaskSpec, port: int, aws: Mapping[str, str]) -> dict[str, str]:
    """The process environment of one task: the container's, bound to its loopback port."""
    return {
        "PATH": f"{processes.VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONDONTWRITEBYTECODE": "1",
        **aws,
        **spec.environment,
        "PORT": str(port),
        # The container listens on every interface of its own network; here only loopback.
        "HOST": HOST,
        "GUNICORN_CMD_ARGS": f"--bind {HOST}:{port}",
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Task:
    spec: TaskSpec
    number: int
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)
    health: str = "UNKNOWN"
    failures: int = 0
    next_check: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "service": self.spec.service,
            "key": self.spec.key,
            "number": self.number,
            "pid": self.process.pid,
            "port": self.port,
            "url": f"http://{HOST}:{self.port}",
            "health": self.health,
            "log": str(self.log),
        }


def last_line(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except FileNotFoundError:
        return ""
    return lines[-1] if lines else ""


class Supervisor:
    """Keeps desiredCount tasks of every service running, registered and healthy."""

    def __init__(
        self,
        specs: list[TaskSpec],
        elbv2: Any,
        *,
        aws: Mapping[str, str],
        log_dir: Path,
        state_file: Path,
        report: Callable[[str], None] = print,
        ecs: Any = None,
        cluster: str = "",
    ) -> None:
        self.specs = specs
        # desiredCount by service, followed when `ecs` is given (the task definitions are not).
        self.desired = {spec.service: spec.desired for spec in specs}
        self.ecs = ecs
        self.cluster = cluster
        self.desired_read = time.monotonic()
        self.elbv2 = elbv2
        self.aws = aws
        self.log_dir = log_dir
        self.state_file = state_file
        self.report = report
        self.tasks: list[Task] = []
        self.stopped: list[dict[str, Any]] = []
        self.launches = 0
        self.used_preferred: set[str] = set()
        self.failed_starts: dict[str, int] = {}
        self.not_before: dict[str, float] = {}

    def _port(self, spec: TaskSpec) -> int:
        preferred = stackdef.SERVICES[spec.key].port
        if spec.key not in self.used_preferred and not processes.listening(preferred):
            self.used_preferred.add(spec.key)
            return preferred
        return free_port()

    def launch(self, spec: TaskSpec) -> Task:
        self.launches += 1
        port = self._port(spec)
        log = self.log_dir / f"{spec.service}-{self.launches}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as output:
            process = subprocess.Popen(  # noqa: S603 - the task definition's command
                list(spec.command),
                cwd=spec.directory,
                env=task_environment(spec, port, self.aws),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        task = Task(spec, self.launches, port, process, log)
        if spec.health_check:
            task.next_check = task.started + spec.health_check.start_period
        for group in spec.target_groups:
            self.elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": HOST, "Port": port}])
        self.report(f"{spec.service}: task {task.number} started (pid {process.pid}, port {port})")
        return task

    def retire(self, task: Task, reason: str) -> None:
        """Deregister, stop (SIGTERM, SIGKILL after the stop timeout) and record the task."""
        for group in task.spec.target_groups:
            self.elbv2.deregister_targets(
                TargetGroupArn=group, Targets=[{"Id": HOST, "Port": task.port}]
            )
        if task.process.poll() is None:
            processes.stop_group(task.process.pid, timeout=30)
        task.process.wait(timeout=10)
        record = {
            **task.summary(),
            "exit_code": task.process.returncode,
            "reason": reason,
            "last_log_line": last_line(task.log),
        }
        self.stopped = [*self.stopped, record][-STOPPED_KEPT:]
        self.tasks.remove(task)
        quick = time.monotonic() - task.started < FAILED_START_S
        failures = self.failed_starts.get(task.spec.service, 0) + 1 if quick else 0
        self.failed_starts[task.spec.service] = failures
        backoff = min(2.0**failures, MAX_BACKOFF_S) if failures else 0.0
        self.not_before[task.spec.service] = time.monotonic() + backoff
        self.report(
            f"{task.spec.service}: task {task.number} stopped ({reason}, exit "
            f"{task.process.returncode}): {record['last_log_line']}"
        )

    def check_health(self, task: Task) -> None:
        check = task.spec.health_check
        if check is None or time.monotonic() < task.next_check:
            return
        task.next_check = time.monotonic() + check.interval
        try:
            result = subprocess.run(  # noqa: S603 - the task definition's health check
                check.argv(task.spec.container_port, task.port),
                cwd=task.spec.directory,
                env=task_environment(task.spec, task.port, self.aws),
                capture_output=True,
                timeout=check.timeout,
                check=False,
            )
            ok = result.returncode == 0
        except subprocess.TimeoutExpired:
            ok = False
        if ok:
            task.failures, task.health = 0, "HEALTHY"
        else:
            task.failures += 1
            if task.failures >= check.retries:
                task.health = "UNHEALTHY"

    def refresh_desired(self) -> None:
        """Read desiredCount again; stop the newest tasks of a service scaled in."""
        if self.ecs is None or time.monotonic() - self.desired_read < DESIRED_REFRESH_S:
            return
        self.desired_read = time.monotonic()
        services = self.ecs.describe_services(cluster=self.cluster, services=list(self.desired))
        for service in services["services"]:
            name, count = service["serviceName"], int(service["desiredCount"])
            if count != self.desired.get(name, count):
                self.report(f"{name}: desiredCount {self.desired[name]} -> {count}")
            self.desired[name] = count
            running = [task for task in self.tasks if task.spec.service == name]
            for task in sorted(running, key=lambda task: task.number)[count:]:
                self.retire(task, f"Scaling activity initiated by (desiredCount {count})")
                # A scale-in is no failed start: no back-off when it is scaled out again.
                self.not_before.pop(name, None)
                self.failed_starts[name] = 0

    def step(self) -> None:
        """One pass of the scheduler: desired counts, reap, health-check, replace, record."""
        self.refresh_desired()
        for task in list(self.tasks):
            code = task.process.poll()
            if code is not None:
                self.retire(task, "Essential container in task exited")
                continue
            self.check_health(task)
            if task.health == "UNHEALTHY":
                self.retire(task, "Task failed container health checks")
        now = time.monotonic()
        for spec in self.specs:
            running = sum(1 for task in self.tasks if task.spec is spec)
            desired = self.desired[spec.service]
            if running < desired and now >= self.not_before.get(spec.service, 0.0):
                for _ in range(desired - running):
                    self.tasks.append(self.launch(spec))
        self.write_state()

    def write_state(self) -> None:
        state = {
            "tasks": [task.summary() for task in self.tasks],
            "stopped": self.stopped,
            "updated": datetime.now(UTC).isoformat(),
        }
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=1), encoding="utf-8")
        temporary.replace(self.state_file)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.step()
            stop.wait(SUPERVISE_INTERVAL_S)
        for task in list(self.tasks):
            self.retire(task, "Scaling activity initiated by (twin stopping)")
        self.write_state()


def main(argv: list[str] | None = None) -> int:
    import boto3  # noqa: PLC0415 - the process only; tests inject clients

    from devstack import emulator  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--logs", type=Path, required=True)
    args = parser.parse_args(argv)

    def report(message: str) -> None:
        print(f"{datetime.now(UTC):%H:%M:%S} {message}", flush=True)

    endpoint = os.environ["AWS_ENDPOINT_URL"]
    clients = {name: boto3.client(name, endpoint_url=endpoint) for name in
               ("ecs", "ssm", "secretsmanager", "elbv2")}  # fmt: skip
    try:
        specs = read_specs(clients["ecs"], clients["ssm"], clients["secretsmanager"], args.cluster)
    except TaskDefinitionError as error:
        print(f"tasks: {error}", file=sys.stderr, flush=True)
        return 2
    aws = {**emulator.EMULATOR_ENV, "AWS_ENDPOINT_URL": endpoint}
    supervisor = Supervisor(
        specs,
        clients["elbv2"],
        aws=aws,
        log_dir=args.logs,
        state_file=args.state,
        report=report,
        ecs=clients["ecs"],
        cluster=args.cluster,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    supervisor.run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
