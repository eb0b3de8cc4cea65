"""The policy gate: checkov (built-in + organisation checks) over module HCL and real plans.

    python -m policies.gate --hcl modules --stack local=live/local [--stack dev=live/dev ...]
    python -m policies.gate --plan-json live/dev=<dir of plan JSONs>   # plans made elsewhere (CI)

1. Scans the HCL of every directory given with --hcl (framework terraform).
2. Plans every unit of every --stack with `terragrunt run --all -- plan` (plan -out, then the
   JSON of `show -json` via --json-out-dir) against a moto server on loopback, and scans those
   plan JSONs (framework terraform_plan), where provider default tags are visible. Plans are
   scanned per module (the unit's Terraform source, from `terragrunt find --reading`), with
   that module's HCL as checkov's plan-enrichment root, so a module's inline
   `checkov:skip=<id>:<reason>` comments hold in its plans too.
   With --plan-json (CI's plan job), the units without a plan JSON are ones the caller chose
   not to plan (affected units only) and are not an error.
3. Writes, per scan, checkov's JSON, SARIF and JUnit XML under --reports, plus summary.md and
   plans/checkov.json: every plan scan's checkov reports in one list (what the PR comment
   reads; `[]` when there was no plan to scan), and plans/stacks/<stack>/checkov.json with only
   that stack's results.

Exits 1 when any check failed or any stack could not be planned, 2 on a usage error.
Checkov settings (frameworks, custom checks, global skips, offline) are in .checkov.yaml.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from devstack import checkov, terragrunt
from devstack import emulator as emulator_lib
from devstack.stackdef import REPO_ROOT

PLAN_TIMEOUT_S = 1200
CUSTOM_MARK = "_ORG_"  # CKV_ORG_* (Python) and CKV2_ORG_* (graph) checks
NO_MODULE = "no-local-module"
# A module call of a sibling module: source = "../<name>".
SIBLING_SOURCE = re.compile(r'source\s*=\s*"\.\./([A-Za-z0-9_-]+)"')


@dataclass
class ScanResult:
    """One checkov run: its counts and failed checks."""

    name: str
    framework: str
    passed: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    custom_passed: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.error


def _location(check: Mapping[str, object]) -> str:
    """Where a result points: the file and line, and for an enriched plan result the plan."""
    lines = check.get("file_line_range")
    first_line = lines[0] if isinstance(lines, list) and lines else 0
    scanned = Path(str(check.get("file_abs_path") or check["file_path"]))
    shown = (
        str(scanned.relative_to(REPO_ROOT)) if scanned.is_relative_to(REPO_ROOT) else str(scanned)
    )
    reported = str(check["file_path"])
    if shown.endswith(reported.lstrip("/")):
        return f"{shown}:{first_line}"
    # Plan enrichment: checkov reports the module's file and lines of the planned resource.
    return f"{reported.lstrip('/')}:{first_line} in {shown}"


def _brief(check: Mapping[str, object]) -> dict[str, str]:
    check_result = check.get("check_result")
    reason = check_result.get("suppress_comment") if isinstance(check_result, dict) else None
    return {
        "check_id": str(check["check_id"]),
        "check_name": str(check["check_name"]),
        "resource": str(check.get("resource_address") or check["resource"]),
        "file": _location(check),
        "reason": str(reason or ""),
    }


def run_checkov(
    name: str,
    framework: str,
    target_args: Sequence[str],
    reports_dir: Path,
    extra_args: Sequence[str] = (),
) -> ScanResult:
    """Run checkov on targets (`--directory X` / `--file Y ...`); reports in reports_dir/name."""
    out_dir = reports_dir / name
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, sarif_path, junit_path = (
        out_dir / "checkov.json",
        out_dir / "checkov.sarif",
        out_dir / "checkov.junit.xml",
    )
    outputs = ["-o", "json", "-o", "sarif", "-o", "junitxml"]
    outputs += ["--output-file-path", f"{json_path},{sarif_path},{junit_path}"]
    result = ScanResult(name=name, framework=framework)
    try:
        checkov.run(framework, [*target_args, *extra_args, *outputs])
    except (checkov.CheckovError, subprocess.TimeoutExpired) as error:
        result.error = str(error)[-2000:]
        return result
    if not json_path.exists():
        result.error = f"checkov wrote no report to {json_path}"
        return result
    for report in checkov.reports(json.loads(json_path.read_text(encoding="utf-8"))):
        results = report.get("results")
        if not isinstance(results, dict):
            continue
        passed = results.get("passed_checks", [])
        result.passed += len(passed)
        result.custom_passed += sum(1 for c in passed if CUSTOM_MARK in c["check_id"])
        result.skipped += map(_brief, results.get("skipped_checks", []))
        result.failed += map(_brief, results.get("failed_checks", []))
    return result


def plan_stack(
    name: str,
    stack_dir: Path,
    json_dir: Path,
    work_dir: Path,
    env: Mapping[str, str],
) -> str:
    """Plan every unit of a Terragrunt stack; the plan JSONs land in json_dir. Error or ''.

    Runs with a download dir of this run only (a cached unit would keep the backend settings
    of an earlier emulator) and without Terraform's plugin cache (parallel inits race on it).
    Nothing is applied first: every unit must plan from an empty state, on mock outputs.
    """
    shutil.rmtree(json_dir.parent, ignore_errors=True)
    run_env = {**os.environ, **env, "TG_DOWNLOAD_DIR": str(work_dir / "cache")}
    common = ["--non-interactive", "--no-color", "--log-level", "error"]
    result = terragrunt.run(
        "run",
        "--all",
        *common,
        "--out-dir",
        str(json_dir.parent / "bin"),
        "--json-out-dir",
        str(json_dir),
        "--",
        "plan",
        "-input=false",
        "-lock=false",
        "-no-color",
        cwd=stack_dir,
        env=run_env,
        timeout=PLAN_TIMEOUT_S,
    )
    if result.returncode == 0:
        return ""
    return (
        f"stack {name}: terragrunt plan failed (exit {result.returncode}:\n{result.error_tail()})"
    )


def stack_units(stack_dir: Path, modules_dir: Path) -> dict[str, str]:
    """Every unit of a stack (path relative to it) -> the modules/<name> it deploys."""
    found = terragrunt.run(
        "find", "--format", "json", "--reading", "--log-level", "error", cwd=stack_dir, timeout=120
    )
    if found.returncode != 0:
        raise terragrunt.TerragruntError(f"terragrunt find in {stack_dir}: {found.error_tail()}")
    units: dict[str, str] = {}
    for component in json.loads(found.stdout or "[]"):
        if component.get("type") != "unit":
            continue
        unit = Path(component["path"]).as_posix()
        units[unit] = NO_MODULE
        for read in component.get("reading") or []:
            path = (stack_dir / read).resolve()
            if path.is_relative_to(modules_dir):
                units[unit] = path.relative_to(modules_dir).parts[0]
                break
    return units


@dataclass(frozen=True)
class PlannedStack:
    """Plan JSONs of a stack's units, in Terragrunt's --json-out-dir layout."""

    name: str
    stack_dir: Path
    json_dir: Path
    # False when the caller planned a subset (affected units only): missing plans are fine.
    every_unit: bool = True


def collect_plans(
    stacks: Sequence[PlannedStack], modules_dir: Path, plans_dir: Path
) -> tuple[dict[str, Path], list[str]]:
    """Copy each unit's plan JSON to plans_dir/<module>/input/<stack>/<unit>/tfplan.json.

    One directory per module, so the scanned plans are kept next to that module's reports.
    Returns module -> input dir, and an error per unit without a plan where every unit counts.
    """
    inputs: dict[str, Path] = {}
    errors = []
    for stack in stacks:
        name = stack.name
        for unit, module in sorted(stack_units(stack.stack_dir, modules_dir).items()):
            plan = stack.json_dir / unit / "tfplan.json"
            if not plan.is_file():
                if stack.every_unit:
                    errors.append(f"stack {name}: unit {unit} produced no plan JSON")
                continue
            inputs[module] = plans_dir / module / "input"
            target = inputs[module] / name / unit / "tfplan.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(plan, target)
    return inputs, errors


def sibling_modules(modules_dir: Path, module: str) -> set[str]:
    """The modules/<name> that a module sources as "../<name>", transitively."""
    found: set[str] = set()
    pending = [module]
    while pending:
        for source in (modules_dir / pending.pop()).glob("*.tf"):
            for name in SIBLING_SOURCE.findall(source.read_text(encoding="utf-8")):
                if name != module and name not in found:
                    found.add(name)
                    pending.append(name)
    return found


def scan_plans(
    inputs: Mapping[str, Path], modules_dir: Path, reports_dir: Path
) -> list[ScanResult]:
    """One checkov run per module, enriched from that module's own HCL (its skip comments)."""
    results = []
    for module, input_dir in sorted(inputs.items()):
        # --file, not --directory: checkov applies plan enrichment only to files given so.
        targets = ["--file", *map(str, sorted(input_dir.rglob("tfplan.json")))]
        with tempfile.TemporaryDirectory(prefix=f"policy-{module}-") as enrichment_root:
            extra: list[str] = []
            if module != NO_MODULE:
                # Only the module's own files (its tests/ fixtures reuse resource names), and
                # those of the modules it sources, whose resources its plans hold too (checkov
                # matches skip comments by resource type and name).
                for source in (modules_dir / module).glob("*.tf"):
                    shutil.copy(source, enrichment_root)
                for sibling in sorted(sibling_modules(modules_dir, module)):
                    (Path(enrichment_root) / sibling).mkdir()
                    for source in (modules_dir / sibling).glob("*.tf"):
                        shutil.copy(source, Path(enrichment_root) / sibling)
                extra = ["--repo-root-for-plan-enrichment", enrichment_root]
            results.append(
                run_checkov(f"plans/{module}", "terraform_plan", targets, reports_dir, extra)
            )
    return results


