"""A fast loopback stand-in for the AWS calls the services make, for `make load`.

It answers only what the frontend and the worker call (SSM GetParameter; SQS SendMessage,
ReceiveMessage, DeleteMessageBatch, ChangeMessageVisibilityBatch, GetQueueAttributes; S3
PutObject) with one in-memory queue, one token and a set of stored keys, and nothing more:
no signatures checked, no persistence. Its cost per call is a small fraction of the
emulator's, so a load run against it shows the services' own ceiling. Anything else is a
400 naming the operation, so a new call in the services shows up instead of being faked.

`GET /stats` returns the call counts per operation and the stored-object count (the API
calls per message that the README's request costs are computed from).

Run as its own process (`STUB_TOKEN=T python -m devstack.bench.stub --port N`), so its work
does not share the load generator's interpreter lock.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devstack import processes
from devstack.emulator import free_port
from devstack.stackdef import EMULATOR, REGION, REPO_ROOT
from devstack.testkit.proxy import read_body

QUEUE_NAME = "load"
BUCKET = "load-bucket"
TOKEN_PARAMETER = "/load/token"  # noqa: S105 - a parameter name, not a secret
TOKEN_VARIABLE = "STUB_TOKEN"  # noqa: S105 - a variable name
VISIBILITY_TIMEOUT_S = 30
# A long poll returns after at most this long (the worker asks for 20 s): a stopping run
# does not wait for idle receives.
MAX_WAIT_S = 2.0
READY_TIMEOUT_S = 15.0


def queue_url(endpoint: str) -> str:
    return f"{endpoint}/{EMULATOR.account_id}/{QUEUE_NAME}"


@dataclass
class Message:
    message_id: str
    body: str
    attributes: dict[str, Any]
    sent_ms: int


@dataclass
class Backend:
    """The state behind the stub: one queue, the stored keys, the call counts."""

    token: str
    visible: deque[Message] = field(default_factory=deque)
    # receipt handle -> (message, monotonic time it becomes visible again)
    in_flight: dict[str, tuple[Message, float]] = field(default_factory=dict)
    stored: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def send(self, body: dict[str, Any]) -> dict[str, Any]:
        text = body["MessageBody"]
        message = Message(
            str(uuid.uuid4()), text, body.get("MessageAttributes", {}), int(time.time() * 1000)
        )
        with self.changed:
            self.visible.append(message)
            self.changed.notify()
        return {"MessageId": message.message_id, "MD5OfMessageBody": _md5(text)}

    def receive(self, body: dict[str, Any]) -> dict[str, Any]:
        limit = int(body.get("MaxNumberOfMessages", 1))
        wait = min(float(body.get("WaitTimeSeconds", 0)), MAX_WAIT_S)
        deadline = time.monotonic() + wait
        wanted = set(body.get("MessageAttributeNames", []))
        with self.changed:
            while True:
                self._expire(time.monotonic())
                if self.visible or time.monotonic() >= deadline:
                    break
                self.changed.wait(deadline - time.monotonic())
            taken = [self.visible.popleft() for _ in range(min(limit, len(self.visible)))]
            messages = []
            for message in taken:
                receipt = uuid.uuid4().hex
                self.in_flight[receipt] = (message, time.monotonic() + VISIBILITY_TIMEOUT_S)
                messages.append(
                    {
                        "MessageId": message.message_id,
                        "ReceiptHandle": receipt,
                        "MD5OfBody": _md5(message.body),
                        "Body": message.body,
                        "Attributes": {"SentTimestamp": str(message.sent_ms)},
                        "MessageAttributes": {
                            name: value
                            for name, value in message.attributes.items()
                            if name in wanted or "All" in wanted
                        },
                    }
                )
        return {"Messages": messages} if messages else {}

    def _expire(self, now: float) -> None:
        for receipt, (message, visible_at) in list(self.in_flight.items()):
            if visible_at <= now:
                del self.in_flight[receipt]
                self.visible.append(message)

    def delete_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.changed:
            for entry in body["Entries"]:
                self.in_flight.pop(entry["ReceiptHandle"], None)
        return {"Successful": [{"Id": entry["Id"]} for entry in body["Entries"]], "Failed": []}

    def change_visibility_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.changed:
            for entry in body["Entries"]:
                held = self.in_flight.get(entry["ReceiptHandle"])
                if held is not None:
                    timeout = int(entry["VisibilityTimeout"])
                    self.in_flight[entry["ReceiptHandle"]] = (held[0], time.monotonic() + timeout)
            self.changed.notify_all()
        return {"Successful": [{"Id": entry["Id"]} for entry in body["Entries"]], "Failed": []}

    def queue_attributes(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.changed:
            attributes = {
                "VisibilityTimeout": str(VISIBILITY_TIMEOUT_S),
                "ApproximateNumberOfMessages": str(len(self.visible)),
                "ApproximateNumberOfMessagesNotVisible": str(len(self.in_flight)),
            }
        names = body.get("AttributeNames", ["All"])
        if "All" in names:
            return {"Attributes": attributes}
        return {"Attributes": {name: attributes[name] for name in names if name in attributes}}

    def get_parameter(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "Parameter": {
                "Name": body["Name"],
                "Type": "SecureString",
                "Value": self.token,
                "Version": 1,
            }
        }

    def put_object(self, path: str) -> None:
        with self.changed:
            self.stored.add(path)

    def stats(self) -> dict[str, Any]:
        with self.changed:
            return {"calls": dict(self.calls), "stored": len(self.stored)}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _handler_class(backend: Backend) -> type[BaseHTTPRequestHandler]:
    json_operations = {
        "AmazonSQS.SendMessage": backend.send,
        "AmazonSQS.ReceiveMessage": backend.receive,
        "AmazonSQS.DeleteMessageBatch": backend.delete_batch,
        "AmazonSQS.ChangeMessageVisibilityBatch": backend.change_visibility_batch,
        "AmazonSQS.GetQueueAttributes": backend.queue_attributes,
        "AmazonSSM.GetParameter": backend.get_parameter,
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # see devstack/testkit/proxy.py

        def log_message(self, format: str, *args: object) -> None:
            return

        def _reply(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _json(self, status: int, document: dict[str, Any]) -> None:
            self._reply(status, json.dumps(document).encode(), {"Content-Type": "application/json"})

        def do_POST(self) -> None:
            body = read_body(self)
            target = self.headers.get("X-Amz-Target", "")
            operation = json_operations.get(target)
            with backend.changed:
                backend.calls[target.split(".")[-1] or "POST"] += 1
            if operation is None:
                self._json(400, {"__type": "InvalidAction", "message": f"stub: {target!r}"})
                return
            self._json(200, operation(json.loads(body or b"{}")))

        def do_PUT(self) -> None:
            read_body(self)
            with backend.changed:
                backend.calls["PutObject"] += 1
            backend.put_object(self.path.split("?")[0])
            self._reply(200, b"", {"ETag": f'"{uuid.uuid4().hex}"'})

        def do_GET(self) -> None:
            if self.path == "/stats":
                self._json(200, backend.stats())
            else:
                self._json(400, {"__type": "InvalidAction", "message": f"stub: GET {self.path}"})

        def handle(self) -> None:
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):
                return

    return Handler


def serve(port: int, token: str) -> None:
    server = ThreadingHTTPServer((EMULATOR.host, port), _handler_class(Backend(token)))
    server.daemon_threads = True
    server.serve_forever()


@dataclass(frozen=True)
class Stub:
    """A running stub process."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def endpoint(self) -> str:
        return f"http://{EMULATOR.host}:{self.port}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.endpoint}/stats", timeout=5) as response:  # noqa: S310 - loopback
            return dict(json.loads(response.read()))


@contextmanager
def running(token: str) -> Iterator[Stub]:
    """The stub on a free loopback port for the duration of the block."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "devstack.bench.stub", "--port", str(port)],
        cwd=REPO_ROOT,
        # The token in the environment, not in argv (where `ps` shows it).
        env={**os.environ, TOKEN_VARIABLE: token},
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    stub = Stub(port, process)
    try:
        if not processes.wait_until(lambda: processes.listening(port), READY_TIMEOUT_S, 0.05):
            raise TimeoutError(f"stub on port {port} not listening after {READY_TIMEOUT_S:.0f}s")
        yield stub
    finally:
        processes.stop(process, timeout=5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        sys.exit(f"stub: {TOKEN_VARIABLE} is required (the token GetParameter returns)")
    print(f"stub: AWS stand-in on {EMULATOR.host}:{args.port} ({REGION})", flush=True)
    serve(args.port, token)


if __name__ == "__main__":
    main()
