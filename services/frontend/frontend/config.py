"""Service configuration, read once from the environment and validated."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

DEFAULT_TOKEN_PARAMETER = "/app/frontend/token"  # noqa: S105 - a parameter name, not a secret
DEFAULT_REGION = "eu-central-1"

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]", re.ASCII)
# SSM parameter names: a path of letters, digits and . - _ segments.
_PARAMETER_NAME = re.compile(r"/?[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*", re.ASCII)


# botocore's `standard` retry mode waits at most rand(0, 1) x 2**i seconds before retry i+1
# (throttling; other errors wait far less), so n attempts spend at most 2**(n-1) - 1 s waiting.
MAX_FIRST_BACKOFF_SECONDS = 1.0
# Below this a healthy but slow SSM/SQS answer would already fail.
MIN_READ_TIMEOUT_SECONDS = 0.5


class ConfigError(ValueError):
    """A missing or invalid setting; the message is the one-line reason."""


@dataclass(frozen=True)
class Config:
    queue_url: str
    token_parameter: str = DEFAULT_TOKEN_PARAMETER
    region: str = DEFAULT_REGION
    endpoint_url: str | None = None
    port: int = 5000
    token_cache_ttl_seconds: float = 300.0
    # After the TTL, the last good token still works this long while SSM fails.
    token_grace_seconds: float = 600.0
    # After a failed SSM read, no new read for this long (no call storm while SSM throttles).
    token_failure_cache_seconds: float = 5.0
    # Worst case of one AWS call, retries included; the read timeout is derived from it.
    aws_budget_seconds: float = 3.0
    aws_connect_timeout_seconds: float = 0.3
    aws_max_attempts: int = 2
    aws_read_timeout_seconds: float = 0.7
    # gunicorn sizing; None means "derive from the CPU count".
    web_concurrency: int | None = None
    threads: int = 8


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


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"{name} must be an integer between {low} and {high}, got {raw!r}")
    return int(raw)


def worst_case_backoff_seconds(attempts: int) -> float:
    return MAX_FIRST_BACKOFF_SECONDS * (2 ** (attempts - 1) - 1)


def derive_read_timeout(budget: float, attempts: int, connect_timeout: float) -> float:
    """The read timeout that keeps attempts x (connect + read) + backoff within the budget."""
    per_attempt = (budget - worst_case_backoff_seconds(attempts)) / attempts
    # Whole milliseconds, rounded down so the sum stays within the budget.
    read_timeout = math.floor((per_attempt - connect_timeout) * 1000) / 1000
    if read_timeout < MIN_READ_TIMEOUT_SECONDS:
        raise ConfigError(
            f"AWS_BUDGET_SECONDS={budget:g} leaves a read timeout of {read_timeout:g} s "
            f"(< {MIN_READ_TIMEOUT_SECONDS:g} s) for {attempts} attempts with a "
            f"{connect_timeout:g} s connect timeout; raise the budget or lower AWS_MAX_ATTEMPTS"
        )
    return read_timeout


def load(env: Mapping[str, str]) -> Config:
    """Build the configuration from environment variables or raise ConfigError."""
    queue_url = env.get("QUEUE_URL", "").strip()
    if not queue_url:
        raise ConfigError("QUEUE_URL is required")
    _http_url("QUEUE_URL", queue_url)

    token_parameter = env.get("TOKEN_PARAMETER", "").strip() or DEFAULT_TOKEN_PARAMETER
    if not _PARAMETER_NAME.fullmatch(token_parameter):
        raise ConfigError(f"TOKEN_PARAMETER is not a valid SSM parameter name: {token_parameter!r}")

    region = env.get("AWS_REGION", "").strip() or DEFAULT_REGION
    if not _REGION.fullmatch(region):
        raise ConfigError(f"AWS_REGION is not a region name: {region!r}")

    endpoint_url = env.get("AWS_ENDPOINT_URL", "").strip() or None
    if endpoint_url is not None:
        _http_url("AWS_ENDPOINT_URL", endpoint_url)

    if env.get("AWS_READ_TIMEOUT_SECONDS", "").strip():
        raise ConfigError("AWS_READ_TIMEOUT_SECONDS is derived from AWS_BUDGET_SECONDS; unset it")
    budget = _number(env, "AWS_BUDGET_SECONDS", 3.0, 1.0, 30.0)
    connect_timeout = _number(env, "AWS_CONNECT_TIMEOUT_SECONDS", 0.3, 0.1, 5.0)
    attempts = _integer(env, "AWS_MAX_ATTEMPTS", 2, 1, 5)

    return Config(
        queue_url=queue_url,
        token_parameter=token_parameter,
        region=region,
        endpoint_url=endpoint_url,
        port=_integer(env, "PORT", 5000, 1, 65535),
        token_cache_ttl_seconds=_number(env, "TOKEN_CACHE_TTL_SECONDS", 300.0, 0.0, 86400.0),
        token_grace_seconds=_number(env, "TOKEN_GRACE_SECONDS", 600.0, 0.0, 86400.0),
        token_failure_cache_seconds=_number(env, "TOKEN_FAILURE_CACHE_SECONDS", 5.0, 1.0, 300.0),
        aws_budget_seconds=budget,
        aws_connect_timeout_seconds=connect_timeout,
        aws_max_attempts=attempts,
        aws_read_timeout_seconds=derive_read_timeout(budget, attempts, connect_timeout),
        web_concurrency=_integer(env, "WEB_CONCURRENCY", 0, 1, 64) or None,
        threads=_integer(env, "GUNICORN_THREADS", 8, 1, 256),
    )
