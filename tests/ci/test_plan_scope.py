"""Which pull requests may plan only the affected units."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devstack.ci import plan_scope


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for unit in ("live/dev/vpc", "live/dev/app/ecs", "live/prod/vpc"):
        (tmp_path / unit).mkdir(parents=True)
        (tmp_path / unit / "terragrunt.hcl").write_text("")
    (tmp_path / "live" / "dev" / "env.hcl").write_text("")
    return tmp_path


@pytest.mark.parametrize(
    "changed",
    [
        ["modules/vpc/main.tf"],
        ["modules/ecs/tests/basic.tftest.hcl", "live/dev/vpc/terragrunt.hcl"],
        ["live/dev/app/ecs/extra.tf"],
        ["live/staging/new-unit/terragrunt.hcl"],
        ["live/prod/vpc/terragrunt.hcl", ""],
    ],
)
def test_module_and_unit_changes_are_planned_as_affected(repo: Path, changed: list[str]) -> None:
    assert plan_scope.scope(changed, repo) == plan_scope.AFFECTED


@pytest.mark.parametrize(
    "changed",
    [
        ["terragrunt.hcl"],
        ["live/dev/env.hcl"],
        ["live/_common/vpc.hcl"],
        ["policies/checks/encryption.py"],
        ["tools/versions.env"],
        ["modules/vpc/main.tf", "ci/plan_comment.py"],
        ["modules/README.md"],
        [".github/workflows/plan.yml"],
    ],
)
def test_shared_configuration_changes_plan_everything(repo: Path, changed: list[str]) -> None:
    assert plan_scope.scope(changed, repo) == plan_scope.ALL


def test_cli_reads_git_diff_output(repo: Path) -> None:
    for changed, expected in (("modules/sqs/main.tf\n", "affected"), ("terragrunt.hcl\n", "all")):
        result = subprocess.run(
            [sys.executable, "-m", "devstack.ci.plan_scope"],
            input=changed,
            capture_output=True,
            text=True,
            cwd=repo,
            timeout=60,
            check=True,
        )
        assert result.stdout == f"{expected}\n"
