"""The twin's emulator snapshots: which one to restore on `make up`, when to apply.

`make down` has the emulator save its whole state (devstack/moto_server.py) under the key of
the inputs that were applied into it; the next `make up` restores it into a fresh emulator:

- same key as now: nothing that feeds the apply changed, so the apply is skipped;
- another key (the newest snapshot): restored, then `terragrunt run --all apply` applies only
  the difference;
- none: a full apply.

The key is a SHA-256 of every file that feeds the apply (live/local, live/_common, the modules,
the root terragrunt.hcl and provider lock, stack.json, tools/versions.env), of the emulator's
own code and of the moto and Python versions (a snapshot is a pickle of moto's objects).
Snapshots live in .local/snapshots: per checkout (two checkouts never share or race), kept by
`make down`, dropped by `make down CLEAN=1`. Only the newest is kept.
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from devstack.stackdef import REPO_ROOT

SUFFIX = ".pickle"
# Files of these trees and these files feed `terragrunt run --all apply` in live/local.
INPUT_TREES = ("live/local", "live/_common", "modules")
INPUT_FILES = (
    "terragrunt.hcl",
    ".terraform.lock.hcl",
    "stack.json",
    "tools/versions.env",
    "devstack/moto_server.py",
    "devstack/moto_state.py",
)
# Generated or documentation-only: they change nothing in what an apply creates.
_SKIPPED_DIRS = {".terragrunt-cache", ".terraform", "tests", "__pycache__"}
_SKIPPED_SUFFIXES = (".md", ".tftest.hcl", ".pyc", ".tfstate", ".terraform.lock.hcl")


def _input_files(root: Path) -> Iterable[Path]:
    for tree in INPUT_TREES:
        for path in sorted((root / tree).rglob("*")):
            relative = path.relative_to(root)
            if (
                path.is_file()
                and not _SKIPPED_DIRS.intersection(relative.parts)
                and not path.name.endswith(_SKIPPED_SUFFIXES)
            ):
                yield path
    for name in INPUT_FILES:
        if (root / name).is_file():
            yield root / name


def inputs_key(root: Path = REPO_ROOT) -> str:
    """The hash of everything that decides what the apply creates in the emulator."""
    digest = hashlib.sha256()
    runtime = {"moto": version("moto"), "python": sys.version.split()[0]}
    digest.update(json.dumps(runtime, sort_keys=True).encode())
    for path in _input_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class Decision:
    """What `make up` does with the snapshots it finds."""

    restore: str | None  # the key of the snapshot to restore, if any
    apply: bool

    def describe(self) -> str:
        if self.restore is None:
            return "no snapshot: full apply"
        if not self.apply:
            return f"snapshot {self.restore[:12]} matches the inputs: restore, no apply"
        return f"snapshot {self.restore[:12]} is of other inputs: restore, apply the difference"


def decide(key: str, directory: Path) -> Decision:
    newest = latest(directory)
    if newest is None:
        return Decision(restore=None, apply=True)
    if (directory / f"{key}{SUFFIX}").is_file():
        return Decision(restore=key, apply=False)
    return Decision(restore=newest, apply=True)


def latest(directory: Path) -> str | None:
    found = sorted(directory.glob(f"*{SUFFIX}"), key=lambda path: path.stat().st_mtime)
    return found[-1].name.removesuffix(SUFFIX) if found else None


def prune(directory: Path, keep: str) -> None:
    for path in directory.glob(f"*{SUFFIX}"):
        if path.name != f"{keep}{SUFFIX}":
            path.unlink(missing_ok=True)


class SnapshotError(RuntimeError):
    """The emulator could not save or restore; the message is its answer."""


def call(endpoint: str, action: str, key: str, timeout: float = 120.0) -> int:
    """Ask the emulator at `endpoint` to save or load snapshot `key`; the services count."""
    request = urllib.request.Request(  # noqa: S310 - the emulator on loopback
        f"{endpoint}/_devstack/state/{action}?name={key}", method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(json.load(response)["services"])
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")
        try:
            detail = str(json.loads(detail)["error"])
        except (ValueError, KeyError, TypeError):
            detail = detail[:200]
        raise SnapshotError(f"emulator {action} of {key[:12]}: {error.code} {detail}") from error
    except (urllib.error.URLError, OSError) as error:
        raise SnapshotError(f"emulator {action} of {key[:12]}: {error}") from error
