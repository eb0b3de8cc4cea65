"""CKV_ORG_6: no plaintext container environment variable whose name suggests a secret."""

from __future__ import annotations

import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import ecs_containers

# Name words that suggest the value is a secret ...
SECRET_WORD = re.compile(
    r"(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|PASS|KEY|APIKEY|PRIVATE|CREDENTIALS?)(_|$)"
)
# ... unless the name says the value is only a reference to where the secret is kept
# (e.g. TOKEN_PARAMETER=/app/frontend/token, DB_SECRET_ARN=arn:...), which is not a secret.
REFERENCE_SUFFIX = re.compile(r"_(PARAMETER|PARAMETER_NAME|PARAM|SECRET_ARN|SECRET_NAME|ARN)$")


def secret_like(name: str) -> bool:
    upper = name.upper()
    return bool(SECRET_WORD.search(upper)) and not REFERENCE_SUFFIX.search(upper)


class EcsNoPlaintextSecrets(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="ECS secrets come through `secrets`, never plaintext `environment`",
            id="CKV_ORG_6",
            categories=(CheckCategories.SECRETS,),
            supported_resources=("aws_ecs_task_definition",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["container_definitions"]
        containers = ecs_containers(conf)
        if containers is None:
            return CheckResult.UNKNOWN
        for container in containers:
            for variable in container.get("environment") or []:
                if isinstance(variable, dict) and secret_like(str(variable.get("name", ""))):
                    return CheckResult.FAILED
        return CheckResult.PASSED


check = EcsNoPlaintextSecrets()
