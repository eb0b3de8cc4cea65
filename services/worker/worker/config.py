"""Service configuration, read once from the environment and validated."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

DEFAULT_REGION = "eu-central-1"
# SQS keeps a message invisible for at most 12 hours after its receive.
MAX_VISIBILITY_SECONDS = 43_200

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]", re.ASCII)
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", re.ASCII)
_PREFIX = re.compile(r"([A-Za-z0-9!_.*'()\-]+/)*", re.ASCII)


class ConfigError(ValueError):
    """A missing or invalid setting; the message is the one-line reason."""


@dataclass(frozen=True)
class Config:
    queue_url: str
    data_bucket: str
    region: str = DEFAULT_REGION
    endpoint_url: str | None = None
    # The health endpoint's address: every interface in the container (the ECS health check
    # and the VPC reach it there); `make up` sets loopback.
    host: str = "0.0.0.0"  # noqa: S104 - the container's listening address
    port: int = 5001
    data_prefix: str = "messages/"
    # Long poll: SQS's maximum wait and batch size.
    wait_time_seconds: int = 20
    max_messages: int = 10
    # Poll loops running side by side, and parallel uploads per batch.
    pollers: int = 2
    upload_concurrency: int = 10
    # `GET /` answers 503 when no receive has completed for this long.
    health_max_age_seconds: float = 90.0
    # SIGTERM -> exit budget; ECS kills at 30 s, the issue asks for 10 s.
    shutdown_timeout_seconds: float = 8.0
    aws_connect_timeout_seconds: float = 2.0
    aws_read_timeout_seconds: float = 5.0
    aws_max_attempts: int = 3
    # Visibility heartbeat: the most a message's visibility is extended beyond the queue's
    # timeout while its batch is being stored (0: never extend). Bounds how long a stuck
    # process can hold a message back from other workers and, eventually, the DLQ.
    visibility_max_extension_seconds: int = 600


def _http_url(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {raw!r}")
    return value


def _ip_address(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise ConfigError(f"{name} must be an IP address to listen on, got {raw!r}") from None


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"{name} must be an integer between {low} and {high}, got {raw!r}")
    return int(raw)


def load(env: Mapping[str, str]) -> Config:
    """Build the configuration from environment variables or raise ConfigError."""
    queue_url = env.get("QUEUE_URL", "").strip()
    if not queue_url:
        raise ConfigError("QUEUE_URL is required")
    _http_url("QUEUE_URL", queue_url)

    data_bucket = env.get("DATA_BUCKET", "").strip()
    if not data_bucket:
        raise ConfigError("DATA_BUCKET is required")
    if not _BUCKET.fullmatch(data_bucket) or ".." in data_bucket:
        raise ConfigError(f"DATA_BUCKET is not a valid bucket name: {data_bucket!r}")

    region = env.get("AWS_REGION", "").strip() or DEFAULT_REGION
    if not _REGION.fullmatch(region):
        raise ConfigError(f"AWS_REGION is not a region name: {region!r}")

    endpoint_url = env.get("AWS_ENDPOINT_URL", "").strip() or None
    if endpoint_url is not None:
        _http_url("AWS_ENDPOINT_URL", endpoint_url)

    data_prefix = env.get("DATA_PREFIX", "messages/").strip()
    if not _PREFIX.fullmatch(data_prefix):
        raise ConfigError(
            f"DATA_PREFIX must be empty or path segments ending in '/', got {data_prefix!r}"
        )

    return Config(
        queue_url=queue_url,
        data_bucket=data_bucket,
        region=region,
        endpoint_url=endpoint_url,
        host=_ip_address(env, "HOST", "0.0.0.0"),  # noqa: S104 - see Config.host
        port=_integer(env, "PORT", 5001, 1, 65535),
        data_prefix=data_prefix,
        wait_time_seconds=_integer(env, "WAIT_TIME_SECONDS", 20, 0, 20),
        max_messages=_integer(env, "MAX_MESSAGES", 10, 1, 10),
        pollers=_integer(env, "POLLERS", 2, 1, 32),
        upload_concurrency=_integer(env, "UPLOAD_CONCURRENCY", 10, 1, 100),
        health_max_age_seconds=_number(env, "HEALTH_MAX_AGE_SECONDS", 90.0, 1.0, 3600.0),
        shutdown_timeout_seconds=_number(env, "SHUTDOWN_TIMEOUT_SECONDS", 8.0, 0.5, 25.0),
        aws_connect_timeout_seconds=_number(env, "AWS_CONNECT_TIMEOUT_SECONDS", 2.0, 0.1, 60.0),
        aws_read_timeout_seconds=_number(env, "AWS_READ_TIMEOUT_SECONDS", 5.0, 0.1, 60.0),
        aws_max_attempts=_integer(env, "AWS_MAX_ATTEMPTS", 3, 1, 10),
        visibility_max_extension_seconds=_integer(
            env, "VISIBILITY_MAX_EXTENSION_SECONDS", 600, 0, MAX_VISIBILITY_SECONDS
        ),
    )
