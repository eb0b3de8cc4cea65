"""State moves with the code: modules/ecs's services as modules/ecs-service instances.

Applies the last two-copy layout of modules/ecs (taken from git at OLD_LAYOUT) against a moto
server, plans the current module on that state and reads `terraform show -json`: no ECS
service, task definition family, role or log group is replaced or destroyed, and the token
parameter the old module wrote is forgotten, not deleted (the module no longer manages it:
devstack.token does). Then applies the current module and plans a third service as one more
`services` entry: every change is a create inside that service's module instance.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import textwrap
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack import emulator as emulator_lib
from devstack import module_tests
from devstack import terraform as tf
from devstack.stackdef import REPO_ROOT

# The last commit whose modules/ecs wrote every resource once per service.
OLD_LAYOUT = "12e8108813c736bdf637fde4bbeda2b22358ebfb"  # pragma: allowlist secret (a commit)
TF_TIMEOUT_S = 600
# What must survive the refactoring in place (AWS names and identities).
KEPT_TYPES = {
    "aws_ecs_service",
    "aws_iam_role",
    "aws_cloudwatch_log_group",
    "aws_security_group",
    "aws_ecs_cluster",
}
TOKEN_PARAMETER = "/app/frontend/token"  # pragma: allowlist secret (a name)

SETUP = """
module "setup" {
  source = "./setup"
  name   = "mig"
}
"""

COMMON_INPUTS = """
  name                    = "mig"
  vpc_id                  = module.setup.vpc_id
  private_subnet_ids      = module.setup.private_subnet_ids
  alb_security_group_id   = module.setup.alb_security_group_id
  target_group_arn        = module.setup.target_group_arn
  alb_arn_suffix          = module.setup.alb_arn_suffix
  target_group_arn_suffix = module.setup.target_group_arn_suffix
  queue_url               = module.setup.queue_url
  queue_arn               = module.setup.queue_arn
  queue_name              = module.setup.queue_name
  data_bucket_name        = module.setup.bucket_name
  data_bucket_arn         = module.setup.bucket_arn
"""

REGISTRY = "123456789012.dkr.ecr.eu-central-1.amazonaws.com"

OLD_ECS = f"""
module "ecs" {{
  source = "./old/ecs"
{COMMON_INPUTS}
  frontend_image_repository = "{REGISTRY}/frontend-service"
  frontend_image_tag        = "v1"
  worker_image_repository   = "{REGISTRY}/sqs-puller-service"
  worker_image_tag          = "v1"
}}
"""

FRONTEND = f"""
    frontend = {{
      service_name = "frontend-service", image_repository = "{REGISTRY}/frontend-service"
      image_tag = "v1", port = 5000, access = ["read-token", "send-to-queue"], load_balanced = true
      desired_count = 2, min_count = 2, max_count = 6
      scaling = {{ cpu_target = 60, requests_per_target = 1000 }}
    }}
    worker = {{
      service_name = "queue-worker-service", image_repository = "{REGISTRY}/sqs-puller-service"
      image_tag = "v1", port = 5001, access = ["consume-queue", "write-data"]
      min_count = 1, max_count = 4, health_check_start_period = 40
      scaling = {{ backlog_per_task = 100 }}
    }}
"""

THIRD = f"""
    audit = {{
      service_name = "audit-service", image_repository = "{REGISTRY}/audit-service"
      image_tag = "v1", port = 5002, access = ["consume-queue"], min_count = 1, max_count = 3
      scaling = {{ backlog_per_task = 50 }}
    }}
"""


def new_ecs(services: str) -> str:
    return f"""
