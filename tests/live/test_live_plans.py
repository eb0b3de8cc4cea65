"""Every environment plans from an empty state against a moto server, its units unchanged.

Only environment variables (devstack.emulator.terragrunt_env) put an environment in emulator
mode; the state backend is the emulator's S3 too, bootstrapped by Terragrunt. Dependencies
without state answer with their mock_outputs, so this is also what a first deploy plans.
The plans come from devstack.plans (the plan workflow's own script), made once per session.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from devstack import plans, stackdef
from devstack.live import ENVIRONMENTS, LIVE, MOCK_NOTICE, units, warnings_in
from devstack.stackdef import EMULATOR, PROJECT, REPO_ROOT

pytestmark = pytest.mark.integration


def resources_with_tags(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        change
        for change in plan.get("resource_changes", [])
        if isinstance((change["change"].get("after") or {}).get("tags_all"), dict)
    ]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_environment_plans_every_unit_with_its_tags(
    environment: str, environment_plans: dict[str, plans.PlanSet]
) -> None:
    plan_set = environment_plans[environment]
    unexpected = [
        line
        for line in warnings_in(plan_set.log.read_text(encoding="utf-8"))
        if not MOCK_NOTICE.search(line)
    ]
    assert not unexpected, unexpected

    unit_plans = {
        unit: json.loads(path.read_text(encoding="utf-8"))
        for unit, path in plan_set.unit_plans().items()
    }
    assert set(unit_plans) == units(environment)
    for unit, plan in unit_plans.items():
        creates = [c for c in plan["resource_changes"] if "create" in c["change"]["actions"]]
        assert creates, f"{environment}/{unit} plans to create nothing"
        tagged = resources_with_tags(plan)
        assert tagged, f"{environment}/{unit} has no tagged resource"
        for change in tagged:
            tags = change["change"]["after"]["tags_all"]
            assert tags["Environment"] == environment, change["address"]
            assert tags["Project"] == PROJECT, change["address"]
            assert tags["ManagedBy"] == "terragrunt", change["address"]
        # The root's `tags` input reaches the module (modules tag what supports it).
        components = {c["change"]["after"]["tags_all"].get("Component") for c in tagged}
        assert unit in components, f"{environment}/{unit}: no resource tagged Component={unit}"
        assert components <= {unit, None}, components
    assert_containers_are_the_stacks(
        unit_plans["ecs"]["planned_values"]["outputs"]["containers"]["value"]
    )
    assert_roles_carry_the_deploy_boundary(environment, unit_plans)
    assert_the_token_is_not_terraforms(environment, unit_plans)


def test_planning_leaves_the_live_tree_untouched(
    environment_plans: dict[str, plans.PlanSet],
) -> None:
    # Generated files (backend.tf, provider.tf) belong in the download dir, never in a unit.
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "--", str(LIVE)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    generated = [path for path in untracked if path.endswith((".tf", ".tfplan", ".json"))]
    assert environment_plans
    assert not generated, f"planning wrote into live/: {generated}"


def test_plan_sets_are_reused_only_while_their_inputs_are_unchanged(
    environment_plans: dict[str, plans.PlanSet],
) -> None:
    plan_set = environment_plans["local"]
    assert plans.is_fresh(plan_set)
    stamp = plan_set.stamp.read_text(encoding="ascii")
    try:
        plan_set.stamp.write_text("0" * 64 + "\n", encoding="ascii")
        assert not plans.is_fresh(plan_set)
    finally:
        plan_set.stamp.write_text(stamp, encoding="ascii")
    assert plans.inputs_hash("local") != plans.inputs_hash("dev")


def assert_containers_are_the_stacks(containers: dict[str, Any]) -> None:
    """The ecs unit runs one container per service of stack.json, on its port (the twin runs
    the task definitions themselves, so what they set is what `make up` runs)."""
    assert set(containers) == set(stackdef.SERVICES)
    for key, service in stackdef.SERVICES.items():
        assert containers[key]["port"] == service.port, key
        assert containers[key]["environment"]["PORT"] == str(service.port), key


def assert_the_token_is_not_terraforms(
    environment: str, unit_plans: dict[str, dict[str, Any]]
) -> None:
    """Terraform creates the token's key, never the token (devstack.token writes it): no unit
    plans an SSM parameter, whose refresh would read its value with decryption, which the CI
    plan role is denied."""
    parameters = [
        f"{unit}: {change['address']}"
        for unit, plan in unit_plans.items()
        for change in plan["resource_changes"]
        if change["type"] == "aws_ssm_parameter"
    ]
    assert not parameters, f"{environment}: {parameters}"
    keys = {c["address"]: c["change"]["after"] for c in unit_plans["ecs"]["resource_changes"]}
    assert keys["aws_kms_key.token"]["enable_key_rotation"] is True, environment
    assert keys["aws_kms_alias.token"]["name"] == (
        f"alias/{stackdef.environment_name(environment)}-token"
    )


def assert_roles_carry_the_deploy_boundary(
    environment: str, unit_plans: dict[str, dict[str, Any]]
) -> None:
    """The CI deploy role may create only roles inside its permissions boundary: every role the
    stack creates carries it (the CI roles themselves excepted: an administrator applies them)."""
    roles = [
        (unit, change)
        for unit, plan in unit_plans.items()
        for change in plan["resource_changes"]
        if change["type"] == "aws_iam_role" and unit != "github-oidc"
    ]
    assert roles, f"{environment}: no IAM role planned"
    boundary_name = f"{stackdef.environment_name(environment)}-github-boundary"
    expected = (
        None
        if environment == "local"
        else f"arn:aws:iam::{EMULATOR.account_id}:policy/{boundary_name}"
    )
    for unit, change in roles:
        boundary = change["change"]["after"].get("permissions_boundary")
        assert boundary == expected, f"{environment}/{unit} {change['address']}: {boundary}"
