"""The container images' contract: same command as `make serve-*`, pinned, non-root, healthy."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from testkit.processes import container_command

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
    assert re.fullmatch(r"python:3\.1[2-4]\.\d+-slim-\w+", base.group(1))
    assert text.count("FROM ${PYTHON_IMAGE}") == 2
    assert "COPY --from=build /opt/venv /opt/venv" in text
    user = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert user
    assert user[-1] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD \[\"python\"", text, re.MULTILINE)


@pytest.mark.parametrize("service", SERVICES)
def test_image_copies_only_pinned_requirements_and_code(service: str) -> None:
    requirements = (REPO / "services" / service / "requirements.txt").read_text().split()
    assert requirements
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][\w.]*", line) for line in requirements)
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
