"""The pinned toolchain works offline: versions match the pins, init uses the mirror."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def pins() -> dict[str, str]:
    pairs = {}
    for line in (REPO_ROOT / "tools" / "versions.env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def tf_binary() -> Path:
    path = Path(os.environ["TG_TF_PATH"])
    assert path.exists(), f"{path} missing: run `make tools`"
    return path


def run(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "path", "pin"),
    [
        ("terragrunt", "github.com/gruntwork-io/terragrunt", "TERRAGRUNT_VERSION"),
        ("actionlint", "github.com/rhysd/actionlint", "ACTIONLINT_VERSION"),
        ("terraform-docs", "github.com/terraform-docs/terraform-docs", "TERRAFORM_DOCS_VERSION"),
        ("tflint", "github.com/terraform-linters/tflint", "TFLINT_VERSION"),
        (
            "tflint-ruleset-aws",
            "github.com/terraform-linters/tflint-ruleset-aws",
            "TFLINT_RULESET_AWS_VERSION",
        ),
    ],
)
def test_go_pinning_modules_match_versions_file(module: str, path: str, pin: str) -> None:
    go_mod = (REPO_ROOT / "tools" / module / "go.mod").read_text()
    pattern = rf"^\s*(?:require\s+)?{re.escape(path)} v(\S+)(?: // indirect)?$"
    required = re.findall(pattern, go_mod, re.MULTILINE)
    assert required == [pins()[pin]]


def test_terragrunt_is_the_pinned_version() -> None:
    output = run("terragrunt", "--version")
    assert f"v{pins()['TERRAGRUNT_VERSION']}" in output


def test_terraform_binary_is_the_pinned_version() -> None:
    output = run(tf_binary(), "version")
    assert f"Terraform v{pins()['TERRAFORM_VERSION']}" in output


def test_offline_init_from_mirror_and_validate(tmp_path: Path) -> None:
    """A config requiring hashicorp/aws inits with no network and validates."""
    version = pins()["AWS_PROVIDER_VERSION"]
    (tmp_path / "main.tf").write_text(
        f"""
terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "= {version}"
    }}
  }}
}}

resource "aws_sqs_queue" "smoke" {{
  name                    = "toolchain-smoke"
  sqs_managed_sse_enabled = true
}}
"""
    )
    # An unroutable proxy makes any network attempt fail loudly instead of silently working.
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    output = run(tf_binary(), "init", "-input=false", "-no-color", cwd=tmp_path, env=env)
    assert f"Installed hashicorp/aws v{version}" in output or f"hashicorp/aws v{version}" in output
    run(tf_binary(), "validate", "-no-color", cwd=tmp_path, env=env)
