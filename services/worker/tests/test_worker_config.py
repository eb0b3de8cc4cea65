"""Configuration from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from worker.config import Config, ConfigError, load

REPO_ROOT = Path(__file__).resolve().parents[3]
QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/123456789012/ingest"
REQUIRED = {"QUEUE_URL": QUEUE_URL, "DATA_BUCKET": "devops-dev-data"}


def test_defaults() -> None:
    config = load(REQUIRED)
    assert config == Config(queue_url=QUEUE_URL, data_bucket="devops-dev-data")
    assert (config.port, config.region, config.data_prefix) == (5001, "eu-central-1", "messages/")
    assert config.host == "0.0.0.0"  # noqa: S104 - the container default under test
    assert (config.wait_time_seconds, config.max_messages) == (20, 10)
    assert config.shutdown_timeout_seconds < 10
    assert config.visibility_max_extension_seconds == 600


def test_tuning_knobs() -> None:
    config = load(
        {
            **REQUIRED,
            "HOST": "127.0.0.1",
            "PORT": "9001",
            "DATA_PREFIX": "raw/v1/",
            "WAIT_TIME_SECONDS": "5",
            "MAX_MESSAGES": "3",
            "POLLERS": "4",
            "UPLOAD_CONCURRENCY": "20",
            "HEALTH_MAX_AGE_SECONDS": "30",
            "SHUTDOWN_TIMEOUT_SECONDS": "5",
            "AWS_MAX_ATTEMPTS": "5",
            "VISIBILITY_MAX_EXTENSION_SECONDS": "0",
        }
    )
    assert (config.host, config.port) == ("127.0.0.1", 9001)
    assert (config.data_prefix, config.wait_time_seconds) == ("raw/v1/", 5)
    assert (config.max_messages, config.pollers, config.upload_concurrency) == (3, 4, 20)
    assert (config.health_max_age_seconds, config.shutdown_timeout_seconds) == (30, 5)
    assert config.aws_max_attempts == 5
    assert config.visibility_max_extension_seconds == 0


def test_empty_prefix_is_allowed() -> None:
    assert load({**REQUIRED, "DATA_PREFIX": ""}).data_prefix == ""


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"DATA_BUCKET": "b-b-b"}, "QUEUE_URL is required"),
        ({"QUEUE_URL": QUEUE_URL}, "DATA_BUCKET is required"),
        ({**REQUIRED, "QUEUE_URL": "queue"}, "QUEUE_URL must be an http(s) URL"),
        ({**REQUIRED, "DATA_BUCKET": "Upper_Case"}, "DATA_BUCKET is not a valid bucket name"),
        ({**REQUIRED, "DATA_BUCKET": "a..b"}, "DATA_BUCKET is not a valid bucket name"),
        ({**REQUIRED, "PORT": "-1"}, "PORT"),
        ({**REQUIRED, "HOST": "localhost:5001"}, "HOST must be an IP address"),
        ({**REQUIRED, "WAIT_TIME_SECONDS": "21"}, "WAIT_TIME_SECONDS"),
        ({**REQUIRED, "MAX_MESSAGES": "11"}, "MAX_MESSAGES"),
        ({**REQUIRED, "MAX_MESSAGES": "0"}, "MAX_MESSAGES"),
        ({**REQUIRED, "POLLERS": "x"}, "POLLERS"),
        ({**REQUIRED, "DATA_PREFIX": "messages"}, "DATA_PREFIX"),
        ({**REQUIRED, "DATA_PREFIX": "/abs/"}, "DATA_PREFIX"),
        ({**REQUIRED, "SHUTDOWN_TIMEOUT_SECONDS": "60"}, "SHUTDOWN_TIMEOUT_SECONDS"),
        ({**REQUIRED, "AWS_REGION": "EU"}, "AWS_REGION"),
        ({**REQUIRED, "AWS_ENDPOINT_URL": "127.0.0.1:4566"}, "AWS_ENDPOINT_URL"),
        (
            {**REQUIRED, "VISIBILITY_MAX_EXTENSION_SECONDS": "43201"},
            "VISIBILITY_MAX_EXTENSION_SECONDS must be an integer between 0 and 43200",
        ),
        ({**REQUIRED, "VISIBILITY_MAX_EXTENSION_SECONDS": "-5"}, "VISIBILITY_MAX_EXTENSION"),
        ({**REQUIRED, "VISIBILITY_MAX_EXTENSION_SECONDS": "1.5"}, "VISIBILITY_MAX_EXTENSION"),
    ],
)
def test_invalid_settings_name_the_variable(env: dict[str, str], reason: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(env)
    assert reason in str(error.value)
    assert "\n" not in str(error.value)


def test_default_worst_case_extension_lands_within_the_infrastructure_visibility_timeout() -> None:
    # README rule: the extension sent at T/3 must land before T even when it needs every
    # attempt, so T >= 1.5 x attempts x (connect + read); dev, staging and prod use 60 s.
    config = load(REQUIRED)
    worst_call = config.aws_max_attempts * (
        config.aws_connect_timeout_seconds + config.aws_read_timeout_seconds
    )
    for environment in ("dev", "staging", "prod"):
        env_hcl = (REPO_ROOT / "live" / environment / "env.hcl").read_text()
        (timeout,) = re.findall(r"visibility_timeout_seconds\s*=\s*(\d+)", env_hcl)
        assert 1.5 * worst_call <= int(timeout), environment
