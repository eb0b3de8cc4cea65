"""The local twin of the stack: `make up`, `make down`, `make objects`.

    python -m devstack.stack up       # emulator, live/local applied, both services, curl line
    python -m devstack.stack down     # stop everything `up` started, keep a snapshot of the
                                      # emulator, remove the rest of the local state
    python -m devstack.stack down --clean   # ... and drop the snapshots
    python -m devstack.stack objects  # list the objects in the local data bucket

`up` deploys live/local with the same Terragrunt units and modules as every environment into
a moto server on 127.0.0.1:4566 (AWS_EMULATOR_ENDPOINT overrides) or restores the snapshot the
last `down` kept (devstack/snapshots.py: no apply when the inputs are unchanged), then runs the
ECS services' tasks from their task definitions (devstack/tasks.py) and the load balancer
(devstack/front_door.py). Everything it starts is recorded in .local/ (pidfiles, logs,
stack.env).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlparse

import boto3

from devstack import emulator, front_door, processes, snapshots, stackdef, terragrunt, token
from devstack import tasks as tasks_lib
from devstack.stackdef import REPO_ROOT

LOCAL_DIR = REPO_ROOT / ".local"
STACK_DIR = REPO_ROOT / "live" / "local"
STACK_ENV = LOCAL_DIR / "stack.env"
# Kept by `make down` (only `make down CLEAN=1` drops them): devstack/snapshots.py.
SNAPSHOT_DIR = LOCAL_DIR / "snapshots"
# The inputs key of what the running emulator holds (applied or restored): `down` saves under it.
APPLIED_KEY = LOCAL_DIR / "applied.key"
DEFAULT_ENDPOINT = stackdef.EMULATOR.endpoint
FRONTEND_PORT = stackdef.SERVICES["frontend"].port
WORKER_PORT = stackdef.SERVICES["worker"].port
APPLY_TIMEOUT_S = 900.0
HEALTH_TIMEOUT_S = 90.0
# Health checks at 15 s intervals need two passes: up to 30 s, plus the tasks' start.
ALB_HEALTH_TIMEOUT_S = 75.0
TASKS_STOP_TIMEOUT_S = 75.0
# The ecs unit's data_prefix (live/_common/ecs.hcl): the worker's DATA_PREFIX in ECS.
DATA_PREFIX = stackdef.DATA_PREFIX
# Variables of a parent `make` that must not leak into the nested `make serve-*`.
_MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")


class StackError(RuntimeError):
    """`up` cannot continue; the message says why and where to look."""


class Progress:
    """Prints `[  12.3s] step: message` lines, flushed at once (make shows them live)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._started = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self._started
        print(f"[{elapsed:6.1f}s] {message}", file=self._stream or sys.stdout, flush=True)


@dataclass(frozen=True)
class Background:
    """One long-lived process of the twin (besides the emulator): pidfile and log in .local/."""

    name: str
    module: str

    @property
    def pidfile(self) -> Path:
        return LOCAL_DIR / f"{self.name}.pid"

    @property
    def log(self) -> Path:
        return LOCAL_DIR / f"{self.name}.log"

    def running(self) -> bool:
        pid = processes.read_pid(self.pidfile)
        return pid is not None and processes.owns_group(pid)

    def start(self, args: Sequence[str], env: Mapping[str, str]) -> int:
        argv = (sys.executable, "-m", self.module, *args)
        return processes.start_detached(argv, env, self.log, REPO_ROOT, self.pidfile)


TASKS = Background("tasks", "devstack.tasks")
FRONT_DOOR = Background("front-door", "devstack.front_door")
TASKS_STATE = LOCAL_DIR / "tasks.json"
ALB_STATE = LOCAL_DIR / "alb-targets.json"
ALB_ACCESS_LOG = LOCAL_DIR / "alb-access.log"


def endpoint() -> str:
    return os.environ.get("AWS_EMULATOR_ENDPOINT", "").strip() or DEFAULT_ENDPOINT


def emulator_port(url: str) -> int:
    parsed = urlparse(url)
    if parsed.hostname != processes.HOST or parsed.port is None:
        raise StackError(f"the emulator must be http://{processes.HOST}:<port>, got {url!r}")
    return parsed.port


