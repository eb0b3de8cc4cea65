"""CKV_ORG_3: no ECS container runs privileged."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import ecs_containers


class EcsNotPrivileged(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="ECS containers never run privileged",
            id="CKV_ORG_3",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_ecs_task_definition",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["container_definitions"]
        containers = ecs_containers(conf)
        if containers is None:
            return CheckResult.UNKNOWN
        privileged = any(container.get("privileged") is True for container in containers)
        return CheckResult.FAILED if privileged else CheckResult.PASSED


check = EcsNotPrivileged()
