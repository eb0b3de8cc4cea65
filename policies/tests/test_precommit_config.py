"""The pre-commit configuration stays installable offline and in step with the project's pins."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from devstack.checkov import REPO_ROOT

CONFIG = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
HOOKS = [hook for repo in CONFIG["repos"] for hook in repo["hooks"]]
REQUIRED_HOOKS = {
    "terraform-fmt",
    "terragrunt-hcl-fmt",
    "checkov-modules",
    "ruff-check",
    "ruff-format",
    "yamllint",
    "shellcheck",
    "hadolint",
    "zizmor",
    "actionlint",
    "module-docs",
    "tflint",
    "detect-secrets",
    "trailing-whitespace",
    "end-of-file-fixer",
}


def project_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "requirements-dev.in").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", line.strip())
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_every_hook_is_local() -> None:
    # Remote hook repositories are git clones, which cannot be fetched here or in CI.
    assert {repo["repo"] for repo in CONFIG["repos"]} == {"local"}


def test_required_hooks_are_present() -> None:
    assert {hook["id"] for hook in HOOKS} >= REQUIRED_HOOKS


def test_python_hooks_pin_their_package_like_the_project() -> None:
    pins = project_pins()
    for hook in HOOKS:
        if hook["language"] != "python":
            continue
        dependencies = hook.get("additional_dependencies") or []
        assert dependencies, hook["id"]
        for dependency in dependencies:
            name, _, version = dependency.partition("==")
            assert version, f"{hook['id']}: {dependency} is not pinned"
            project_version = pins.get(name.lower().replace("_", "-"))
            if project_version is not None:
                assert version == project_version, f"{hook['id']}: {dependency}"


def test_system_hooks_use_the_pinned_toolchain() -> None:
    # Either a pinned binary by name, or a make target (the Makefile exports the toolchain).
    for hook in HOOKS:
        if hook["language"] == "system":
            assert hook["entry"].startswith(("scripts/pinned-tool.sh ", "make ")), hook["id"]
            assert Path(REPO_ROOT / "scripts" / "pinned-tool.sh").stat().st_mode & 0o111
