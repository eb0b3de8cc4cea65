"""boto3 clients, created once per process with explicit timeouts and bounded retries.

Also how an AWS error is named in the logs (its code, never its message).
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from worker.config import Config

# A long poll holds the connection for up to WaitTimeSeconds; the read timeout
# must outlast it or every empty receive would look like a network failure.
_LONG_POLL_MARGIN_SECONDS = 10.0


def _client(service: str, config: Config, read_timeout: float, pool: int) -> Any:
    # No endpoint_url argument: boto3 itself honours AWS_ENDPOINT_URL and the
    # per-service AWS_ENDPOINT_URL_<SERVICE> variables (emulator, VPC endpoints).
    boto_config = BotoConfig(
        region_name=config.region,
        connect_timeout=config.aws_connect_timeout_seconds,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": config.aws_max_attempts},
        max_pool_connections=pool,
        tcp_keepalive=True,
    )
    return boto3.session.Session().client(service, config=boto_config)


def sqs_receive_client(config: Config) -> Any:
    """For ReceiveMessage only: its read timeout outlasts the long poll."""
    read_timeout = config.wait_time_seconds + _LONG_POLL_MARGIN_SECONDS
    return _client("sqs", config, read_timeout, pool=config.pollers + 1)


def sqs_client(config: Config) -> Any:
    """For deletes and visibility changes: short timeouts like every other call."""
    return _client("sqs", config, config.aws_read_timeout_seconds, pool=config.pollers + 1)


def s3_client(config: Config) -> Any:
    return _client(
        "s3",
        config,
        config.aws_read_timeout_seconds,
        pool=config.pollers * config.upload_concurrency,
    )


def error_code(error: Exception) -> str:
    """The AWS error code of a client error, or the exception's name (never its message)."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__
