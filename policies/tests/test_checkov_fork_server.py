"""devstack.checkov's fork server answers a scan exactly as the CLI does, and only then."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import psutil
import pytest

from devstack import checkov
from devstack.stackdef import REPO_ROOT

pytestmark = pytest.mark.integration

ARGV = [
    "--config-file",
    str(checkov.CONFIG),
    "--framework",
    "terraform",
    "-o",
    "json",
    "--directory",
    str(checkov.FIXTURES / "hcl"),
]


def verdicts(stdout: str) -> set[tuple[str, str, str]]:
    return {
        (check["check_id"], check["resource"], check["check_result"]["result"])
        for report in checkov.reports(json.loads(stdout))
        for kind in ("passed_checks", "failed_checks", "skipped_checks")
        for check in report["results"][kind]
    }


def test_a_forked_scan_answers_as_the_cli() -> None:
    env = checkov.scrubbed_env()
    forked = checkov.forked_run(ARGV, REPO_ROOT, env, timeout=300)
    assert forked is not None, "the fork server did not serve the scan"
    assert os.path.exists(os.environ[checkov.ZYGOTE_SOCKET_ENV])
    cli = subprocess.run(
        [checkov.binary(), *ARGV],
        cwd=REPO_ROOT,
        env={k: v for k, v in env.items() if k != checkov.ZYGOTE_SOCKET_ENV},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert forked.returncode == cli.returncode == 1  # the fixtures fail on purpose
    assert verdicts(forked.stdout) == verdicts(cli.stdout)
    assert len(verdicts(forked.stdout)) > 50


def test_a_scan_that_changes_what_checkov_reads_at_import_runs_the_cli() -> None:
    env = {**checkov.scrubbed_env(), "CKV_FRAMEWORK": "terraform"}
    assert checkov.forked_run(ARGV, REPO_ROOT, env, timeout=300) is None
    results, completed = checkov.scan(
        "terraform", ["--directory", str(checkov.FIXTURES / "hcl")], env=env
    )
    assert completed.returncode == 1
    assert results


def test_the_server_ends_with_the_process_that_started_it() -> None:
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from devstack import checkov; print(checkov.zygote_socket(), flush=True);"
            " sys.stdin.read()",
        ],
        env={k: v for k, v in os.environ.items() if k != checkov.ZYGOTE_SOCKET_ENV},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert owner.stdout is not None
        assert owner.stdin is not None
        socket_path = owner.stdout.readline().strip()
        assert os.path.exists(socket_path), socket_path
        (server,) = psutil.Process(owner.pid).children()
        assert str(checkov.ZYGOTE) in server.cmdline()
        owner.stdin.close()
        owner.wait(timeout=30)
    finally:
        owner.kill()
    deadline = time.monotonic() + 15
    while server.is_running() and server.status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the fork server outlived its owner"
        time.sleep(0.1)
    assert not os.path.exists(socket_path)
