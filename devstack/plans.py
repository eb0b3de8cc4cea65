"""Plan each environment once, from an empty state, against a moto server: what every consumer
of plans in `make test` reads (the live plan assertions, the policy gate, the CI replay).

    python -m devstack.plans [ENV ...] [--out reports/plans]     # default: every environment

Each environment is planned by scripts/plan-environment.sh, the plan workflow's own script,
against a moto server of its own (live/_common/context.hcl switches any environment to the
emulator when AWS_EMULATOR_ENDPOINT is set; the state bucket is bootstrapped there). Output per
environment, in the workflow's layout:

    <out>/<env>/plan.log                              the human-readable plans (stdout+stderr)
    <out>/<env>/bin/live/<env>/<unit>/tfplan.tfplan   binary plans
    <out>/<env>/json/live/<env>/<unit>/tfplan.json    JSON plans
    <out>/<env>/inputs.sha256                         hash of everything the plan reads

A plan set whose inputs hash matches is reused, so the consumers plan nothing themselves.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from devstack import emulator
from devstack.live import ENVIRONMENTS, LIVE
from devstack.stackdef import REPO_ROOT

DEFAULT_OUT = REPO_ROOT / "reports" / "plans"
PLAN_SCRIPT = REPO_ROOT / "scripts" / "plan-environment.sh"
PLAN_TIMEOUT_S = 1800
# What a plan reads: the live tree, the modules, the root configuration, the toolchain pins.
INPUTS = ("live", "modules", "terragrunt.hcl", "stack.json", "tools/versions.env", PLAN_SCRIPT)
# Terragrunt's and Terraform's own caches and outputs inside the inputs, the module tests and
# the READMEs (a plan never reads them).
_NOT_INPUTS = {".terragrunt-cache", ".terraform", ".terraform.lock.hcl", "tests"}
_NOT_INPUT_SUFFIXES = (".md",)
# dev, staging and prod refuse to plan without explicit image tags (live/_common/ecs.hcl); CI
# passes the base commit's SHA, these plans a fixed SHA-like stand-in.
IMAGE_TAGS = {
    "FRONTEND_IMAGE_TAG": "0123456789abcdef0123456789abcdef01234567",
    "WORKER_IMAGE_TAG": "0123456789abcdef0123456789abcdef01234567",
}
# Two environments at a time: each is a CPU-bound `run --all` of its own.
PARALLEL_ENVIRONMENTS = 2


class PlanError(RuntimeError):
    """An environment did not plan; the message ends with the tail of its log."""


@dataclass(frozen=True)
class PlanSet:
    """The plans of one environment, in the plan workflow's layout."""

    environment: str
    root: Path

    @property
    def log(self) -> Path:
        return self.root / "plan.log"

    @property
    def json_dir(self) -> Path:
        return self.root / "json" / "live" / self.environment

    @property
    def bin_dir(self) -> Path:
        return self.root / "bin" / "live" / self.environment

    @property
    def stamp(self) -> Path:
        return self.root / "inputs.sha256"

    def unit_plans(self) -> dict[str, Path]:
        """unit -> its JSON plan."""
        return {p.parent.name: p for p in sorted(self.json_dir.glob("*/tfplan.json"))}


def _input_files() -> Iterable[Path]:
    for name in INPUTS:
        path = REPO_ROOT / name
        if path.is_file():
            yield path
            continue
        for item in sorted(path.rglob("*")):
            parts = item.relative_to(REPO_ROOT).parts
            if (
                item.is_file()
                and not _NOT_INPUTS.intersection(parts)
                and not item.name.endswith(_NOT_INPUT_SUFFIXES)
            ):
                yield item


def inputs_hash(environment: str) -> str:
    digest = hashlib.sha256(environment.encode())
    for path in _input_files():
        digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_fresh(plan_set: PlanSet) -> bool:
    return (
        plan_set.stamp.is_file()
        and plan_set.stamp.read_text(encoding="ascii").strip() == inputs_hash(plan_set.environment)
        and bool(plan_set.unit_plans())
    )


def plan(environment: str, out: Path = DEFAULT_OUT) -> PlanSet:
    """Plan one environment from an empty state into out/<environment>; raise PlanError."""
    plan_set = PlanSet(environment, out / environment)
    shutil.rmtree(plan_set.root, ignore_errors=True)
    plan_set.root.mkdir(parents=True)
    expected_hash = inputs_hash(environment)
    with emulator.running() as server, tempfile.TemporaryDirectory() as cache:
        env = {
            **os.environ,
            **emulator.terragrunt_env(server.endpoint),
            **IMAGE_TAGS,
            # Module copies carry this emulator's backend settings: keep them out of the tree.
            "TG_DOWNLOAD_DIR": cache,
            "PLAN_ARGS": "-lock=false",
        }
        with plan_set.log.open("w", encoding="utf-8") as log:
            try:
                completed = subprocess.run(  # noqa: S603 - fixed argv
                    [str(PLAN_SCRIPT), environment, str(plan_set.root)],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=PLAN_TIMEOUT_S,
                    check=False,
                )
            except subprocess.TimeoutExpired as expired:
                raise PlanError(
                    f"plan of {environment} timed out after {PLAN_TIMEOUT_S}s"
                ) from expired
    if completed.returncode != 0:
        tail = "\n".join(plan_set.log.read_text(encoding="utf-8").splitlines()[-40:])
        raise PlanError(f"plan of {environment} failed ({completed.returncode}):\n{tail}")
    plan_set.stamp.write_text(expected_hash + "\n", encoding="ascii")
    return plan_set


def ensure(
    environments: Sequence[str] = ENVIRONMENTS, out: Path = DEFAULT_OUT
) -> dict[str, PlanSet]:
    """The plan sets of `environments`, planning only those whose inputs changed.

    Callers in other processes (pytest workers) take turns: the second finds the plan sets the
    first made fresh instead of planning them again into the same directory.
    """
    wanted = {name: PlanSet(name, out / name) for name in environments}
    out.mkdir(parents=True, exist_ok=True)
    with (out / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stale = [name for name, plan_set in wanted.items() if not is_fresh(plan_set)]
        with ThreadPoolExecutor(max_workers=PARALLEL_ENVIRONMENTS) as pool:
            for plan_set in pool.map(lambda name: plan(name, out), stale):
                wanted[plan_set.environment] = plan_set
    return wanted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("environments", nargs="*", default=list(ENVIRONMENTS))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    unknown = [e for e in args.environments if not (LIVE / e).is_dir()]
    if unknown:
        parser.error(f"no such environment: {', '.join(unknown)}")
    started = time.monotonic()
    try:
        plan_sets = ensure(args.environments, args.out.resolve())
    except PlanError as error:
        print(error, file=sys.stderr)
        return 1
    for name, plan_set in plan_sets.items():
        print(f"{name}: {len(plan_set.unit_plans())} unit plans in {plan_set.root}")
    print(f"plans ready in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
