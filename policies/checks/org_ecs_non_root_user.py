"""CKV_ORG_5: every ECS container names a non-root user."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import ecs_containers

ROOT_USERS = frozenset({"root", "0"})


def _runs_as_non_root(container: dict[str, Any]) -> bool:
    # `user` is "uid", "uid:gid", "name" or "name:group"; absent means the image default (root).
    user = str(container.get("user") or "").strip()
    return bool(user) and user.split(":", 1)[0] not in ROOT_USERS


class EcsNonRootUser(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="ECS containers run as an explicit non-root user",
            id="CKV_ORG_5",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_ecs_task_definition",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["container_definitions"]
        containers = ecs_containers(conf)
        if containers is None:
            return CheckResult.UNKNOWN
        if all(_runs_as_non_root(container) for container in containers):
            return CheckResult.PASSED
        return CheckResult.FAILED


check = EcsNonRootUser()
