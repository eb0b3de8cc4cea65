"""boto3 clients, created once per process with explicit timeouts and bounded retries."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from frontend.config import Config


def client_config(config: Config) -> BotoConfig:
    # `standard` retries throttling and transient errors with jittered backoff. The
    # read timeout is derived from the budget (config.py), so attempts x (connect +
    # read) + backoff stays within AWS_BUDGET_SECONDS: an outage is a 503 within it.
    return BotoConfig(
        region_name=config.region,
        connect_timeout=config.aws_connect_timeout_seconds,
        read_timeout=config.aws_read_timeout_seconds,
        retries={"mode": "standard", "total_max_attempts": config.aws_max_attempts},
        max_pool_connections=32,
        tcp_keepalive=True,
    )


def make_client(service: str, config: Config) -> Any:
    # No endpoint_url argument: boto3 itself honours AWS_ENDPOINT_URL and the
    # per-service AWS_ENDPOINT_URL_<SERVICE> variables (emulator, VPC endpoints).
    session = boto3.session.Session()
    return session.client(service, config=client_config(config))
