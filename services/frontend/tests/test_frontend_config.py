"""Configuration from the environment, and the gunicorn settings file."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from frontend.config import Config, ConfigError, load

QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/123456789012/ingest"
SERVICE_DIR = Path(__file__).resolve().parent.parent


def test_defaults() -> None:
    config = load({"QUEUE_URL": QUEUE_URL})
    assert config == Config(queue_url=QUEUE_URL)
    assert config.token_parameter == "/app/frontend/token"
    assert config.region == "eu-central-1"
    assert config.port == 5000
    assert config.token_cache_ttl_seconds == 300


def test_all_settings() -> None:
    config = load(
        {
            "QUEUE_URL": QUEUE_URL,
            "TOKEN_PARAMETER": "/other/token",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
            "PORT": "8080",
            "TOKEN_CACHE_TTL_SECONDS": "60",
            "WEB_CONCURRENCY": "3",
            "GUNICORN_THREADS": "4",
        }
    )
    assert (config.token_parameter, config.region) == ("/other/token", "us-east-1")
    assert config.port == 8080
    assert (config.endpoint_url, config.token_cache_ttl_seconds) == ("http://127.0.0.1:4566", 60)
    assert (config.web_concurrency, config.threads) == (3, 4)


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({}, "QUEUE_URL is required"),
        ({"QUEUE_URL": "  "}, "QUEUE_URL is required"),
        ({"QUEUE_URL": "ingest"}, "QUEUE_URL must be an http(s) URL"),
        ({"QUEUE_URL": QUEUE_URL, "PORT": "0"}, "PORT must be an integer"),
        ({"QUEUE_URL": QUEUE_URL, "PORT": "70000"}, "PORT must be an integer"),
        ({"QUEUE_URL": QUEUE_URL, "PORT": "http"}, "PORT must be an integer"),
        ({"QUEUE_URL": QUEUE_URL, "AWS_REGION": "Frankfurt"}, "AWS_REGION"),
        ({"QUEUE_URL": QUEUE_URL, "AWS_ENDPOINT_URL": "localhost"}, "AWS_ENDPOINT_URL"),
        ({"QUEUE_URL": QUEUE_URL, "TOKEN_PARAMETER": "a b"}, "TOKEN_PARAMETER"),
        ({"QUEUE_URL": QUEUE_URL, "TOKEN_CACHE_TTL_SECONDS": "-1"}, "TOKEN_CACHE_TTL_SECONDS"),
        ({"QUEUE_URL": QUEUE_URL, "TOKEN_CACHE_TTL_SECONDS": "x"}, "TOKEN_CACHE_TTL_SECONDS"),
        ({"QUEUE_URL": QUEUE_URL, "WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY"),
    ],
)
def test_invalid_settings_name_the_variable(env: dict[str, str], reason: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(env)
    assert reason in str(error.value)
    assert "\n" not in str(error.value)


def test_gunicorn_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUE_URL", QUEUE_URL)
    monkeypatch.setenv("PORT", "5000")
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    settings = runpy.run_path(str(SERVICE_DIR / "gunicorn_conf.py"))
    assert settings["bind"] == "0.0.0.0:5000"
    assert settings["keepalive"] > 60  # above the ALB idle timeout
    assert settings["graceful_timeout"] < 30  # ECS sends SIGKILL 30 s after SIGTERM
    assert settings["worker_class"] == "gthread"
    assert settings["workers"] >= 2
    assert settings["threads"] >= 2
    assert settings["control_socket_disable"] is True


def test_gunicorn_settings_exit_with_one_line_on_bad_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("QUEUE_URL", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(SERVICE_DIR / "gunicorn_conf.py"))
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "frontend: configuration error: QUEUE_URL is required\n"


def test_no_default_gunicorn_config_file_that_would_load_silently() -> None:
    assert not (SERVICE_DIR / "gunicorn.conf.py").exists()
