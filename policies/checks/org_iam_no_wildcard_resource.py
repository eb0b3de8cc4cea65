"""CKV_ORG_8: IAM Allow statements name ARNs, never `*`, outside documented exceptions."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import IAM_POLICY_RESOURCES, iam_statements

NAME = "IAM Allow statements name resource ARNs, not `*` (except actions without resource scope)"

# The documented exceptions: these actions support no resource-level permissions, so IAM
# accepts only "*" for them (see policies/README.md). A statement may use "*" only if every
# action it allows is in this list.
RESOURCE_WILDCARD_ACTIONS = frozenset(
    {
        "ecr:GetAuthorizationToken",
        "secretsmanager:GetRandomPassword",
        "cloudwatch:PutMetricData",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    }
)


def evaluate(statements: list[dict[str, Any]] | None) -> CheckResult:
    if statements is None:
        return CheckResult.UNKNOWN
    for statement in statements:
        if statement["effect"] != "Allow" or "*" not in statement["resources"]:
            continue
        actions = statement["actions"]
        if not actions or not set(actions) <= RESOURCE_WILDCARD_ACTIONS:
            return CheckResult.FAILED
    return CheckResult.PASSED


class IamNoWildcardResource(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name=NAME,
            id="CKV_ORG_8",
            categories=(CheckCategories.IAM,),
            supported_resources=IAM_POLICY_RESOURCES,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy"]
        return evaluate(iam_statements(conf, data_source=False))


class IamDocumentNoWildcardResource(BaseDataCheck):
    def __init__(self) -> None:
        super().__init__(
            name=NAME,
            id="CKV_ORG_8",
            categories=(CheckCategories.IAM,),
            supported_data=("aws_iam_policy_document",),
        )

    def scan_data_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["statement"]
        return evaluate(iam_statements(conf, data_source=True))


check = IamNoWildcardResource()
data_check = IamDocumentNoWildcardResource()
