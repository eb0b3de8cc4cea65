"""CKV_ORG_12: managed policies are attached only from the organisation's allow-list.

Inline policies are judged statement by statement (CKV_ORG_7, CKV_ORG_8); an AWS-managed policy
such as AdministratorAccess or PowerUserAccess brings thousands of actions that no inline check
sees. Customer-managed policies (an account id in the ARN) pass: they are policies of this
code, checked where they are defined.
"""

from __future__ import annotations

import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import as_list, is_unresolved

# AWS-managed policies a role of the organisation may carry: narrow, service-specific ones.
ALLOWED_AWS_MANAGED = frozenset(
    {
        "service-role/AmazonECSTaskExecutionRolePolicy",
        "CloudWatchAgentServerPolicy",
        "AmazonSSMManagedInstanceCore",
    }
)
_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?P<name>.+)$")
_CUSTOMER_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:policy/.+$")

# Resource type -> the attribute holding the attached policy ARN(s).
ATTACHMENTS = {
    "aws_iam_role_policy_attachment": "policy_arn",
    "aws_iam_policy_attachment": "policy_arn",
    "aws_iam_user_policy_attachment": "policy_arn",
    "aws_iam_group_policy_attachment": "policy_arn",
    "aws_iam_role": "managed_policy_arns",
}


def verdict(arns: list[Any]) -> CheckResult:
    if any(is_unresolved(arn) or not isinstance(arn, str) for arn in arns):
        return CheckResult.UNKNOWN  # a module input; the plan shows the ARN
    for arn in arns:
        aws_managed = _AWS_MANAGED.match(arn)
        if aws_managed and aws_managed["name"] not in ALLOWED_AWS_MANAGED:
            return CheckResult.FAILED
        if not aws_managed and not _CUSTOMER_MANAGED.match(arn):
            return CheckResult.FAILED
    return CheckResult.PASSED


class ManagedPolicyAllowList(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Managed policies are attached only from the organisation's allow-list",
            id="CKV_ORG_12",
            categories=(CheckCategories.IAM,),
            supported_resources=tuple(ATTACHMENTS),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        attribute = ATTACHMENTS[self.entity_type]
        self.evaluated_keys = [attribute]
        return verdict(as_list(conf.get(attribute)))


check = ManagedPolicyAllowList()
