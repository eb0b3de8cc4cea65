"""Configuration from the environment, and the gunicorn settings file."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest
from frontend.config import (
    Config,
    ConfigError,
    derive_read_timeout,
    load,
    worst_case_backoff_seconds,
)

QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/123456789012/ingest"
SERVICE_DIR = Path(__file__).resolve().parent.parent


def test_defaults() -> None:
    config = load({"QUEUE_URL": QUEUE_URL})
    assert config == Config(queue_url=QUEUE_URL)
    assert config.token_parameter == "/app/frontend/token"
    assert config.region == "eu-central-1"
    assert config.port == 5000
    assert config.token_cache_ttl_seconds == 300
    assert (config.token_grace_seconds, config.token_failure_cache_seconds) == (600, 5)
    # The outage budget: 2 x (0.3 s connect + 0.7 s read) + at most 1 s backoff = 3 s.
    assert config.aws_budget_seconds == 3
    assert (config.aws_connect_timeout_seconds, config.aws_read_timeout_seconds) == (0.3, 0.7)
    assert config.aws_max_attempts == 2


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
            "TOKEN_GRACE_SECONDS": "0",
            "TOKEN_FAILURE_CACHE_SECONDS": "2",
            "AWS_BUDGET_SECONDS": "10",
            "AWS_MAX_ATTEMPTS": "3",
            "AWS_CONNECT_TIMEOUT_SECONDS": "0.5",
        }
    )
    assert (config.token_grace_seconds, config.token_failure_cache_seconds) == (0, 2)
    # (10 s - (1 + 2) s backoff) / 3 attempts - 0.5 s connect
    assert config.aws_read_timeout_seconds == 1.833
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
        ({"QUEUE_URL": QUEUE_URL, "TOKEN_GRACE_SECONDS": "-1"}, "TOKEN_GRACE_SECONDS"),
        ({"QUEUE_URL": QUEUE_URL, "TOKEN_GRACE_SECONDS": "1d"}, "TOKEN_GRACE_SECONDS"),
        ({"QUEUE_URL": QUEUE_URL, "TOKEN_FAILURE_CACHE_SECONDS": "0"}, "TOKEN_FAILURE_CACHE"),
        ({"QUEUE_URL": QUEUE_URL, "AWS_BUDGET_SECONDS": "0.5"}, "AWS_BUDGET_SECONDS"),
        ({"QUEUE_URL": QUEUE_URL, "AWS_BUDGET_SECONDS": "2"}, "raise the budget"),
        ({"QUEUE_URL": QUEUE_URL, "AWS_MAX_ATTEMPTS": "4"}, "lower AWS_MAX_ATTEMPTS"),
        ({"QUEUE_URL": QUEUE_URL, "AWS_MAX_ATTEMPTS": "0"}, "AWS_MAX_ATTEMPTS"),
        ({"QUEUE_URL": QUEUE_URL, "AWS_READ_TIMEOUT_SECONDS": "2"}, "derived"),
    ],
)
def test_invalid_settings_name_the_variable(env: dict[str, str], reason: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(env)
    assert reason in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("budget", [1.5, 2.2, 3.0, 5.0, 12.5, 30.0])
@pytest.mark.parametrize("attempts", [1, 2, 3])
def test_derived_timeouts_never_exceed_the_budget(budget: float, attempts: int) -> None:
    connect = 0.3
    room = (budget - worst_case_backoff_seconds(attempts)) / attempts - connect
    if room < 0.5:  # too small a budget for that many attempts: refused at start
        with pytest.raises(ConfigError, match="raise the budget"):
            derive_read_timeout(budget, attempts, connect)
        return
    read = derive_read_timeout(budget, attempts, connect)
    worst_case = attempts * (connect + read) + worst_case_backoff_seconds(attempts)
    assert worst_case <= budget + 1e-9
    assert read >= 0.5


def test_gunicorn_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from gunicorn import util  # noqa: PLC0415

    monkeypatch.setattr(util, "write_error", util.write_error)  # the file replaces it
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


def test_gunicorn_rejections_are_written_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket  # noqa: PLC0415

    from frontend import gunicorn_errors  # noqa: PLC0415
    from gunicorn import util  # noqa: PLC0415

    monkeypatch.setenv("QUEUE_URL", QUEUE_URL)
    monkeypatch.setattr(util, "write_error", util.write_error)  # restored after the test
    runpy.run_path(str(SERVICE_DIR / "gunicorn_conf.py"))
    assert util.write_error is gunicorn_errors.write_json_error
    server, client = socket.socketpair()
    with server, client:
        util.write_error(server, 400, "Bad Request", "Invalid HTTP Version 'HTTP/9' <x>")
        server.shutdown(socket.SHUT_WR)
        raw = b"".join(iter(lambda: client.recv(4096), b""))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Content-Type: application/json" in head
    assert b"Connection: close" in head
    assert json.loads(body) == {"error": "Bad Request: Invalid HTTP Version 'HTTP/9' <x>"}
