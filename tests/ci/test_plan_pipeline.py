"""The plan workflow's pipeline on the real live/dev tree, against the AWS emulator.

The same commands as .github/workflows/plan.yml: scripts/plan-environment.sh, the policy gate
on the JSON plans (python -m policies.gate --plan-json, which must pass), then the renderer.
Only the credentials differ: the emulator instead of the OIDC plan role
(live/_common/context.hcl switches dev to the emulator when AWS_EMULATOR_ENDPOINT is set).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from devstack import emulator as emulator_lib
from devstack.ci import plan_comment, plan_summary, policy_results
from devstack.stackdef import REPO_ROOT

pytestmark = pytest.mark.integration

ENVIRONMENT = "dev"
COMMIT = "c0ffee" * 6 + "c0ff"
ARTIFACT = "https://github.com/acme/ingest-pipeline/actions/runs/42/artifacts/7"
PLAN_LINE = re.compile(
    r"\[live/dev/([\w-]+)\] tf: Plan: (?:\d+ to import, )?(\d+) to add, (\d+) to change, "
    r"(\d+) to destroy"
)
NO_CHANGES_LINE = re.compile(r"\[live/dev/([\w-]+)\] tf: No changes\.")


def run_pipeline(
    emulator: emulator_lib.Emulator, out: Path, base: str | None
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    env = {
        **os.environ,
        **emulator_lib.EMULATOR_ENV,
        "AWS_EMULATOR_ENDPOINT": emulator.endpoint,
        "AWS_ENDPOINT_URL": emulator.endpoint,
        # The emulator starts empty: create the state bucket as an administrator would.
        "TG_BACKEND_BOOTSTRAP": "true",
        "PLAN_ARGS": "-lock-timeout=60s",
        # Keep module copies and their backend settings (this emulator's port) out of the
        # work tree, where the next run with another port would find them stale.
        "TG_DOWNLOAD_DIR": str(out / "cache"),
    }
    argv = [str(REPO_ROOT / "ci" / "plan-environment.sh"), ENVIRONMENT, str(out)]
    plan = subprocess.run(
        [*argv, *([base] if base else [])],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    json_dir = out / "json" / "live" / ENVIRONMENT
    json_dir.mkdir(parents=True, exist_ok=True)
    gate = subprocess.run(
        [
            "python",
            "-m",
            "policies.gate",
            "--plan-json",
            f"live/{ENVIRONMENT}={json_dir}",
            "--reports",
            str(out / "policy"),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert gate.returncode == 0, gate.stdout[-4000:] + gate.stderr[-2000:]
    report = out / "policy" / "plans" / "checkov.json"
    return plan, json_dir, report


def dev_units() -> set[str]:
    return {
        path.parent.name for path in (REPO_ROOT / "live" / ENVIRONMENT).glob("*/terragrunt.hcl")
    }


def test_full_plan_of_dev_renders_every_unit_with_terraforms_counts(
    emulator: emulator_lib.Emulator, tmp_path: Path
) -> None:
    plan, json_dir, report = run_pipeline(emulator, tmp_path, base=None)
    log = plan.stdout + plan.stderr
    assert plan.returncode == 0, log[-4000:]
    assert "scope all" in plan.stderr

    plans = {unit.unit: unit for unit in plan_summary.load_unit_plans(json_dir)}
    assert set(plans) == dev_units()
    terraform_counts = {m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in PLAN_LINE.finditer(log)}
    terraform_counts |= {m[1]: (0, 0, 0) for m in NO_CHANGES_LINE.finditer(log)}
    assert set(terraform_counts) == set(plans)
    for unit, counts in terraform_counts.items():
        ours = plans[unit]
        assert (ours.to_add, ours.to_change, ours.to_destroy) == counts, unit

    checks = policy_results.parse(report.read_text(), list(plans))
    # Every check is attributed to a planned unit, and the gate passed: nothing failed.
    assert {check.unit for check in checks} <= set(plans)
    counts = policy_results.count(checks)
    assert counts.failed == 0, counts
    assert counts.passed > 0, counts
    assert counts.skipped > 0, counts
    assert {check.unit for check in checks if check.result == "SKIPPED"} >= {"vpc", "alb"}
    comment = plan_comment.render(
        ENVIRONMENT, list(plans.values()), checks, commit=COMMIT, artifact_url=ARTIFACT
    )
    assert "✅ passes policy" in comment
    assert f"**0 failed**, {counts.passed} passed, {counts.skipped} skipped." in comment
    for unit, (add, change, destroy) in terraform_counts.items():
        assert f"| <code>{unit}</code> | {add} | {change} | {destroy} |" in comment
    assert len(comment) < plan_comment.GITHUB_COMMENT_LIMIT


def test_affected_plan_with_no_changes_plans_nothing_and_says_so(
    emulator: emulator_lib.Emulator, tmp_path: Path
) -> None:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    plan, json_dir, report = run_pipeline(emulator, tmp_path, base=head)
    assert plan.returncode == 0, (plan.stdout + plan.stderr)[-4000:]
    assert "scope affected" in plan.stderr
    assert plan_summary.load_unit_plans(json_dir) == []
    # With nothing to scan the gate passes and its merged report is an empty list.
    checks = policy_results.parse(report.read_text())
    assert checks == []
    comment = plan_comment.render(ENVIRONMENT, [], checks, commit=COMMIT, artifact_url=ARTIFACT)
    assert "No units are affected" in comment
    assert "✅ passes policy" in comment


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["../etc", "out"], "invalid environment name"),
        (["Dev", "out"], "invalid environment name"),
        (["nosuch", "out"], "no such environment"),
        (["dev"], "usage"),
    ],
)
def test_plan_script_refuses_bad_arguments(argv: list[str], message: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(REPO_ROOT / "ci" / "plan-environment.sh"), *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
