"""Apply exactly the plans that were reviewed, or refuse.

    python -m devstack.ci.saved_plans manifest --env dev --bin DIR --head SHA --base SHA
    python -m devstack.ci.saved_plans verify   --env dev --bin DIR
    python -m devstack.ci.saved_plans apply    -- terragrunt run --all ... -- apply

The plan job writes `manifest.json` next to the binary plans (Terragrunt's --out-dir layout,
`<unit>/tfplan.tfplan`): the environment, the commits, the git tree that was planned and each
plan file's SHA-256. The apply job first verifies it: the tree it checked out must be the tree
that was planned (a different tree means the base moved or the change differs from what was
reviewed) and every plan file must be the one written. Then `apply` runs the apply command and
turns Terraform's refusal of a saved plan whose state changed since into one clear line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

MANIFEST = "manifest.json"
PLAN_FILE = "tfplan.tfplan"
# What Terraform prints when a saved plan no longer matches the state it was made against.
STALE_MARKERS = ("Saved plan is stale", "plan file was created", "Saved plan does not match")
EXIT_REFUSED = 3


class RefusedError(RuntimeError):
    """The saved plans must not be applied; the message says why and what to do."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def current_tree(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD^{tree}"],  # noqa: S607 - git from PATH
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def plan_files(bin_dir: Path) -> dict[str, Path]:
    """unit -> its binary plan, below `bin_dir`."""
    return {
        path.parent.relative_to(bin_dir).as_posix(): path
        for path in sorted(bin_dir.rglob(PLAN_FILE))
    }


def write_manifest(env: str, bin_dir: Path, head: str, base: str, tree: str) -> dict:
    manifest = {
        "environment": env,
        "head_sha": head,
        "base_sha": base,
        "tree": tree,
        "units": {unit: _sha256(path) for unit, path in plan_files(bin_dir).items()},
    }
    (bin_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def verify(env: str, bin_dir: Path, tree: str) -> dict:
    """The manifest, if the saved plans may be applied to `tree`; raise RefusedError otherwise."""
    manifest_path = bin_dir / MANIFEST
    if not manifest_path.is_file():
        raise RefusedError(f"no reviewed plan for {env}: {manifest_path} is missing")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest["environment"] != env:
        raise RefusedError(f"the saved plans are for {manifest['environment']}, not {env}")
    if manifest["tree"] != tree:
        raise RefusedError(
            f"stale plans for {env}: they were made for tree {manifest['tree'][:12]} (head "
            f"{manifest['head_sha'][:12]} on base {manifest['base_sha'][:12]}), this commit's tree "
            f"is {tree[:12]}: the base moved or the merged change differs from the reviewed one. "
            "Update the branch so the plan runs again, review it, then merge."
        )
    found = {unit: _sha256(path) for unit, path in plan_files(bin_dir).items()}
    if found != manifest["units"]:
        raise RefusedError(f"the plan files of {env} differ from the ones the plan job wrote")
    return manifest


def filters(bin_dir: Path, exclude: Sequence[str], only: Sequence[str]) -> list[str]:
    """Terragrunt --filter arguments selecting the units that have a saved plan."""
    selected = []
    for unit in plan_files(bin_dir):
        name = unit.rsplit("/", 1)[-1]
        if name in exclude or (only and name not in only):
            continue
        selected.append(f"--filter=./{unit}")
    return selected


def apply(command: Sequence[str]) -> int:
    """Run the apply command; a stale saved plan becomes one clear refusal line."""
    process = subprocess.Popen(  # noqa: S603 - the caller's own command
        list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if process.stdout is None:
        raise RuntimeError("no output pipe")
    output = []
    for line in process.stdout:
        sys.stdout.write(line)
        output.append(line)
    status = process.wait()
    if status != 0 and any(marker in "".join(output) for marker in STALE_MARKERS):
        print(
            "refused: the state changed since this plan was reviewed (another apply or a change "
            "outside Terraform); nothing was applied from the stale plan. Re-run the plan "
            "workflow, review the new plan, then deploy again.",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    return status


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    manifest = commands.add_parser("manifest", help="write manifest.json next to the plans")
    check = commands.add_parser("verify", help="refuse plans that do not fit this checkout")
    for sub in (manifest, check):
        sub.add_argument("--env", required=True)
        sub.add_argument("--bin", type=Path, required=True, help="the --out-dir of the plans")
        sub.add_argument("--repo", type=Path, default=Path.cwd())
    manifest.add_argument("--head", required=True, help="the commit planned")
    manifest.add_argument("--base", required=True, help="the base it was planned against")
    units = commands.add_parser("filters", help="--filter arguments for the planned units")
    units.add_argument("--bin", type=Path, required=True)
    units.add_argument("--exclude", action="append", default=[], help="unit name to leave out")
    units.add_argument("--only", action="append", default=[], help="unit name to keep")
    run = commands.add_parser("apply", help="run an apply command, explaining a stale plan")
    run.add_argument("apply_command", nargs=argparse.REMAINDER)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "apply":
        command = args.apply_command[1:] if args.apply_command[:1] == ["--"] else args.apply_command
        if not command:
            print("apply needs a command after --", file=sys.stderr)
            return 2
        return apply(command)
    if args.command == "filters":
        print(" ".join(filters(args.bin, args.exclude, args.only)))
        return 0
    tree = current_tree(args.repo)
    if args.command == "manifest":
        manifest = write_manifest(args.env, args.bin, args.head, args.base, tree)
        print(f"{args.bin / MANIFEST}: {len(manifest['units'])} unit plan(s) of tree {tree[:12]}")
        return 0
    try:
        manifest = verify(args.env, args.bin, tree)
    except RefusedError as error:
        print(f"refused: {error}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"{args.env}: {len(manifest['units'])} reviewed plan(s) fit tree {tree[:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