def aws_env(url: str) -> dict[str, str]:
    """The process environment with dummy credentials and every AWS call sent to `url`."""
    base = {k: v for k, v in os.environ.items() if k not in _MAKE_VARIABLES}
    base.pop("AWS_PROFILE", None)
    # Terragrunt's caches under .local: no clash with other runs in live/local (e.g. the policy
    # gate's plans against another emulator), and `make down` removes them.
    return {**base, **emulator.terragrunt_env(url), "TG_DOWNLOAD_DIR": str(LOCAL_DIR / "cache")}


# --- steps of `up` ---------------------------------------------------------------------------


def ensure_emulator(url: str, report: Callable[[str], None]) -> bool:
    """A running emulator at `url`; True when this call started it (empty)."""
    pidfile = LOCAL_DIR / "emulator.pid"
    pid = processes.read_pid(pidfile)
    if pid is not None and processes.owns_group(pid) and emulator.is_ready(url):
        report(f"emulator: already running at {url}")
        return False
    port = emulator_port(url)
    if processes.listening(port):
        raise StackError(f"port {port} is in use by a process `make up` did not start")
    report(f"emulator: starting moto server at {url} (log .local/emulator.log)")
    server = emulator.start(port, log_path=LOCAL_DIR / "emulator.log", state_dir=SNAPSHOT_DIR)
    if server.process is None:
        raise StackError("the emulator started without a process to track")
    pidfile.write_text(f"{server.process.pid}\n", encoding="ascii")
    report("emulator: ready")
    return True


def restore_snapshot(url: str, key: str, report: Callable[[str], None]) -> bool:
    """Restore the snapshot `make down` kept, if any; True when the apply is needed."""
    decision = snapshots.decide(key, SNAPSHOT_DIR)
    report(f"snapshot: {decision.describe()}")
    if decision.restore is None:
        return True
    try:
        services = snapshots.call(url, "load", decision.restore)
    except snapshots.SnapshotError as error:
        # The emulator reads the whole file before it replaces anything: still empty.
        report(f"snapshot: NOT RESTORED ({error}): full apply")
        return True
    report(f"snapshot: restored {services} services into the emulator")
    return decision.apply


def apply_infrastructure(env: Mapping[str, str], report: Callable[[str], None]) -> None:
    # The state bucket first, by the init of a unit without dependencies (one with them would
    # read their outputs from the bucket that does not exist yet), not by units racing for it.
    report("infrastructure: state bucket (terragrunt init of live/local/kms, backend bootstrap)")
    terragrunt.init_unit(STACK_DIR / "kms", env)
    report("infrastructure: terragrunt run --all apply in live/local (log .local/terragrunt.log)")
    with open(LOCAL_DIR / "terragrunt.log", "a", encoding="utf-8") as log:
        terragrunt.run_all(
            STACK_DIR,
            ["apply", "-input=false"],
            env=env,
            log=log,
            report=lambda message: report(f"  {message}"),
            timeout=APPLY_TIMEOUT_S,
        )
    report("infrastructure: applied")


def dead_letter_queue(sqs: Any, queue_url: str) -> str:
    """The URL of the queue's dead-letter queue (its redrive policy's target)."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
    policy = attributes.get("Attributes", {}).get("RedrivePolicy")
    if not policy:
        raise StackError(f"{queue_url} has no redrive policy: no dead-letter queue")
    name = str(json.loads(policy)["deadLetterTargetArn"]).rsplit(":", 1)[-1]
    return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])


def token_key(ssm: Any, parameter: str) -> str:
    """The KMS key the token parameter is encrypted with (the ecs unit's token key)."""
    found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [parameter]}])
    keys = [str(item["KeyId"]) for item in found["Parameters"] if item.get("KeyId")]
    if len(keys) != 1:
        raise StackError(f"token parameter {parameter}: no KMS key found ({found['Parameters']})")
    return keys[0]


