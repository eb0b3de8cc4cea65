"""No `latest` outside local: dev, staging and prod refuse to plan without explicit image tags
(live/_common/ecs.hcl), local keeps its default. Real Terragrunt runs; the emulator endpoint
points at a closed loopback port so nothing leaves the machine."""

from __future__ import annotations

import os
import re
import tempfile

import pytest

from devstack import terragrunt as tg
from devstack.live import LIVE

GUARD = "Required environment variable {name} - not found"


def plan_without_tags(environment: str) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FRONTEND_IMAGE_TAG", "WORKER_IMAGE_TAG"} and not key.startswith("AWS_")
    }
    with tempfile.TemporaryDirectory() as cache:
        env |= {
            "TG_DOWNLOAD_DIR": cache,
            "AWS_EMULATOR_ENDPOINT": "http://127.0.0.1:9",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",  # pragma: allowlist secret
            "TG_NON_INTERACTIVE": "true",
            # Dependency outputs read straight from the state bucket, one attempt: the closed
            # port fails the plan at once instead of after Terraform's backend retries (~40 s).
            "TG_DEPENDENCY_FETCH_OUTPUT_FROM_STATE": "true",
            "AWS_MAX_ATTEMPTS": "1",
        }
        result = tg.run(
            "plan", "-input=false", cwd=LIVE / environment / "ecs", env=env, timeout=180
        )
    assert result.returncode != 0, "no emulator runs here: the plan cannot succeed"
    return result.output


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_deployed_environments_refuse_to_plan_without_image_tags(environment: str) -> None:
    output = plan_without_tags(environment)
    assert GUARD.format(name="FRONTEND_IMAGE_TAG") in output, output[-2000:]
    assert GUARD.format(name="WORKER_IMAGE_TAG") in output


def test_local_plans_with_its_default_tag() -> None:
    output = plan_without_tags("local")
    assert "Required environment variable" not in output, output[-2000:]
    # It got past the configuration to the dependencies' outputs (no emulator runs here).
    assert re.search(r'resolving dependency "[\w-]+" outputs', output), output[-2000:]
