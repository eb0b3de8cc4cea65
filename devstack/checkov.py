"""The one checkov runner: the pinned CLI with the repository's configuration (.checkov.yaml).

Checkov never needs AWS: every run gets an environment without AWS credentials or profiles,
so a scan can neither call AWS nor leak credentials into its reports.

Importing checkov costs ~4 CPU-seconds, most of a scan. So the first scan of a process starts
checkov's fork server (checkov_zygote.py, run by the CLI's own interpreter) and every later
scan, also in the processes it starts (DEVSTACK_CHECKOV_ZYGOTE names the socket), is a forked
child of it: the same CLI arguments, working directory and environment, the same output and
exit status. Where the server cannot serve a scan (the CLI is not a Python script, it did not
start, the scan's environment changes what checkov reads at import), the CLI runs itself.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from devstack.stackdef import REPO_ROOT

CONFIG = REPO_ROOT / ".checkov.yaml"
FIXTURES = REPO_ROOT / "policies" / "tests" / "fixtures"
# Python checks CKV_ORG_1..12 and YAML graph policies CKV2_ORG_1..3 in policies/checks.
CHECKS_DIR = REPO_ROOT / "policies" / "checks"
CUSTOM_IDS = (*(f"CKV_ORG_{n}" for n in range(1, 13)), *(f"CKV2_ORG_{n}" for n in range(1, 4)))
TIMEOUT_S = 600
ZYGOTE = Path(__file__).with_name("checkov_zygote.py")
ZYGOTE_SOCKET_ENV = "DEVSTACK_CHECKOV_ZYGOTE"
ZYGOTE_START_TIMEOUT_S = 120
_zygote_lock = threading.Lock()

# (check id, resource address) -> "PASSED" | "FAILED"
Results = dict[tuple[str, str], str]


class CheckovError(RuntimeError):
    """checkov is missing or crashed (exit codes 0 and 1 are results, anything else is not)."""


def binary() -> str:
    found = shutil.which("checkov")
    if not found:
        raise CheckovError("checkov is not on PATH: run `make tools` (the Makefile adds it)")
    return found


def scrubbed_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) without AWS credentials, profiles or endpoints."""
    return {
        k: v for k, v in (os.environ if env is None else env).items() if not k.startswith("AWS_")
    }


def run(
    framework: str,
    args: Sequence[str],
    *,
    cwd: Path = REPO_ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """checkov --config-file .checkov.yaml --framework F ARGS...; raises on a crash."""
    argv = ["--config-file", str(CONFIG), "--framework", framework, *args]
    scan_env = scrubbed_env(env)
    completed = forked_run(argv, cwd, scan_env, timeout) or subprocess.run(  # noqa: S603
        [binary(), *argv],
        cwd=cwd,
        env=scan_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode not in (0, 1):
        raise CheckovError(f"checkov exited {completed.returncode}: {completed.stderr[-3000:]}")
    return completed


def interpreter(script: str) -> str | None:
    """The Python that runs the checkov CLI script (its `#!` line), or None for a binary."""
    try:
        with open(script, "rb") as file:
            first = file.readline(512)
    except OSError:
        return None
    words = first[2:].decode(errors="replace").split() if first.startswith(b"#!") else []
    if words and Path(words[0]).name == "env":
        words = words[1:]
        return shutil.which(words[0]) if words else None
    return words[0] if words and Path(words[0]).is_file() else None


def zygote_socket() -> str | None:
    """This process's checkov fork server (the one it inherited, else a new one), or None."""
    with _zygote_lock:
        inherited = os.environ.get(ZYGOTE_SOCKET_ENV)
        if inherited and os.path.exists(inherited):
            return inherited
        python = interpreter(binary())
        return start_zygote(python) if python else None


def start_zygote(python: str) -> str | None:
    directory = tempfile.mkdtemp(prefix="checkov-")
    path = os.path.join(directory, "socket")
    with open(os.path.join(directory, "stderr"), "wb") as stderr:
        server = subprocess.Popen(  # noqa: S603 - the CLI's interpreter and our script
            [python, "-I", str(ZYGOTE), path],  # -I: devstack/ is not importable there
            cwd=REPO_ROOT,
            env=scrubbed_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    started = server.stdout is not None and _ready(server.stdout)
    if not started:
        server.kill()
        server.wait()
        reason = Path(directory, "stderr").read_text(errors="replace").strip().splitlines()
        print(
            f"checkov fork server did not start ({reason[-1] if reason else 'no output'}):"
            " running the CLI per scan",
            file=sys.stderr,
        )
        shutil.rmtree(directory, ignore_errors=True)
        return None
    atexit.register(stop_zygote, server, directory)
    os.environ[ZYGOTE_SOCKET_ENV] = path
    return path


def _ready(stdout: IO[bytes]) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        return bool(selector.select(ZYGOTE_START_TIMEOUT_S)) and stdout.readline() == b"ready\n"


def stop_zygote(server: subprocess.Popen[bytes], directory: str) -> None:
    """Closing its standard input ends the server; forked scans still running finish."""
    if os.environ.get(ZYGOTE_SOCKET_ENV, "").startswith(directory):
        del os.environ[ZYGOTE_SOCKET_ENV]
    if server.stdin:
        server.stdin.close()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    shutil.rmtree(directory, ignore_errors=True)


def forked_run(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str] | None:
    """One scan as a child of the fork server; None when the server cannot serve it."""
    path = zygote_socket()
    if path is None:
        return None
    request = {"argv": list(argv), "cwd": str(cwd), "env": dict(env)}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(path)
            conn.sendall((json.dumps(request) + "\n").encode())
            replies = conn.makefile("r", encoding="utf-8")
            pid = json.loads(replies.readline())["pid"]
            try:
                answer = json.loads(replies.readline() or "{}")
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(["checkov", *argv], timeout) from None
    except (OSError, ValueError, KeyError):
        return None
    if "returncode" not in answer:
        return None
    return subprocess.CompletedProcess(
        ["checkov", *argv], answer["returncode"], answer["stdout"], answer["stderr"]
    )


def reports(payload: object) -> list[dict[str, object]]:
    """checkov -o json prints one object per framework, or a list of them."""
    items = payload if isinstance(payload, list) else [payload]
    return [item for item in items if isinstance(item, dict)]


def scan(
    framework: str,
    args: Sequence[str],
    *,
    checks: Sequence[str] = CUSTOM_IDS,
    env: Mapping[str, str] | None = None,
) -> tuple[Results, subprocess.CompletedProcess[str]]:
    """Run checkov -o json on the given target args; results keyed by (id, address)."""
    selection = ["--check", ",".join(checks)] if checks else []
    completed = run(framework, ["-o", "json", *selection, *args], env=env, timeout=300)
    results: Results = {}
    for report in reports(json.loads(completed.stdout)):
        checks_by_kind = report.get("results")
        if not isinstance(checks_by_kind, dict):
            continue
        for key, verdict in (("passed_checks", "PASSED"), ("failed_checks", "FAILED")):
            for check in checks_by_kind.get(key, []):
                address = check.get("resource_address") or check["resource"]
                results[(check["check_id"], address)] = verdict
    return results, completed
