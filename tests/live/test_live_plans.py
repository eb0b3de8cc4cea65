"""Every environment plans from an empty state against a moto server, its units unchanged.

Only environment variables (devstack.emulator.terragrunt_env) put an environment in emulator
mode; the state backend is the emulator's S3 too, bootstrapped by Terragrunt. Dependencies
without state answer with their mock_outputs, so this is also what a first deploy plans.
The plans come from devstack.plans (the plan workflow's own script), made once per session.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
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
    environment_plans: dict[str, plans.PlanSet], tmp_path: Path
) -> None:
    planned = environment_plans["local"]
    assert plans.is_fresh(planned)
    # A copy, so tests reading the real plan set meanwhile (pytest -n) never see it stale.
    plan_set = plans.PlanSet("local", tmp_path / "local")
    shutil.copytree(planned.root, plan_set.root)
    assert plans.is_fresh(plan_set)
    plan_set.stamp.write_text("0" * 64 + "\n", encoding="ascii")
    assert not plans.is_fresh(plan_set)
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


def planned(plan: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        change["change"]["after"]
        for change in plan["resource_changes"]
        if change["type"] == resource_type and "create" in change["change"]["actions"]
    ]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_edge_keys_and_egress_follow_the_environment(
    environment: str, environment_plans: dict[str, plans.PlanSet]
) -> None:
    """staging/prod: HTTPS with a DNS-validated certificate and a web ACL; every environment:
    its three customer-managed keys on the bucket, the queues and the log groups; prod: task
    egress inside the VPC (the endpoints exist), elsewhere HTTPS anywhere through the NAT."""
    unit_plans = {
        unit: json.loads(path.read_text(encoding="utf-8"))
        for unit, path in environment_plans[environment].unit_plans().items()
    }
    production = environment in ("staging", "prod")
    alb = unit_plans["alb"]
    listeners = {after["port"]: after for after in planned(alb, "aws_lb_listener")}
    assert planned(alb, "aws_lb")[0]["desync_mitigation_mode"] == "strictest"
    if production:
        assert [c["validation_method"] for c in planned(alb, "aws_acm_certificate")] == ["DNS"]
        assert len(planned(alb, "aws_route53_record")) == 1
        assert listeners[443]["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        redirect = listeners[80]["default_action"][0]
        assert redirect["type"] == "redirect"
        assert redirect["redirect"][0]["status_code"] == "HTTP_301"
        (acl,) = planned(alb, "aws_wafv2_web_acl")
        rate = next(r for r in acl["rule"] if r["priority"] == 0)
        assert rate["statement"][0]["rate_based_statement"][0]["aggregate_key_type"] == "IP"
        assert len(planned(alb, "aws_wafv2_web_acl_association")) == 1
    else:
        assert set(listeners) == {80}
        assert not planned(alb, "aws_wafv2_web_acl")
        assert not planned(alb, "aws_acm_certificate")

    keys = planned(unit_plans["kms"], "aws_kms_key")
    assert len(keys) == 3
    assert all(key["enable_key_rotation"] for key in keys)
    key_arn = unit_plans["s3"]["variables"]["kms_key_arn"]["value"]
    (encryption,) = planned(unit_plans["s3"], "aws_s3_bucket_server_side_encryption_configuration")
    rule = encryption["rule"][0]
    assert rule["bucket_key_enabled"]
    assert rule["apply_server_side_encryption_by_default"][0]["kms_master_key_id"] == key_arn
    queues = planned(unit_plans["sqs"], "aws_sqs_queue")
    assert len(queues) == 2
    assert {q["kms_master_key_id"] for q in queues} == {
        unit_plans["sqs"]["variables"]["kms_key_arn"]["value"]
    }
    log_groups = planned(unit_plans["ecs"], "aws_cloudwatch_log_group")
    log_groups += planned(unit_plans["vpc"], "aws_cloudwatch_log_group")
    assert log_groups
    assert all(group["kms_key_id"] for group in log_groups)

    egress = planned(unit_plans["ecs"], "aws_vpc_security_group_egress_rule")
    assert egress
    cidrs = {rule["cidr_ipv4"] for rule in egress} - {None}
    prefix_lists = {rule["prefix_list_id"] for rule in egress} - {None}
    if environment == "prod":
        assert cidrs == {unit_plans["ecs"]["variables"]["egress_cidr_blocks"]["value"][0]}
        assert "0.0.0.0/0" not in cidrs
        assert prefix_lists
        assert all(pl.startswith("pl-") for pl in prefix_lists)
    else:
        assert cidrs == {"0.0.0.0/0"}
        assert not prefix_lists