def client(service: str, url: str, region: str) -> Any:
    """A boto3 client of the emulator, with its dummy credentials (never the user's)."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=emulator.EMULATOR_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=emulator.EMULATOR_ENV["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=emulator.EMULATOR_ENV["AWS_SESSION_TOKEN"],
    )


def only(items: Sequence[str], what: str) -> str:
    """The one `what` in the emulator: live/local has one of each."""
    if len(items) != 1:
        raise StackError(f"expected one {what} in the emulator, found {list(items)}")
    return items[0]


@dataclass(frozen=True)
class Deployment:
    """What the emulator holds for the twin to run: the cluster and the load balancer."""

    cluster: str
    load_balancer: str
    alb_port: int

    @classmethod
    def read(cls, url: str, region: str) -> Deployment:
        ecs = client("ecs", url, region)
        elbv2 = client("elbv2", url, region)
        cluster = only(ecs.list_clusters()["clusterArns"], "ECS cluster").rsplit("/", 1)[-1]
        balancers = elbv2.describe_load_balancers()["LoadBalancers"]
        balancer = only([b["LoadBalancerName"] for b in balancers], "load balancer")
        listeners = elbv2.describe_listeners(LoadBalancerArn=balancers[0]["LoadBalancerArn"])
        http_ports = sorted(
            int(item["Port"]) for item in listeners["Listeners"] if item["Protocol"] == "HTTP"
        )
        if not http_ports:
            raise StackError(f"load balancer {balancer} has no HTTP listener to serve locally")
        port_map = front_door.listener_ports(os.environ.get("ALB_LISTENER_PORTS", ""))
        return cls(cluster, balancer, front_door.local_port(http_ports[0], port_map))

    @property
    def alb_url(self) -> str:
        return f"http://{processes.HOST}:{self.alb_port}"


@dataclass(frozen=True)
class StackSettings:
    """What the user and the tests need: endpoints and names, written to .local/stack.env."""

    endpoint: str
    region: str
    alb_url: str
    queue_url: str
    dlq_url: str
    data_bucket: str
    token_parameter: str
    token_key: str

    def stack_env(self) -> dict[str, str]:
        return {
            "ALB_URL": self.alb_url,
            "FRONTEND_URL": f"http://{processes.HOST}:{FRONTEND_PORT}",
            "WORKER_URL": f"http://{processes.HOST}:{WORKER_PORT}",
            "AWS_ENDPOINT_URL": self.endpoint,
            "QUEUE_URL": self.queue_url,
            "DLQ_URL": self.dlq_url,
            "DATA_BUCKET": self.data_bucket,
            "TOKEN_PARAMETER": self.token_parameter,
            "TOKEN_KMS_KEY": self.token_key,
        }


def write_stack_env(settings: StackSettings, path: Path = STACK_ENV) -> None:
    lines = [f"export {key}={shlex.quote(value)}" for key, value in settings.stack_env().items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_stack_env(path: Path = STACK_ENV) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.removeprefix("export ").split("=", 1)
            values[key] = shlex.split(value)[0] if value else ""
    return values


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def start_tasks(
    deployment: Deployment, env: Mapping[str, str], report: Callable[[str], None]
) -> list[dict[str, Any]]:
    """The tasks process; wait until every task answers on its port. Returns the tasks."""
    for port in (FRONTEND_PORT, WORKER_PORT):
        if processes.listening(port):
            raise StackError(f"port {port} is in use by a process `make up` did not start")
    args = ["--cluster", deployment.cluster, "--state", str(TASKS_STATE)]
    pid = TASKS.start([*args, "--logs", str(LOCAL_DIR / "tasks")], env)
    report(f"tasks: ECS services of {deployment.cluster} (pid {pid}, log .local/tasks.log)")
    state: dict[str, Any] = {}

    def healthy() -> bool:
        nonlocal state
        state = read_json(TASKS_STATE)
        if state.get("stopped") or not TASKS.running():
            return True  # stop waiting: failed
        tasks = state.get("tasks", [])
        return bool(tasks) and all(
            processes.http_ok(f"{task['url']}/", timeout=1.0) for task in tasks
        )

    processes.wait_until(healthy, HEALTH_TIMEOUT_S, interval=0.5)
    if not TASKS.running():
        raise StackError(f"the tasks process exited: {tasks_lib.last_line(TASKS.log)}")
    for stopped in state.get("stopped", []):
        raise StackError(
            f"{stopped['service']}: task {stopped['number']} stopped before it was healthy "
            f"(exit {stopped['exit_code']}): {stopped['last_log_line']} "
            f"(log {stopped['log']})"
        )
    tasks = list(state.get("tasks", []))
    if not tasks:
        raise StackError(f"no task started within {HEALTH_TIMEOUT_S:.0f}s: see .local/tasks.log")
    for task in tasks:
        if not processes.http_ok(f"{task['url']}/", timeout=1.0):
            raise StackError(f"{task['service']}: not healthy at {task['url']}/: see {task['log']}")
        report(f"{task['service']}: task {task['number']} healthy at {task['url']}/")
    return tasks


def unhealthy_groups(state: Mapping[str, Any]) -> list[str]:
    """Target groups without a healthy target, each with its health check and targets."""
    problems = []
    for group in state.values():
        states = [target["state"] for target in group["targets"].values()]
        if "healthy" in states:
            continue
        targets = ", ".join(
            f"{name} {target['state']} {target['reason']}".strip()
            for name, target in group["targets"].items()
        )
        problems.append(
            f"target group {group['name']}: no healthy target (health check "
            f"{group['health_check']}; targets: {targets or 'none registered'})"
        )
    return problems


def start_front_door(
    deployment: Deployment, env: Mapping[str, str], report: Callable[[str], None]
) -> None:
    """The load balancer; wait until every target group has a healthy target."""
    if processes.listening(deployment.alb_port):
        raise StackError(
            f"port {deployment.alb_port} is in use by a process `make up` did not start"
        )
    args = ["--load-balancer", deployment.load_balancer, "--state", str(ALB_STATE)]
    pid = FRONT_DOOR.start([*args, "--access-log", str(ALB_ACCESS_LOG)], env)
    report(
        f"front door: {deployment.load_balancer} at {deployment.alb_url} "
        f"(pid {pid}, log .local/front-door.log)"
    )
    # Two passing checks are needed (healthy threshold): one interval at least, 15 s here.
    if not processes.wait_until(
        lambda: (
            not FRONT_DOOR.running()
            or bool(read_json(ALB_STATE) and not unhealthy_groups(read_json(ALB_STATE)))
        ),
        ALB_HEALTH_TIMEOUT_S,
        interval=0.5,
    ):
        problems = unhealthy_groups(read_json(ALB_STATE)) or ["no target group state written"]
        raise StackError(f"after {ALB_HEALTH_TIMEOUT_S:.0f}s: " + "; ".join(problems))
    if not FRONT_DOOR.running():
        raise StackError(f"the front door exited: {tasks_lib.last_line(FRONT_DOOR.log)}")
    report("front door: every target group has a healthy target")


def create_token(url: str, ecs: Mapping[str, Any], report: Callable[[str], None]) -> None:
    """The API token, as `make token` makes it in AWS: Terraform only creates its key. Before
    the tasks start, so the frontend's first read finds it."""
    name, key = str(ecs["token_parameter_name"]), str(ecs["token_kms_key_arn"])
    outcome = token.TokenParameter(*token.clients(url), name, key).create()
    report(f"token: {name} {outcome.action} (devstack.token, key {key})")


