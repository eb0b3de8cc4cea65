"""`make load`: the frontend at increasing concurrency while the worker drains, per backend.

Each backend (the emulator, and the fast stub of devstack/bench/stub.py) runs the real
frontend (gunicorn) and the real worker as their containers would, and two series of steps:
- `frontend`: closed-loop clients POST to the frontend, each waiting for its answer;
- `raw-boto3`: the same clients call SQS SendMessage directly with one shared boto3 client,
  the ceiling of the backend (and of this load generator) for one call per message.
Each step runs for a fixed time; the queue is drained between series. Per step: throughput
(202s per second), p50/p95/p99 latency, errors, the rate the worker drained the queue at, and
the CPU seconds the frontend and worker process trees used (per-request CPU is the figure
that carries over to a Fargate task; throughput on a shared machine does not).

Saturation (devstack/bench/steps.py): the first step whose p99 is over the bound, or the
first from which on no step grows by more than the margin over the best before it. Output
under reports/load/: load.csv, load.png (throughput and p99 against concurrency) and
summary.json (devstack/bench/report.py), then the sizing (devstack/bench/sizing.py).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from botocore.exceptions import BotoCoreError, ClientError

from devstack import emulator as emulator_lib
from devstack import processes
from devstack.bench import report, sizing
from devstack.bench import stub as stub_lib
from devstack.bench.steps import Step, percentile, saturation
from devstack.stackdef import REPO_ROOT
from devstack.testkit import aws, pipeline

DEFAULT_STEPS = (1, 2, 4, 8, 16, 32)
DEFAULT_STEP_SECONDS = 4.0
# Throughput that grows by less than this over the best step before it has stopped growing.
DEFAULT_GROWTH_MARGIN = 0.10
# The prod alarm on the ALB's p99 fires at 1 s (live/prod/env.hcl, response_time_p99_alarm).
DEFAULT_P99_BOUND_MS = 1000.0
DRAIN_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 10.0
BACKENDS = ("emulator", "stub")
SERIES = ("raw-boto3", "frontend")
DEFAULT_OUT = REPO_ROOT / "reports" / "load"

Call = Callable[[int], bool]


def closed_loop(
    make_call: Callable[[], Call], concurrency: int, seconds: float
) -> tuple[list[float], int, int, float]:
    """`concurrency` threads, each calling until the step ends; latencies (ms, sorted),
    errors, successful warm-up calls and the elapsed time."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    warmed = [False] * concurrency
    start = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def client(index: int) -> None:
        call = make_call()
        # One call before the clock starts: connections open, pools and caches warm.
        warmed[index] = call(index * 1_000_000)
        start.wait()
        sequence = 0
        while time.monotonic() < deadline[0]:
            sequence += 1
            began = time.perf_counter()
            ok = call(index * 1_000_000 + sequence)
            if ok:
                latencies[index].append((time.perf_counter() - began) * 1000)
            else:
                errors[index] += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        # A call outlives the step by at most its timeout.
        thread.join(seconds + REQUEST_TIMEOUT_S + 5)
    elapsed = time.perf_counter() - began
    calls = sorted(value for per_client in latencies for value in per_client)
    return calls, sum(errors), sum(warmed), elapsed


def frontend_caller(port: int, token: str) -> Callable[[], Call]:
    """One keep-alive connection per client thread; a call is True for a 202."""

    def make_call() -> Call:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)

        def call(sequence: int) -> bool:
            body = json.dumps(
                {"token": token, "data": {"email_timestream": str(1_700_000_000 + sequence)}}
            )
            try:
                connection.request(
                    "POST", "/", body=body, headers={"Content-Type": "application/json"}
                )
                response = connection.getresponse()
                response.read()
                return response.status == 202
            except (OSError, http.client.HTTPException):
                connection.close()  # reconnects on the next request
                return False

        return call

    return make_call


