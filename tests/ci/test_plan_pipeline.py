"""The plan workflow's pipeline on the real live tree, against the AWS emulator.

The same commands as .github/workflows/plan.yml: scripts/plan-environment.sh (run once per
environment by devstack.plans, the session's `environment_plans`), the policy gate on the JSON
plans (`python -m policies.gate --plan-json`, which must pass; here one run over every
environment, with each environment's results also written apart, as a single-environment
CI run writes them), then the renderer. Only the credentials differ: the emulator instead of
the OIDC plan role (live/_common/context.hcl switches an environment to the emulator when
AWS_EMULATOR_ENDPOINT is set).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack import checkov, plans
from devstack import emulator as emulator_lib
from devstack.ci import plan_comment, plan_summary, policy_results
from devstack.live import ENVIRONMENTS
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


@dataclass(frozen=True)
class GateRun:
    completed: subprocess.CompletedProcess[str]
    reports: Path

    def stack_report(self, environment: str) -> Path:
        return self.reports / "plans" / "stacks" / environment / "checkov.json"


def run_gate(plan_sets: list[plans.PlanSet], reports: Path) -> GateRun:
    pairs = [f"live/{p.environment}={p.json_dir}" for p in plan_sets]
    argv = [arg for pair in pairs for arg in ("--plan-json", pair)]
    completed = subprocess.run(
        [sys.executable, "-m", "policies.gate", *argv, "--reports", str(reports)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return GateRun(completed, reports)


@pytest.fixture(scope="module")
def gate(
    environment_plans: dict[str, plans.PlanSet], tmp_path_factory: pytest.TempPathFactory
) -> GateRun:
    """The policy gate, once, over the plans of every environment."""
    reports = tmp_path_factory.mktemp("policy")
    return run_gate([environment_plans[e] for e in ENVIRONMENTS], reports)


def test_policy_gate_passes_every_environment(gate: GateRun) -> None:
    output = gate.completed.stdout[-4000:] + gate.completed.stderr[-2000:]
    assert gate.completed.returncode == 0, output
    assert "Result: PASSED" in gate.completed.stdout
    for environment in ENVIRONMENTS:
        assert policy_results.parse(gate.stack_report(environment).read_text()), environment


def dev_units() -> set[str]:
    return {
        path.parent.name for path in (REPO_ROOT / "live" / ENVIRONMENT).glob("*/terragrunt.hcl")
    }


def test_full_plan_of_dev_renders_every_unit_with_terraforms_counts(
    environment_plans: dict[str, plans.PlanSet], gate: GateRun
) -> None:
    plan_set = environment_plans[ENVIRONMENT]
    log = plan_set.log.read_text(encoding="utf-8")
    assert "scope all" in log

    unit_plans = {unit.unit: unit for unit in plan_summary.load_unit_plans(plan_set.json_dir)}
    assert set(unit_plans) == dev_units()
    terraform_counts = {m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in PLAN_LINE.finditer(log)}
    terraform_counts |= {m[1]: (0, 0, 0) for m in NO_CHANGES_LINE.finditer(log)}
    assert set(terraform_counts) == set(unit_plans)
    for unit, counts in terraform_counts.items():
        ours = unit_plans[unit]
        assert (ours.to_add, ours.to_change, ours.to_destroy) == counts, unit

    checks = policy_results.parse(gate.stack_report(ENVIRONMENT).read_text(), list(unit_plans))
    # Every check is attributed to a planned unit, and the gate passed: nothing failed.
    assert {check.unit for check in checks} <= set(unit_plans)
    counts = policy_results.count(checks)
    assert counts.failed == 0, counts
    assert counts.passed > 0, counts
    assert counts.skipped > 0, counts
    assert {check.unit for check in checks if check.result == "SKIPPED"} >= {"alb", "s3"}
    comment = plan_comment.render(
        ENVIRONMENT, list(unit_plans.values()), checks, commit=COMMIT, artifact_url=ARTIFACT
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
    env = {
        **os.environ,
        **emulator_lib.terragrunt_env(emulator.endpoint),
        **plans.IMAGE_TAGS,
        "TG_DOWNLOAD_DIR": str(tmp_path / "cache"),
    }
    plan = subprocess.run(
        [str(plans.PLAN_SCRIPT), ENVIRONMENT, str(tmp_path), head],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert plan.returncode == 0, (plan.stdout + plan.stderr)[-4000:]
    assert "scope affected" in plan.stderr
    plan_set = plans.PlanSet(ENVIRONMENT, tmp_path)
    plan_set.json_dir.mkdir(parents=True, exist_ok=True)
    assert plan_summary.load_unit_plans(plan_set.json_dir) == []
    # With nothing to scan the gate passes and its merged report is an empty list.
    gate = run_gate([plan_set], tmp_path / "policy")
    assert gate.completed.returncode == 0, gate.completed.stdout[-4000:]
    checks = policy_results.parse((gate.reports / "plans" / "checkov.json").read_text())
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
        [str(plans.PLAN_SCRIPT), *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_prod_load_balancer_must_serve_https(
    environment_plans: dict[str, plans.PlanSet], gate: GateRun, tmp_path: Path
) -> None:
    """CKV2_ORG_3 passes prod's real alb plan (certificate, HTTPS listener, redirect) and fails
    the same plan once its HTTPS listener is gone and port 80 forwards, as without a certificate."""
    prod = policy_results.parse(gate.stack_report("prod").read_text(), ["alb"])
    verdicts = {(c.check_id, c.resource, c.result) for c in prod}
    assert ("CKV2_ORG_3", "aws_lb.this", "PASSED") in verdicts

    plan = json.loads(environment_plans["prod"].unit_plans()["alb"].read_text(encoding="utf-8"))
    https = ("aws_lb_listener.https", "aws_lb_listener.https[0]")
    plan["resource_changes"] = [c for c in plan["resource_changes"] if c["address"] not in https]
    resources = plan["planned_values"]["root_module"]["resources"]
    resources[:] = [r for r in resources if r["address"] not in https]
    http = next(r for r in resources if r["address"] == "aws_lb_listener.http")
    http["values"]["default_action"] = [
        {"type": "forward", "redirect": [], "target_group_arn": "arn:aws:elasticloadbalancing:x"}
    ]
    plain = tmp_path / "tfplan.json"
    plain.write_text(json.dumps(plan), encoding="utf-8")
    results, _ = checkov.scan(
        "terraform_plan",
        ["--external-checks-dir", str(checkov.CHECKS_DIR), "--file", str(plain)],
        checks=["CKV2_ORG_3"],
    )
    assert results.get(("CKV2_ORG_3", "aws_lb.this")) == "FAILED", results
