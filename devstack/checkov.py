"""The one checkov runner: the pinned CLI with the repository's configuration (.checkov.yaml).

Checkov never needs AWS: every run gets an environment without AWS credentials or profiles,
so a scan can neither call AWS nor leak credentials into its reports.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from devstack.stackdef import REPO_ROOT

CONFIG = REPO_ROOT / ".checkov.yaml"
FIXTURES = REPO_ROOT / "policies" / "tests" / "fixtures"
# Python checks CKV_ORG_1..12 and YAML graph policies CKV2_ORG_1..3 in policies/checks.
CHECKS_DIR = REPO_ROOT / "policies" / "checks"
CUSTOM_IDS = (*(f"CKV_ORG_{n}" for n in range(1, 13)), *(f"CKV2_ORG_{n}" for n in range(1, 4)))
TIMEOUT_S = 600

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
    argv = [binary(), "--config-file", str(CONFIG), "--framework", framework, *args]
    completed = subprocess.run(  # noqa: S603 - argv from fixed parts and paths
        argv,
        cwd=cwd,
        env=scrubbed_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode not in (0, 1):
        raise CheckovError(f"checkov exited {completed.returncode}: {completed.stderr[-3000:]}")
    return completed


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
