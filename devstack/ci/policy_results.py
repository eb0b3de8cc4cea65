"""Checkov results on plan JSONs (`checkov ... --framework terraform_plan -o json`) per unit.

Two shapes of input name the unit differently:
- a plain scan of the plans directory reports `file_path` relative to it, with a leading
  slash (`/vpc/tfplan.json`), which names the unit as `plan_summary.unit_name` does;
- the policy gate (policies/gate.py) scans copies of the plans with the module's HCL as
  the enrichment root, so `file_path` is the module's file (`main.tf`) and the plan is
  `file_abs_path` (`.../<unit>/tfplan.json`): given the planned units, that path's ending
  names the unit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

_RESULT_KEYS = {"passed_checks": "PASSED", "failed_checks": "FAILED", "skipped_checks": "SKIPPED"}


class CheckovFormatError(ValueError):
    """The input is not checkov's JSON output."""


@dataclass(frozen=True)
class PolicyCheck:
    """One check evaluated against one resource of one unit."""

    unit: str
    check_id: str
    check_name: str
    resource: str
    result: str  # PASSED, FAILED or SKIPPED
    guideline: str | None = None


@dataclass(frozen=True)
class PolicyCounts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped


def _unit_of(check: dict[str, object], units: Sequence[str]) -> str:
    plan_path = str(check.get("file_abs_path") or "")
    for unit in units:
        if plan_path.endswith(f"/{unit}/tfplan.json"):
            return unit
    path = PurePosixPath(str(check["file_path"]).lstrip("/"))
    parent = path.parent.as_posix()
    return path.stem if parent == "." else parent


def _reports(decoded: object) -> list[dict[str, object]]:
    """Checkov prints one report object, or a list of them (one per framework)."""
    reports = decoded if isinstance(decoded, list) else [decoded]
    if not all(isinstance(report, dict) for report in reports):
        raise CheckovFormatError("expected a JSON object or a list of objects")
    return reports


def parse(text: str, units: Iterable[str] = ()) -> list[PolicyCheck]:
    """Every check in checkov's JSON output, in the order checkov reported them.

    `units` are the planned units' names, for results whose `file_path` is not the plan.
    """
    # Longest first: a nested unit "a/b" must not be taken for "b".
    known_units = sorted(set(units), key=len, reverse=True)
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError as error:
        raise CheckovFormatError(f"not JSON: {error}") from error
    checks = []
    for report in _reports(decoded):
        # With nothing to scan checkov prints only a summary object, without "results".
        results = report.get("results")
        if results is None:
            if "summary" not in report and "passed" not in report:
                raise CheckovFormatError("a report has neither results nor a summary")
            continue
        if not isinstance(results, dict):
            raise CheckovFormatError("results is not an object")
        for key, result in _RESULT_KEYS.items():
            for check in results.get(key) or []:
                checks.append(
                    PolicyCheck(
                        unit=_unit_of(check, known_units),
                        check_id=str(check["check_id"]),
                        check_name=str(check.get("check_name") or ""),
                        resource=str(check.get("resource") or ""),
                        result=result,
                        guideline=check.get("guideline") or None,
                    )
                )
    return checks


def count(checks: Iterable[PolicyCheck]) -> PolicyCounts:
    checks = list(checks)
    return PolicyCounts(
        passed=sum(1 for check in checks if check.result == "PASSED"),
        failed=sum(1 for check in checks if check.result == "FAILED"),
        skipped=sum(1 for check in checks if check.result == "SKIPPED"),
    )
