"""Process entry point: configuration, clients, poll loops, health server, signals."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

from worker import aws, log
from worker.config import Config, ConfigError, load
from worker.health import Health, Heartbeat, make_server, serve_in_background
from worker.poller import PROCESSING, Poller
from worker.uploader import Uploader
from worker.visibility import VisibilityKeeper

logger = logging.getLogger("worker.main")
_SUPERVISE_INTERVAL_SECONDS = 0.2


def build_pollers(
    config: Config,
    stop: threading.Event,
    heartbeat: Heartbeat,
    sqs_client: Any,
    visibility: VisibilityKeeper,
) -> list[Poller]:
    receive_client = aws.sqs_receive_client(config)
    executor = ThreadPoolExecutor(
        max_workers=config.pollers * config.upload_concurrency, thread_name_prefix="upload"
    )
    uploader = Uploader(aws.s3_client(config), config.data_bucket, config.data_prefix, executor)
    return [
        Poller(
            receive_client=receive_client,
            sqs_client=sqs_client,
            queue_url=config.queue_url,
            uploader=uploader,
            visibility=visibility,
            stop=stop,
            heartbeat=heartbeat,
            wait_time_seconds=config.wait_time_seconds,
            max_messages=config.max_messages,
        )
        for _ in range(config.pollers)
    ]


def _busy(pollers: list[Poller], threads: list[threading.Thread]) -> int:
    return sum(
        1 for p, t in zip(pollers, threads, strict=True) if t.is_alive() and p.state == PROCESSING
    )


def wait_for_in_flight(
    pollers: list[Poller], threads: list[threading.Thread], budget: float
) -> int:
    """After a stop: wait (bounded) for loops that are uploading or deleting.

    Loops blocked in a long poll are not waited for: a receive cannot be
    interrupted and may last 20 s. Returns how many loops were still busy at the
    deadline (their undeleted messages are redelivered after the visibility timeout).
    """
    deadline = time.monotonic() + budget
    while _busy(pollers, threads) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _busy(pollers, threads)


def run(config: Config) -> int:
    stop = threading.Event()
    heartbeat = Heartbeat()
    sqs_client = aws.sqs_client(config)
    visibility = VisibilityKeeper(
        sqs_client, config.queue_url, config.visibility_max_extension_seconds
    )
    pollers = build_pollers(config, stop, heartbeat, sqs_client, visibility)
    threads = [
        threading.Thread(target=p.run, name=f"poller-{i}", daemon=True)
        for i, p in enumerate(pollers)
    ]
    visibility_thread = threading.Thread(target=visibility.run, name="visibility", daemon=True)

    def loops_alive() -> bool:
        # The heartbeat thread counts too: without it slow batches would be stored twice.
        return visibility_thread.is_alive() and all(t.is_alive() for t in threads)

    health = Health(heartbeat, loops_alive, config.health_max_age_seconds)
    try:
        server = make_server(config.host, config.port, health)
    except OSError as error:
        sys.stderr.write(
            f"worker: cannot listen on {config.host} port {config.port}: {error.strerror}\n"
        )
        return 2

    received: list[str] = []

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        # Only flag it: logging from a signal handler can re-enter a stream write.
        received.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    serve_in_background(server)
    visibility_thread.start()
    for thread in threads:
        thread.start()
    logger.info("worker started", extra={"pollers": config.pollers, "port": config.port})

    while not stop.wait(_SUPERVISE_INTERVAL_SECONDS):
        if not loops_alive():
            logger.error(
                "a poll loop or the visibility heartbeat died; exiting so the task is replaced"
            )
            stop.set()
            _exit(1)

    logger.info("stop requested", extra={"signal": received[0] if received else None})
    abandoned = wait_for_in_flight(pollers, threads, config.shutdown_timeout_seconds)
    server.shutdown()
    logger.info("worker stopped", extra={"abandoned": abandoned})
    return 0


def _exit(code: int) -> None:
    # Loops blocked in a long poll (and uploads past the deadline) are daemon or
    # pool threads that must not delay the exit; os._exit skips joining them.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(env: Mapping[str, str] | None = None) -> None:
    try:
        config = load(os.environ if env is None else env)
    except ConfigError as error:
        sys.stderr.write(f"worker: configuration error: {error}\n")
        sys.exit(2)
    log.configure()
    _exit(run(config))
