"""The policy gate: checkov (built-in + organisation checks) over module HCL and real plans.

    python scripts/policy.py --hcl modules --stack local=live/local [--stack dev=live/dev ...]

1. Scans the HCL of every directory given with --hcl (framework terraform).
2. Plans every unit of every --stack with `terragrunt run --all -- plan` (plan -out, then the
   JSON of `show -json` via --json-out-dir) against a moto server on loopback, and scans
   those plan JSONs (framework terraform_plan), where provider default tags are visible.
3. Writes, per scan, checkov's JSON, SARIF and JUnit XML under --reports, plus summary.md.

Exits 1 when any check failed or any stack could not be planned, 2 on a usage error.
Checkov settings (frameworks, custom checks, global skips, offline) are in .checkov.yaml.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from devstack import emulator as emulator_lib  # noqa: E402 - needs the repo root on sys.path

CONFIG_FILE = REPO_ROOT / ".checkov.yaml"
PLAN_TIMEOUT_S = 900
SCAN_TIMEOUT_S = 600
CUSTOM_MARK = "_ORG_"  # CKV_ORG_* (Python) and CKV2_ORG_* (graph) checks


@dataclass
class ScanResult:
    """One checkov run: its counts and failed checks."""

    name: str
    framework: str
    passed: int = 0
    skipped: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    custom_passed: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.error


def checkov_binary() -> str:
    found = shutil.which("checkov")
    if not found:
        raise SystemExit("checkov not found on PATH: run `make tools` (the Makefile adds it)")
    return found


def _reports(payload: object) -> list[dict[str, object]]:
    """checkov -o json prints one object per framework, or a list of them."""
    items = payload if isinstance(payload, list) else [payload]
    return [item for item in items if isinstance(item, dict)]


def _display_path(check: Mapping[str, object]) -> str:
    path = Path(str(check.get("file_abs_path") or check["file_path"]))
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def run_checkov(
    name: str, framework: str, targets: Sequence[Path], reports_dir: Path
) -> ScanResult:
    """Scan `targets` with checkov; write json/sarif/junit to reports_dir/name."""
    out_dir = reports_dir / name
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, sarif_path, junit_path = (
        out_dir / "checkov.json",
        out_dir / "checkov.sarif",
        out_dir / "checkov.junit.xml",
    )
    argv = [checkov_binary(), "--config-file", str(CONFIG_FILE), "--framework", framework]
    for target in targets:
        argv += ["--directory", str(target)]
    argv += ["-o", "json", "-o", "sarif", "-o", "junitxml"]
    argv += ["--output-file-path", f"{json_path},{sarif_path},{junit_path}"]
    completed = subprocess.run(  # noqa: S603 - argv built from fixed parts and paths
        argv,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=SCAN_TIMEOUT_S,
        check=False,
    )
    result = ScanResult(name=name, framework=framework)
    if completed.returncode not in (0, 1) or not json_path.exists():
        result.error = f"checkov exited {completed.returncode}: {completed.stderr.strip()[-2000:]}"
        return result
    for report in _reports(json.loads(json_path.read_text(encoding="utf-8"))):
        results = report.get("results")
        if not isinstance(results, dict):
            continue
        passed = results.get("passed_checks", [])
        result.passed += len(passed)
        result.custom_passed += sum(1 for c in passed if CUSTOM_MARK in c["check_id"])
        result.skipped += len(results.get("skipped_checks", []))
        result.failed += [
            {
                "check_id": check["check_id"],
                "check_name": check["check_name"],
                "resource": check.get("resource_address") or check["resource"],
                "file": f"{_display_path(check)}:{check['file_line_range'][0]}",
            }
            for check in results.get("failed_checks", [])
        ]
    return result


def plan_stack(name: str, stack_dir: Path, plans_dir: Path, env: Mapping[str, str]) -> str:
    """Plan every unit of a Terragrunt stack; the plan JSONs land in plans_dir. Error or ''."""
    shutil.rmtree(plans_dir, ignore_errors=True)
    argv = [
        "terragrunt",
        "run",
        "--all",
        "--non-interactive",
        "--log-level",
        "error",
        "--out-dir",
        str(plans_dir / "bin"),
        "--json-out-dir",
        str(plans_dir / "json"),
        "--",
        "plan",
        "-input=false",
        "-lock=false",
    ]
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argv
            argv,
            cwd=stack_dir,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=PLAN_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"stack {name}: terragrunt plan timed out after {PLAN_TIMEOUT_S}s"
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr).strip()[-4000:]
        return f"stack {name}: terragrunt plan failed ({completed.returncode}):\n{output}"
    if not any((plans_dir / "json").rglob("*.json")):
        return f"stack {name}: no plan JSON produced under {stack_dir}"
    return ""


@contextmanager
def plan_environment(needed: bool) -> Iterator[dict[str, str]]:
    """Variables for planning: a fresh moto server and dummy credentials (never real AWS)."""
    if not needed:
        yield {}
        return
    with emulator_lib.running() as server:
        yield {
            **emulator_lib.EMULATOR_ENV,
            "AWS_ENDPOINT_URL": server.endpoint,
        }


def summary(results: Sequence[ScanResult], plan_errors: Sequence[str]) -> str:
    lines = ["# Policy gate", ""]
    lines.append("| scan | framework | passed | failed | skipped | custom passed |")
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for res in results:
        lines.append(
            f"| {res.name} | {res.framework} | {res.passed} | {len(res.failed)} "
            f"| {res.skipped} | {res.custom_passed} |"
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
    for error in plan_errors:
        lines += ["", "## plan error", "", "```", error, "```"]
    verdict = all(r.ok for r in results) and not plan_errors
    lines += ["", f"Result: {'PASSED' if verdict else 'FAILED'}", ""]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--hcl", action="append", type=Path, default=[], help="directory of modules (HCL scan)"
    )
    parser.add_argument(
        "--stack",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="Terragrunt stack to plan and scan",
    )
    parser.add_argument("--reports", type=Path, default=REPO_ROOT / "reports" / "policy")
    parser.add_argument(
        "--no-emulator",
        action="store_true",
        help="plan without starting a moto server (the stack needs no AWS endpoint)",
    )
    args = parser.parse_args(argv)
    if not args.hcl and not args.stack:
        parser.error("nothing to scan: give --hcl and/or --stack")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    reports_dir: Path = args.reports.resolve()
    reports_dir.mkdir(parents=True, exist_ok=True)
    results: list[ScanResult] = []
    plan_errors: list[str] = []

    hcl_dirs = [d.resolve() for d in args.hcl]
    if hcl_dirs:
        results.append(run_checkov("hcl", "terraform", hcl_dirs, reports_dir))

    stacks = [spec.split("=", 1) for spec in args.stack]
    if any(len(spec) != 2 for spec in stacks):
        print("--stack takes NAME=DIR", file=sys.stderr)
        return 2
    planned: list[Path] = []
    environment = nullcontext({}) if args.no_emulator else plan_environment(bool(stacks))
    with environment as env:
        for name, directory in stacks:
            plans_dir = reports_dir / "plans" / name
            error = plan_stack(name, Path(directory).resolve(), plans_dir, env)
            if error:
                plan_errors.append(error)
            else:
                planned.append(plans_dir / "json")
    if planned:
        results.append(run_checkov("plans", "terraform_plan", planned, reports_dir))

    text = summary(results, plan_errors)
    (reports_dir / "summary.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"Reports: {reports_dir}")
    return 0 if all(r.ok for r in results) and not plan_errors else 1


if __name__ == "__main__":
    sys.exit(main())
