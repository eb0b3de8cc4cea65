"""The gate bites: `policies/gate.py` rejects a deliberately insecure module and its plan."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.checkov import CUSTOM_IDS, FIXTURES, REPO_ROOT
from devstack.ci import policy_results


def run_gate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policies.gate", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def failed_ids(*reports: Path) -> set[str]:
    ids = set()
    for report in reports:
        payload = json.loads(report.read_text(encoding="utf-8"))
        for item in payload if isinstance(payload, list) else [payload]:
            ids |= {check["check_id"] for check in item.get("results", {}).get("failed_checks", [])}
    return ids


@pytest.mark.integration
def test_gate_rejects_insecure_module_and_plan(tmp_path: Path) -> None:
    stack = tmp_path / "insecure"
    shutil.copytree(FIXTURES / "insecure", stack)
    reports = tmp_path / "reports"
    completed = run_gate(
        "--hcl",
        str(stack),
        "--stack",
        f"insecure={stack}",
        "--reports",
        str(reports),
    )
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]

    hcl_failed = failed_ids(reports / "hcl" / "checkov.json")
    plan_reports = sorted((reports / "plans").glob("*/checkov.json"))
    assert plan_reports, "no plan scan report"
    plan_failed = failed_ids(*plan_reports)
    # Every organisation rule is broken; tags and the environment (tags_all) can only be
    # judged in the plan.
    assert hcl_failed >= set(CUSTOM_IDS) - {"CKV_ORG_1", "CKV2_ORG_3"}
    assert plan_failed >= set(CUSTOM_IDS)
    # Built-in checks run too (not only the custom directory).
    assert {"CKV_AWS_51", "CKV_AWS_27"} <= plan_failed

    for scan_dir in (reports / "hcl", plan_reports[0].parent):
        sarif = json.loads((scan_dir / "checkov.sarif").read_text(encoding="utf-8"))
        assert sarif["runs"][0]["results"], scan_dir
        junit = (scan_dir / "checkov.junit.xml").read_text(encoding="utf-8")
        assert "<failure" in junit, scan_dir
    summary = (reports / "summary.md").read_text(encoding="utf-8")
    assert "Result: FAILED" in summary
    assert "CKV_ORG_3 aws_ecs_task_definition.worker" in summary
    assert list((reports / "stacks" / "insecure" / "json").rglob("tfplan.json"))


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
    completed = run_gate(
        "--hcl",
        str(stack),
        "--stack",
        f"compliant={stack}",
        "--reports",
        str(reports),
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Result: PASSED" in completed.stdout


@pytest.mark.integration
def test_gate_applies_module_skip_comments_to_plans(tmp_path: Path) -> None:
    """A module's inline `checkov:skip` (with its reason) holds in the plans of its units."""
    fixture = tmp_path / "waiver"
    shutil.copytree(FIXTURES / "waiver", fixture)
    reports = tmp_path / "reports"
    completed = run_gate(
        "--stack",
        f"waiver={fixture / 'live'}",
        "--modules-dir",
        str(fixture / "modules"),
        "--reports",
        str(reports),
    )
    # CKV_ORG_9 is not skipped, so the gate still fails ...
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]
    report = json.loads((reports / "plans" / "queue" / "checkov.json").read_text(encoding="utf-8"))
    results = report["results"]
    failed = {(c["check_id"], c["resource"]) for c in results["failed_checks"]}
    skipped = {
        (c["check_id"], c["resource"]): c["check_result"]["suppress_comment"]
        for c in results["skipped_checks"]
    }
    assert ("CKV_ORG_9", "aws_sqs_queue.this") in failed
    # ... while the skipped check is reported as skipped, with the module's reason.
    assert ("CKV_AWS_27", "aws_sqs_queue.this") not in failed
    assert skipped[("CKV_AWS_27", "aws_sqs_queue.this")].startswith("Fixture: the reason")

    # The merged report the PR comment reads attributes every check to the unit, although
    # plan enrichment reports the module's file (main.tf) rather than the plan.
    merged = (reports / "plans" / "checkov.json").read_text(encoding="utf-8")
    units = {check.unit for check in policy_results.parse(merged, ["queue"])}
    assert units == {"queue"}

    # CI's path: the same plans, made elsewhere, given with --plan-json.
    rescan = run_gate(
        "--plan-json",
        f"{fixture / 'live'}={reports / 'stacks' / 'waiver' / 'json'}",
        "--modules-dir",
        str(fixture / "modules"),
        "--reports",
        str(tmp_path / "rescan"),
    )
    assert rescan.returncode == 1, rescan.stdout[-3000:]
    assert "CKV_ORG_9 aws_sqs_queue.this" in rescan.stdout
    assert "no plan JSON" not in rescan.stdout


@pytest.mark.integration
def test_given_plans_may_be_none_when_no_unit_is_affected(tmp_path: Path) -> None:
    """CI plans affected units only: a stack with no plan JSON passes with an empty report."""
    fixture = tmp_path / "waiver"
    shutil.copytree(FIXTURES / "waiver", fixture)
    empty = tmp_path / "json"
    empty.mkdir()
    completed = run_gate(
        "--plan-json",
        f"{fixture / 'live'}={empty}",
        "--modules-dir",
        str(fixture / "modules"),
        "--reports",
        str(tmp_path / "reports"),
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    merged = tmp_path / "reports" / "plans" / "checkov.json"
    assert json.loads(merged.read_text(encoding="utf-8")) == []
