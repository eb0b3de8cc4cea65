"""Fixtures shared by every test suite in the repository."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack import emulator as emulator_lib
from devstack import plans


@pytest.fixture(scope="session")
def emulator() -> Iterator[emulator_lib.Emulator]:
    """A real moto server on a free loopback port, shared by the session.

    Tests that need isolation create their own queues/buckets with unique names:
    the emulator's PurgeQueue works once a minute and its queues slow as they fill.
    """
    with emulator_lib.running() as server:
        yield server


@pytest.fixture
def emulator_env(
    emulator: emulator_lib.Emulator, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Environment variables pointing AWS SDKs at the emulator, applied to this test."""
    env = {**emulator_lib.EMULATOR_ENV, "AWS_ENDPOINT_URL": emulator.endpoint}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `plans` every test that reads the plan sets: `make test` runs them once the plans
    stage has made them, the others from the start."""
    for item in items:
        if "environment_plans" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.plans)


@pytest.fixture(scope="session")
def environment_plans() -> dict[str, plans.PlanSet]:
    """Every environment planned once from an empty state (reused while its inputs are
    unchanged): the plans the live assertions, the policy gate and the CI replay all read."""
    return plans.ensure()
