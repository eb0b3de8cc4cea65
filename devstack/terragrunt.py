"""The one Terragrunt runner: single commands, `run --all` with progress lines, unit outputs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

# "06:01:02.345 STDOUT [alb] tf: Apply complete! ..." (with --no-color).
_UNIT_LINE = re.compile(r"^\S+\s+\w+\s+\[(?P<unit>[^\]]+)\]\s+(?P<message>.*)$")
_APPLIED = re.compile(r"tf: Apply complete! Resources: (?P<summary>.*?)\.?$")
_WAITING = re.compile(r"tf: (?P<resource>\S+): Still (?P<verb>\w+)\.\.\. \[(?P<elapsed>[^\]]+)\]")


class TerragruntError(RuntimeError):
    """A terragrunt command failed; the message ends with the tail of its output."""


def binary() -> str:
    found = shutil.which("terragrunt")
    if not found:
        raise TerragruntError("terragrunt not found on PATH: run `make tools`")
    return found


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def error_tail(self, limit: int = 3000) -> str:
        """The end of what failed: Terragrunt logs units' errors on stderr, plans on stdout."""
        return (self.stderr.strip() or self.stdout.strip())[-limit:]


def run(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> Result:
    """Run terragrunt and capture its output; a timeout is a failed Result, not an exception.

    `env`, when given, is the whole environment (a caller may leave variables out on purpose).
    """
    try:
        completed = subprocess.run(  # noqa: S603 - argv from fixed parts
            [binary(), *args],
            cwd=cwd,
            env={**(os.environ if env is None else env), "TG_NO_COLOR": "true"},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        return Result(124, _text(expired.stdout), f"timed out after {timeout:.0f}s")
    return Result(completed.returncode, completed.stdout, completed.stderr)


def _text(data: bytes | str | None) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else (data or "")


def progress_of(line: str) -> str | None:
    """The progress line worth showing for one line of terragrunt output, if any."""
    match = _UNIT_LINE.match(line.rstrip("\n"))
    if not match:
        return None
    unit, message = match["unit"], match["message"]
    if applied := _APPLIED.search(message):
        return f"{unit}: applied ({applied['summary']})"
    if waiting := _WAITING.search(message):
        return f"{unit}: {waiting['resource']} still {waiting['verb']} ({waiting['elapsed']})"
    return None


def run_all(
    stack_dir: Path,
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    log: TextIO,
    report: Callable[[str], None],
    timeout: float,
) -> None:
    """`terragrunt run --all -- <command>` in stack_dir: output to `log`, progress to `report`."""
    argv = [binary(), "run", "--all", "--non-interactive", "--no-color", "--", *command]
    log.write(f"$ {' '.join(argv)}  (in {stack_dir})\n")
    log.flush()
    started_units: set[str] = set()
    tail: list[str] = []
    with subprocess.Popen(  # noqa: S603 - fixed argv
        argv,
        cwd=stack_dir,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as process:
        if process.stdout is None:
            raise TerragruntError("terragrunt started without an output pipe")
        # A silent hang must end too: the watchdog kills the process, which ends the loop.
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        for line in process.stdout:
            log.write(line)
            tail = [*tail[-39:], line.rstrip("\n")]
            match = _UNIT_LINE.match(line)
            if match and match["unit"] not in started_units:
                started_units.add(match["unit"])
                report(f"{match['unit']}: started")
            if message := progress_of(line):
                report(message)
        returncode = process.wait()
        timed_out = not watchdog.is_alive()
        watchdog.cancel()
    log.flush()
    if timed_out:
        raise TerragruntError(f"terragrunt {' '.join(command)} timed out after {timeout:.0f}s")
    if returncode != 0:
        raise TerragruntError(
            f"terragrunt {' '.join(command)} failed ({returncode}); last lines:\n" + "\n".join(tail)
        )


def init_unit(unit_dir: Path, env: Mapping[str, str], timeout: float = 300.0) -> None:
    """`terragrunt init` of one unit, which bootstraps the state bucket.

    Done once before `run --all`, whose parallel inits would otherwise all race to create
    the same bucket.
    """
    result = run(
        "init",
        "-input=false",
        "--non-interactive",
        "--log-level",
        "error",
        cwd=unit_dir,
        env=env,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise TerragruntError(f"terragrunt init in {unit_dir} failed:\n{result.error_tail()}")


def outputs(unit_dir: Path, env: Mapping[str, str], timeout: float = 120.0) -> dict[str, Any]:
    """The unit's outputs as {name: value} (`terragrunt output -json`)."""
    result = run(
        "output",
        "-json",
        "--non-interactive",
        "--log-level",
        "error",
        cwd=unit_dir,
        env=env,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise TerragruntError(f"terragrunt output in {unit_dir} failed: {result.error_tail(2000)}")
    return {name: item["value"] for name, item in json.loads(result.stdout).items()}