def raw_send_caller(res: aws.Resources, concurrency: int) -> Callable[[], Call]:
    sqs = aws.client("sqs", res.endpoint, pool=max(concurrency, 10))

    def make_call() -> Call:
        def call(sequence: int) -> bool:
            try:
                sqs.send_message(QueueUrl=res.queue_url, MessageBody=json.dumps({"n": sequence}))
                return True
            except (BotoCoreError, ClientError):
                return False

        return call

    return make_call


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live descendants."""
    try:
        root = psutil.Process(pid)
        total = 0.0
        for process in (root, *root.children(recursive=True)):
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                continue
        return total
    except psutil.NoSuchProcess:
        return 0.0


@dataclass
class Pipeline:
    """A backend with the real frontend and worker running against it."""

    backend: str
    res: aws.Resources
    frontend_port: int
    frontend_pid: int
    worker_pid: int
    sent: int = 0

    def backlog(self) -> int:
        visible, in_flight = self.res.queue_counts()
        return visible + in_flight

    def drain(self, timeout: float = DRAIN_TIMEOUT_S) -> bool:
        return processes.wait_until(lambda: self.backlog() == 0, timeout, interval=0.25)

    def run_step(self, series: str, concurrency: int, seconds: float) -> Step:
        make_call = (
            frontend_caller(self.frontend_port, self.res.token)
            if series == "frontend"
            else raw_send_caller(self.res, concurrency)
        )
        frontend_cpu = tree_cpu_seconds(self.frontend_pid)
        worker_cpu = tree_cpu_seconds(self.worker_pid)
        drained_before = self.sent - self.backlog()
        latencies, errors, warmed, elapsed = closed_loop(make_call, concurrency, seconds)
        self.sent += len(latencies) + warmed
        drained = self.sent - self.backlog() - drained_before
        return Step(
            backend=self.backend,
            series=series,
            concurrency=concurrency,
            seconds=round(elapsed, 3),
            requests=len(latencies),
            errors=errors,
            throughput_per_s=round(len(latencies) / elapsed, 1),
            p50_ms=round(percentile(latencies, 50), 1),
            p95_ms=round(percentile(latencies, 95), 1),
            p99_ms=round(percentile(latencies, 99), 1),
            drained_per_s=round(drained / elapsed, 1),
            frontend_cpu_s=round(tree_cpu_seconds(self.frontend_pid) - frontend_cpu, 3),
            worker_cpu_s=round(tree_cpu_seconds(self.worker_pid) - worker_cpu, 3),
        )


@contextmanager
def services(backend: str, res: aws.Resources, web_concurrency: int) -> Iterator[Pipeline]:
    """The frontend and the worker, started as their containers are, against `res`."""
    credentials = emulator_lib.EMULATOR_ENV
    with ExitStack() as stack:
        worker_env = {**pipeline.worker_env(res, emulator_lib.free_port()), **credentials}
        worker, _ = pipeline.start_worker(processes.start_service, worker_env)
        stack.callback(processes.stop, worker)
        frontend_port = emulator_lib.free_port()
        frontend_env = {
            **pipeline.frontend_env(res, frontend_port, WEB_CONCURRENCY=str(web_concurrency)),
            **credentials,
        }
        frontend, _ = pipeline.start_frontend(processes.start_service, frontend_env)
        stack.callback(processes.stop, frontend)
        yield Pipeline(backend, res, frontend_port, frontend.pid, worker.pid)


@contextmanager
def backend_resources(backend: str) -> Iterator[tuple[aws.Resources, Callable[[], dict[str, Any]]]]:
    """The backend's queue, bucket and token, and a function returning its call counts."""
    if backend == "emulator":
        with emulator_lib.running() as server:
            yield aws.create(server.endpoint), lambda: {}
        return
    token = uuid.uuid4().hex
    with stub_lib.running(token) as stub:
        res = aws.Resources(
            stub.endpoint,
            stub_lib.queue_url(stub.endpoint),
            None,
            stub_lib.BUCKET,
            stub_lib.TOKEN_PARAMETER,
            token,
        )
        yield res, stub.stats


def run_backend(
    backend: str, steps: Sequence[int], seconds: float, web_concurrency: int
) -> tuple[list[Step], dict[str, Any]]:
    results: list[Step] = []
    with backend_resources(backend) as (res, stats), services(backend, res, web_concurrency) as run:
        for series in SERIES:
            for concurrency in steps:
                step = run.run_step(series, concurrency, seconds)
                print(report.format_step(step), flush=True)
                results.append(step)
            if not run.drain():
                print(f"  {backend}: {run.backlog()} messages left after {DRAIN_TIMEOUT_S:.0f} s")
        calls = stats()
    return results, calls


def parse_steps(text: str) -> tuple[int, ...]:
    try:
        steps = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"steps must be integers separated by commas: {text!r}"
        ) from None
    if not steps or any(s < 1 or s > 256 for s in steps) or list(steps) != sorted(set(steps)):
        raise argparse.ArgumentTypeError(f"steps must be rising integers from 1 to 256: {text!r}")
    return steps


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=parse_steps, default=DEFAULT_STEPS, help="e.g. 1,2,4,8")
    parser.add_argument("--step-seconds", type=float, default=DEFAULT_STEP_SECONDS)
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help=f"comma-separated: {','.join(BACKENDS)}"
    )
    parser.add_argument("--growth-margin", type=float, default=DEFAULT_GROWTH_MARGIN)
    parser.add_argument("--p99-bound-ms", type=float, default=DEFAULT_P99_BOUND_MS)
    parser.add_argument("--web-concurrency", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    if not backends or any(b not in BACKENDS for b in backends):
        parser.error(f"--backends must name some of {', '.join(BACKENDS)}, got {args.backends!r}")
    if not 0.5 <= args.step_seconds <= 60:
        parser.error(f"--step-seconds must be between 0.5 and 60, got {args.step_seconds:g}")
    args.backends = backends
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    for key, value in emulator_lib.EMULATOR_ENV.items():
        os.environ.setdefault(key, value)
    print(
        f"load: steps {','.join(map(str, args.steps))} x {args.step_seconds:g} s, backends "
        f"{', '.join(args.backends)}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} (other load skews the figures)",
        flush=True,
    )
    steps: list[Step] = []
    calls: dict[str, dict[str, Any]] = {}
    for backend in args.backends:
        backend_steps, calls[backend] = run_backend(
            backend, args.steps, args.step_seconds, args.web_concurrency
        )
        steps.extend(backend_steps)
    saturations = {}
    for label in dict.fromkeys(f"{s.backend}/{s.series}" for s in steps):
        series = [s for s in steps if f"{s.backend}/{s.series}" == label]
        point = saturation(series, args.growth_margin, args.p99_bound_ms)
        if point is not None:
            saturations[label] = point
    args.out.mkdir(parents=True, exist_ok=True)
    report.write_csv(args.out / "load.csv", steps)
    report.write_chart(args.out / "load.png", steps, saturations)
    summary = report.summarise(steps, saturations, calls)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print("\n".join(["", *report.summary_lines(summary, args.growth_margin, args.p99_bound_ms)]))
    print("\n".join(["", *sizing.report(summary, "prod")]))
    print(f"written: {args.out}/load.csv, load.png, summary.json")
    return summary


if __name__ == "__main__":
    main()
