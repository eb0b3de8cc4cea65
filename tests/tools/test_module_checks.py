"""The module-docs and tflint hooks fail on a module that breaks them (a temp copy of one)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the Makefile, both linter configs and one module (sqs, and the
    tls-only-policy module it calls)."""
    for name in ("Makefile", ".terraform-docs.yml", ".tflint.hcl"):
        shutil.copy(REPO_ROOT / name, tmp_path)
    for module in ("sqs", "tls-only-policy"):
        shutil.copytree(REPO_ROOT / "modules" / module, tmp_path / "modules" / module)
    return tmp_path


def hook(repo: Path, target: str) -> subprocess.CompletedProcess[str]:
    """A hook's entry, `make <target>`, without re-running its `tools` prerequisite."""
    return subprocess.run(
        ["make", "--no-print-directory", "-o", "tools", target],
        cwd=repo,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_module_docs_hook_fails_on_a_stale_inputs_table(repo: Path) -> None:
    assert hook(repo, "docs-check").returncode == 0
    readme = repo / "modules" / "sqs" / "README.md"
    row = "| max_receive_count | Receives of a message before SQS moves it"
    assert row in readme.read_text()
    readme.write_text(readme.read_text().replace(row, "| max_receive_count | Edited by hand"))
    result = hook(repo, "docs-check")
    assert result.returncode != 0
    assert "modules/sqs/README.md is out of date" in result.stdout + result.stderr
    assert "module README tables are stale: run make docs" in result.stderr
    # `make docs` writes the table back.
    assert hook(repo, "docs").returncode == 0
    assert row in readme.read_text()


def test_tflint_hook_fails_on_a_terraform_and_an_aws_rule(repo: Path) -> None:
    assert hook(repo, "tflint").returncode == 0
    (repo / "modules" / "sqs" / "bad.tf").write_text(
        'variable "untyped" {}\n\n'
        'resource "aws_instance" "bad" {\n'
        '  ami           = "ami-12345678"\n'
        '  instance_type = "t9.nano"\n'
        "}\n"
    )
    result = hook(repo, "tflint")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    # One rule of the bundled terraform ruleset, one of the AWS plugin.
    assert "bad.tf:1:1: Warning - `untyped` variable has no type (terraform_typed_variables)" in (
        output
    )
    assert '"t9.nano" is an invalid value as instance_type (aws_instance_invalid_type)' in output
