"""Run the AWS emulator (moto server) on loopback.

Used by the test suites (a server on a free port per session) and by `make up`
(a long-lived server on 127.0.0.1:4566).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack.stackdef import EMULATOR, REGION, REPO_ROOT

HOST = EMULATOR.host
READY_TIMEOUT_S = 30.0

# Dummy credentials (the emulator accepts any; real ones must never be used) and the region.
EMULATOR_ENV = {
    **EMULATOR.credentials,
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}
# moto server settings (the server's environment), for `make up` and the tests alike.
SERVER_SETTINGS = EMULATOR.server_settings
ACCOUNT_ID = EMULATOR.account_id


def terragrunt_env(endpoint: str) -> dict[str, str]:
    """Environment that runs any live/<env> stack against the emulator at `endpoint`.

    AWS_EMULATOR_ENDPOINT switches the root terragrunt.hcl to emulator mode (provider and S3
    backend endpoints, the emulator's account); AWS_ENDPOINT_URL sends Terragrunt's own calls
    (state bucket bootstrap) there too; TG_BACKEND_BOOTSTRAP creates the state bucket.

    Terragrunt reads a dependency's outputs straight from its state object (~1 CPU-s less per
    dependency than `terraform init` + `output`). Only here: on any read error it falls back
    to the mock outputs with a warning, which against AWS would turn a denied state read into
    a plan of mock values; in the emulator the only error is the 404 of a unit not applied yet,
    where the mocks are what a plan must use anyway (live.MOCK_NOTICE accepts that warning).
    """
    return {
        **EMULATOR_ENV,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EMULATOR_ENDPOINT": endpoint,
        "AWS_EMULATOR_ACCOUNT_ID": ACCOUNT_ID,
        "TG_BACKEND_BOOTSTRAP": "true",
        "TG_DEPENDENCY_FETCH_OUTPUT_FROM_STATE": "true",
    }


@dataclass(frozen=True)
class Emulator:
    """A running moto server."""

    port: int
    process: subprocess.Popen[bytes] | None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def is_ready(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start(
    port: int,
    log_path: Path | None = None,
    settings: Mapping[str, str] | None = None,
    state_dir: Path | None = None,
) -> Emulator:
    """Start moto server on 127.0.0.1:port and wait until it answers.

    `settings` are server settings on top of stack.json's, e.g. INITIAL_NO_AUTH_ACTION_COUNT
    for IAM enforcement (tests/security); `state_dir` enables its snapshots (moto_server.py).
    """
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
    env = {**os.environ, **EMULATOR_ENV, **SERVER_SETTINGS, **(settings or {})}
    # moto_server with the provider-compatibility fixes of devstack/moto_server.py.
    argv = [sys.executable, "-m", "devstack.moto_server", "-H", HOST, "-p", str(port)]
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [*argv, "--state-dir", str(state_dir)] if state_dir else argv,
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    emulator = Emulator(port=port, process=process)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode} (port {port} busy?)")
        if is_ready(emulator.endpoint):
            return emulator
        time.sleep(0.1)
    stop(emulator)
    raise TimeoutError(f"moto server on port {port} not ready after {READY_TIMEOUT_S:.0f}s")


def stop(emulator: Emulator) -> None:
    if emulator.process is None or emulator.process.poll() is not None:
        return
    emulator.process.terminate()
    try:
        emulator.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        emulator.process.kill()
        emulator.process.wait(timeout=10)


@contextmanager
def running(
    port: int | None = None,
    settings: Mapping[str, str] | None = None,
    state_dir: Path | None = None,
) -> Iterator[Emulator]:
    """A moto server for the duration of the block (a free port by default)."""
    emulator = start(port or free_port(), settings=settings, state_dir=state_dir)
    try:
        yield emulator
    finally:
        stop(emulator)


def main(argv: list[str]) -> int:
    """`python -m devstack.emulator env [ENDPOINT]`: the emulator's client variables, one
    NAME=value per line (for `env $(...) terragrunt ...` in the Makefile)."""
    if not argv or argv[0] != "env" or len(argv) > 2:
        print("usage: python -m devstack.emulator env [ENDPOINT]", file=sys.stderr)
        return 2
    endpoint = argv[1] if len(argv) == 2 else EMULATOR.endpoint
    for name, value in {**EMULATOR_ENV, "AWS_ENDPOINT_URL": endpoint}.items():
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