module "ecs" {{
  source = "./modules/ecs"
{COMMON_INPUTS}
  services = {{
{services}
  }}
}}
"""


def terraform(workdir: Path, env: Mapping[str, str], *args: str) -> str:
    completed = tf.call(workdir, *args, env=env, timeout=TF_TIMEOUT_S)
    assert completed.returncode == 0, (
        f"terraform {args[0]}:\n{completed.stdout}\n{completed.stderr}"
    )
    return completed.stdout


def write_root(workdir: Path, ecs: str) -> None:
    (workdir / "main.tf").write_text(
        module_tests.provider_block() + SETUP + textwrap.dedent(ecs), encoding="utf-8"
    )


def planned_changes(workdir: Path, env: Mapping[str, str]) -> list[dict[str, Any]]:
    terraform(workdir, env, "init", "-input=false", "-no-color")
    terraform(workdir, env, "plan", "-input=false", "-no-color", "-out=tfplan")
    plan = json.loads(terraform(workdir, env, "show", "-json", "tfplan"))
    return [
        change
        for change in plan["resource_changes"]
        if change["mode"] == "managed" and change["change"]["actions"] != ["no-op"]
    ]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ecs-state")
    shutil.copytree(
        REPO_ROOT / "modules", root / "modules", ignore=shutil.ignore_patterns(".terraform*")
    )
    shutil.copytree(REPO_ROOT / "modules" / "ecs" / "tests" / "setup", root / "setup")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", OLD_LAYOUT, "modules/ecs"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    (root / "old").mkdir()
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(root / "old", filter="data")
    shutil.move(root / "old" / "modules" / "ecs", root / "old" / "ecs")
    return root


@pytest.fixture(scope="module")
def tf_env(emulator: emulator_lib.Emulator) -> dict[str, str]:
    return module_tests.emulator_terraform_env(emulator.endpoint)


@pytest.mark.integration
@pytest.mark.timeout(1500)
def test_old_state_follows_without_replacement_and_a_third_service_adds_only_itself(
    workdir: Path, tf_env: dict[str, str], emulator: emulator_lib.Emulator
) -> None:
    write_root(workdir, OLD_ECS)
    terraform(workdir, tf_env, "init", "-input=false", "-no-color")
    terraform(workdir, tf_env, "apply", "-input=false", "-no-color", "-auto-approve")

    write_root(workdir, new_ecs(FRONTEND))
    changes = planned_changes(workdir, tf_env)
    moved = {c["previous_address"]: c["address"] for c in changes if c.get("previous_address")}
    assert moved, "expected moved resources in the plan"
    for change in changes:
        actions = change["change"]["actions"]
        if change["type"] in KEPT_TYPES:
            assert "delete" not in actions, (change["address"], actions)
            assert "create" not in actions, (change["address"], actions)
        if change["type"] == "aws_ecs_task_definition":
            before, after = change["change"]["before"], change["change"]["after"]
            assert before is not None, change["address"]
            assert before["family"] == after["family"], change["address"]
    # Every moved resource of the old layout still exists (moved, not destroyed). The
    # terraform_data that tracked the old token's key exists only in the state.
    deleted = sorted(c["address"] for c in changes if c["change"]["actions"] == ["delete"])
    assert deleted == [
        "module.ecs.aws_iam_role_policy.execution",
        "module.ecs.terraform_data.token_kms_key",
    ], deleted
    # The token parameter leaves the state and stays in SSM.
    forgotten = [c["address"] for c in changes if c["change"]["actions"] == ["forget"]]
    assert forgotten == ["module.ecs.aws_ssm_parameter.token"], forgotten
    ssm = boto3.client(
        "ssm",
        endpoint_url=emulator.endpoint,
        region_name=tf_env["AWS_REGION"],
        aws_access_key_id=tf_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=tf_env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=tf_env["AWS_SESSION_TOKEN"],
    )
    token_before = ssm.get_parameter(Name=TOKEN_PARAMETER, WithDecryption=True)["Parameter"]

    terraform(workdir, tf_env, "apply", "-input=false", "-no-color", "tfplan")
    token_after = ssm.get_parameter(Name=TOKEN_PARAMETER, WithDecryption=True)["Parameter"]
    assert token_after["Value"] == token_before["Value"]
    assert token_after["Version"] == token_before["Version"]
    state = json.loads(terraform(workdir, tf_env, "show", "-json"))
    ecs = next(
        module
        for module in state["values"]["root_module"]["child_modules"]
        if module["address"] == "module.ecs"
    )
    managed = {r["address"] for r in ecs["resources"] if r["mode"] == "managed"}
    assert "module.ecs.aws_ssm_parameter.token" not in managed
    assert {"module.ecs.aws_kms_key.token", "module.ecs.aws_kms_alias.token"} <= managed

    write_root(workdir, new_ecs(FRONTEND + THIRD))
    changes = planned_changes(workdir, tf_env)
    third = 'module.ecs.module.service["audit"].'
    assert all(c["address"].startswith(third) for c in changes), [c["address"] for c in changes]
    assert all(c["change"]["actions"] == ["create"] for c in changes)
    created = {c["address"].removeprefix(third) for c in changes}
    for resource in (
        "aws_ecs_service.this",
        "aws_ecs_task_definition.this",
        "aws_iam_role.task",
        "aws_iam_role_policy.task",
        "aws_iam_role_policy.execution",
        "aws_cloudwatch_log_group.this",
        "aws_security_group.this",
        "aws_appautoscaling_target.this[0]",
        'aws_appautoscaling_policy.this["backlog"]',
    ):
        assert resource in created, (resource, sorted(created))
