"""Monthly cost of `terraform show -json` plans, before and after the change.

    python -m devstack.ci.cost --plans DIR          # one environment: a Markdown section
    python -m devstack.ci.cost --readme [--check]   # the README's cost table, from reports/plans

Prices come from a committed, dated table (`prices-eu-central-1.json`): on-demand list prices,
730 hours a month. Only what this stack creates is priced, at idle: NAT gateways, load
balancers, public IPv4 addresses, Fargate tasks at their desired count (CPU and memory from the
task definition the service references), interface endpoints per AZ, CloudWatch alarms,
dashboards, Container Insights and a small log ingestion per log group, KMS keys, WAF web ACLs
(the ACL and each of its rules; AWS's baseline managed rule groups carry no extra fee), and a
baseline for S3 buckets, SQS queues (the worker's long polling) and ECR repositories. Traffic
(LCUs, data processed, requests beyond the baseline) is not in a plan and not estimated.

"Before" prices every resource as it is now (`change.before`), "after" as the plan leaves it
(`change.after`), so a create, a destroy and a resize each show up as a delta.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.ci import plan_summary
from devstack.ci.markdown import code
from devstack.stackdef import REPO_ROOT

PRICE_TABLE = Path(__file__).with_name("prices-eu-central-1.json")
README = REPO_ROOT / "README.md"
TABLE_START = "<!-- cost-table:start -->\n"
TABLE_END = "<!-- cost-table:end -->\n"
README_ENVIRONMENTS = ("dev", "staging", "prod")

Values = Mapping[str, Any]


@dataclass(frozen=True)
class Prices:
    """The dated price table."""

    as_of: str
    region: str
    hours: float
    hourly: Mapping[str, float]
    monthly: Mapping[str, float]
    usage: Mapping[str, float]

    @classmethod
    def load(cls, path: Path = PRICE_TABLE) -> Prices:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            as_of=data["as_of"],
            region=data["region"],
            hours=float(data["hours_per_month"]),
            hourly=data["hourly"],
            monthly=data["monthly"],
            usage=data["usage"],
        )

    def per_month(self, hourly_key: str, quantity: float = 1.0) -> float:
        return self.hourly[hourly_key] * self.hours * quantity


@dataclass(frozen=True)
class LineItem:
    """What one resource costs a month, under a category of the README table."""

    address: str
    category: str
    monthly: float


def _count(value: object) -> int:
    """Length of a list attribute; 0 when unknown at plan time."""
    return len(value) if isinstance(value, list) else 0


def _fargate(values: Values, task: Values | None, prices: Prices) -> float:
    if task is None:
        return 0.0
    vcpu = float(task.get("cpu") or 0) / 1024
    memory_gb = float(task.get("memory") or 0) / 1024
    hourly = vcpu * prices.hourly["fargate_vcpu"] + memory_gb * prices.hourly["fargate_gb"]
    return hourly * prices.hours * int(values.get("desired_count") or 0)


def _load_balancer(values: Values, prices: Prices) -> list[tuple[str, float]]:
    items = [("Load balancers", prices.per_month("alb"))]
    if not values.get("internal"):
        # An internet-facing ALB holds one public IPv4 address per subnet (AZ).
        azs = _count(values.get("subnets")) or _count(values.get("subnet_mapping"))
        items.append(("Public IPv4 addresses", prices.per_month("public_ipv4_address", azs)))
    return items


def _interface_endpoint(values: Values, prices: Prices) -> float:
    if values.get("vpc_endpoint_type") != "Interface":
        return 0.0
    return prices.per_month("interface_endpoint_per_az", max(_count(values.get("subnet_ids")), 1))


def _configuration_of(plan: Mapping[str, Any], address: str) -> Mapping[str, Any]:
    resources = ((plan.get("configuration") or {}).get("root_module") or {}).get("resources", [])
    for resource in resources:
        if resource.get("address") == address:
            return resource.get("expressions") or {}
    return {}


def _referenced_count(plan: Mapping[str, Any], address: str, attribute: str, side: str) -> int:
    """Instances of the resource an attribute references (`aws_subnet.private[*].id`): the
    length of a list whose elements are unknown until apply (new subnets)."""
    expression = _configuration_of(plan, address.split("[", maxsplit=1)[0]).get(attribute) or {}
    for reference in expression.get("references", []):
        if reference.count(".") == 1 and not reference.startswith(("var.", "local.", "data.")):
            return sum(
                1
                for entry in plan.get("resource_changes") or []
                if entry["address"].split("[", maxsplit=1)[0] == reference
                and entry["change"].get(side) is not None
            )
    return 0


def _cluster(values: Values, prices: Prices) -> float:
    settings = values.get("setting") or []
    enabled = any(
        s.get("name") == "containerInsights" and s.get("value") in ("enabled", "enhanced")
        for s in settings
    )
    return prices.monthly["container_insights_cluster"] if enabled else 0.0


def _usage(prices: Prices, price: str, quantity: str) -> float:
    return prices.usage[price] * prices.usage[quantity]


# resource type -> (category, cost of one instance). Fargate services are priced apart: they
# need their task definition.
_SIMPLE: dict[str, tuple[str, Callable[[Values, Prices], float]]] = {
    "aws_nat_gateway": (
        "NAT gateways",
        lambda v, p: p.per_month("nat_gateway") if v.get("connectivity_type") != "private" else 0,
    ),
    "aws_eip": ("Public IPv4 addresses", lambda v, p: p.per_month("public_ipv4_address")),
    "aws_vpc_endpoint": ("Interface endpoints", _interface_endpoint),
    "aws_cloudwatch_metric_alarm": (
        "CloudWatch (logs, alarms, dashboards, Container Insights)",
        lambda v, p: p.monthly["cloudwatch_alarm"],
    ),
    "aws_cloudwatch_dashboard": (
        "CloudWatch (logs, alarms, dashboards, Container Insights)",
        lambda v, p: p.monthly["cloudwatch_dashboard"],
    ),
    "aws_cloudwatch_log_group": (
        "CloudWatch (logs, alarms, dashboards, Container Insights)",
        lambda v, p: _usage(p, "cloudwatch_logs_per_gb_ingested", "idle_log_gb_per_group"),
    ),
    "aws_ecs_cluster": ("CloudWatch (logs, alarms, dashboards, Container Insights)", _cluster),
    "aws_kms_key": ("KMS keys", lambda v, p: p.monthly["kms_key"]),
    "aws_wafv2_web_acl": (
        "WAF web ACLs",
        lambda v, p: p.monthly["waf_web_acl"] + p.monthly["waf_rule"] * _count(v.get("rule")),
    ),
    "aws_s3_bucket": (
        "S3, SQS, ECR baseline",
        lambda v, p: _usage(p, "s3_standard_per_gb", "idle_s3_gb_per_bucket"),
    ),
    "aws_sqs_queue": (
        "S3, SQS, ECR baseline",
        lambda v, p: _usage(p, "sqs_per_million_requests", "idle_sqs_requests_per_queue") / 1e6,
    ),
    "aws_ecr_repository": (
        "S3, SQS, ECR baseline",
        lambda v, p: _usage(p, "ecr_per_gb", "idle_ecr_gb_per_repository"),
    ),
}
CATEGORIES = (
    "NAT gateways",
    "Load balancers",
    "WAF web ACLs",
    "Public IPv4 addresses",
    "Fargate tasks",
    "Interface endpoints",
    "CloudWatch (logs, alarms, dashboards, Container Insights)",
    "KMS keys",
    "S3, SQS, ECR baseline",
)


def _task_definition_of(service: str, state: Mapping[str, tuple[str, Values]]) -> str | None:
    """The task definition of a service: the one in the same module instance (a service
    module, e.g. `module.service["frontend"].`, or the root), when there is exactly one."""
    prefix = service.split("aws_ecs_service.", maxsplit=1)[0]
    candidates = [
        address
        for address, (resource_type, _) in state.items()
        if resource_type == "aws_ecs_task_definition"
        and address.startswith(prefix)
        and "module." not in address[len(prefix) :]
    ]
    return candidates[0] if len(candidates) == 1 else None


def line_items(plan: Mapping[str, Any], side: str, prices: Prices) -> list[LineItem]:
    """The priced resources of one plan as they are `before` or `after` the change."""
    if side not in ("before", "after"):
        raise ValueError(f"side must be before or after, not {side!r}")
    state: dict[str, tuple[str, Values]] = {}
    for entry in plan.get("resource_changes") or []:
        values = entry["change"].get(side)
        if entry.get("mode") == "managed" and isinstance(values, dict):
            state[entry["address"]] = (entry["type"], values)
    items = []
    for address, (resource_type, values) in state.items():
        if resource_type == "aws_ecs_service":
            task = _task_definition_of(address, state)
            task_values = state.get(task, ("", None))[1] if task else None
            monthly = _fargate(values, task_values, prices)
            items.append(LineItem(address, "Fargate tasks", monthly))
        elif resource_type == "aws_vpc_endpoint" and not isinstance(values.get("subnet_ids"), list):
            azs = _referenced_count(plan, address, "subnet_ids", side)
            known = {**values, "subnet_ids": [None] * azs}
            items.append(
                LineItem(address, "Interface endpoints", _interface_endpoint(known, prices))
            )
        elif resource_type == "aws_lb":
            for category, monthly in _load_balancer(values, prices):
                items.append(LineItem(address, category, monthly))
        elif resource_type in _SIMPLE:
            category, price = _SIMPLE[resource_type]
            items.append(LineItem(address, category, float(price(values, prices))))
    return [item for item in items if item.monthly > 0]


@dataclass(frozen=True)
class UnitCost:
    unit: str
    before: tuple[LineItem, ...]
    after: tuple[LineItem, ...]

    @property
    def monthly_before(self) -> float:
        return sum(item.monthly for item in self.before)

    @property
    def monthly_after(self) -> float:
        return sum(item.monthly for item in self.after)

    @property
    def delta(self) -> float:
        return self.monthly_after - self.monthly_before


@dataclass(frozen=True)
class EnvironmentCost:
    units: tuple[UnitCost, ...]
    prices: Prices

    @property
    def monthly_before(self) -> float:
        return sum(unit.monthly_before for unit in self.units)

    @property
    def monthly_after(self) -> float:
        return sum(unit.monthly_after for unit in self.units)

    @property
    def delta(self) -> float:
        return self.monthly_after - self.monthly_before

    def by_category(self) -> dict[str, float]:
        totals = dict.fromkeys(CATEGORIES, 0.0)
        for unit in self.units:
            for item in unit.after:
                totals[item.category] += item.monthly
        return totals


def estimate(plans_dir: Path, prices: Prices | None = None) -> EnvironmentCost:
    """The cost of every plan JSON file below `plans_dir` (Terragrunt's --json-out-dir)."""
    prices = prices or Prices.load()
    units = []
    for plan_file in sorted(plans_dir.rglob("*.json")):
        plan = json.loads(plan_file.read_text(encoding="utf-8"))
        unit = plan_summary.unit_name(plan_file, plans_dir)
        units.append(
            UnitCost(
                unit,
                tuple(line_items(plan, "before", prices)),
                tuple(line_items(plan, "after", prices)),
            )
        )
    return EnvironmentCost(tuple(units), prices)


def money(amount: float) -> str:
    return f"${amount:,.2f}"


def signed(amount: float) -> str:
    if round(amount, 2) == 0:
        return "±$0.00"
    return ("+" if amount > 0 else "-") + money(abs(amount))


def render_section(cost: EnvironmentCost) -> str:
    """The cost part of the plan comment: totals, then the units whose cost changes."""
    prices = cost.prices
    lines = [
        f"**Monthly cost** of the planned units (idle, {prices.region} list prices of "
        f"{prices.as_of}): {money(cost.monthly_before)} → **{money(cost.monthly_after)}** "
        f"({signed(cost.delta)}).",
    ]
    changed = [unit for unit in cost.units if round(unit.delta, 2) != 0]
    if changed:
        lines += ["", "| unit | now | after | delta |", "|---|--:|--:|--:|"]
        for unit in changed:
            # Unit names come from directory names: escaped like every other plan value.
            name = code(unit.unit)
            lines.append(
                f"| {name} | {money(unit.monthly_before)} | {money(unit.monthly_after)} "
                f"| {signed(unit.delta)} |"
            )
    return "\n".join(lines) + "\n"


def readme_table(costs: Mapping[str, EnvironmentCost]) -> str:
    """The README's idle cost table: one column per environment, one row per category."""
    names = list(costs)
    prices = next(iter(costs.values())).prices
    lines = [
        f"Generated by `make cost-readme` from the plans of every environment "
        f"(`devstack/ci/cost.py`, {prices.region} list prices of {prices.as_of}, "
        f"{prices.hours:.0f} h a month).",
        "",
        "| item | " + " | ".join(names) + " |",
        "|---|" + "--:|" * len(names),
    ]
    per_env = {name: cost.by_category() for name, cost in costs.items()}
    for category in CATEGORIES:
        cells = [money(per_env[name][category]) for name in names]
        lines.append(f"| {category} | " + " | ".join(cells) + " |")
    totals = [f"**{money(cost.monthly_after)}**" for cost in costs.values()]
    lines.append("| **total** | " + " | ".join(totals) + " |")
    return "\n".join(lines) + "\n"


def readme_block(readme: str) -> str:
    start, end = readme.index(TABLE_START), readme.index(TABLE_END)
    return readme[start + len(TABLE_START) : end]


def readme_costs(plans_root: Path) -> dict[str, EnvironmentCost]:
    prices = Prices.load()
    return {
        env: estimate(plans_root / env / "json" / "live" / env, prices)
        for env in README_ENVIRONMENTS
    }


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--plans", type=Path, help="one environment's plan JSON directory")
    what.add_argument("--readme", action="store_true", help="update README.md's cost table")
    parser.add_argument("--plans-root", type=Path, default=REPO_ROOT / "reports" / "plans")
    parser.add_argument("--check", action="store_true", help="with --readme: fail when stale")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    if args.plans:
        sys.stdout.write(render_section(estimate(args.plans)))
        return 0
    readme = README.read_text(encoding="utf-8")
    table = readme_table(readme_costs(args.plans_root))
    if readme_block(readme) == table:
        return 0
    if args.check:
        print("README.md's cost table is stale: run `make cost-readme`", file=sys.stderr)
        return 1
    start, end = readme.index(TABLE_START), readme.index(TABLE_END)
    README.write_text(readme[: start + len(TABLE_START)] + table + readme[end:], encoding="utf-8")
    print("README.md: cost table updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
