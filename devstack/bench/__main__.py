"""Run every benchmark case twice (bare emulator, then through a 20 ms latency proxy)."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import requests
from werkzeug.serving import make_server

from devstack import emulator as emulator_lib
from devstack import processes
from devstack.bench.naive import naive_frontend, naive_worker_loop
from devstack.testkit import aws, proxy

CLIENT_THREADS = 16
POSTS = int(os.environ.get("BENCH_POSTS", "300"))
WORKER_MESSAGES = int(os.environ.get("BENCH_WORKER_MESSAGES", "300"))
NAIVE_WORKER_MESSAGES = int(os.environ.get("BENCH_NAIVE_WORKER_MESSAGES", "100"))
LATENCY_S = 0.020
DRAIN_BACKLOG = 50
CREDENTIALS = emulator_lib.EMULATOR_ENV


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def post_load(url: str, token: str, count: int) -> float:
    """Accepted POSTs per second from CLIENT_THREADS concurrent clients."""
    local = threading.local()

    def post(index: int) -> int:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        data = {"email_timestream": str(1_700_000_000 + index), "n": index}
        return session.post(url, json={"token": token, "data": data}, timeout=30).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        statuses = list(pool.map(post, range(count)))
    elapsed = time.perf_counter() - started
    accepted = statuses.count(202)
    if accepted != count:
        print(f"  warning: {count - accepted} of {count} POSTs not accepted", file=sys.stderr)
    return rate(accepted, elapsed)


def raw_send_rate(endpoint: str, res: aws.Resources, count: int) -> float:
    sqs = aws.client("sqs", endpoint)

    def send(index: int) -> None:
        sqs.send_message(QueueUrl=res.queue_url, MessageBody=json.dumps({"n": index}))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        list(pool.map(send, range(count)))
    return rate(count, time.perf_counter() - started)


@contextmanager
def running_service(name: str, env: dict[str, str]) -> Iterator[str]:
    port = emulator_lib.free_port()
    process = processes.start_service(name, {**CREDENTIALS, **env, "PORT": str(port)})
    url = f"http://127.0.0.1:{port}/"
    try:
        processes.wait_for_status(url, 200, 60, process)
        yield url
    finally:
        processes.stop(process)


def frontend_rate(emulator: str, endpoint: str) -> float:
    res = aws.create(emulator)
    env = {
        "QUEUE_URL": res.queue_url,
        "TOKEN_PARAMETER": res.token_parameter,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": aws.REGION,
    }
    with running_service("frontend", env) as url:
        post_load(url, res.token, 20)  # warm-up: connections and token caches
        return post_load(url, res.token, POSTS)


def naive_frontend_rate(emulator: str, endpoint: str) -> float:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access line per request
    res = aws.create(emulator)
    app = naive_frontend(res.queue_url, res.token_parameter, endpoint)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        return post_load(url, res.token, max(POSTS // 3, 50))
    finally:
        server.shutdown()


def fill(res: aws.Resources, count: int, backlog: int | None = None) -> None:
    """Send `count` messages in batches; with `backlog`, keep at most that many waiting.

    The emulator's SQS slows down as a queue grows, so the drain cases keep the
    queue shallow (but never empty: the consumer is not starved).
    """
    sqs = res.sqs()
    for start in range(0, count, 10):
        while backlog is not None and res.queue_counts()[0] >= backlog:
            time.sleep(0.01)
        entries = [
            {"Id": str(i), "MessageBody": json.dumps({"n": start + i})}
            for i in range(min(10, count - start))
        ]
        sqs.send_message_batch(QueueUrl=res.queue_url, Entries=entries)


def drain_rate(res: aws.Resources, count: int, consumer_started: Callable[[], None]) -> float:
    """Messages/s from the first send until the queue is empty (sending while draining).

    Completion is read from the cheap queue counters, not by listing the bucket,
    so the measurement does not load the emulator; the object count is checked after.
    """
    consumer_started()
    started = time.perf_counter()
    sender = threading.Thread(target=fill, args=(res, count, DRAIN_BACKLOG))
    sender.start()
    deadline = time.monotonic() + 600
    while sender.is_alive() or res.queue_counts() != (0, 0):
        if time.monotonic() > deadline:
            raise TimeoutError("drain did not finish")
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    stored = len(res.object_keys())
    if stored != count:
        raise RuntimeError(f"{stored} objects stored for {count} messages")
    return rate(count, elapsed)


def worker_rate(emulator: str, endpoint: str) -> float:
    res = aws.create(emulator)
    env = {
        "QUEUE_URL": res.queue_url,
        "DATA_BUCKET": res.bucket,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": aws.REGION,
    }
    with running_service("worker", env):
        return drain_rate(res, WORKER_MESSAGES, lambda: None)


def naive_worker_rate(emulator: str, endpoint: str) -> float:
    res = aws.create(emulator)
    stop = threading.Event()
    loop = threading.Thread(
        target=naive_worker_loop,
        args=(
            aws.client("sqs", endpoint),
            aws.client("s3", endpoint),
            res.queue_url,
            res.bucket,
            stop,
        ),
        daemon=True,
    )
    try:
        return drain_rate(res, NAIVE_WORKER_MESSAGES, loop.start)
    finally:
        stop.set()
        loop.join(timeout=10)


def run_cases(emulator: str, endpoint: str) -> dict[str, float]:
    results = {
        "raw_boto3_send_per_s": raw_send_rate(endpoint, aws.create(emulator), POSTS),
        "frontend_posts_per_s": frontend_rate(emulator, endpoint),
        "naive_flask_posts_per_s": naive_frontend_rate(emulator, endpoint),
        "worker_messages_per_s": worker_rate(emulator, endpoint),
        "naive_worker_messages_per_s": naive_worker_rate(emulator, endpoint),
    }
    results["frontend_vs_raw_boto3"] = (
        results["frontend_posts_per_s"] / results["raw_boto3_send_per_s"]
    )
    results["frontend_vs_naive_flask"] = (
        results["frontend_posts_per_s"] / results["naive_flask_posts_per_s"]
    )
    results["worker_vs_naive_loop"] = (
        results["worker_messages_per_s"] / results["naive_worker_messages_per_s"]
    )
    return results


def report(label: str, results: dict[str, float]) -> None:
    print(f"\n== {label}")
    for key, value in results.items():
        print(f"  {key:<30} {value:10.2f}")


def main() -> None:
    for key, value in CREDENTIALS.items():
        os.environ.setdefault(key, value)
    print(
        f"bench: {CLIENT_THREADS} client threads, {POSTS} POSTs per case, "
        f"{WORKER_MESSAGES} worker / {NAIVE_WORKER_MESSAGES} naive-loop messages, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other load skews figures)"
    )
    all_results: dict[str, dict[str, float]] = {}
    with emulator_lib.running() as server:
        all_results["bare emulator"] = run_cases(server.endpoint, server.endpoint)
        report("bare emulator", all_results["bare emulator"])
        with proxy.running(server.endpoint, latency_s=LATENCY_S) as latency:
            label = f"emulator + {LATENCY_S * 1000:.0f} ms per request"
            all_results[label] = run_cases(server.endpoint, latency.endpoint)
            report(label, all_results[label])
    print(
        "\nratios (targets: frontend_vs_raw_boto3 >= 0.5, worker_vs_naive_loop >= 5 with latency)"
    )
    for label, results in all_results.items():
        print(
            f"  {label:<28} frontend/raw={results['frontend_vs_raw_boto3']:.2f}  "
            f"frontend/naive-flask={results['frontend_vs_naive_flask']:.2f}  "
            f"worker/naive-loop={results['worker_vs_naive_loop']:.2f}"
        )


if __name__ == "__main__":
    main()
