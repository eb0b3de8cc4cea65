"""Sizing from `make load`'s figures: tasks per rate, what the scaling targets mean, request costs.

Inputs: reports/load/summary.json (CPU milliseconds per request and per message measured by
`make load`, API calls per message counted by the stub), the task sizes of live/<env>/env.hcl,
the scaling targets of live/_common/ecs.hcl and the request prices of the committed price table.
`python -m devstack.bench.sizing [--env prod]` prints it again from the last run's summary.

The model: a task's CPU is the limit (the services wait on AWS without using CPU, with enough
threads and pollers to keep it busy), so a task at CPU utilisation u handles
u x vCPU / (CPU seconds per request) requests per second. The README's "Sizing" section
quotes this output.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

from devstack.ci.cost import PRICE_TABLE
from devstack.stackdef import REPO_ROOT

RATES = (100, 1_000, 10_000)
SQS_CALLS = ("SendMessage", "ReceiveMessage", "DeleteMessageBatch", "ChangeMessageVisibilityBatch")
# Calls per message at volume: every receive and delete carries a full batch of 10.
FULL_BATCHES = {
    "SendMessage": 1.0,
    "ReceiveMessage": 0.1,
    "DeleteMessageBatch": 0.1,
    "PutObject": 1.0,
}
SUMMARY = REPO_ROOT / "reports" / "load" / "summary.json"
# S3's request rate per partitioned prefix (PUT/COPY/POST/DELETE per second).
S3_PUTS_PER_PREFIX = 3_500


@dataclass(frozen=True)
class ServiceSize:
    vcpu: float
    max_count: int
    scaling: Mapping[str, Any]


def _locals(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        blocks = hcl2.load(handle)["locals"]
    return dict(blocks[0] if isinstance(blocks, list) else blocks)


def service_sizes(env: str) -> dict[str, ServiceSize]:
    """Task vCPU and max_count from live/<env>/env.hcl, scaling targets from the common file."""
    sizes = _locals(REPO_ROOT / "live" / env / "env.hcl")["ecs"]["services"]
    common = _locals(REPO_ROOT / "live" / "_common" / "ecs.hcl")["services"]
    return {
        name: ServiceSize(
            vcpu=size["cpu"] / 1024,
            max_count=int(size["max_count"]),
            scaling={**common[name].get("scaling", {}), **size.get("scaling", {})},
        )
        for name, size in sizes.items()
    }


def per_task_rate(cpu_ms_per_unit: float, vcpu: float, utilisation_pct: float) -> float:
    """Requests (or messages) per second one task handles at the given CPU utilisation."""
    return vcpu * utilisation_pct / 100 / (cpu_ms_per_unit / 1000)


def tasks_needed(rate: float, per_task: float, min_count: int = 1) -> int:
    return max(min_count, math.ceil(rate / per_task))


def request_costs(calls: Mapping[str, float], table: Path = PRICE_TABLE) -> dict[str, float]:
    """USD per million messages for the SQS and S3 requests a message costs."""
    prices = json.loads(table.read_text(encoding="utf-8"))
    sqs_requests = sum(calls.get(name, 0.0) for name in SQS_CALLS)
    sqs = sqs_requests * prices["usage"]["sqs_per_million_requests"]
    s3_put = calls.get("PutObject", 0.0) * prices["requests"]["s3_put_per_thousand"] * 1000
    return {
        "sqs_requests_per_message": round(sqs_requests, 3),
        "sqs": round(sqs, 2),
        "s3_put": round(s3_put, 2),
    }


def worst(summary: Mapping[str, Any], figure: str) -> float:
    """The highest (most conservative) CPU figure of any series of the run."""
    values = [s[figure] for s in summary["series"].values() if s.get(figure) is not None]
    if not values:
        raise ValueError(f"summary has no {figure}: run `make load` first")
    return float(max(values))


def report(summary: Mapping[str, Any], env: str) -> list[str]:
    sizes = service_sizes(env)
    frontend, worker = sizes["frontend"], sizes["worker"]
    # Both planned at the frontend's cpu_target; the worker scales on its backlog, not CPU,
    # but gets the same headroom.
    target = float(frontend.scaling["cpu_target"])
    frontend_ms = worst(summary, "frontend_cpu_ms_per_request")
    worker_ms = worst(summary, "worker_cpu_ms_per_message")
    frontend_rate = per_task_rate(frontend_ms, frontend.vcpu, target)
    worker_rate = per_task_rate(worker_ms, worker.vcpu, target)
    lines = [
        f"sizing for {env} (CPU-bound tasks at {target:.0f} % CPU; the highest CPU per unit "
        "of any series):",
        f"  frontend: {frontend_ms:.2f} CPU-ms per request, {frontend.vcpu:g} vCPU per task "
        f"-> {frontend_rate:.0f} requests/s per task",
        f"  worker:   {worker_ms:.2f} CPU-ms per message, {worker.vcpu:g} vCPU per task "
        f"-> {worker_rate:.0f} messages/s per task",
    ]
    for rate in RATES:
        lines.append(
            f"  {rate:>6} messages/s: frontend {tasks_needed(rate, frontend_rate):>4} tasks, "
            f"worker {tasks_needed(rate, worker_rate):>4} tasks "
            f"(max_count {frontend.max_count}/{worker.max_count}); "
            f"S3 prefixes at {S3_PUTS_PER_PREFIX} PUT/s: {math.ceil(rate / S3_PUTS_PER_PREFIX)}"
        )
    per_minute = frontend.scaling.get("requests_per_target")
    if per_minute:
        cpu_at_target = per_minute / 60 * frontend_ms / 1000 / frontend.vcpu * 100
        lines.append(
            f"  requests_per_target {per_minute:g}/min = {per_minute / 60:.1f} requests/s per task"
            f" = {cpu_at_target:.0f} % CPU of a {frontend.vcpu:g} vCPU task"
        )
    backlog = worker.scaling.get("backlog_per_task")
    if backlog:
        lines.append(
            f"  backlog_per_task {backlog:g} = {backlog / worker_rate:.1f} s of one task's work "
            f"at {target:.0f} % CPU"
        )
    for label, calls in (
        *((f"measured ({b})", c) for b, c in summary.get("calls_per_message", {}).items()),
        ("full batches", FULL_BATCHES),
    ):
        costs = request_costs(calls)
        lines.append(
            f"  requests per million messages, {label}: SQS {costs['sqs_requests_per_message']:g}"
            f" per message = ${costs['sqs']:.2f}, S3 PutObject ${costs['s3_put']:.2f}"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="prod", choices=("dev", "staging", "prod"))
    parser.add_argument("--summary", type=Path, default=SUMMARY)
    args = parser.parse_args(argv)
    if not args.summary.is_file():
        parser.error(f"{args.summary} not found: run `make load` first")
    summary = json.loads(args.summary.read_text(encoding="utf-8"))
    print("\n".join(report(summary, args.env)))


if __name__ == "__main__":
    main()
