"""CKV_ORG_11: ECR repositories use immutable tags and scan every pushed image."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import blocks, unwrap


class EcrImmutableScanOnPush(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="ECR repositories are tag-immutable and scan images on push",
            id="CKV_ORG_11",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_ecr_repository",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["image_tag_mutability", "image_scanning_configuration"]
        immutable = str(unwrap(conf.get("image_tag_mutability")) or "") == "IMMUTABLE"
        scanning = blocks(conf.get("image_scanning_configuration"))
        scan_on_push = any(unwrap(block.get("scan_on_push")) is True for block in scanning)
        return CheckResult.PASSED if immutable and scan_on_push else CheckResult.FAILED


check = EcrImmutableScanOnPush()
