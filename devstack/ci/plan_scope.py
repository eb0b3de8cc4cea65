"""Decide whether a pull request's plan can be limited to the units it affects.

    git diff --name-only "$BASE_SHA...HEAD" | python -m devstack.ci.plan_scope

prints `affected` when every changed file is inside a module (`modules/`) or inside a
Terragrunt unit directory: Terragrunt's Git filter (`--filter '[BASE...HEAD]'`) then finds
the affected units itself, including units whose module source or read files changed.
It prints `all` when anything else changed (the root configuration, shared `live/` files,
the policies, the toolchain pins, the CI code): those can change every plan, or every
policy verdict, without touching a unit.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

AFFECTED = "affected"
ALL = "all"
UNIT_FILE = "terragrunt.hcl"


def _in_unit(path: PurePosixPath, repo_root: Path) -> bool:
    """Whether `path` (under live/) lies in a directory that holds a unit."""
    for parent in path.parents:
        if parent == PurePosixPath("live"):
            return False
        if (repo_root / parent / UNIT_FILE).is_file():
            return True
    return False


def scope(changed_files: Iterable[str], repo_root: Path) -> str:
    """`affected` if only modules and unit directories changed, else `all`."""
    for name in changed_files:
        path = PurePosixPath(name.strip())
        if not path.parts:
            continue
        if path.parts[0] == "modules" and len(path.parts) > 2:
            continue
        if path.parts[0] == "live" and path.name != UNIT_FILE and _in_unit(path, repo_root):
            continue
        if path.parts[0] == "live" and path.name == UNIT_FILE and len(path.parts) > 3:
            # A unit's own terragrunt.hcl: the Git filter sees its edits, additions, removals.
            continue
        return ALL
    return AFFECTED


def main() -> int:
    print(scope(sys.stdin.read().splitlines(), Path.cwd()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