def merge_plan_reports(plans_dir: Path, stacks: Sequence[str]) -> Path:
    """plans_dir/checkov.json: the checkov reports of every module's plan scan, in one list;
    and plans_dir/stacks/<stack>/checkov.json: the same, only the results of that stack's
    plans (what one environment's PR comment reads when several were scanned at once)."""
    merged: list[dict[str, object]] = []
    for report in sorted(plans_dir.glob("*/checkov.json")):
        merged += checkov.reports(json.loads(report.read_text(encoding="utf-8")))
    plans_dir.mkdir(parents=True, exist_ok=True)
    target = plans_dir / "checkov.json"
    target.write_text(json.dumps(merged), encoding="utf-8")
    for stack in stacks:
        stack_file = plans_dir / "stacks" / stack / "checkov.json"
        stack_file.parent.mkdir(parents=True, exist_ok=True)
        stack_file.write_text(json.dumps(_only_stack(merged, stack)), encoding="utf-8")
    return target


def _only_stack(reports: list[dict[str, object]], stack: str) -> list[dict[str, object]]:
    """The reports with only the results of plans under input/<stack>/ (see collect_plans)."""
    marker = f"/input/{stack}/"
    selected = []
    for report in reports:
        results = report.get("results")
        if not isinstance(results, dict):
            continue
        kept = {
            kind: [c for c in checks if marker in str(c.get("file_abs_path", ""))]
            for kind, checks in results.items()
            if isinstance(checks, list)
        }
        selected.append({**report, "results": kept})
    return selected


