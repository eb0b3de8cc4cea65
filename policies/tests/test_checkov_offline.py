"""Checkov, configured by .checkov.yaml, makes no network call and warns about none."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.checkov import FIXTURES, binary, scan


@pytest.fixture
def recording_proxy() -> Iterator[tuple[str, list[bytes]]]:
    """An HTTP(S) proxy on loopback that records each request line and answers nothing."""
    requests: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    requests.append(conn.recv(4096).split(b"\r\n", 1)[0])
                except OSError:
                    requests.append(b"<unreadable>")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", requests
    finally:
        stopping.set()
        thread.join(timeout=5)
        server.close()


def proxied_env(proxy: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in {"no_proxy"}}
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        env[name] = proxy
    return env


@pytest.mark.integration
def test_checkov_scan_is_offline(recording_proxy: tuple[str, list[bytes]]) -> None:
    proxy, requests = recording_proxy
    results, completed = scan(
        "terraform", ["--directory", str(FIXTURES / "hcl")], checks=(), env=proxied_env(proxy)
    )
    assert results, "checkov produced no results"
    assert requests == [], f"checkov called the network: {requests}"
    assert "WARNING" not in completed.stderr.upper(), completed.stderr[-2000:]


@pytest.mark.integration
def test_recording_proxy_sees_checkov_without_the_offline_setting(
    recording_proxy: tuple[str, list[bytes]], tmp_path: Path
) -> None:
    """Control: without the repository's settings checkov does try the network, so the test
    above would catch a regression (and the proxy is honoured)."""
    proxy, requests = recording_proxy
    env = proxied_env(proxy)
    env["REQUEST_MAX_TRIES"] = "1"
    completed = subprocess.run(
        [binary(), "--framework", "terraform", "-d", str(FIXTURES / "hcl"), "-o", "json"],
        cwd=tmp_path,  # away from the repository's .checkov.yaml
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert completed.returncode in (0, 1)
    assert requests, "checkov made no request through the proxy: the offline test proves nothing"
