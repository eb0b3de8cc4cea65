"""CKV_ORG_1: every taggable resource carries the organisation's cost/ownership tags."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import PLAN_CHANGE_ACTIONS, unwrap

REQUIRED_TAGS = ("Project", "Environment", "ManagedBy")


class RequiredTags(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Taggable resources carry the Project, Environment and ManagedBy tags",
            id="CKV_ORG_1",
            categories=(CheckCategories.CONVENTION,),
            supported_resources=("aws_*",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        # Only a plan shows `tags_all` (resource tags merged with the provider's default_tags);
        # module HCL never has it, so the rule is judged where it can be judged: the plan.
        if "tags_all" in conf:
            tags = unwrap(conf["tags_all"])
        elif PLAN_CHANGE_ACTIONS in conf and "tags" in conf:
            # `tags_all` unknown until apply: only the resource's own tags can vouch for it.
            tags = unwrap(conf["tags"])
        else:
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["tags_all", "tags"]
        if not isinstance(tags, dict):
            return CheckResult.FAILED
        missing = [key for key in REQUIRED_TAGS if not str(unwrap(tags.get(key)) or "").strip()]
        return CheckResult.FAILED if missing else CheckResult.PASSED


check = RequiredTags()