@contextmanager
def plan_environment(needed: bool) -> Iterator[dict[str, str]]:
    """Variables for planning: a fresh moto server and dummy credentials (never real AWS).

    devstack's terragrunt_env puts every environment of live/ in emulator mode (provider and
    state backend endpoints, the emulator's account; see live/_common/context.hcl) and has
    Terragrunt bootstrap the state bucket in the empty emulator.
    """
    if not needed:
        yield {}
        return
    with emulator_lib.running() as server:
        yield emulator_lib.terragrunt_env(server.endpoint)


def summary(results: Sequence[ScanResult], plan_errors: Sequence[str]) -> str:
    lines = ["# Policy gate", ""]
    lines.append("| scan | framework | passed | failed | skipped | custom passed |")
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for res in results:
        lines.append(
            f"| {res.name} | {res.framework} | {res.passed} | {len(res.failed)} "
            f"| {len(res.skipped)} | {res.custom_passed} |"
        )
    for res in results:
        if res.error:
            lines += ["", f"## {res.name}: checkov error", "", "```", res.error, "```"]
        if res.failed:
            lines += ["", f"## {res.name}: failed checks", ""]
            lines += [
                f"- {c['check_id']} {c['resource']} ({c['file']}): {c['check_name']}"
                for c in res.failed
            ]
        if res.skipped:
            lines += ["", f"## {res.name}: skipped checks (with their reasons)", ""]
            lines += [
                f"- {c['check_id']} {c['resource']} ({c['file']}): {c['reason']}"
                for c in res.skipped
            ]
    for error in plan_errors:
        lines += ["", "## plan error", "", "```", error, "```"]
    verdict = results and all(r.ok for r in results) and not plan_errors
    lines += ["", f"Result: {'PASSED' if verdict else 'FAILED'}", ""]
    return "\n".join(lines)


