"""dev, staging and prod plan against a moto server: every unit, the units unchanged.

Only environment variables (devstack.emulator.terragrunt_env) put the environments in emulator
mode; the state backend is the emulator's S3 too, bootstrapped by Terragrunt. The vpc unit is
applied first, as in a first deploy: the alb module reads its VPC (data "aws_vpc"), which no
mock_outputs ID can satisfy; every other dependency is mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from live_support import (
    LIVE,
    MOCK_NOTICE,
    REMOTE_ENVIRONMENTS,
    REPO_ROOT,
    terragrunt,
    units,
    warnings_in,
)

from devstack import emulator as emulator_lib
from devstack import stack

PLAN_TIMEOUT_S = 900


def git_status(path: Path) -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def resources_with_tags(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        change
        for change in plan.get("resource_changes", [])
        if isinstance((change["change"].get("after") or {}).get("tags_all"), dict)
    ]


@pytest.mark.integration
@pytest.mark.timeout(PLAN_TIMEOUT_S)
@pytest.mark.parametrize("environment", REMOTE_ENVIRONMENTS)
def test_environment_plans_against_the_emulator(
    environment: str, emulator: emulator_lib.Emulator, tmp_path: Path
) -> None:
    before = git_status(LIVE)
    json_dir = tmp_path / "json"
    # Caches of this run only.
    env = {
        **os.environ,
        **emulator_lib.terragrunt_env(emulator.endpoint),
        "TG_DOWNLOAD_DIR": str(tmp_path / "cache"),
    }
    network = terragrunt(
        "apply",
        "--non-interactive",
        "-input=false",
        "-auto-approve",
        cwd=LIVE / environment / "vpc",
        env=env,
        timeout=PLAN_TIMEOUT_S,
    )
    assert network.returncode == 0, network.output[-6000:]
    result = terragrunt(
        "run",
        "--all",
        "--non-interactive",
        "--json-out-dir",
        str(json_dir),
        "--",
        "plan",
        "-input=false",
        cwd=LIVE / environment,
        env=env,
        timeout=PLAN_TIMEOUT_S,
    )
    assert result.returncode == 0, result.output[-6000:]
    unexpected = [line for line in warnings_in(result.output) if not MOCK_NOTICE.search(line)]
    assert not unexpected, unexpected

    plans = {
        path.parent.relative_to(json_dir).as_posix(): json.loads(path.read_text(encoding="utf-8"))
        for path in json_dir.rglob("*.json")
    }
    assert set(plans) == units(environment)
    for unit, plan in plans.items():
        creates = [c for c in plan["resource_changes"] if "create" in c["change"]["actions"]]
        if unit == "vpc":
            assert not creates, f"{environment}/vpc is not up to date right after its apply"
        else:
            assert creates, f"{environment}/{unit} plans to create nothing"
        tagged = resources_with_tags(plan)
        assert tagged, f"{environment}/{unit} has no tagged resource"
        for change in tagged:
            tags = change["change"]["after"]["tags_all"]
            assert tags["Environment"] == environment, change["address"]
            assert tags["Project"] == "ingest-pipeline", change["address"]
            assert tags["ManagedBy"] == "terragrunt", change["address"]
        # The root's `tags` input reaches the module (modules tag what supports it).
        components = {c["change"]["after"]["tags_all"].get("Component") for c in tagged}
        assert unit in components, f"{environment}/{unit}: no resource tagged Component={unit}"
        assert components <= {unit, None}, components

    assert_twin_sets_the_task_definition_variables(
        plans["ecs"]["planned_values"]["outputs"]["containers"]["value"]
    )

    # The environment's units are untouched (only ignored caches were written).
    assert git_status(LIVE) == before


def assert_twin_sets_the_task_definition_variables(containers: dict[str, Any]) -> None:
    """`make up` runs each service with the variables its ECS container gets (the ecs unit's
    `containers` output), plus only the emulator endpoint and loopback bind addresses."""
    settings = stack.StackSettings(
        endpoint="http://127.0.0.1:4566",
        region="eu-central-1",
        queue_url="http://127.0.0.1:4566/123456789012/q",
        dlq_url="http://127.0.0.1:4566/123456789012/q-dlq",
        data_bucket="bucket",
        token_parameter="/app/frontend/token",
    )
    local_only = {"AWS_ENDPOINT_URL", "GUNICORN_CMD_ARGS", "HOST"}
    twins = {"frontend": stack.FRONTEND, "worker": stack.WORKER}
    assert set(containers) == set(twins)
    for key, service in twins.items():
        twin = settings.service_env(service)
        assert set(twin) - local_only == set(containers[key]["environment"]), key
        assert twin["PORT"] == containers[key]["environment"]["PORT"], key
