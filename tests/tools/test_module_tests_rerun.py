"""devstack.module_tests runs a target once more only when the provider repeated a create."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import module_tests
from devstack.module_tests import Outcome

REPEATED = "Error: creating IAM Role (x): ... EntityAlreadyExists: Role with name x already exists."


def scripted(monkeypatch: pytest.MonkeyPatch, outcomes: list[Outcome]) -> list[Path]:
    """run_target answers `outcomes` in order; returns the work dirs it was given."""
    work_dirs: list[Path] = []

    def run_target(target: str, work_root: Path, timeout: float) -> Outcome:
        work_dirs.append(work_root)
        return outcomes[len(work_dirs) - 1]

    monkeypatch.setattr(module_tests, "run_target", run_target)
    return work_dirs


def test_a_repeated_create_runs_the_target_again_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = scripted(
        monkeypatch,
        [Outcome("modules/x", False, 10, REPEATED), Outcome("modules/x", True, 5, "--- PASS")],
    )
    outcome = module_tests.run_target_once_more_on_a_repeated_create("modules/x", tmp_path, 60)
    assert outcome.passed
    assert outcome.seconds == 15
    assert len(calls) == 2
    assert len(set(calls)) == 2, "the second run needs a work dir of its own"
    assert outcome.output.startswith("=== modules/x: run again")
    assert "EntityAlreadyExists" in outcome.output.splitlines()[0]
    assert REPEATED in outcome.output


def test_a_module_that_creates_a_name_twice_fails_both_times(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = scripted(
        monkeypatch,
        [Outcome("modules/x", False, 10, REPEATED), Outcome("modules/x", False, 10, REPEATED)],
    )
    outcome = module_tests.run_target_once_more_on_a_repeated_create("modules/x", tmp_path, 60)
    assert not outcome.passed
    assert len(calls) == 2


@pytest.mark.parametrize(
    "output", ["Error: Test assertion failed", "--- PASS modules/x (3s)"], ids=["other", "pass"]
)
def test_any_other_outcome_runs_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, output: str
) -> None:
    passed = output.startswith("--- PASS")
    calls = scripted(monkeypatch, [Outcome("modules/x", passed, 10, output)])
    outcome = module_tests.run_target_once_more_on_a_repeated_create("modules/x", tmp_path, 60)
    assert outcome.passed is passed
    assert outcome.output == output
    assert len(calls) == 1
