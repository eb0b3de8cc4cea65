"""Checkov's fork server: imports checkov once, then forks a child per scan.

    <checkov's python> -I checkov_zygote.py SOCKET

Importing checkov (its thousands of checks) is ~4 of the ~5 CPU-seconds of a small scan; a
forked child starts with it done. Run by checkov's own interpreter, so this file imports only
the standard library and checkov; devstack.checkov starts it and is its only client.

Protocol, one scan per connection, newline-delimited JSON: the client sends
{"argv", "cwd", "env"}; the child answers {"pid"} at once, then {"returncode", "stdout",
"stderr"} when the scan ends, or {"fallback": reason} when the request's environment differs
from this server's in a variable checkov reads while it is imported (the client then runs the
CLI itself). Prints "ready" once listening; exits when its standard input closes.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import sys
import tempfile
import traceback
import warnings
from collections.abc import Mapping

# As started: importing checkov sets variables of its own (CKV_GITHUB_CONF_DIR_PATH, ...).
SERVER_ENV = dict(os.environ)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=SyntaxWarning)
    from checkov.main import Checkov

# What the import added, which a scan in the CLI would see too.
IMPORTED_ENV = {k: v for k, v in os.environ.items() if SERVER_ENV.get(k) != v}
# Variables checkov (or the HTTP stack it imports) reads at import time.
IMPORT_TIME_PREFIXES = ("CKV_", "BC_", "CHECKOV_", "PRISMA_", "LOG_LEVEL")
IMPORT_TIME_NAMES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")


def import_time_env(env: Mapping[str, str]) -> dict[str, str]:
    return {
        key: value
        for key, value in env.items()
        if key.startswith(IMPORT_TIME_PREFIXES)
        or key in IMPORT_TIME_NAMES
        or key.lower().endswith("_proxy")
    }


def send(conn: socket.socket, message: Mapping[str, object]) -> None:
    conn.sendall((json.dumps(message) + "\n").encode())


def exit_code(code: object) -> int:
    """What `sys.exit(code)` would make the process's exit status."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def scan(conn: socket.socket) -> None:
    """In the forked child: run one checkov CLI invocation and report it."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    request = json.loads(conn.makefile("r", encoding="utf-8").readline())
    send(conn, {"pid": os.getpid()})
    env: dict[str, str] = request["env"]
    if import_time_env(env) != import_time_env(SERVER_ENV):
        send(conn, {"fallback": "the environment differs from the server's"})
        return
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update({**env, **{k: v for k, v in IMPORTED_ENV.items() if k not in env}})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=SyntaxWarning)
                code = exit_code(Checkov(argv=request["argv"]).run())
        except SystemExit as stop:
            if stop.code is not None and not isinstance(stop.code, int):
                print(stop.code, file=sys.stderr)
            code = exit_code(stop.code)
        except BaseException:  # reported to the client like a crashed CLI's traceback
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        out.seek(0)
        err.seek(0)
        send(
            conn,
            {
                "returncode": code,
                "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace"),
            },
        )


def serve(path: str) -> None:
    # Children are reaped by the kernel; each child restores the default for its own use.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in selector.select():
            if key.fileobj != listener:
                if not os.read(sys.stdin.fileno(), 4096):
                    return
                continue
            conn, _ = listener.accept()
            if os.fork() == 0:
                listener.close()
                try:
                    scan(conn)
                finally:
                    os._exit(0)
            conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
