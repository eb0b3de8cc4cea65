"""Process-level behaviour of worker.main that needs a real process (os._exit, signals)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.emulator import free_port

pytestmark = pytest.mark.integration

WORKER_DIR = Path(__file__).resolve().parents[1]
BASE_ENV = {
    "QUEUE_URL": "http://127.0.0.1:9/000000000000/q",
    "DATA_BUCKET": "bucket",
    "HOST": "127.0.0.1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=WORKER_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_dead_poll_loop_makes_the_process_exit_1() -> None:
    code = (
        "import worker.poller as p\n"
        "def crash(self):\n"
        "    raise RuntimeError('bug')\n"
        "p.Poller.run = crash\n"
        "from worker.main import main\n"
        "main()\n"
    )
    result = run_python(code, {**BASE_ENV, "PORT": str(free_port())})
    assert result.returncode == 1
    assert "died; exiting so the task is replaced" in result.stdout


def test_a_dead_visibility_heartbeat_makes_the_process_exit_1() -> None:
    code = (
        "import worker.visibility as v\n"
        "def crash(self):\n"
        "    raise RuntimeError('bug')\n"
        "v.VisibilityKeeper.run = crash\n"
        "from worker.main import main\n"
        "main()\n"
    )
    result = run_python(code, {**BASE_ENV, "PORT": str(free_port())})
    assert result.returncode == 1
    assert "died; exiting so the task is replaced" in result.stdout


def test_busy_health_port_exits_2_with_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_python(
            "from worker.main import main\nmain()\n",
            {**BASE_ENV, "PORT": str(port)},
        )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"worker: cannot listen on 127.0.0.1 port {port}: Address already in use"
    ]
