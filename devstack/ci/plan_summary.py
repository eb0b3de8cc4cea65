"""Summaries of `terraform show -json` plans: per unit, what changes and how.

Counts follow Terraform's own "Plan: N to add, N to change, N to destroy" line, in which a
replacement counts once as an add and once as a destroy; replacements are also counted on
their own so that reviewers see them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

# Terraform's action lists (plan JSON format, `change.actions`) mapped to one label.
_ACTION_LABELS: dict[tuple[str, ...], str] = {
    ("create",): "create",
    ("update",): "update",
    ("delete",): "delete",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("forget",): "forget",
    ("read",): "read",
    ("no-op",): "no-op",
}
# Labels that change nothing and are left out of the resource listing.
_QUIET_LABELS = frozenset({"read", "no-op"})


class PlanFormatError(ValueError):
    """A file is not a plan in the `terraform show -json` format."""


@dataclass(frozen=True)
class ResourceChange:
    """One resource instance and what the plan does to it."""

    address: str
    action: str
    importing: bool = False


@dataclass(frozen=True)
class UnitPlan:
    """The plan of one Terragrunt unit."""

    unit: str
    changes: tuple[ResourceChange, ...] = field(default_factory=tuple)
    output_changes: int = 0
    errored: bool = False

    def _count(self, *actions: str) -> int:
        return sum(1 for change in self.changes if change.action in actions)

    @property
    def to_add(self) -> int:
        return self._count("create", "replace")

    @property
    def to_change(self) -> int:
        return self._count("update")

    @property
    def to_destroy(self) -> int:
        return self._count("delete", "replace")

    @property
    def to_replace(self) -> int:
        return self._count("replace")

    @property
    def to_forget(self) -> int:
        return self._count("forget")

    @property
    def to_import(self) -> int:
        return sum(1 for change in self.changes if change.importing)

    @property
    def listed_changes(self) -> tuple[ResourceChange, ...]:
        """Changes worth listing: everything but reads and no-ops (unless imported)."""
        return tuple(c for c in self.changes if c.action not in _QUIET_LABELS or c.importing)

    @property
    def has_changes(self) -> bool:
        return bool(self.listed_changes) or self.output_changes > 0


def _action_label(actions: list[str]) -> str:
    try:
        return _ACTION_LABELS[tuple(actions)]
    except KeyError:
        raise PlanFormatError(f"unknown action list {actions!r}") from None


def summarize(unit: str, plan: dict[str, object]) -> UnitPlan:
    """Summarize one decoded plan (the output of `terraform show -json <planfile>`)."""
    if "format_version" not in plan:
        raise PlanFormatError(f"{unit}: no format_version; not a `terraform show -json` plan")
    resource_changes = plan.get("resource_changes") or []
    output_changes = plan.get("output_changes") or {}
    if not isinstance(resource_changes, list) or not isinstance(output_changes, dict):
        raise PlanFormatError(f"{unit}: resource_changes/output_changes have the wrong type")
    changes = []
    for entry in resource_changes:
        change = entry["change"]
        changes.append(
            ResourceChange(
                address=str(entry["address"]),
                action=_action_label(list(change["actions"])),
                importing=bool(change.get("importing")),
            )
        )
    changed_outputs = sum(
        1 for output in output_changes.values() if output["actions"] not in (["no-op"], ["read"])
    )
    return UnitPlan(
        unit=unit,
        changes=tuple(changes),
        output_changes=changed_outputs,
        errored=bool(plan.get("errored", False)),
    )


def unit_name(plan_file: Path, plans_dir: Path) -> str:
    """The unit a plan file belongs to: its directory relative to `plans_dir`.

    Terragrunt's `--json-out-dir DIR` writes `DIR/<unit path>/tfplan.json`.
    """
    relative = plan_file.parent.relative_to(plans_dir).as_posix()
    return plan_file.stem if relative == "." else relative


def load_unit_plans(plans_dir: Path) -> list[UnitPlan]:
    """Every plan JSON file below `plans_dir`, summarized, ordered by unit."""
    plans = []
    for plan_file in sorted(plans_dir.rglob("*.json")):
        unit = unit_name(plan_file, plans_dir)
        try:
            decoded = json.loads(plan_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise PlanFormatError(f"{unit}: {plan_file} is not JSON: {error}") from error
        if not isinstance(decoded, dict):
            raise PlanFormatError(f"{unit}: {plan_file} is not a JSON object")
        plans.append(summarize(unit, decoded))
    return sorted(plans, key=lambda plan: plan.unit)
