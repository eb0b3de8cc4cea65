"""Fixtures shared by both services' tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack import emulator as emulator_lib
from devstack import processes
from devstack.testkit import aws


@pytest.fixture
def resources(emulator) -> Callable[..., aws.Resources]:  # type: ignore[no-untyped-def]
    """Factory of fresh queue/bucket/token resources on the session's emulator."""

    def make(**kwargs: object) -> aws.Resources:
        return aws.create(emulator.endpoint, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Callable[..., processes.subprocess.Popen[bytes]]]:
    """Start services with their container command; every one is stopped at teardown."""
    started: list[processes.subprocess.Popen[bytes]] = []

    def start(name: str, env: dict[str, str]) -> processes.subprocess.Popen[bytes]:
        process = processes.start_service(
            name,
            {**emulator_lib.EMULATOR_ENV, **env},
            log_path=tmp_path / f"{name}-{len(started)}.log",
        )
        started.append(process)
        return process

    yield start
    for process in started:
        processes.stop(process)