def curl_command(frontend_url: str, token: str, now: datetime) -> str:
    body = {
        "token": token,
        "data": {
            "email_timestream": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "message": "hello from make up",
        },
    }
    return (
        f"curl -sS -X POST {frontend_url}/ -H 'Content-Type: application/json' "
        f"-d {shlex.quote(json.dumps(body))}"
    )


def is_up(url: str) -> bool:
    pid = processes.read_pid(LOCAL_DIR / "emulator.pid")
    return (
        STACK_ENV.exists()
        and pid is not None
        and processes.owns_group(pid)
        and emulator.is_ready(url)
        and TASKS.running()
        and FRONT_DOOR.running()
        and processes.http_ok(read_stack_env()["ALB_URL"] + "/")
    )


def print_ready(settings: StackSettings, report: Callable[[str], None]) -> None:
    ssm = client("ssm", settings.endpoint, settings.region)
    parameter = ssm.get_parameter(Name=settings.token_parameter, WithDecryption=True)
    token = str(parameter["Parameter"]["Value"])
    report("ready: . .local/stack.env exports the endpoints; send a message through the ALB with")
    print(f"\n  {curl_command(settings.alb_url, token, datetime.now(UTC))}")
    tasks = read_json(TASKS_STATE).get("tasks", [])
    print("\nthe tasks directly (no load balancer):")
    for task in tasks:
        print(f"  {task['service']:<22} {task['url']}/   log {task['log']}")
    print(
        "\nthen list what the worker wrote:  make objects        stop everything:  make down\n"
        "ALB access log: .local/alb-access.log    target health: .local/alb-targets.json\n"
    )


