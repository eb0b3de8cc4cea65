"""CKV_ORG_9: every SQS queue that is not itself a dead-letter queue has a redrive policy."""

from __future__ import annotations

import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import is_unresolved, parse_json, unwrap

# A dead-letter queue is recognised by its name (the organisation's "-dlq" suffix) or by a
# redrive *allow* policy, which only a dead-letter queue carries.
DLQ_NAME = re.compile(r"([-_]dlq|[-_]dead[-_]letter)(\.fifo)?$", re.IGNORECASE)


class SqsRedrivePolicy(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="SQS queues other than dead-letter queues have a redrive policy",
            id="CKV_ORG_9",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_sqs_queue",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["redrive_policy"]
        name = str(unwrap(conf.get("name")) or unwrap(conf.get("name_prefix")) or "")
        if DLQ_NAME.search(name) or unwrap(conf.get("redrive_allow_policy")):
            return CheckResult.PASSED
        redrive = unwrap(conf.get("redrive_policy"))
        if is_unresolved(redrive):
            return CheckResult.UNKNOWN
        if isinstance(redrive, str) and redrive.startswith("aws_sqs_queue."):
            # In a plan, a policy computed from the dead-letter queue's ARN is known only after
            # apply; checkov then shows the configuration's reference to that queue.
            return CheckResult.PASSED
        policy = parse_json(redrive)
        if isinstance(policy, dict) and policy.get("deadLetterTargetArn"):
            return CheckResult.PASSED
        return CheckResult.FAILED


check = SqsRedrivePolicy()
