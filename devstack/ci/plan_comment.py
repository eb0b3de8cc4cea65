"""Render one environment's plans and policy results as one sticky pull-request comment.

    python -m devstack.ci.plan_comment --env dev --plans plans/dev \
        --checkov policy/plans/checkov.json --commit "$GITHUB_SHA" --artifact-url "$RUN_URL" \
        --output comment-dev.md

The comment starts with a hidden marker (`marker(env)`) by which `devstack.ci.sticky_comment`
finds and updates it, has a summary table and one collapsible section per unit, and always stays
below GitHub's 65,536-character limit: sections that do not fit are cut and the reader is
pointed at the plan artifact, which has everything.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from devstack.ci import cost, plan_summary, policy_results
from devstack.ci.markdown import code, escape
from devstack.ci.plan_summary import UnitPlan
from devstack.ci.policy_results import PolicyCheck

GITHUB_COMMENT_LIMIT = 65_536
# Headroom below GitHub's limit, which counts characters after its own normalisation.
DEFAULT_LIMIT = GITHUB_COMMENT_LIMIT - 1_536
# Resources listed per unit before the rest is left to the artifact.
MAX_ROWS_PER_UNIT = 200

_ENV_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_SHA_PATTERN = re.compile(r"^[0-9a-f]{7,40}$")
_ACTION_ICONS = {
    "create": "🟢 create",
    "update": "🟡 update",
    "delete": "🔴 destroy",
    "replace": "🟠 replace",
    "forget": "⚪ forget",
    "read": "🔵 read",
    "no-op": "no-op",
}


def marker(env: str) -> str:
    """The hidden first line that identifies the comment of `env` on a pull request."""
    if not _ENV_PATTERN.match(env):
        raise ValueError(f"invalid environment name {env!r}")
    return f"<!-- plan-comment:env={env} -->"


def _policy_cell(checks: Sequence[PolicyCheck] | None) -> str:
    if checks is None:
        return "not evaluated"
    counts = policy_results.count(checks)
    if counts.total == 0:
        return "no checks"
    icon = "❌" if counts.failed else "✅"
    parts = [f"{counts.failed} failed"] if counts.failed else []
    parts.append(f"{counts.passed} passed")
    if counts.skipped:
        parts.append(f"{counts.skipped} skipped")
    return f"{icon} " + ", ".join(parts)


def _counts_text(plan: UnitPlan) -> str:
    text = f"{plan.to_add} to add, {plan.to_change} to change, {plan.to_destroy} to destroy"
    if plan.to_replace:
        text += f" ({plan.to_replace} replaced)"
    if plan.to_import:
        text += f", {plan.to_import} to import"
    if plan.to_forget:
        text += f", {plan.to_forget} to forget"
    return text


def _resource_rows(plan: UnitPlan, max_rows: int) -> list[str]:
    listed = plan.listed_changes
    rows = []
    for change in listed[:max_rows]:
        label = _ACTION_ICONS[change.action] + (" (import)" if change.importing else "")
        rows.append(f"| {label} | {code(change.address)} |")
    if len(listed) > max_rows:
        rows.append(f"| … | {len(listed) - max_rows} more in the plan artifact |")
    return rows


def _failure_rows(failed: Sequence[PolicyCheck], max_rows: int) -> list[str]:
    rows = []
    for check in failed[:max_rows]:
        name = f"{escape(check.check_id)} {escape(check.check_name)}".strip()
        rows.append(f"| {name} | {code(check.resource)} |")
    if len(failed) > max_rows:
        rows.append(f"| … | {len(failed) - max_rows} more in the policy results artifact |")
    return rows


def _unit_section(plan: UnitPlan, checks: Sequence[PolicyCheck] | None, max_rows: int) -> str:
    failed = sorted(
        (check for check in checks or [] if check.result == "FAILED"),
        key=lambda check: (check.check_id, check.resource),
    )
    summary = f"{code(plan.unit)}: {_counts_text(plan)} · {_policy_cell(checks)}"
    if plan.errored:
        summary += " · ⚠️ plan errored"
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    rows = _resource_rows(plan, max_rows)
    if rows:
        lines += ["| action | resource |", "|---|---|", *rows, ""]
    else:
        lines += ["No resource changes.", ""]
    if plan.output_changes:
        lines += [f"{plan.output_changes} output value(s) change.", ""]
    if failed:
        lines += ["**Failed policies**", "", "| check | resource |", "|---|---|"]
        lines += [*_failure_rows(failed, max_rows), ""]
    lines += ["</details>", ""]
    return "\n".join(lines) + "\n"


def _fit_section(build: Callable[[int], str], budget: int) -> str | None:
    """The section with as many rows as fit in `budget` characters, or None."""
    full = build(MAX_ROWS_PER_UNIT)
    if len(full) <= budget:
        return full
    low, high, best = 0, MAX_ROWS_PER_UNIT - 1, None
    while low <= high:
        rows = (low + high) // 2
        section = build(rows)
        if len(section) <= budget:
            best, low = section, rows + 1
        else:
            high = rows - 1
    return best


def _summary_table(
    plans: Sequence[UnitPlan],
    checks_by_unit: dict[str, list[PolicyCheck]],
    budget: int,
    *,
    evaluated: bool,
) -> tuple[str, int]:
    """The per-unit table within `budget` characters, and how many rows were left out."""
    default: list[PolicyCheck] | None = [] if evaluated else None
    if not plans:
        return "", 0
    lines = [
        "",
        "| unit | add | change | destroy | replace | policies |",
        "|---|--:|--:|--:|--:|---|",
    ]
    used = sum(len(line) + 1 for line in lines)
    for index, plan in enumerate(plans):
        row = (
            f"| {code(plan.unit)} | {plan.to_add} | {plan.to_change} | {plan.to_destroy} "
            f"| {plan.to_replace} | {_policy_cell(checks_by_unit.get(plan.unit, default))} |"
        )
        if used + len(row) + 1 > budget:
            return "\n".join(lines) + "\n\n", len(plans) - index
        lines.append(row)
        used += len(row) + 1
    return "\n".join(lines) + "\n\n", 0


def _unit_sections(
    plans: Sequence[UnitPlan],
    checks_by_unit: dict[str, list[PolicyCheck]],
    budget: int,
    *,
    evaluated: bool,
) -> tuple[str, int]:
    """Collapsible sections of the units that change, within `budget` characters.

    Returns the sections and how many units' sections were left out. The first section
    that does not fit whole is cut to the rows that fit, and nothing follows it.
    """

    def has_section(plan: UnitPlan) -> bool:
        failed = any(c.result == "FAILED" for c in checks_by_unit.get(plan.unit, []))
        return plan.has_changes or failed

    with_sections = [plan for plan in plans if has_section(plan)]
    text = ""
    for index, plan in enumerate(with_sections):
        unit_checks = checks_by_unit.get(plan.unit, []) if evaluated else None

        def build(max_rows: int, plan: UnitPlan = plan, checks: list | None = unit_checks) -> str:
            return _unit_section(plan, checks, max_rows)

        section = _fit_section(build, budget - len(text))
        if section is None:
            return text, len(with_sections) - index
        text += section
        if section != build(MAX_ROWS_PER_UNIT):
            return text + "> [!WARNING]\n> The resource list above is cut to fit.\n", (
                len(with_sections) - index - 1
            )
    return text, 0


def _headline(
    env: str,
    plans: Sequence[UnitPlan],
    checks: Sequence[PolicyCheck] | None,
    *,
    plan_succeeded: bool,
) -> str:
    counts = policy_results.count(checks or [])
    if not plan_succeeded:
        status = "❌ plan failed (see the job log)"
    elif checks is None:
        status = "⚠️ policies not evaluated"
    elif counts.failed:
        status = "❌ policy check failed"
    elif any(plan.errored for plan in plans):
        status = "⚠️ a plan errored"
    elif any(plan.to_destroy for plan in plans):
        status = "⚠️ destroys resources"
    else:
        status = "✅ passes policy"
    return f"### Terraform plan: {code(env)} · {status}"


def _totals(plans: Sequence[UnitPlan], checks: Sequence[PolicyCheck] | None, commit: str) -> str:
    add = sum(plan.to_add for plan in plans)
    change = sum(plan.to_change for plan in plans)
    destroy = sum(plan.to_destroy for plan in plans)
    replace = sum(plan.to_replace for plan in plans)
    text = (
        f"Commit `{commit}`: {len(plans)} unit(s) planned, **{add}** to add, "
        f"**{change}** to change, **{destroy}** to destroy"
    )
    if replace:
        text += f" ({replace} replaced)"
    if checks is None:
        return text + ". Policies: not evaluated."
    counts = policy_results.count(checks)
    return (
        text + f". Policies: **{counts.failed} failed**, {counts.passed} passed, "
        f"{counts.skipped} skipped."
    )


def render(
    env: str,
    plans: Sequence[UnitPlan],
    checks: Sequence[PolicyCheck] | None,
    *,
    commit: str,
    artifact_url: str,
    plan_succeeded: bool = True,
    limit: int = DEFAULT_LIMIT,
    cost_section: str | None = None,
) -> str:
    """The comment for `env`, never longer than `limit` characters.

    `checks` is None when checkov did not run; `plan_succeeded` is False when the plan of
    some unit failed (the comment then says so instead of looking complete). `cost_section`
    (devstack.ci.cost.render_section) goes below the totals.
    """
    if not _SHA_PATTERN.match(commit):
        raise ValueError(f"invalid commit {commit!r}")
    if not artifact_url.startswith("https://"):
        raise ValueError("artifact_url must be an https URL")
    if limit > GITHUB_COMMENT_LIMIT:
        raise ValueError(f"limit {limit} is above GitHub's {GITHUB_COMMENT_LIMIT}")

    checks_by_unit: dict[str, list[PolicyCheck]] = {}
    for check in checks or []:
        checks_by_unit.setdefault(check.unit, []).append(check)
    planned = {plan.unit for plan in plans}
    # Checks on a file that matches no plan still count: list them under their own name.
    all_plans = list(plans) + [
        UnitPlan(unit=unit) for unit in sorted(set(checks_by_unit) - planned)
    ]

    link = f'<a href="{html.escape(artifact_url, quote=True)}">plan artifact</a>'
    footer = f"\nFull plan log and policy results: {link}.\n"
    notice_reserve = 300 + len(link)
    budget = limit - len(footer) - notice_reserve
    if budget <= 0:
        raise ValueError(f"limit {limit} is too small for a comment")

    body = "\n".join(
        [
            marker(env),
            _headline(env, all_plans, checks, plan_succeeded=plan_succeeded),
            "",
            _totals(all_plans, checks, commit[:12]),
            "",
        ]
    )
    if cost_section:
        body += "\n" + cost_section
    if not all_plans:
        body += "\nNo units are affected by this change in this environment.\n"

    table, omitted_rows = _summary_table(
        all_plans, checks_by_unit, budget // 2 - len(body), evaluated=checks is not None
    )
    body += table
    shown = all_plans[: len(all_plans) - omitted_rows]
    sections, cut_sections = _unit_sections(
        shown, checks_by_unit, budget - len(body), evaluated=checks is not None
    )
    body += sections

    if omitted_rows or cut_sections:
        body += (
            f"\n> [!WARNING]\n> This comment is truncated to stay below GitHub's "
            f"{GITHUB_COMMENT_LIMIT:,}-character limit ({omitted_rows} unit row(s), "
            f"{cut_sections} unit section(s) left out). The full plan is in the {link}.\n"
        )
    comment = body + footer
    if len(comment) > limit:
        raise AssertionError(f"rendered {len(comment)} characters, above {limit}")
    return comment


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, help="environment name, e.g. dev")
    parser.add_argument("--plans", type=Path, required=True, help="directory of plan JSON files")
    parser.add_argument(
        "--checkov",
        type=Path,
        required=True,
        help=(
            "checkov JSON for those plans (checkov's output, or the policy gate's "
            "plans/checkov.json); missing or empty if the policy step did not run"
        ),
    )
    parser.add_argument(
        "--plan-outcome",
        default="success",
        choices=["success", "failure", "cancelled", "skipped"],
        help="outcome of the plan step (steps.<id>.outcome)",
    )
    parser.add_argument("--commit", required=True, help="the commit that was planned")
    parser.add_argument("--artifact-url", required=True, help="where the full plans are")
    parser.add_argument("--output", type=Path, required=True, help="Markdown file to write")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="maximum characters")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    plans = plan_summary.load_unit_plans(args.plans) if args.plans.is_dir() else []
    # No report means checkov did not run: the comment says "not evaluated", never "0 failed".
    report = args.checkov.read_text(encoding="utf-8") if args.checkov.is_file() else ""
    units = [plan.unit for plan in plans]
    checks = policy_results.parse(report, units) if report.strip() else None
    comment = render(
        args.env,
        plans,
        checks,
        commit=args.commit,
        artifact_url=args.artifact_url,
        plan_succeeded=args.plan_outcome == "success",
        limit=args.limit,
        cost_section=cost.render_section(cost.estimate(args.plans)) if plans else None,
    )
    args.output.write_text(comment, encoding="utf-8")
    print(f"{args.output}: {len(comment)} characters, {len(plans)} unit plan(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