def up(report: Callable[[str], None]) -> int:
    url = endpoint()
    LOCAL_DIR.mkdir(exist_ok=True)
    env = aws_env(url)
    region = env["AWS_REGION"]
    if is_up(url):
        report("stack: already up")
        values = read_stack_env()
        settings = StackSettings(
            endpoint=values["AWS_ENDPOINT_URL"],
            region=region,
            alb_url=values["ALB_URL"],
            queue_url=values["QUEUE_URL"],
            dlq_url=values["DLQ_URL"],
            data_bucket=values["DATA_BUCKET"],
            token_parameter=values["TOKEN_PARAMETER"],
            token_key=values["TOKEN_KMS_KEY"],
        )
        print_ready(settings, report)
        return 0
    key = snapshots.inputs_key()
    started = ensure_emulator(url, report)
    # A running emulator keeps what it has (a restore would roll back what happened since).
    if not started or restore_snapshot(url, key, report):
        apply_infrastructure(env, report)
        report("outputs: terragrunt output -json (ecs)")
        create_token(url, terragrunt.outputs(STACK_DIR / "ecs", env), report)
    # else the restored SSM holds the token already.
    APPLIED_KEY.write_text(key + "\n", encoding="ascii")
    deployment = Deployment.read(url, region)
    tasks = start_tasks(deployment, env, report)
    start_front_door(deployment, env, report)
    frontend = [task for task in tasks if task["key"] == "frontend"]
    if not frontend:
        raise StackError("no frontend task is running: see .local/tasks.log")
    specs = tasks_lib.read_specs(
        client("ecs", url, region),
        client("ssm", url, region),
        client("secretsmanager", url, region),
        deployment.cluster,
    )
    # What the tasks were given (no `terragrunt output`: a restored stack has no caches).
    frontend_env = next(spec.environment for spec in specs if spec.key == "frontend")
    worker_env = next(spec.environment for spec in specs if spec.key == "worker")
    queue_url = worker_env["QUEUE_URL"]
    settings = StackSettings(
        endpoint=url,
        region=region,
        alb_url=deployment.alb_url,
        queue_url=queue_url,
        dlq_url=dead_letter_queue(client("sqs", url, region), queue_url),
        data_bucket=worker_env["DATA_BUCKET"],
        token_parameter=frontend_env["TOKEN_PARAMETER"],
        token_key=token_key(client("ssm", url, region), frontend_env["TOKEN_PARAMETER"]),
    )
    write_stack_env(settings)
    print_ready(settings, report)
    return 0


# --- down and objects ------------------------------------------------------------------------


