"""Helpers of the live/ tests: the layout they expect and a terragrunt runner."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LIVE = REPO_ROOT / "live"
ENVIRONMENTS = ("dev", "staging", "prod", "local")
REMOTE_ENVIRONMENTS = ("dev", "staging", "prod")
COMPONENTS = ("vpc", "alb", "sqs", "s3", "ecr", "ecs", "monitoring")
# CI's roles (applied by an administrator); the emulator twin has no GitHub.
REMOTE_ONLY_COMPONENTS = ("github-oidc",)
REQUIRED_EDGES = {
    ("alb", "vpc"),
    ("ecs", "vpc"),
    ("ecs", "alb"),
    ("ecs", "sqs"),
    ("ecs", "s3"),
    ("ecs", "ecr"),
    # Alarms take their dimensions from the units they watch.
    ("monitoring", "sqs"),
    ("monitoring", "alb"),
    ("monitoring", "ecs"),
}
# Terragrunt's notice that a dependency without state answered with its mock_outputs: expected
# when validating or planning a fresh environment, and the only warning tolerated there.
MOCK_NOTICE = re.compile(r"has no outputs, but mock outputs provided")
# A terragrunt log line at warning level, whatever the format ("WARN " in the default one).
WARNING = re.compile(r"^\S*\s*WARN\b|\bWARN\s", re.MULTILINE)


def units(environment: str) -> set[str]:
    extra = () if environment == "local" else REMOTE_ONLY_COMPONENTS
    return {*COMPONENTS, *extra}


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def terragrunt(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> Result:
    """Run terragrunt (from the pinned toolchain on PATH) and capture its output."""
    completed = subprocess.run(
        ["terragrunt", *args],
        cwd=cwd,
        # `env`, when given, is the whole environment (it may leave variables out on purpose).
        env={**(os.environ if env is None else env), "TG_NO_COLOR": "true"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def warnings_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if WARNING.search(line)]
