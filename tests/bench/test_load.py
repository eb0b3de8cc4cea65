"""`make load`: saturation detection on synthetic steps, and a short real run on the stub."""

from __future__ import annotations

import csv
import json
import struct
from pathlib import Path

import pytest

from devstack.bench import load
from devstack.bench import steps as steps_lib
from devstack.bench.steps import Step


def step(concurrency: int, throughput: float, p99: float = 50.0) -> Step:
    return Step(
        backend="stub",
        series="frontend",
        concurrency=concurrency,
        seconds=1.0,
        requests=int(throughput),
        errors=0,
        throughput_per_s=throughput,
        p50_ms=p99 / 4,
        p95_ms=p99 / 2,
        p99_ms=p99,
        drained_per_s=throughput,
        frontend_cpu_s=0.1,
        worker_cpu_s=0.1,
    )


def test_saturation_where_throughput_stops_growing_by_the_margin() -> None:
    steps = [step(1, 100), step(2, 190), step(4, 360), step(8, 380), step(16, 200)]
    point = steps_lib.saturation(steps, growth_margin=0.10, p99_bound_ms=1000)
    assert point is not None
    assert (point.concurrency, point.peak_throughput_per_s) == (8, 380)
    assert point.reason == "no step from c=8 on grew 10% over 360/s at c=4"


def test_saturation_compares_with_the_best_step_not_the_last() -> None:
    # A dip then a small recovery: 330 is still below the best (360) plus 10 %.
    steps = [step(1, 200), step(2, 360), step(4, 300)]
    point = steps_lib.saturation(steps, growth_margin=0.10, p99_bound_ms=1000)
    assert point is not None
    assert (point.concurrency, point.peak_throughput_per_s) == (4, 360)


def test_a_dip_that_a_later_step_recovers_from_is_not_saturation() -> None:
    steps = [step(1, 100), step(2, 80), step(4, 200), step(8, 400)]
    assert steps_lib.saturation(steps, growth_margin=0.10, p99_bound_ms=1000) is None


def test_saturation_when_p99_crosses_the_bound_while_throughput_still_grows() -> None:
    steps = [step(1, 100, p99=20), step(2, 200, p99=300), step(4, 400, p99=1500)]
    point = steps_lib.saturation(steps, growth_margin=0.10, p99_bound_ms=1000)
    assert point is not None
    assert (point.concurrency, point.peak_throughput_per_s) == (4, 400)
    assert point.reason == "p99 1500 ms > 1000 ms"


def test_no_saturation_while_throughput_grows_and_p99_stays_under_the_bound() -> None:
    steps = [step(1, 100), step(2, 200), step(4, 390)]
    assert steps_lib.saturation(steps, growth_margin=0.10, p99_bound_ms=1000) is None


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [steps_lib.percentile(values, q) for q in (50, 95, 99, 100)] == [50, 95, 99, 100]
    assert steps_lib.percentile([], 99) == 0.0


@pytest.mark.parametrize("steps", ["4,2", "0,1", "1,x", "1,1"])
def test_bad_steps_are_refused(steps: str) -> None:
    with pytest.raises(SystemExit):
        load.parse_args(["--steps", steps])


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert data[-8:-4] == b"IEND"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.integration
def test_short_run_against_the_stub_writes_csv_chart_and_summary(tmp_path: Path) -> None:
    summary = load.main(
        ["--backends", "stub", "--steps", "1,3", "--step-seconds", "0.5", "--out", str(tmp_path)]
    )

    with (tmp_path / "load.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["backend"], r["series"], r["concurrency"]) for r in rows] == [
        ("stub", "raw-boto3", "1"),
        ("stub", "raw-boto3", "3"),
        ("stub", "frontend", "1"),
        ("stub", "frontend", "3"),
    ]
    for row in rows:
        assert int(row["requests"]) > 0, row
        assert int(row["errors"]) == 0, row
        assert float(row["seconds"]) >= 0.5, row
        assert 0 < float(row["p50_ms"]) <= float(row["p95_ms"]) <= float(row["p99_ms"]), row
        expected = int(row["requests"]) / float(row["seconds"])
        assert float(row["throughput_per_s"]) == pytest.approx(expected, rel=0.01), row

    # The frontend's own processes did the frontend series' work, and none of raw-boto3's: per
    # request, a raw-boto3 step costs the frontend a fraction of a frontend step (not zero: its
    # start-up tail lands in the first step on a loaded machine).
    def frontend_cpu_per_request(row: dict[str, str]) -> float:
        return float(row["frontend_cpu_s"]) / int(row["requests"])

    served = [frontend_cpu_per_request(r) for r in rows if r["series"] == "frontend"]
    assert all(cpu > 0 for cpu in served)
    raw = [frontend_cpu_per_request(r) for r in rows if r["series"] == "raw-boto3"]
    assert max(raw) < min(served) / 3, (raw, served)

    width, height = png_size(tmp_path / "load.png")
    assert (width, height) == (1100, 450)

    written = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert written == summary
    assert set(written["series"]) == {"stub/raw-boto3", "stub/frontend"}
    # Every message the run sent was stored once, and each cost one SendMessage and one PUT.
    calls = written["calls_per_message"]["stub"]
    assert calls["SendMessage"] == pytest.approx(1.0, abs=0.01)
    assert calls["PutObject"] == pytest.approx(1.0, abs=0.01)
    assert 0 < calls["ReceiveMessage"] <= 1
