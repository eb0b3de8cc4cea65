"""CKV_ORG_10: every CloudWatch log group has a finite retention."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import as_int, is_unresolved, unwrap


class LogGroupRetention(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="CloudWatch log groups set a retention (never 'keep forever')",
            id="CKV_ORG_10",
            categories=(CheckCategories.LOGGING,),
            supported_resources=("aws_cloudwatch_log_group",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["retention_in_days"]
        value = unwrap(conf.get("retention_in_days"))
        if is_unresolved(value):
            # A module input (validated there); the plan shows the number.
            return CheckResult.UNKNOWN
        days = as_int(value)
        return CheckResult.PASSED if days is not None and days > 0 else CheckResult.FAILED


check = LogGroupRetention()
