"""The container images' contract: same command as `make serve-*`, pinned, non-root, healthy."""

from __future__ import annotations

import re
import shlex
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from devstack.processes import container_command

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("frontend", "worker")


def dockerfile(service: str) -> str:
    return (REPO / "services" / service / "Dockerfile").read_text()


@pytest.mark.parametrize("service", SERVICES)
def test_make_serve_runs_exactly_the_container_command(service: str) -> None:
    dry_run = subprocess.run(
        ["make", "-n", f"serve-{service}"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    (recipe,) = [line for line in dry_run.splitlines() if line.startswith("cd services/")]
    change_dir, command = recipe.split(" && ", 1)
    assert change_dir == f"cd services/{service}"
    argv = shlex.split(command)
    assert argv[0] == "exec"
    assert argv[1:] == container_command(service)
    assert re.search(r"^WORKDIR /app$", dockerfile(service), re.MULTILINE)


@pytest.mark.parametrize("service", SERVICES)
def test_image_is_pinned_multi_stage_non_root_with_healthcheck(service: str) -> None:
    text = dockerfile(service)
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert base is not None
    # Python 3.11, the project's one version (README, "Prerequisites"; tests/tools checks it).
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+@sha256:[0-9a-f]{64}", base.group(1))
    assert text.count("FROM ${PYTHON_IMAGE}") == 2
    assert "COPY --from=build /opt/venv /opt/venv" in text
    user = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert user
    assert user[-1] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD \[\"python\"", text, re.MULTILINE)


def pinned(service: str) -> dict[str, str]:
    # `make lock` output: "name==version \" followed by its "--hash=sha256:..." lines.
    lines = (REPO / "services" / service / "requirements.txt").read_text().splitlines()
    pins = [line.removesuffix(" \\") for line in lines if line[:1].isalnum()]
    assert all(re.fullmatch(r"[a-z0-9_.\-]+==[0-9][\w.]*", line) for line in pins)
    return dict(line.split("==") for line in pins)


def closure(roots: list[str]) -> dict[str, str]:
    """Installed versions of `roots` and everything they require (in this venv)."""
    found: dict[str, str] = {}
    pending = list(roots)
    while pending:
        dist = metadata.distribution(pending.pop())
        name = dist.metadata["Name"].lower()
        if name in found:
            continue
        found[name] = dist.version
        for spec in dist.requires or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return found


@pytest.mark.parametrize(
    ("service", "roots"), [("frontend", ["flask", "gunicorn", "boto3"]), ("worker", ["boto3"])]
)
def test_requirements_pin_the_whole_tested_closure(service: str, roots: list[str]) -> None:
    # The image installs exactly the versions the tests ran with, nothing floating.
    assert pinned(service) == closure(roots)


@pytest.mark.parametrize("service", SERVICES)
def test_image_build_context_excludes_tests(service: str) -> None:
    ignored = (REPO / "services" / service / ".dockerignore").read_text().split()
    assert {"tests/", "conftest.py"} <= set(ignored)


def test_hadolint_is_clean() -> None:
    result = subprocess.run(
        ["hadolint", *(f"services/{service}/Dockerfile" for service in SERVICES)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
