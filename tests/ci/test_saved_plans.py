"""Applying the reviewed plan: real Terraform (local backend) refuses a plan whose state moved,
and the manifest check refuses plans of another tree or altered plan files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.ci import saved_plans

TERRAFORM = shutil.which("terraform") or shutil.which("tf")
CONFIG = """
resource "terraform_data" "app" {
  input = var.size
}

variable "size" {
  type = string
}
"""


def terraform(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert TERRAFORM, "terraform is not on PATH (make tools)"
    return subprocess.run(
        [TERRAFORM, f"-chdir={workdir}", *args, "-no-color"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "TF_IN_AUTOMATION": "1"},
    )


def test_a_saved_plan_is_refused_when_the_state_changed_since(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG, encoding="utf-8")
    assert terraform(tmp_path, "init", "-input=false").returncode == 0
    assert terraform(tmp_path, "apply", "-auto-approve", "-var=size=small").returncode == 0
    # The reviewed plan: small -> large.
    plan = terraform(tmp_path, "plan", "-var=size=large", f"-out={tmp_path / 'tfplan.tfplan'}")
    assert plan.returncode == 0, plan.stderr
    # Someone applies something else before the deploy: the state serial moves on.
    assert terraform(tmp_path, "apply", "-auto-approve", "-var=size=medium").returncode == 0

    applied = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack.ci.saved_plans",
            "apply",
            "--",
            TERRAFORM or "terraform",
            f"-chdir={tmp_path}",
            "apply",
            "-input=false",
            "-no-color",
            "tfplan.tfplan",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert applied.returncode == saved_plans.EXIT_REFUSED, applied.stdout + applied.stderr
    assert "Saved plan is stale" in applied.stdout
    assert "refused: the state changed since this plan was reviewed" in applied.stderr
    state = terraform(tmp_path, "show", "-json").stdout
    assert '"medium"' in state
    assert '"large"' not in state, "the stale plan was applied"


def test_a_fresh_saved_plan_applies(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG, encoding="utf-8")
    assert terraform(tmp_path, "init", "-input=false").returncode == 0
    assert terraform(tmp_path, "plan", "-var=size=large", "-out=tfplan.tfplan").returncode == 0
    command = [
        TERRAFORM or "terraform",
        f"-chdir={tmp_path}",
        "apply",
        "-no-color",
        "tfplan.tfplan",
    ]
    assert saved_plans.apply(command) == 0
    assert '"large"' in terraform(tmp_path, "show", "-json").stdout


@pytest.fixture
def planned(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    for unit in ("vpc", "ecs"):
        (bin_dir / unit).mkdir(parents=True)
        (bin_dir / unit / saved_plans.PLAN_FILE).write_bytes(f"plan of {unit}".encode())
    saved_plans.write_manifest("dev", bin_dir, head="a" * 40, base="b" * 40, tree="c" * 40)
    return bin_dir


def test_plans_of_the_same_tree_pass(planned: Path) -> None:
    manifest = saved_plans.verify("dev", planned, tree="c" * 40)
    assert set(manifest["units"]) == {"vpc", "ecs"}


def test_plans_of_another_tree_are_stale(planned: Path) -> None:
    with pytest.raises(saved_plans.RefusedError, match=r"stale plans for dev: .* the base moved"):
        saved_plans.verify("dev", planned, tree="d" * 40)


def test_plans_of_another_environment_or_altered_are_refused(planned: Path) -> None:
    with pytest.raises(saved_plans.RefusedError, match="are for dev, not prod"):
        saved_plans.verify("prod", planned, tree="c" * 40)
    (planned / "vpc" / saved_plans.PLAN_FILE).write_bytes(b"tampered")
    with pytest.raises(saved_plans.RefusedError, match="differ from the ones the plan job wrote"):
        saved_plans.verify("dev", planned, tree="c" * 40)


def test_no_manifest_no_apply(tmp_path: Path) -> None:
    with pytest.raises(saved_plans.RefusedError, match="no reviewed plan for dev"):
        saved_plans.verify("dev", tmp_path, tree="c" * 40)


def test_terragrunt_applies_exactly_the_saved_plans_of_the_filtered_units(tmp_path: Path) -> None:
    """The command shape of apply.yml: `run --all --filter=./<unit> --out-dir DIR -- apply`."""
    terragrunt = shutil.which("terragrunt")
    assert terragrunt, "terragrunt is not on PATH (make tools)"
    for unit in ("ecr", "ecs"):
        (tmp_path / "live" / unit).mkdir(parents=True)
        (tmp_path / "live" / unit / "terragrunt.hcl").write_text("", encoding="utf-8")
        (tmp_path / "live" / unit / "main.tf").write_text(
            'resource "terraform_data" "x" {\n  input = "reviewed"\n}\n', encoding="utf-8"
        )
    plans = tmp_path / "plans"
    env = {**os.environ, "TG_NO_COLOR": "true", "TG_NON_INTERACTIVE": "true"}
    base = [terragrunt, "run", "--all", "--non-interactive"]
    planned = subprocess.run(
        [*base, f"--out-dir={plans}", "--", "plan", "-input=false"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert planned.returncode == 0, planned.stderr[-2000:]
    saved_plans.write_manifest("dev", plans, head="a" * 40, base="b" * 40, tree="c" * 40)
    assert set(saved_plans.verify("dev", plans, tree="c" * 40)["units"]) == {"live/ecr", "live/ecs"}
    # The configuration moves on after the review: the deploy must still apply the reviewed plan.
    for unit in ("ecr", "ecs"):
        main = tmp_path / "live" / unit / "main.tf"
        main.write_text(main.read_text().replace("reviewed", "unreviewed"), encoding="utf-8")

    filters = saved_plans.filters(plans, exclude=["ecs"], only=[])
    assert filters == ["--filter=./live/ecr"]
    applied = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack.ci.saved_plans",
            "apply",
            "--",
            *base,
            *filters,
            f"--out-dir={plans}",
            "--",
            "apply",
            "-input=false",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert applied.returncode == 0, applied.stdout[-2000:] + applied.stderr[-2000:]
    states = {p.relative_to(tmp_path).parts[1]: p for p in tmp_path.rglob("terraform.tfstate")}
    assert set(states) == {"ecr"}, "only the filtered unit is applied"
    assert '"value": "reviewed"' in states["ecr"].read_text()