def remove_local_state(clean: bool) -> None:
    """Terragrunt caches and lock files of live/local (its state lived in the emulator), and
    .local except the snapshots (all of it when `clean`)."""
    for cache in list(STACK_DIR.rglob(".terragrunt-cache")):
        shutil.rmtree(cache, ignore_errors=True)
    for lock_file in STACK_DIR.glob("*/.terraform.lock.hcl"):
        lock_file.unlink(missing_ok=True)
    if clean or not LOCAL_DIR.is_dir():
        shutil.rmtree(LOCAL_DIR, ignore_errors=True)
        return
    for path in LOCAL_DIR.iterdir():
        if path == SNAPSHOT_DIR:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def save_snapshot(url: str, report: Callable[[str], None]) -> None:
    """The emulator's state under the key of what was applied into it (none: nothing to keep,
    e.g. an apply that failed)."""
    pid = processes.read_pid(LOCAL_DIR / "emulator.pid")
    if not APPLIED_KEY.is_file() or pid is None or not processes.owns_group(pid):
        report("snapshot: nothing applied to keep")
        return
    key = APPLIED_KEY.read_text(encoding="ascii").strip()
    try:
        services = snapshots.call(url, "save", key)
    except snapshots.SnapshotError as error:
        report(f"snapshot: NOT SAVED ({error}); the next `make up` applies from scratch")
        return
    snapshots.prune(SNAPSHOT_DIR, keep=key)
    report(f"snapshot: saved {services} services as {key[:12]} (.local/snapshots)")


def stop_pidfile(name: str, pidfile: Path, timeout: float, report: Callable[[str], None]) -> None:
    pid = processes.read_pid(pidfile)
    if pid is None or not processes.owns_group(pid):
        report(f"{name}: not running")
        return
    stopped = processes.stop_group(pid, timeout=timeout)
    report(f"{name}: {'stopped' if stopped else 'DID NOT STOP'} (pid {pid})")


def down(report: Callable[[str], None], clean: bool = False) -> int:
    url = endpoint()
    stop_pidfile(FRONT_DOOR.name, FRONT_DOOR.pidfile, 15.0, report)
    # The tasks process stops its tasks (each within its stop timeout) before it exits.
    stop_pidfile(TASKS.name, TASKS.pidfile, TASKS_STOP_TIMEOUT_S, report)
    for task in read_json(TASKS_STATE).get("tasks", []):
        if processes.owns_group(task["pid"]):
            stopped = processes.stop_group(task["pid"])
            report(f"{task['service']} task {task['number']}: stopped (pid {task['pid']})")
            if not stopped:
                report(f"{task['service']} task {task['number']}: DID NOT STOP")
    if not clean:
        save_snapshot(url, report)
    stop_pidfile("emulator", LOCAL_DIR / "emulator.pid", 15.0, report)
    remove_local_state(clean)
    kept = "" if clean else " (kept .local/snapshots)"
    report(f"local state: removed .local and live/local caches{kept}")
    alb_port = front_door.local_port(80, front_door.listener_ports(""))
    busy = [
        port
        for port in (emulator_port(url), FRONTEND_PORT, WORKER_PORT, alb_port)
        if processes.listening(port)
    ]
    if busy:
        report(f"ports still in use (not by processes `make up` started): {busy}")
        return 1
    report("down: nothing listens on the stack's ports")
    return 0


def objects(report: Callable[[str], None]) -> int:
    if not STACK_ENV.exists():
        report("the stack is not up: run `make up`")
        return 1
    values = read_stack_env()
    s3 = client("s3", values["AWS_ENDPOINT_URL"], emulator.EMULATOR_ENV["AWS_REGION"])
    bucket = values["DATA_BUCKET"]
    paginator = s3.get_paginator("list_objects_v2")
    count = 0
    for page in paginator.paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            count += 1
            modified = f"{item['LastModified']:%Y-%m-%d %H:%M:%S}"
            print(f"{modified}  {item['Size']:>8}  s3://{bucket}/{item['Key']}")
    report(f"{count} object(s) in s3://{bucket}")
    return 0


COMMANDS: dict[str, Callable[[Callable[[str], None]], int]] = {
    "up": up,
    "down": down,
    "objects": objects,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--clean", action="store_true", help="down: drop the snapshots too")
    args = parser.parse_args(argv)
    if args.clean and args.command != "down":
        parser.error("--clean goes with down only")
    report = Progress()
    try:
        if args.command == "down":
            return down(report, clean=args.clean)
        return COMMANDS[args.command](report)
    except (StackError, terragrunt.TerragruntError, TimeoutError, RuntimeError) as error:
        report(f"error: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
