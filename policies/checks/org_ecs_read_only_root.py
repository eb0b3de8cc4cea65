"""CKV_ORG_4: every ECS container has a read-only root filesystem."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import ecs_containers


class EcsReadOnlyRoot(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="ECS containers have a read-only root filesystem",
            id="CKV_ORG_4",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_ecs_task_definition",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["container_definitions"]
        containers = ecs_containers(conf)
        if containers is None:
            return CheckResult.UNKNOWN
        read_only = all(container.get("readonlyRootFilesystem") is True for container in containers)
        return CheckResult.PASSED if read_only else CheckResult.FAILED


check = EcsReadOnlyRoot()
