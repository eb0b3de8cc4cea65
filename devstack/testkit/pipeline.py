"""The pipeline in tests: worker and frontend processes, raw sends, the stored objects."""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from devstack import processes
from devstack.testkit.aws import Resources

START_TIMEOUT_S = 30
KEY = re.compile(
    r"messages/\d{4}/\d\d/\d\d/\d{8}T\d{6}\.\d{3}Z-(?P<message_id>[0-9a-f-]{36})\.json"
)


def worker_env(res: Resources, port: int, **extra: str) -> dict[str, str]:
    return {
        "QUEUE_URL": res.queue_url,
        "DATA_BUCKET": res.bucket,
        "AWS_ENDPOINT_URL": res.endpoint,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        **extra,
    }


def start_worker(service: Callable[..., Any], env: dict[str, str]) -> tuple[Any, str]:
    process = service("worker", env)
    url = f"http://127.0.0.1:{env['PORT']}/"
    processes.wait_for_status(url, 200, START_TIMEOUT_S, process)
    return process, url


def frontend_env(res: Resources, port: int, **extra: str) -> dict[str, str]:
    return {
        "QUEUE_URL": res.queue_url,
        "TOKEN_PARAMETER": res.token_parameter,
        "AWS_ENDPOINT_URL": res.endpoint,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        **extra,
    }


def start_frontend(service: Callable[..., Any], env: dict[str, str]) -> tuple[Any, str]:
    process = service("frontend", env)
    url = f"http://127.0.0.1:{env['PORT']}/"
    processes.wait_for_status(url, 200, START_TIMEOUT_S, process)
    return process, url


def send_raw(res: Resources, bodies: list[dict[str, Any]]) -> None:
    sqs = res.sqs()
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": json.dumps(body)}
            for i, body in enumerate(bodies[start : start + 10])
        ]
        failed = sqs.send_message_batch(QueueUrl=res.queue_url, Entries=entries).get("Failed")
        if failed:
            raise RuntimeError(f"SendMessageBatch refused entries: {failed}")


def objects(res: Resources) -> dict[str, Any]:
    """Every object of the bucket, parsed (read in parallel: the chaos run has 1,000)."""
    s3 = res.s3()

    def read(key: str) -> Any:
        return json.loads(s3.get_object(Bucket=res.bucket, Key=key)["Body"].read())

    keys = res.object_keys()
    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(keys, pool.map(read, keys), strict=True))


def terminate_and_time(process: Any) -> tuple[int, float]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=30)
    return code, time.monotonic() - started
