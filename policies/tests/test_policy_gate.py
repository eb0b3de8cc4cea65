"""The gate bites: `scripts/policy.py` rejects a deliberately insecure module and its plan."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policies.tests.checkov_run import CUSTOM_IDS, FIXTURES, REPO_ROOT


def failed_ids(report: Path) -> set[str]:
    payload = json.loads(report.read_text(encoding="utf-8"))
    reports = payload if isinstance(payload, list) else [payload]
    return {
        check["check_id"]
        for item in reports
        for check in item.get("results", {}).get("failed_checks", [])
    }


@pytest.mark.integration
def test_gate_rejects_insecure_module_and_plan(tmp_path: Path) -> None:
    stack = tmp_path / "insecure"
    shutil.copytree(FIXTURES / "insecure", stack)
    reports = tmp_path / "reports"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "policy.py"),
            "--hcl",
            str(stack),
            "--stack",
            f"insecure={stack}",
            "--reports",
            str(reports),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]

    hcl_failed = failed_ids(reports / "hcl" / "checkov.json")
    plan_failed = failed_ids(reports / "plans" / "checkov.json")
    # Every organisation rule is broken; tags can only be judged in the plan.
    assert hcl_failed >= set(CUSTOM_IDS) - {"CKV_ORG_1"}
    assert plan_failed >= set(CUSTOM_IDS)
    # Built-in checks run too (not only the custom directory).
    assert {"CKV_AWS_51", "CKV_AWS_27"} <= plan_failed

    for scan in ("hcl", "plans"):
        sarif = json.loads((reports / scan / "checkov.sarif").read_text(encoding="utf-8"))
        assert sarif["runs"][0]["results"], scan
        junit = (reports / scan / "checkov.junit.xml").read_text(encoding="utf-8")
        assert "<failure" in junit, scan
    summary = (reports / "summary.md").read_text(encoding="utf-8")
    assert "Result: FAILED" in summary
    assert "CKV_ORG_3 aws_ecs_task_definition.worker" in summary
    assert (reports / "plans" / "insecure" / "json").is_dir()


@pytest.mark.integration
def test_gate_passes_a_compliant_stack(tmp_path: Path) -> None:
    """The same gate exits 0 when nothing fails, so its non-zero exit above means something."""
    stack = tmp_path / "compliant"
    stack.mkdir()
    (stack / "terragrunt.hcl").write_text("", encoding="utf-8")
    shutil.copy(FIXTURES / "plan" / "providers.tf", stack / "providers.tf")
    # Only the tagged default provider is used: drop the untagged fixtures.
    text = (stack / "providers.tf").read_text(encoding="utf-8")
    (stack / "providers.tf").write_text(text.split("# CKV_ORG_1 fixture")[0], encoding="utf-8")
    (stack / "main.tf").write_text(
        'resource "aws_cloudwatch_log_group" "app" {\n'
        '  name              = "/ecs/app"\n'
        "  retention_in_days = 400\n"
        '  kms_key_id        = "arn:aws:kms:eu-central-1:111122223333:key/abcd"\n'
        "}\n",
        encoding="utf-8",
    )
    reports = tmp_path / "reports"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "policy.py"),
            "--hcl",
            str(stack),
            "--stack",
            f"compliant={stack}",
            "--reports",
            str(reports),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Result: PASSED" in completed.stdout
