"""Start the services exactly as their containers do: the Dockerfile's CMD, in its WORKDIR."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

SERVICES_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def container_command(service: str) -> list[str]:
    """The exec-form CMD of services/<service>/Dockerfile."""
    for line in (SERVICES_DIR / service / "Dockerfile").read_text().splitlines():
        if line.startswith("CMD "):
            command = json.loads(line[len("CMD ") :])
            if not isinstance(command, list):
                raise TypeError("CMD must be exec form")
            return [str(part) for part in command]
    raise ValueError(f"no CMD in services/{service}/Dockerfile")


def start(
    service: str, env: dict[str, str], log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """Run the container command with only `env` (plus PATH to the venv) as configuration."""
    full_env = {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONDONTWRITEBYTECODE": "1",
        **env,
    }
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(  # noqa: S603 - argv from our own Dockerfile
        container_command(service),
        cwd=SERVICES_DIR / service,
        env=full_env,
        stdout=output,
        stderr=subprocess.STDOUT if log_path else subprocess.PIPE,
        start_new_session=True,
    )


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def wait_for_status(
    url: str, status: int, timeout: float, process: subprocess.Popen[bytes]
) -> None:
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
