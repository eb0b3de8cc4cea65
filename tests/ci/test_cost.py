"""The cost estimate on fixture plans (create, destroy, resize) and the README's cost table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devstack import plans
from devstack.ci import cost, plan_comment
from devstack.stackdef import REPO_ROOT

PRICES = cost.Prices.load()
HOURS = 730


def change(address: str, actions: list[str], before: Any, after: Any) -> dict[str, Any]:
    resource_type, name = address.split("[", maxsplit=1)[0].split(".")
    return {
        "address": address,
        "mode": "managed",
        "type": resource_type,
        "name": name,
        "change": {"actions": actions, "before": before, "after": after},
    }


def service_plan(before_task: Any, after_task: Any, before_count: Any, after_count: Any) -> dict:
    """The ecs unit's plan: one service that references one task definition."""
    actions = {
        (False, True): ["create"],
        (True, False): ["delete"],
        (True, True): ["update"],
    }
    service_actions = actions[(before_count is not None, after_count is not None)]
    task_actions = actions[(before_task is not None, after_task is not None)]
    return {
        "format_version": "1.2",
        "resource_changes": [
            change(
                "aws_ecs_service.frontend",
                service_actions,
                None if before_count is None else {"desired_count": before_count},
                None if after_count is None else {"desired_count": after_count},
            ),
            change("aws_ecs_task_definition.frontend", task_actions, before_task, after_task),
            change("aws_ecs_cluster.this", ["no-op"], {"setting": []}, {"setting": []}),
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_ecs_service.frontend",
                        "expressions": {
                            "task_definition": {
                                "references": [
                                    "aws_ecs_task_definition.frontend.arn",
                                    "aws_ecs_task_definition.frontend",
                                ]
                            }
                        },
                    }
                ]
            }
        },
    }


def network_plan(actions: list[str], nat_gateways: int) -> dict:
    before = None if actions == ["create"] else {"connectivity_type": "public"}
    after = None if actions == ["delete"] else {"connectivity_type": "public"}
    changes = []
    for index in range(nat_gateways):
        changes.append(change(f"aws_nat_gateway.this[{index}]", actions, before, after))
        changes.append(change(f"aws_eip.nat[{index}]", actions, before and {}, after and {}))
    changes.append(
        change(
            'aws_vpc_endpoint.interface["sqs"]',
            actions,
            before and {"vpc_endpoint_type": "Interface", "subnet_ids": ["a", "b", "c"]},
            after and {"vpc_endpoint_type": "Interface", "subnet_ids": ["a", "b", "c"]},
        )
    )
    changes.append(
        change(
            "aws_vpc_endpoint.s3[0]",
            actions,
            before and {"vpc_endpoint_type": "Gateway"},
            after and {"vpc_endpoint_type": "Gateway"},
        )
    )
    return {"format_version": "1.2", "resource_changes": changes}


def write_plans(root: Path, plans: dict[str, dict]) -> Path:
    for unit, plan in plans.items():
        path = root / unit / "tfplan.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(plan), encoding="utf-8")
    return root


SMALL = {"cpu": "256", "memory": "512"}
LARGE = {"cpu": "1024", "memory": "2048"}
FARGATE_SMALL = (0.25 * 0.04656 + 0.5 * 0.00511) * HOURS
FARGATE_LARGE = (1 * 0.04656 + 2 * 0.00511) * HOURS
NAT_WITH_IP = (0.052 + 0.005) * HOURS
ENDPOINT_3_AZ = 3 * 0.012 * HOURS


def test_the_price_table_is_dated_and_for_the_stacks_region() -> None:
    assert PRICES.region == "eu-central-1"
    assert PRICES.as_of.count("-") == 2
    assert PRICES.as_of >= "2026-01-01"
    assert PRICES.hours == HOURS


def test_create_costs_everything_after_and_nothing_before(tmp_path: Path) -> None:
    plans = write_plans(
        tmp_path,
        {
            "ecs": service_plan(None, SMALL, None, 2),
            "vpc": network_plan(["create"], nat_gateways=3),
        },
    )
    estimate = cost.estimate(plans, PRICES)
    assert estimate.monthly_before == 0
    assert estimate.monthly_after == pytest.approx(
        2 * FARGATE_SMALL + 3 * NAT_WITH_IP + ENDPOINT_3_AZ
    )
    categories = estimate.by_category()
    assert categories["NAT gateways"] == pytest.approx(3 * 0.052 * HOURS)
    assert categories["Public IPv4 addresses"] == pytest.approx(3 * 0.005 * HOURS)
    assert categories["Interface endpoints"] == pytest.approx(ENDPOINT_3_AZ)
    assert categories["Fargate tasks"] == pytest.approx(2 * FARGATE_SMALL)


