"""The sizing model, and the README's sizing figures kept equal to what it computes."""

from __future__ import annotations

import re

import pytest

from devstack.bench import sizing
from devstack.stackdef import REPO_ROOT

# The CPU figures the README quotes (its "Measured" table, from one `make load` run).
README_FRONTEND_MS = 4.43
README_WORKER_MS = 4.36
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def summary(frontend_ms: float, worker_ms: float) -> dict[str, object]:
    return {
        "series": {
            "stub/frontend": {
                "frontend_cpu_ms_per_request": frontend_ms,
                "worker_cpu_ms_per_message": worker_ms - 1,
            },
            "emulator/frontend": {
                "frontend_cpu_ms_per_request": frontend_ms - 1,
                "worker_cpu_ms_per_message": worker_ms,
            },
            "stub/raw-boto3": {
                "frontend_cpu_ms_per_request": None,
                "worker_cpu_ms_per_message": worker_ms - 2,
            },
        },
        "calls_per_message": {"stub": {"SendMessage": 1.0, "ReceiveMessage": 0.25}},
    }


def test_a_task_handles_its_cpu_share_divided_by_the_cpu_per_unit() -> None:
    # 0.5 vCPU at 60 % = 0.3 CPU-s per second; 5 ms per request -> 60 requests/s.
    assert sizing.per_task_rate(5.0, 0.5, 60) == pytest.approx(60)
    assert sizing.tasks_needed(100, 60) == 2
    assert sizing.tasks_needed(120, 60) == 2
    assert sizing.tasks_needed(1, 60, min_count=2) == 2


def test_the_highest_cpu_figure_of_any_series_is_used() -> None:
    figures = summary(4.0, 3.0)
    assert sizing.worst(figures, "frontend_cpu_ms_per_request") == 4.0
    assert sizing.worst(figures, "worker_cpu_ms_per_message") == 3.0
    with pytest.raises(ValueError, match="make load"):
        sizing.worst({"series": {}}, "worker_cpu_ms_per_message")


def test_sizes_and_targets_come_from_the_live_configuration() -> None:
    prod = sizing.service_sizes("prod")
    assert prod["frontend"].vcpu == 0.5
    assert prod["worker"].vcpu == 0.25
    assert prod["frontend"].scaling == {"cpu_target": 60, "requests_per_target": 2000}
    assert prod["worker"].scaling == {"backlog_per_task": 100}


def test_request_costs_from_the_committed_price_table() -> None:
    costs = sizing.request_costs(sizing.FULL_BATCHES)
    assert costs == {"sqs_requests_per_message": 1.2, "sqs": 0.48, "s3_put": 5.4}


def test_the_readme_quotes_what_the_model_computes() -> None:
    lines = sizing.report(summary(README_FRONTEND_MS, README_WORKER_MS), "prod")
    text = "\n".join(lines)
    frontend_rate = sizing.per_task_rate(README_FRONTEND_MS, 0.5, 60)
    worker_rate = sizing.per_task_rate(README_WORKER_MS, 0.25, 60)
    assert f"-> {frontend_rate:.0f} requests/s per task" in text
    assert f"takes\n{frontend_rate:.0f} requests/s" in README
    assert f"{worker_rate:.0f} messages/s." in README
    for rate in sizing.RATES:
        row = (
            f"| {rate:,} | {sizing.tasks_needed(rate, frontend_rate)} "
            f"| {sizing.tasks_needed(rate, worker_rate)} |"
        )
        assert row in README, row
    per_minute = sizing.service_sizes("prod")["frontend"].scaling["requests_per_target"]
    assert f"requests_per_target = {per_minute}" in README
    costs = sizing.request_costs(sizing.FULL_BATCHES)
    assert f"| 1.2 | ${costs['sqs']:.2f} |" in README
    assert f"| 1 | ${costs['s3_put']:.2f} |" in README
    share = re.search(r"~(\d+) % CPU of a\s+0\.25 vCPU task \(dev, staging\)", README)
    assert share is not None
    cpu = per_minute / 60 * README_FRONTEND_MS / 1000 / 0.25 * 100
    assert int(share.group(1)) == round(cpu, -1)
