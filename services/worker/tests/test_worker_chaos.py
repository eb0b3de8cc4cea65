"""Chaos run: the whole path under faults, with the worker SIGKILLed and restarted.

1,000 messages are POSTed through the real frontend (gunicorn) while the worker, whose S3 calls
go through the fault proxy, is SIGKILLed twice mid-stream and restarted. Of the PutObject calls,
a share fail with 503 before storing and a share are stored and then lose their answer (the
worker sees a dropped connection). At the end every accepted message is one object under its
own key with its own body, the queue is drained and the DLQ empty.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from devstack.emulator import free_port
from devstack.testkit import proxy
from devstack.testkit.aws import Resources, wait_until
from devstack.testkit.pipeline import (
    KEY,
    frontend_env,
    objects,
    start_frontend,
    start_worker,
    worker_env,
)

pytestmark = pytest.mark.integration

MESSAGES = 1000
# Kill the worker once this many objects are stored (while the frontend is still posting).
KILL_AT = (150, 450)
FAIL_RATE = 0.10  # PutObject answered 503, nothing stored
DROP_RATE = 0.06  # PutObject stored, then the connection closed without an answer
BUDGET_S = 120.0
POST_ATTEMPTS = 5


class PutFaults:
    """The proxy's per-request choice: faults only for PutObject, seeded, counted."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)  # noqa: S311 - fault injection, not security
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def __call__(self, method: str, path: str) -> str | None:
        if method != "PUT":
            return None
        with self._lock:
            roll = self._random.random()
            if roll < FAIL_RATE:
                mode = "fail"
            elif roll < FAIL_RATE + DROP_RATE:
                mode = "drop"
            else:
                mode = "pass"
            self.counts[mode] += 1
        return mode


@pytest.mark.timeout(BUDGET_S + 60)
def test_chaos_kills_and_s3_faults_store_every_accepted_message_exactly_once(
    resources: Callable[..., Resources],
    service: Callable[..., Any],
    emulator: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()

    def remaining() -> float:
        return max(0.0, BUDGET_S - (time.monotonic() - started))

    # A short visibility timeout brings a killed worker's in-flight messages back quickly.
    res = resources(visibility_timeout=3, max_receive_count=10)
    faults = PutFaults(seed=20260101)
    with (
        proxy.running(emulator.endpoint, fault=faults) as s3_proxy,
        proxy.running(emulator.endpoint) as frontend_sqs,
    ):
        # The frontend's SQS calls pass through a proxy that only counts them (see the end).
        _, frontend_url = start_frontend(
            service, frontend_env(res, free_port(), AWS_ENDPOINT_URL_SQS=frontend_sqs.endpoint)
        )
        # More loops than the default 2: with a fault in most batches of 10, a batch waits
        # for the SDK's retry backoff, and more loops keep the run inside its budget.
        env = worker_env(res, free_port(), AWS_ENDPOINT_URL_S3=s3_proxy.endpoint, POLLERS="6")
        worker, _ = start_worker(service, env)

        session = threading.local()
        retried: list[int] = []  # indexes, one per retry (list.append is thread-safe)

        def post(index: int) -> tuple[str, int]:
            if not hasattr(session, "http"):
                session.http = requests.Session()
            data = {"email_timestream": str(1_700_000_000 + index), "n": index}
            # A client does what the 503 says (retry later): on an overloaded machine the
            # frontend's bounded SQS send can time out.
            for _ in range(POST_ATTEMPTS):
                response = session.http.post(
                    frontend_url, json={"token": res.token, "data": data}, timeout=30
                )
                if response.status_code != 503:
                    break
                retried.append(index)
                time.sleep(0.5)
            assert response.status_code == 202, response.text
            return str(response.json()["message_id"]), index

        in_flight_at_kills: list[int] = []
        with ThreadPoolExecutor(max_workers=8) as pool:
            posted = pool.map(post, range(MESSAGES))
            for threshold in KILL_AT:
                assert wait_until(
                    lambda t=threshold: len(res.object_keys()) >= t, timeout=remaining()
                ), f"fewer than {threshold} objects within the budget"
                in_flight_at_kills.append(res.queue_counts()[1])
                os.killpg(worker.pid, signal.SIGKILL)  # no chance to finish or hand back
                worker.wait(timeout=10)
                worker, _ = start_worker(service, env)
            accepted = dict(posted)
        posting_done = time.monotonic() - started

        assert wait_until(
            lambda: len(res.object_keys()) >= MESSAGES and res.queue_counts() == (0, 0),
            timeout=remaining(),
            interval=0.5,
        ), f"not drained within {BUDGET_S:.0f}s: {len(res.object_keys())} objects"
        drained = time.monotonic() - started
        put_calls = sum(faults.counts.values())
        send_calls = sum(1 for method, _, _ in frontend_sqs.log if method == "POST")
        puts_per_key = Counter(path for method, path, _ in s3_proxy.log if method == "PUT")

    keys = res.object_keys()
    bodies = objects(res)
    duration = time.monotonic() - started
    injected = faults.counts["fail"] + faults.counts["drop"]
    stored_ids = {KEY.fullmatch(key).group("message_id"): key for key in keys}  # type: ignore[union-attr]
    extra = set(stored_ids) - set(accepted)
    with capsys.disabled():
        print(
            f"\nchaos: {MESSAGES} messages POSTed through the frontend in {posting_done:.1f}s "
            f"({len(retried)} POSTs retried after a 503, {send_calls} SendMessage calls, "
            f"{len(extra)} extra messages from retried sends), "
            f"{len(in_flight_at_kills)} SIGKILLs + restarts (messages in flight: "
            f"{in_flight_at_kills}), {put_calls} PutObject calls, {injected} faults "
            f"injected ({injected / put_calls:.1%}: {faults.counts['fail']} answered 503, "
            f"{faults.counts['drop']} dropped after storing), "
            f"{sum(1 for n in puts_per_key.values() if n > 1)} keys PUT more than once "
            f"(SDK retries, redeliveries), drained at {drained:.1f}s, verified at {duration:.1f}s"
        )

    assert len(accepted) == MESSAGES
    assert len(in_flight_at_kills) >= 2
    assert injected / put_calls >= 0.10
    assert faults.counts["drop"] > 0
    assert len(stored_ids) == len(keys)  # one object per message id
    assert set(accepted) <= set(stored_ids)
    for message_id, index in accepted.items():
        assert bodies[stored_ids[message_id]]["n"] == index
    # Anything else can only be a second message from a send that was retried (by the
    # frontend's SDK after a timed-out answer, or by our POST after a 503) although the first
    # had reached SQS: new MessageId, same body. Never more of them than extra SendMessage
    # calls, each a copy of an accepted body.
    assert len(extra) <= send_calls - MESSAGES
    assert {bodies[stored_ids[message_id]]["n"] for message_id in extra} <= set(accepted.values())
    assert res.queue_counts() == (0, 0)
    assert res.dlq_url is not None
    assert res.queue_counts(res.dlq_url) == (0, 0)
    assert duration <= BUDGET_S
