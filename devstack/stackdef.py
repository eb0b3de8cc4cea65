"""The stack's names, ports, prefixes and emulator settings: `stack.json`, read once.

The same file is read by the HCL (live/_common/context.hcl, the root terragrunt.hcl), so a
name or port changes in one place for Terraform, the twin, the tests and the benchmarks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
STACK_FILE = REPO_ROOT / "stack.json"


@dataclass(frozen=True)
class ServiceDef:
    """One service: its name in the code, in ECS and in ECR, its directory and its port."""

    key: str
    ecs_service: str
    ecr_repository: str
    directory: Path
    port: int


@dataclass(frozen=True)
class EmulatorDef:
    host: str
    port: int
    account_id: str
    credentials: dict[str, str]
    server_settings: dict[str, str]

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TypeError(f"{path}: expected a JSON object")
    return data


_STACK = _load(STACK_FILE)

PROJECT: str = _STACK["project"]
NAME_PREFIX: str = _STACK["name_prefix"]
REGION: str = _STACK["region"]
DATA_PREFIX: str = _STACK["data_prefix"]
SERVICES: dict[str, ServiceDef] = {
    key: ServiceDef(
        key=key,
        ecs_service=item["ecs_service"],
        ecr_repository=item["ecr_repository"],
        directory=REPO_ROOT / item["directory"],
        port=int(item["port"]),
    )
    for key, item in _STACK["services"].items()
}
EMULATOR = EmulatorDef(
    host=_STACK["emulator"]["host"],
    port=int(_STACK["emulator"]["port"]),
    account_id=_STACK["emulator"]["account_id"],
    credentials=dict(_STACK["emulator"]["credentials"]),
    server_settings=dict(_STACK["emulator"]["server_settings"]),
)


def environment_name(environment: str) -> str:
    """The name prefix of an environment's resources, e.g. devops-prod."""
    return f"{NAME_PREFIX}-{environment}"
