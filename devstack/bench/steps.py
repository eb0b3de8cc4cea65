"""`make load`'s steps and their analysis: percentiles and the saturation point."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One fixed-duration step of one series; a row of load.csv."""

    backend: str
    series: str
    concurrency: int
    seconds: float
    requests: int
    errors: int
    throughput_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    drained_per_s: float
    frontend_cpu_s: float
    worker_cpu_s: float


@dataclass(frozen=True)
class Saturation:
    concurrency: int
    peak_throughput_per_s: float
    reason: str


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def saturation(
    steps: Sequence[Step], growth_margin: float, p99_bound_ms: float
) -> Saturation | None:
    """The first step whose p99 is over the bound, or the first step from which on no step
    grew by more than `growth_margin` over the best one before it (so one noisy dip that a
    later step recovers from is not saturation), whichever comes first."""
    flat_from: int | None = None
    best_before_flat: Step | None = None
    best: Step | None = None
    for index, step in enumerate(steps):
        if step.p99_ms > p99_bound_ms and (flat_from is None or index < flat_from):
            peak = max(s.throughput_per_s for s in steps[: index + 1])
            reason = f"p99 {step.p99_ms:.0f} ms > {p99_bound_ms:.0f} ms"
            return Saturation(step.concurrency, peak, reason)
        if best is None or step.throughput_per_s > best.throughput_per_s * (1 + growth_margin):
            flat_from = None
        elif flat_from is None:
            flat_from, best_before_flat = index, best
        if best is None or step.throughput_per_s > best.throughput_per_s:
            best = step
    if flat_from is None or best_before_flat is None:
        return None
    return Saturation(
        steps[flat_from].concurrency,
        max(s.throughput_per_s for s in steps),
        f"no step from c={steps[flat_from].concurrency} on grew {growth_margin:.0%} over "
        f"{best_before_flat.throughput_per_s:.0f}/s at c={best_before_flat.concurrency}",
    )
