"""The layout of live/: environments, components, dependency edges, tolerated warnings."""

from __future__ import annotations

import re

from devstack.stackdef import REPO_ROOT

LIVE = REPO_ROOT / "live"
ENVIRONMENTS = ("dev", "staging", "prod", "local")
REMOTE_ENVIRONMENTS = ("dev", "staging", "prod")
COMPONENTS = ("kms", "vpc", "alb", "sqs", "s3", "ecr", "ecs", "monitoring")
# CI's roles (applied by an administrator); the emulator twin has no GitHub.
REMOTE_ONLY_COMPONENTS = ("github-oidc",)
REQUIRED_EDGES = {
    # The customer-managed keys exist before what they encrypt.
    ("vpc", "kms"),
    ("sqs", "kms"),
    ("s3", "kms"),
    ("ecs", "kms"),
    ("alb", "vpc"),
    ("ecs", "vpc"),
    ("ecs", "alb"),
    ("ecs", "sqs"),
    ("ecs", "s3"),
    ("ecs", "ecr"),
    # Alarms take their dimensions from the units they watch.
    ("monitoring", "sqs"),
    ("monitoring", "alb"),
    ("monitoring", "ecs"),
}
# Terragrunt's notice that a dependency without state answered with its mock_outputs: expected
# when validating or planning a fresh environment, and the only warning tolerated there. Reading
# outputs from state (emulator.terragrunt_env) words it as a failed read: only a 404 qualifies.
MOCK_NOTICE = re.compile(
    r"has no outputs, but mock outputs provided"
    r"|fallback to mock outputs\. Error: fetching dependency state from s3://\S+/terraform\.tfstate:"
    r" operation error S3: GetObject, https response error StatusCode: 404,"
)
# A terragrunt log line at warning level, whatever the format ("WARN " in the default one).
WARNING = re.compile(r"^\S*\s*WARN\b|\bWARN\s", re.MULTILINE)


def units(environment: str) -> set[str]:
    extra = () if environment == "local" else REMOTE_ONLY_COMPONENTS
    return {*COMPONENTS, *extra}


def warnings_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if WARNING.search(line)]
