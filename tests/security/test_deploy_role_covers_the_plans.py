"""The deploy role may create every resource type an environment plans.

The deploy policy (modules/github-oidc) lists actions service by service instead of a managed
policy, so a module that gains a resource type (a key, a certificate, a web ACL) needs a grant
there too, or the first apply in AWS fails half-way. Each resource type maps to the API call
that creates it; a type missing from the map fails the test until someone adds it here and,
if needed, to the deploy policy. Resource scoping is asserted in the module's own tests.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from devstack import plans

pytestmark = pytest.mark.integration

DEPLOYED_ENVIRONMENTS = ("dev", "staging", "prod")
# The CI roles themselves are applied once by an administrator (README, "Deploying to AWS").
BOOTSTRAP_UNIT = "github-oidc"

CREATE_ACTION = {
    "aws_acm_certificate": "acm:RequestCertificate",
    "aws_acm_certificate_validation": "acm:DescribeCertificate",
    "aws_appautoscaling_policy": "application-autoscaling:PutScalingPolicy",
    "aws_appautoscaling_target": "application-autoscaling:RegisterScalableTarget",
    "aws_cloudwatch_dashboard": "cloudwatch:PutDashboard",
    "aws_cloudwatch_log_group": "logs:CreateLogGroup",
    "aws_cloudwatch_metric_alarm": "cloudwatch:PutMetricAlarm",
    "aws_default_security_group": "ec2:RevokeSecurityGroupIngress",
    "aws_ecr_lifecycle_policy": "ecr:PutLifecyclePolicy",
    "aws_ecr_repository": "ecr:CreateRepository",
    "aws_ecs_cluster": "ecs:CreateCluster",
    "aws_ecs_service": "ecs:CreateService",
    "aws_ecs_task_definition": "ecs:RegisterTaskDefinition",
    "aws_eip": "ec2:AllocateAddress",
    "aws_flow_log": "ec2:CreateFlowLogs",
    "aws_iam_policy": "iam:CreatePolicy",
    "aws_iam_role": "iam:CreateRole",
    "aws_iam_role_policy": "iam:PutRolePolicy",
    "aws_iam_role_policy_attachment": "iam:AttachRolePolicy",
    "aws_internet_gateway": "ec2:CreateInternetGateway",
    "aws_kms_alias": "kms:CreateAlias",
    "aws_kms_key": "kms:CreateKey",
    "aws_lb": "elasticloadbalancing:CreateLoadBalancer",
    "aws_lb_listener": "elasticloadbalancing:CreateListener",
    "aws_lb_target_group": "elasticloadbalancing:CreateTargetGroup",
    "aws_nat_gateway": "ec2:CreateNatGateway",
    "aws_route": "ec2:CreateRoute",
    "aws_route53_record": "route53:ChangeResourceRecordSets",
    "aws_route_table": "ec2:CreateRouteTable",
    "aws_route_table_association": "ec2:AssociateRouteTable",
    "aws_s3_bucket": "s3:CreateBucket",
    "aws_s3_bucket_lifecycle_configuration": "s3:PutLifecycleConfiguration",
    "aws_s3_bucket_logging": "s3:PutBucketLogging",
    "aws_s3_bucket_ownership_controls": "s3:PutBucketOwnershipControls",
    "aws_s3_bucket_policy": "s3:PutBucketPolicy",
    "aws_s3_bucket_public_access_block": "s3:PutBucketPublicAccessBlock",
    "aws_s3_bucket_server_side_encryption_configuration": "s3:PutEncryptionConfiguration",
    "aws_s3_bucket_versioning": "s3:PutBucketVersioning",
    "aws_security_group": "ec2:CreateSecurityGroup",
    "aws_sns_topic": "sns:CreateTopic",
    "aws_sns_topic_policy": "sns:SetTopicAttributes",
    "aws_sns_topic_subscription": "sns:Subscribe",
    "aws_sqs_queue": "sqs:CreateQueue",
    "aws_sqs_queue_policy": "sqs:SetQueueAttributes",
    "aws_sqs_queue_redrive_allow_policy": "sqs:SetQueueAttributes",
    "aws_subnet": "ec2:CreateSubnet",
    "aws_vpc": "ec2:CreateVpc",
    "aws_vpc_endpoint": "ec2:CreateVpcEndpoint",
    "aws_vpc_security_group_egress_rule": "ec2:AuthorizeSecurityGroupEgress",
    "aws_vpc_security_group_ingress_rule": "ec2:AuthorizeSecurityGroupIngress",
    "aws_wafv2_web_acl": "wafv2:CreateWebACL",
    "aws_wafv2_web_acl_association": "wafv2:AssociateWebACL",
}


def load(path: Any) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def deploy_policy_allows(oidc_plan: dict[str, Any]) -> list[str]:
    """The action patterns the deploy policy allows, from the planned policy document."""
    policies = [
        change["change"]["after"]
        for change in oidc_plan["resource_changes"]
        if change["type"] == "aws_iam_role_policy" and change["name"] == "deploy"
    ]
    assert len(policies) == 1, [c["address"] for c in oidc_plan["resource_changes"]]
    document = json.loads(policies[0]["policy"])
    allowed: list[str] = []
    for statement in document["Statement"]:
        if statement["Effect"] == "Allow":
            actions = statement["Action"]
            allowed.extend([actions] if isinstance(actions, str) else actions)
    return allowed


def ungranted(resource_types: set[str], allowed: list[str]) -> dict[str, str]:
    """Resource type -> its create call, for the calls no allowed pattern matches."""
    return {
        kind: CREATE_ACTION[kind]
        for kind in resource_types
        if not any(fnmatch.fnmatchcase(CREATE_ACTION[kind], pattern) for pattern in allowed)
    }


@pytest.mark.parametrize("environment", DEPLOYED_ENVIRONMENTS)
def test_deploy_role_may_create_every_planned_resource_type(
    environment: str, environment_plans: dict[str, plans.PlanSet]
) -> None:
    paths = environment_plans[environment].unit_plans()
    unit_plans = {unit: load(path) for unit, path in paths.items()}
    allowed = deploy_policy_allows(unit_plans[BOOTSTRAP_UNIT])
    planned = {
        change["type"]
        for unit, plan in unit_plans.items()
        if unit != BOOTSTRAP_UNIT
        for change in plan["resource_changes"]
        if change["mode"] == "managed" and change["provider_name"].endswith("hashicorp/aws")
    }
    unmapped = sorted(planned - CREATE_ACTION.keys())
    assert not unmapped, f"{environment}: map these resource types to their create call: {unmapped}"
    denied = ungranted(planned, allowed)
    assert not denied, f"{environment}: the deploy role may not create {denied}"


def test_an_ungranted_create_call_is_reported() -> None:
    plan = {
        "resource_changes": [
            {
                "type": "aws_iam_role_policy",
                "name": "deploy",
                "change": {
                    "after": {
                        "policy": json.dumps(
                            {"Statement": [{"Effect": "Allow", "Action": ["kms:Decrypt", "sqs:*"]}]}
                        )
                    }
                },
            }
        ]
    }
    allowed = deploy_policy_allows(plan)
    assert ungranted({"aws_sqs_queue", "aws_kms_key"}, allowed) == {"aws_kms_key": "kms:CreateKey"}
