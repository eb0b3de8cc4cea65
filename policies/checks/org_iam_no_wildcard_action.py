"""CKV_ORG_7: IAM policies never allow `*` or `<service>:*` actions (nor Allow + NotAction)."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import IAM_POLICY_RESOURCES, iam_statements

NAME = "IAM policies allow no `*` or `service:*` action"


def evaluate(statements: list[dict[str, Any]] | None) -> CheckResult:
    if statements is None:
        return CheckResult.UNKNOWN
    for statement in statements:
        if statement["effect"] != "Allow":
            continue
        if statement["not_actions"]:
            return CheckResult.FAILED
        if any(action == "*" or action.endswith(":*") for action in statement["actions"]):
            return CheckResult.FAILED
    return CheckResult.PASSED


class IamNoWildcardAction(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name=NAME,
            id="CKV_ORG_7",
            categories=(CheckCategories.IAM,),
            supported_resources=IAM_POLICY_RESOURCES,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy"]
        return evaluate(iam_statements(conf, data_source=False))


class IamDocumentNoWildcardAction(BaseDataCheck):
    def __init__(self) -> None:
        super().__init__(
            name=NAME,
            id="CKV_ORG_7",
            categories=(CheckCategories.IAM,),
            supported_data=("aws_iam_policy_document",),
        )

    def scan_data_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["statement"]
        return evaluate(iam_statements(conf, data_source=True))


check = IamNoWildcardAction()
data_check = IamDocumentNoWildcardAction()
