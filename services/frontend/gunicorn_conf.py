"""gunicorn settings for the frontend, passed explicitly with `-c gunicorn_conf.py`.

The environment is validated here, in the master, before any worker starts: a
bad or missing setting prints one line to stderr and exits non-zero.
"""

import os
import sys

from frontend import gunicorn_errors
from frontend.config import ConfigError, load


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


try:
    _config = load(os.environ)
except ConfigError as _error:
    sys.stderr.write(f"frontend: configuration error: {_error}\n")
    sys.exit(2)

# Requests gunicorn rejects itself get a JSON error too (installed before workers fork).
gunicorn_errors.install()

# All interfaces: the container port the ALB targets.
bind = f"0.0.0.0:{_config.port}"
# I/O-bound requests (SSM cache hit + one SQS call): a few processes, many threads.
worker_class = "gthread"
workers = _config.web_concurrency or 2 * _cpu_count()
threads = _config.threads
# Above the ALB's 60 s idle timeout, so the ALB never reuses a connection we closed.
keepalive = 75
# ECS sends SIGKILL 30 s after SIGTERM: finish in-flight requests well before that.
graceful_timeout = 20
timeout = 30
# The app writes one JSON line per request; gunicorn's own access log would duplicate it.
accesslog = None
errorlog = "-"
# No runtime control socket (gunicornc): nothing manages the task from inside.
control_socket_disable = True
loglevel = "info"
# Worker heartbeat files in memory, not on the container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