def _pairs(parser: argparse.ArgumentParser, specs: Sequence[str]) -> list[tuple[str, str]]:
    pairs = []
    for spec in specs:
        left, _, right = spec.partition("=")
        if not left or not right:
            parser.error(f"expected NAME=DIR, got {spec!r}")
        pairs.append((left, right))
    return pairs


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--hcl", action="append", type=Path, default=[], help="directory of modules (HCL scan)"
    )
    parser.add_argument(
        "--stack",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="Terragrunt stack to plan (against a moto server) and scan",
    )
    parser.add_argument(
        "--plan-json",
        action="append",
        default=[],
        metavar="STACK_DIR=JSON_DIR",
        help="scan plan JSONs already made for a stack (--json-out-dir layout)",
    )
    parser.add_argument(
        "--modules-dir",
        type=Path,
        default=REPO_ROOT / "modules",
        help="where units' Terraform sources live (their skip comments apply to plans)",
    )
    parser.add_argument("--reports", type=Path, default=REPO_ROOT / "reports" / "policy")
    args = parser.parse_args(argv)
    if not (args.hcl or args.stack or args.plan_json):
        parser.error("nothing to scan: give --hcl, --stack and/or --plan-json")
    args.stack = _pairs(parser, args.stack)
    args.plan_json = _pairs(parser, args.plan_json)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stacks, given_plans = args.stack, args.plan_json
    reports_dir: Path = args.reports.resolve()
    for stale in ("hcl", "plans", "stacks"):
        shutil.rmtree(reports_dir / stale, ignore_errors=True)
    reports_dir.mkdir(parents=True, exist_ok=True)
    results: list[ScanResult] = []
    plan_errors: list[str] = []

    hcl_targets = [arg for d in args.hcl for arg in ("--directory", str(d.resolve()))]
    if hcl_targets:
        results.append(run_checkov("hcl", "terraform", hcl_targets, reports_dir))

    modules_dir = args.modules_dir.resolve()
    planned = [
        PlannedStack(Path(stack).name, Path(stack).resolve(), Path(json_dir).resolve(), False)
        for stack, json_dir in given_plans
    ]
    with plan_environment(bool(stacks)) as env, tempfile.TemporaryDirectory() as work:
        for name, directory in stacks:
            json_dir = reports_dir / "stacks" / name / "json"
            stack_dir, work_dir = Path(directory).resolve(), Path(work) / name
            error = plan_stack(name, stack_dir, json_dir, work_dir, env)
            if error:
                plan_errors.append(error)
            else:
                planned.append(PlannedStack(name, stack_dir, json_dir))
    if planned:
        inputs, missing = collect_plans(planned, modules_dir, reports_dir / "plans")
        plan_errors += missing
        results += scan_plans(inputs, modules_dir, reports_dir)
        merge_plan_reports(reports_dir / "plans", [stack.name for stack in planned])

    text = summary(results, plan_errors)
    (reports_dir / "summary.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"Reports: {reports_dir}")
    # Given plans may be none at all (no unit affected); anything else must scan something.
    scanned_enough = bool(results) or not (args.hcl or stacks)
    return 0 if scanned_enough and all(r.ok for r in results) and not plan_errors else 1


if __name__ == "__main__":
    sys.exit(main())
