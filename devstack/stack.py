"""The local twin of the stack: `make up`, `make down`, `make objects`.

    python -m devstack.stack up       # emulator, live/local applied, both services, curl line
    python -m devstack.stack down     # stop everything `up` started, remove local state
    python -m devstack.stack objects  # list the objects in the local data bucket

`up` deploys live/local with the same Terragrunt units and modules as every environment into
a moto server on 127.0.0.1:4566 (AWS_EMULATOR_ENDPOINT overrides), then runs the frontend
(127.0.0.1:5000) and the worker (127.0.0.1:5001) with `make serve-frontend` / `make
serve-worker`, configured from the units' outputs with the variables the ECS task definitions
set. Everything it starts is recorded in .local/ (pidfiles, logs, stack.env).
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlparse

import boto3

from devstack import emulator, processes, stackdef, terragrunt
from devstack.stackdef import REPO_ROOT

LOCAL_DIR = REPO_ROOT / ".local"
STACK_DIR = REPO_ROOT / "live" / "local"
STACK_ENV = LOCAL_DIR / "stack.env"
DEFAULT_ENDPOINT = stackdef.EMULATOR.endpoint
FRONTEND_PORT = stackdef.SERVICES["frontend"].port
WORKER_PORT = stackdef.SERVICES["worker"].port
APPLY_TIMEOUT_S = 900.0
HEALTH_TIMEOUT_S = 60.0
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
class Service:
    """One local process of the stack."""

    name: str
    port: int
    argv: tuple[str, ...]
    cwd: Path

    @property
    def pidfile(self) -> Path:
        return LOCAL_DIR / f"{self.name}.pid"

    @property
    def log(self) -> Path:
        return LOCAL_DIR / f"{self.name}.log"

    @property
    def health_url(self) -> str:
        return f"http://{processes.HOST}:{self.port}/"

    def running(self) -> bool:
        pid = processes.read_pid(self.pidfile)
        return pid is not None and processes.owns_group(pid)


def _make(target: str) -> tuple[str, ...]:
    # The very commands of `make serve-frontend` / `make serve-worker` (the containers' CMD).
    return ("make", "--no-print-directory", "-C", str(REPO_ROOT), target)


FRONTEND = Service("frontend", FRONTEND_PORT, _make("serve-frontend"), REPO_ROOT)
WORKER = Service("worker", WORKER_PORT, _make("serve-worker"), REPO_ROOT)
SERVICES = (FRONTEND, WORKER)


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


def ensure_emulator(url: str, report: Callable[[str], None]) -> None:
    pidfile = LOCAL_DIR / "emulator.pid"
    pid = processes.read_pid(pidfile)
    if pid is not None and processes.owns_group(pid) and emulator.is_ready(url):
        report(f"emulator: already running at {url}")
        return
    port = emulator_port(url)
    if processes.listening(port):
        raise StackError(f"port {port} is in use by a process `make up` did not start")
    report(f"emulator: starting moto server at {url} (log .local/emulator.log)")
    server = emulator.start(port, log_path=LOCAL_DIR / "emulator.log")
    if server.process is None:
        raise StackError("the emulator started without a process to track")
    pidfile.write_text(f"{server.process.pid}\n", encoding="ascii")
    report("emulator: ready")


def apply_infrastructure(env: Mapping[str, str], report: Callable[[str], None]) -> None:
    report("infrastructure: state bucket (terragrunt init of live/local/s3, backend bootstrap)")
    terragrunt.init_unit(STACK_DIR / "s3", env)
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


def read_outputs(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    units = ("sqs", "s3", "ecs")
    with ThreadPoolExecutor(max_workers=len(units)) as pool:
        results = pool.map(lambda unit: terragrunt.outputs(STACK_DIR / unit, env), units)
        return dict(zip(units, results, strict=True))


@dataclass(frozen=True)
class StackSettings:
    """What the services and the user need, from the units' outputs."""

    endpoint: str
    region: str
    queue_url: str
    dlq_url: str
    data_bucket: str
    token_parameter: str

    @classmethod
    def from_outputs(
        cls, url: str, region: str, outputs: Mapping[str, Mapping[str, Any]]
    ) -> StackSettings:
        return cls(
            endpoint=url,
            region=region,
            queue_url=str(outputs["sqs"]["queue_url"]),
            dlq_url=str(outputs["sqs"]["dlq_url"]),
            data_bucket=str(outputs["s3"]["bucket_name"]),
            token_parameter=str(outputs["ecs"]["token_parameter_name"]),
        )

    def stack_env(self) -> dict[str, str]:
        return {
            "FRONTEND_URL": f"http://{processes.HOST}:{FRONTEND_PORT}",
            "AWS_ENDPOINT_URL": self.endpoint,
            "QUEUE_URL": self.queue_url,
            "DLQ_URL": self.dlq_url,
            "DATA_BUCKET": self.data_bucket,
            "TOKEN_PARAMETER": self.token_parameter,
        }

    def service_env(self, service: Service) -> dict[str, str]:
        """The variables the ECS task definition sets, plus the emulator endpoint."""
        common = {
            "AWS_REGION": self.region,
            "PORT": str(service.port),
            "AWS_ENDPOINT_URL": self.endpoint,
        }
        if service is FRONTEND:
            return {
                **common,
                "QUEUE_URL": self.queue_url,
                "TOKEN_PARAMETER": self.token_parameter,
                # gunicorn_conf.py binds all interfaces (the container); here only loopback.
                "GUNICORN_CMD_ARGS": f"--bind {processes.HOST}:{service.port}",
            }
        return {
            **common,
            "QUEUE_URL": self.queue_url,
            "DATA_BUCKET": self.data_bucket,
            "DATA_PREFIX": DATA_PREFIX,
            # The container listens on every interface; here only loopback.
            "HOST": processes.HOST,
        }