def test_destroy_is_a_negative_delta(tmp_path: Path) -> None:
    plans = write_plans(tmp_path, {"vpc": network_plan(["delete"], nat_gateways=2)})
    estimate = cost.estimate(plans, PRICES)
    assert estimate.monthly_after == 0
    assert estimate.delta == pytest.approx(-(2 * NAT_WITH_IP + ENDPOINT_3_AZ))
    section = cost.render_section(estimate)
    assert f"(-{cost.money(2 * NAT_WITH_IP + ENDPOINT_3_AZ)})" in section
    assert "| <code>vpc</code> |" in section


def test_resize_prices_the_new_task_size_and_count(tmp_path: Path) -> None:
    plans = write_plans(tmp_path, {"ecs": service_plan(SMALL, LARGE, 1, 3)})
    estimate = cost.estimate(plans, PRICES)
    assert estimate.monthly_before == pytest.approx(FARGATE_SMALL)
    assert estimate.monthly_after == pytest.approx(3 * FARGATE_LARGE)
    assert estimate.delta == pytest.approx(3 * FARGATE_LARGE - FARGATE_SMALL)
    assert f"(+{cost.money(3 * FARGATE_LARGE - FARGATE_SMALL)})" in cost.render_section(estimate)


def test_an_unchanged_plan_lists_no_unit(tmp_path: Path) -> None:
    plans = write_plans(tmp_path, {"ecs": service_plan(SMALL, SMALL, 1, 1)})
    section = cost.render_section(cost.estimate(plans, PRICES))
    assert "(±$0.00)" in section
    assert "| unit |" not in section


def test_the_plan_comment_carries_the_cost_section(tmp_path: Path) -> None:
    plans = write_plans(tmp_path / "plans", {"ecs": service_plan(None, SMALL, None, 1)})
    output = tmp_path / "comment.md"
    plan_comment.main(
        [
            "--env=dev",
            f"--plans={plans}",
            f"--checkov={tmp_path / 'missing.json'}",
            "--commit=" + "a" * 40,
            "--artifact-url=https://github.com/acme/x/actions/runs/1/artifacts/2",
            f"--output={output}",
        ]
    )
    comment = output.read_text(encoding="utf-8")
    assert "**Monthly cost** of the planned units" in comment
    assert f"**{cost.money(FARGATE_SMALL)}** (+{cost.money(FARGATE_SMALL)})" in comment


@pytest.mark.integration
def test_the_readme_table_is_generated_from_the_environments_plans(
    environment_plans: dict[str, plans.PlanSet],
) -> None:
    root = next(iter(environment_plans.values())).root.parent
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert cost.readme_block(readme) == cost.readme_table(cost.readme_costs(root)), (
        "regenerate with `make cost-readme`"
    )


def test_new_interface_endpoints_count_the_subnets_they_reference(tmp_path: Path) -> None:
    # Planned from scratch, subnet_ids is unknown: its length is the number of subnets the
    # configuration references (aws_subnet.private[*].id).
    subnets = [change(f"aws_subnet.private[{i}]", ["create"], None, {}) for i in range(3)]
    endpoint = change(
        'aws_vpc_endpoint.interface["logs"]', ["create"], None, {"vpc_endpoint_type": "Interface"}
    )
    plan = {
        "format_version": "1.2",
        "resource_changes": [*subnets, endpoint],
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_vpc_endpoint.interface",
                        "expressions": {
                            "subnet_ids": {"references": ["aws_subnet.private", "aws_subnet"]}
                        },
                    }
                ]
            }
        },
    }
    estimate = cost.estimate(write_plans(tmp_path, {"vpc": plan}), PRICES)
    assert estimate.monthly_after == pytest.approx(ENDPOINT_3_AZ)


def test_a_web_acl_costs_its_fee_and_one_fee_per_rule(tmp_path: Path) -> None:
    rules = [{"name": f"rule-{i}"} for i in range(4)]
    plans = write_plans(
        tmp_path,
        {
            "alb": {
                "format_version": "1.2",
                "resource_changes": [
                    change("aws_wafv2_web_acl.this[0]", ["create"], None, {"rule": rules})
                ],
            }
        },
    )
    estimate = cost.estimate(plans, PRICES)
    assert estimate.by_category()["WAF web ACLs"] == pytest.approx(5.00 + 4 * 1.00)
    assert estimate.monthly_before == 0
