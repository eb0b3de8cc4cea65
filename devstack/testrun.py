"""`make test` and `make check`: every check of the project, scheduled for a 2-core machine.

    python -m devstack.testrun            # make test: the full set (what CI runs)
    python -m devstack.testrun --fast     # make check: no emulator applies, for edit loops

The long stages of `make test` mostly wait: the module tests and the twin's `make up` sit in
the AWS provider's fixed client-side sleeps (load balancer 60 s, VPC 10 s, ECS cluster 10 s,
~25 s per SQS queue, ~55 s per S3 lifecycle configuration). Stages run in two waves. The first
starts them and plans every environment; once the plans are made, the second runs lint and four
pytest sessions at once (the services' suites on two workers, the repository's in two, the
tests that read the plans, marked `plans`): they mostly wait on the loopback servers they
start. The pytest sessions do not start beside the first wave: every emulator there already
serves several terraform processes on two cores, and more load made the provider retry
creates the emulator had already done (a NAT gateway's address "already associated", a role
"already exists").
Each check runs once: lint is pre-commit (every linter and formatter, checkov on the modules), every
environment is planned once (devstack.plans) and the plan tests, the policy gate and the CI
replay read those plans. Each stage's output goes to reports/test/<stage>.log and is printed
when it ends (the tail when it fails); a table of wall times closes the run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devstack.stackdef import REPO_ROOT

LOG_DIR = REPO_ROOT / "reports" / "test"
TWIN_TEST = "tests/live/test_local_stack.py"
# Applies an older module layout and plans the current one: sleeps like the module tests.
STATE_MOVE_TESTS = "tests/modules"
SERVICES = "services"
REPOSITORY_SUITES = ("tests", "policies")
PYTEST_PATHS = (SERVICES, *REPOSITORY_SUITES)
# The repository's suites that mostly wait on the emulators and servers they start: a session
# of their own beside the rest (one session of both was wave 2's long pole); anything else
# under tests/ runs in the other.
EMULATOR_SUITES = ("tests/live", "tests/security", "tests/bench")
# Tests that read the environment plan sets (conftest.py marks them): after the plans stage.
PLANS_MARK = "plans"
FAILED_TAIL_LINES = 150
PASSED_TAIL_LINES = 3
LINT = ["pre-commit", "run", "--all-files", "--show-diff-on-failure"]


@dataclass
class Stage:
    name: str
    argv: list[str]
    # Stages of a wave start together; the next wave starts once the wave's foreground stages
    # have ended (background ones run on).
    wave: int = 0
    background: bool = False
    started: float = 0.0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    returncode: int | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log(self) -> Path:
        return LOG_DIR / f"{self.name}.log"


def full_stages() -> list[Stage]:
    own_stages = [f"--ignore={TWIN_TEST}", f"--ignore={STATE_MOVE_TESTS}"]
    not_plans = ["-m", f"not {PLANS_MARK}"]
    emulator_suites = [f"--ignore={suite}" for suite in EMULATOR_SUITES]
    return [
        Stage("modules", [sys.executable, "-m", "devstack.module_tests"], background=True),
        Stage("twin", ["pytest", "-q", TWIN_TEST], background=True),
        Stage("state-moves", ["pytest", "-q", STATE_MOVE_TESTS], background=True),
        Stage("plans", [sys.executable, "-m", "devstack.plans"]),
        Stage("lint", LINT, wave=1),
        # Two workers, a test file each at a time (its module fixtures start once): the
        # services' suite is the longest of wave 2 and mostly waits on the servers it starts.
        Stage(
            "services",
            ["pytest", "-q", "-n", "2", "--dist", "loadfile", *not_plans, SERVICES],
            wave=1,
        ),
        Stage(
            "emulator-tests", ["pytest", "-q", *not_plans, *EMULATOR_SUITES, *own_stages], wave=1
        ),
        Stage(
            "repo-tests",
            ["pytest", "-q", *not_plans, *REPOSITORY_SUITES, *own_stages, *emulator_suites],
            wave=1,
        ),
        Stage("plan-tests", ["pytest", "-q", "-m", PLANS_MARK, *PYTEST_PATHS, *own_stages], wave=1),
    ]


def fast_stages() -> list[Stage]:
    # All at once: three single-threaded stages share the two cores.
    return [
        Stage("lint", LINT, background=True),
        Stage(
            "validate",
            [sys.executable, "-m", "devstack.module_tests", "--validate-only"],
            background=True,
        ),
        # Two workers: the unit tier mostly waits on loopback servers it starts.
        Stage(
            "unit",
            ["pytest", "-q", "-n", "2", "-m", "not integration", *PYTEST_PATHS],
            background=True,
        ),
    ]


class Runner:
    """Starts stages, reports each as it ends, keeps the table."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = list(stages)
        self._print_lock = threading.Lock()
        self._started = time.monotonic()

    def start(self, stage: Stage) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        stage.started = time.monotonic()
        self._say(
            f"[{self._elapsed():6.0f}s] {stage.name}: started ({' '.join(stage.argv[:4])} ...)"
        )
        with stage.log.open("wb") as log:
            stage.process = subprocess.Popen(  # noqa: S603 - argv from fixed parts
                stage.argv, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
            )

    def wait(self, stage: Stage) -> None:
        if stage.process is None:
            raise RuntimeError(f"stage {stage.name} was never started")
        # wait4: the stage's CPU time too (its own and every descendant it waited for), the
        # figure that decides what fits on 2 cores.
        _, status, usage = os.wait4(stage.process.pid, 0)
        stage.returncode = stage.process.returncode = os.waitstatus_to_exitcode(status)
        stage.seconds = time.monotonic() - stage.started
        stage.cpu_seconds = usage.ru_utime + usage.ru_stime
        lines = stage.log.read_text(encoding="utf-8", errors="replace").splitlines()
        verdict = "PASS" if stage.returncode == 0 else f"FAIL (exit {stage.returncode})"
        verdict += f" in {stage.seconds:.0f}s, {stage.cpu_seconds:.0f} CPU-s"
        tail = lines[-(PASSED_TAIL_LINES if stage.returncode == 0 else FAILED_TAIL_LINES) :]
        self._say(
            "\n".join(
                [
                    f"[{self._elapsed():6.0f}s] {stage.name}: {verdict}"
                    f" (log {stage.log.relative_to(REPO_ROOT)})",
                    *(f"    {line}" for line in tail),
                ]
            )
        )

    def run(self) -> int:
        # Every stage is waited for by a thread of its own, so its wall time ends when it ends.
        background: list[threading.Thread] = []
        for wave in sorted({stage.wave for stage in self.stages}):
            foreground = []
            for stage in (s for s in self.stages if s.wave == wave):
                self.start(stage)
                waiter = threading.Thread(target=self.wait, args=(stage,))
                waiter.start()
                (background if stage.background else foreground).append(waiter)
            for waiter in foreground:
                waiter.join()
        for waiter in background:
            waiter.join()
        self._say(self.table())
        return 0 if all(s.returncode == 0 for s in self.stages) else 1

    def table(self) -> str:
        rows = [
            "",
            "| stage | mode | result | wall time | CPU time |",
            "| --- | --- | --- | ---: | ---: |",
        ]
        for stage in self.stages:
            mode = f"wave {stage.wave + 1}" + (", runs on" if stage.background else "")
            result = "pass" if stage.returncode == 0 else "FAIL"
            rows.append(
                f"| {stage.name} | {mode} | {result} | {stage.seconds:.0f} s"
                f" | {stage.cpu_seconds:.0f} s |"
            )
        cpu = sum(stage.cpu_seconds for stage in self.stages)
        rows.append(f"| **total** | | | **{self._elapsed():.0f} s** | {cpu:.0f} s |")
        return "\n".join(rows)

    def _elapsed(self) -> float:
        return time.monotonic() - self._started

    def _say(self, text: str) -> None:
        with self._print_lock:
            print(text, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="make check: no emulator applies")
    args = parser.parse_args(argv)
    return Runner(fast_stages() if args.fast else full_stages()).run()


if __name__ == "__main__":
    sys.exit(main())