def write_stack_env(settings: StackSettings) -> None:
    lines = [f"{key}={shlex.quote(value)}" for key, value in settings.stack_env().items()]
    STACK_ENV.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_stack_env(path: Path = STACK_ENV) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = shlex.split(value)[0] if value else ""
    return values


def start_services(
    settings: StackSettings, env: Mapping[str, str], report: Callable[[str], None]
) -> None:
    for service in SERVICES:
        if service.running():
            report(f"{service.name}: already running (pid {processes.read_pid(service.pidfile)})")
            continue
        if processes.listening(service.port):
            raise StackError(f"port {service.port} is in use by a process `make up` did not start")
        pid = processes.start_detached(
            service.argv,
            {**env, **settings.service_env(service)},
            service.log,
            service.cwd,
            service.pidfile,
        )
        report(f"{service.name}: started (pid {pid}, log .local/{service.log.name})")
    for service in SERVICES:
        if (
            not processes.wait_until(
                lambda s=service: processes.http_ok(s.health_url) or not s.running(),
                HEALTH_TIMEOUT_S,
            )
            or not service.running()
        ):
            raise StackError(
                f"{service.name} is not healthy at {service.health_url}: "
                f"see .local/{service.log.name}"
            )
        report(f"{service.name}: healthy at {service.health_url}")


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


def read_token(settings: StackSettings) -> str:
    ssm = client("ssm", settings.endpoint, settings.region)
    response = ssm.get_parameter(Name=settings.token_parameter, WithDecryption=True)
    return str(response["Parameter"]["Value"])


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
        and all(s.running() and processes.http_ok(s.health_url) for s in SERVICES)
    )


def print_ready(settings: StackSettings, report: Callable[[str], None]) -> None:
    token = read_token(settings)
    report("ready: .local/stack.env has the endpoints; send a message with")
    frontend_url = f"http://{processes.HOST}:{FRONTEND_PORT}"
    print(f"\n  {curl_command(frontend_url, token, datetime.now(UTC))}")
    print("\nthen list what the worker wrote:  make objects        stop everything:  make down\n")


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
            queue_url=values["QUEUE_URL"],
            dlq_url=values["DLQ_URL"],
            data_bucket=values["DATA_BUCKET"],
            token_parameter=values["TOKEN_PARAMETER"],
        )
        print_ready(settings, report)
        return 0
    ensure_emulator(url, report)
    apply_infrastructure(env, report)
    report("outputs: terragrunt output -json (sqs, s3, ecs)")
    settings = StackSettings.from_outputs(url, region, read_outputs(env))
    start_services(settings, env, report)
    write_stack_env(settings)
    print_ready(settings, report)
    return 0


# --- down and objects ------------------------------------------------------------------------


def remove_local_state() -> None:
    """Terragrunt caches and lock files of live/local (its state lived in the emulator)."""
    for cache in list(STACK_DIR.rglob(".terragrunt-cache")):
        shutil.rmtree(cache, ignore_errors=True)
    for lock_file in STACK_DIR.glob("*/.terraform.lock.hcl"):
        lock_file.unlink(missing_ok=True)
    shutil.rmtree(LOCAL_DIR, ignore_errors=True)


def down(report: Callable[[str], None]) -> int:
    url = endpoint()
    for name in (WORKER.name, FRONTEND.name, "emulator"):
        pidfile = LOCAL_DIR / f"{name}.pid"
        pid = processes.read_pid(pidfile)
        if pid is None or not processes.owns_group(pid):
            report(f"{name}: not running")
            continue
        stopped = processes.stop_group(pid)
        report(f"{name}: {'stopped' if stopped else 'DID NOT STOP'} (pid {pid})")
    remove_local_state()
    report("local state: removed .local and live/local caches")
    busy = [
        port
        for port in (emulator_port(url), FRONTEND_PORT, WORKER_PORT)
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
    args = parser.parse_args(argv)
    report = Progress()
    try:
        return COMMANDS[args.command](report)
    except (StackError, terragrunt.TerragruntError, TimeoutError, RuntimeError) as error:
        report(f"error: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
