"""The pins agree with each other and the committed provider lock file works for every module."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCK = REPO_ROOT / ".terraform.lock.hcl"


def pins() -> dict[str, str]:
    lines = (REPO_ROOT / "tools" / "versions.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


MISE_TOOLS = ("terraform", "terragrunt", "actionlint", "terraform-docs", "tflint")


def test_mise_versions_equal_the_versions_file() -> None:
    tools = tomllib.loads((REPO_ROOT / "mise.toml").read_text())["tools"]
    assert {k: tools[k] for k in MISE_TOOLS} == {
        k: pins()[f"{k.upper().replace('-', '_')}_VERSION"] for k in MISE_TOOLS
    }


def test_the_linter_configs_name_the_pinned_versions() -> None:
    # TFLint finds the plugin by the version in .tflint.hcl; terraform-docs refuses another version.
    tflint = (REPO_ROOT / ".tflint.hcl").read_text()
    aws = re.search(r'plugin "aws" \{(.*?)\n\}', tflint, re.S)
    assert aws is not None
    assert re.findall(r'^\s*version\s*=\s*"([^"]+)"', aws.group(1), re.M) == [
        pins()["TFLINT_RULESET_AWS_VERSION"]
    ]
    assert re.search(r"^\s*deep_check\s*=\s*false$", aws.group(1), re.M)
    docs = (REPO_ROOT / ".terraform-docs.yml").read_text()
    assert re.findall(r'^version: "([^"]+)"$', docs, re.M) == [pins()["TERRAFORM_DOCS_VERSION"]]


def test_the_lock_file_locks_the_pinned_provider_version() -> None:
    locked = re.findall(
        r'provider "registry.terraform.io/hashicorp/aws" \{\s*version\s*=\s*"([^"]+)"',
        LOCK.read_text(),
    )
    assert locked == [pins()["AWS_PROVIDER_VERSION"]]
    assert len(re.findall(r'"zh:[0-9a-f]{64}"', LOCK.read_text())) >= 4


def test_every_release_file_has_a_pin_line() -> None:
    names = [
        line.split()[0]
        for line in (REPO_ROOT / "tools" / "checksums.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    values = [
        line.split()[1]
        for line in (REPO_ROOT / "tools" / "checksums.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert all(re.fullmatch(r"[0-9a-f]{64}|MISSING", value) for value in values)
    for platform in ("linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64"):
        assert f"terraform_{pins()['TERRAFORM_VERSION']}_{platform}.zip" in names
        assert f"terragrunt_{platform}" in names
        assert f"actionlint_{pins()['ACTIONLINT_VERSION']}_{platform}.tar.gz" in names
        os_, arch = platform.split("_")
        docs = pins()["TERRAFORM_DOCS_VERSION"]
        assert f"terraform-docs-v{docs}-{os_}-{arch}.tar.gz" in names
        assert f"tflint_{platform}.zip" in names
        assert f"tflint-ruleset-aws_{platform}.zip" in names


def test_one_python_version_everywhere() -> None:
    version = tomllib.loads((REPO_ROOT / "mise.toml").read_text())["tools"]["python"]
    assert version == "3.11"
    action = (REPO_ROOT / ".github" / "actions" / "setup-tools" / "action.yml").read_text()
    assert re.findall(r'python-version: "([\d.]+)"', action) == [version]
    for service in ("frontend", "worker"):
        dockerfile = (REPO_ROOT / "services" / service / "Dockerfile").read_text()
        image = re.search(
            r"^ARG PYTHON_IMAGE=python:(\d+\.\d+)\.\d+-slim-\w+@sha256:[0-9a-f]{64}$",
            dockerfile,
            re.M,
        )
        assert image is not None, service
        assert image.group(1) == version, service
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == version


LOCKS = [
    "requirements-dev.txt",
    "services/frontend/requirements.txt",
    "services/worker/requirements.txt",
    "tools/requirements-checkov.txt",
    "tools/requirements-uv.txt",
]


@pytest.mark.parametrize("lock", LOCKS)
def test_every_python_lock_pins_each_package_with_hashes(lock: str) -> None:
    text = (REPO_ROOT / lock).read_text()
    packages = re.findall(r"^[A-Za-z0-9][^\s=]*==\S+ \\$", text, re.M)
    assert packages
    blocks = re.split(r"^(?=[A-Za-z0-9])", text, flags=re.M)[1:]
    assert all("--hash=sha256:" in block for block in blocks)
    assert len(blocks) == len(packages)


def test_every_python_install_requires_hashes() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements-dev.txt" in makefile
    for service in ("frontend", "worker"):
        dockerfile = (REPO_ROOT / "services" / service / "Dockerfile").read_text()
        assert "--require-hashes -r /tmp/requirements.txt" in dockerfile
    tools_sh = (REPO_ROOT / "scripts" / "tools.sh").read_text()
    assert tools_sh.count("--require-hashes") == 2


def test_terragrunt_units_init_against_the_generated_root_lock_file(tmp_path: Path) -> None:
    # A unit without dependencies: -backend=false cannot read a dependency's outputs.
    unit = REPO_ROOT / "live" / "dev" / "kms"
    env = {**os.environ, "TG_DOWNLOAD_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        ["terragrunt", "init", "-backend=false", "-no-color", "--log-level", "error"],
        cwd=unit,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    (unit / ".terraform.lock.hcl").unlink(missing_ok=True)  # Terragrunt copies it back
    assert result.returncode == 0, result.stdout + result.stderr
    generated = list((tmp_path / "cache").rglob(".terraform.lock.hcl"))
    assert generated, "Terragrunt generated no lock file"
    # The unit's (and any module copy's) lock is the committed one: init left it unchanged.
    assert {path.read_text() for path in generated} == {LOCK.read_text()}
