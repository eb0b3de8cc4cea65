"""Run the real checkov CLI (pinned tools venv) with the repository's configuration."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / ".checkov.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Python checks CKV_ORG_1..11 and YAML graph policies CKV2_ORG_1..2 in policies/checks.
CUSTOM_IDS = (*(f"CKV_ORG_{n}" for n in range(1, 12)), "CKV2_ORG_1", "CKV2_ORG_2")

# (check id, resource address) -> "PASSED" | "FAILED"
Results = dict[tuple[str, str], str]


def checkov() -> str:
    found = shutil.which("checkov")
    assert found, "checkov is not on PATH: run through make (it adds the pinned tools bin)"
    return found


def scan(
    framework: str,
    args: Sequence[str],
    *,
    checks: Sequence[str] = CUSTOM_IDS,
    env: Mapping[str, str] | None = None,
) -> tuple[Results, subprocess.CompletedProcess[str]]:
    """Run checkov -o json on the given target args; results keyed by (id, address)."""
    argv = [checkov(), "--config-file", str(CONFIG), "--framework", framework, "-o", "json"]
    if checks:
        argv += ["--check", ",".join(checks)]
    completed = subprocess.run(
        [*argv, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(env) if env is not None else None,
    )
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    payload = json.loads(completed.stdout)
    results: Results = {}
    for report in payload if isinstance(payload, list) else [payload]:
        for key, verdict in (("passed_checks", "PASSED"), ("failed_checks", "FAILED")):
            for check in report.get("results", {}).get(key, []):
                address = check.get("resource_address") or check["resource"]
                results[(check["check_id"], address)] = verdict
    return results, completed
