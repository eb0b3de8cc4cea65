"""Processes of the twin and the tests: start detached, track by pidfile, stop by group.

Every process starts in a session of its own, so its pid is also its process-group id and
stopping the group also stops what it spawned (make -> gunicorn -> gunicorn workers).
Process state comes from psutil, so the same code runs on Linux and macOS.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import psutil

from devstack.stackdef import EMULATOR, SERVICES

HOST = EMULATOR.host
VENV_BIN = Path(sys.executable).parent


def start_detached(
    argv: Sequence[str], env: Mapping[str, str], log_path: Path, cwd: Path, pidfile: Path
) -> int:
    """Start argv in a new session, output appended to log_path; write and return its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - argv built by the caller from fixed parts
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pidfile.write_text(f"{process.pid}\n", encoding="ascii")
    return process.pid


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        return None


def alive(pid: int) -> bool:
    """True for a running process (a zombie has exited, whatever its entry says)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def owns_group(pid: int) -> bool:
    """True when pid is alive and still leads the process group we started it as."""
    try:
        return alive(pid) and os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _group_alive(pgid: int) -> bool:
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and alive(process.pid):
                return True
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return False


def stop_group(pgid: int, timeout: float = 15.0) -> bool:
    """SIGTERM the process group, SIGKILL what is left after `timeout`. True if it is gone."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return True
        if wait_until(lambda: not _group_alive(pgid), wait, interval=0.1):
            return True
    return not _group_alive(pgid)


def listening(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of GET url, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def http_ok(url: str, timeout: float = 2.0) -> bool:
    return http_status(url, timeout) == 200


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll `check()` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# --- the services, started as their containers are -------------------------------------------


def container_command(service: str) -> list[str]:
    """The exec-form CMD of the service's Dockerfile."""
    dockerfile = SERVICES[service].directory / "Dockerfile"
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if line.startswith("CMD "):
            command = json.loads(line[len("CMD ") :])
            if not isinstance(command, list):
                raise TypeError(f"{dockerfile}: CMD must be exec form")
            return [str(part) for part in command]
    raise ValueError(f"no CMD in {dockerfile}")


def start_service(
    service: str, env: Mapping[str, str], log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """Run the container command in its WORKDIR with only `env` (plus the venv on PATH)."""
    full_env = {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONDONTWRITEBYTECODE": "1",
        **env,
    }
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - the child's
    return subprocess.Popen(  # noqa: S603 - argv from our own Dockerfile
        container_command(service),
        cwd=SERVICES[service].directory,
        env=full_env,
        stdout=output,
        stderr=subprocess.STDOUT if log_path else subprocess.PIPE,
        start_new_session=True,
    )


def wait_for_status(
    url: str, status: int, timeout: float, process: subprocess.Popen[bytes]
) -> None:
    """Wait until GET url answers `status`; fail early when the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} was ready")
        if http_status(url, timeout=1.0) == status:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer {status} within {timeout}s")


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    """SIGTERM, then SIGKILL the process group if it does not exit in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    return int(process.returncode)
