"""The one Terraform runner: the toolchain's pinned binary."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path


class TerraformError(RuntimeError):
    """A terraform command failed; the message carries its output."""


def binary() -> str:
    """TG_TF_PATH (set by the Makefile to the pinned terraform), else terraform on PATH."""
    found = os.environ.get("TG_TF_PATH") or shutil.which("terraform")
    if not found:
        raise TerraformError("terraform not found: run `make tools` (the Makefile sets TG_TF_PATH)")
    return found


def call(
    workdir: Path, *argv: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`terraform ARGV...` in workdir, non-interactive, output captured; never raises on exit."""
    base = os.environ if env is None else env
    return subprocess.run(  # noqa: S603 - argv from fixed parts
        [binary(), *argv],
        cwd=workdir,
        env={**base, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run(workdir: Path, *argv: str, timeout: float = 300) -> str:
    """`terraform ARGV...` in workdir; its stdout, or TerraformError with its output."""
    completed = call(workdir, *argv, timeout=timeout)
    if completed.returncode != 0:
        output = completed.stdout[-3000:] + completed.stderr[-3000:]
        raise TerraformError(f"terraform {' '.join(argv)} failed:\n{output}")
    return completed.stdout
