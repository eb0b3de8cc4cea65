"""`make load`'s output: the console lines, load.csv, load.png and summary.json."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from devstack.bench.steps import Saturation, Step

# The calls a message costs (the rest are per process or the load generator's own).
PER_MESSAGE_CALLS = (
    "SendMessage",
    "ReceiveMessage",
    "DeleteMessageBatch",
    "ChangeMessageVisibilityBatch",
    "PutObject",
)


def format_step(step: Step) -> str:
    return (
        f"  {step.backend:<8} {step.series:<9} c={step.concurrency:<3} "
        f"{step.throughput_per_s:8.1f}/s  p50 {step.p50_ms:7.1f}  p95 {step.p95_ms:7.1f}  "
        f"p99 {step.p99_ms:7.1f} ms  errors {step.errors:<4} drained {step.drained_per_s:7.1f}/s  "
        f"cpu frontend {step.frontend_cpu_s:5.2f} s worker {step.worker_cpu_s:5.2f} s"
    )


def write_csv(path: Path, steps: Sequence[Step]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(Step)])
        writer.writeheader()
        writer.writerows(asdict(step) for step in steps)


def write_chart(path: Path, steps: Sequence[Step], saturations: dict[str, Saturation]) -> None:
    # The object API (no pyplot): no GUI backend, no global figure state.
    figure = Figure(figsize=(11, 4.5))
    left, right = figure.subplots(1, 2)
    for label in dict.fromkeys(f"{s.backend}/{s.series}" for s in steps):
        series = [s for s in steps if f"{s.backend}/{s.series}" == label]
        x = [s.concurrency for s in series]
        (line,) = left.plot(x, [s.throughput_per_s for s in series], marker="o", label=label)
        right.plot(x, [s.p99_ms for s in series], marker="o", label=label)
        if label in saturations:
            point = saturations[label]
            left.axvline(point.concurrency, color=line.get_color(), linestyle=":", alpha=0.6)
    concurrencies = sorted({s.concurrency for s in steps})
    for axis, title, unit in (
        (left, "throughput", "accepted per second"),
        (right, "p99 latency", "ms"),
    ):
        axis.set_xscale("log", base=2)
        axis.set_xticks(concurrencies, [str(c) for c in concurrencies])
        axis.yaxis.set_major_formatter(ScalarFormatter())
        axis.set_xlabel("concurrent clients")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
    right.set_yscale("log")
    left.legend(fontsize="small")
    figure.suptitle("make load (dotted: saturation point)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def calls_per_message(calls: dict[str, Any]) -> dict[str, float]:
    """API calls per stored message, from the stub's counts."""
    stored = calls.get("stored") or 0
    if not stored:
        return {}
    return {name: round(calls["calls"].get(name, 0) / stored, 3) for name in PER_MESSAGE_CALLS}


def summarise(
    steps: Sequence[Step], saturations: dict[str, Saturation], calls: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    per_series: dict[str, Any] = {}
    for label in dict.fromkeys(f"{s.backend}/{s.series}" for s in steps):
        series = [s for s in steps if f"{s.backend}/{s.series}" == label]
        requests = sum(s.requests for s in series)
        drained = sum(s.drained_per_s * s.seconds for s in series)
        point = saturations.get(label)
        per_series[label] = {
            "peak_throughput_per_s": max(s.throughput_per_s for s in series),
            "saturation": asdict(point) if point else None,
            "frontend_cpu_ms_per_request": round(
                1000 * sum(s.frontend_cpu_s for s in series) / requests, 2
            )
            if requests and label.endswith("/frontend")
            else None,
            "worker_cpu_ms_per_message": round(
                1000 * sum(s.worker_cpu_s for s in series) / drained, 2
            )
            if drained > 0
            else None,
        }
    return {
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "series": per_series,
        "calls_per_message": {b: calls_per_message(c) for b, c in calls.items() if c},
    }


def summary_lines(summary: dict[str, Any], growth_margin: float, p99_bound_ms: float) -> list[str]:
    lines = [f"saturation (growth < {growth_margin:.0%} or p99 > {p99_bound_ms:.0f} ms):"]
    for label, figures in summary["series"].items():
        point = figures["saturation"]
        where = f"at c={point['concurrency']} ({point['reason']})" if point else "not reached"
        lines.append(
            f"  {label:<20} peak {figures['peak_throughput_per_s']:8.1f}/s, saturation {where}"
        )
        for name in ("frontend_cpu_ms_per_request", "worker_cpu_ms_per_message"):
            if figures[name] is not None:
                lines.append(f"  {'':<20} {name} {figures[name]}")
    for backend, ratios in summary["calls_per_message"].items():
        lines.append(f"  {backend} API calls per stored message: {ratios}")
    return lines
