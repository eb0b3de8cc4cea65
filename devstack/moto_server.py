"""moto server with the compatibility fixes the Terraform AWS provider needs.

    python -m devstack.moto_server -H 127.0.0.1 -p 4566 [--state-dir DIR]

Against a plain moto 5.2.5 server two resources of the stack never finish creating:

- SQS: moto stores a queue's RedriveAllowPolicy but never returns it from GetQueueAttributes,
  and the provider waits until the attributes it set read back equal
  (`aws_sqs_queue_redrive_allow_policy`). Here the attribute reads back as AWS returns it.
- Application Auto Scaling: moto lacks TagResource/UntagResource/ListTagsForResource, which
  the provider calls after RegisterScalableTarget and retries for many minutes
  (`aws_appautoscaling_target`). Here tags are kept per ARN, as given at registration too.

And one that breaks the data path: moto evaluates bucket policies without their conditions (a
statement with a condition always denies), so the TLS-only statement every bucket carries (Deny
when aws:SecureTransport is false) and the data bucket's encryption statements (Deny PutObject
asking for other encryption than its KMS key) denied every request. Here the conditions on
those keys are evaluated as AWS does before moto sees the policy: aws:SecureTransport is true
(the emulator stands in for AWS's HTTPS endpoints), and s3:x-amz-server-side-encryption and
s3:x-amz-server-side-encryption-aws-kms-key-id are the object request's headers (Null,
StringEquals, StringNotEquals). A statement whose conditions hold stays without them, one whose
conditions do not hold is dropped; statements with other condition keys are left to moto.

With `--state-dir DIR` the server also saves and restores its whole state (devstack/moto_state.py)
for the twin's fast re-up: `POST /_devstack/state/save?name=N` writes DIR/N.pickle,
`POST /_devstack/state/load?name=N` replaces everything the server holds with it. N is a hex
key (the inputs' hash): the server reads and writes no other file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import Any

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response
from moto.sqs.models import Queue
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from devstack import moto_state

REDRIVE_ALLOW_POLICY = "RedriveAllowPolicy"


def _with_redrive_allow_policy(base: property) -> property:
    def attributes(queue: Queue) -> dict[str, Any]:
        result: dict[str, Any] = base.fget(queue) if base.fget else {}
        # Like RedrivePolicy: present once set, absent otherwise.
        if not result.get(REDRIVE_ALLOW_POLICY):
            result.pop(REDRIVE_ALLOW_POLICY, None)
        return result

    return property(attributes)


# Scalable-target tags by ARN (one moto server process, all accounts and regions).
_SCALING_TAGS: dict[str, dict[str, str]] = {}


def _register_scalable_target(base: Any) -> Any:
    def register(response: ApplicationAutoScalingResponse) -> str:
        body = base(response)
        tags = response._get_param("Tags") or {}
        _SCALING_TAGS.setdefault(json.loads(body)["ScalableTargetARN"], {}).update(tags)
        return str(body)

    return register


def _tag_resource(response: ApplicationAutoScalingResponse) -> str:
    tags = response._get_param("Tags") or {}
    _SCALING_TAGS.setdefault(response._get_param("ResourceARN"), {}).update(tags)
    return "{}"


def _untag_resource(response: ApplicationAutoScalingResponse) -> str:
    tags = _SCALING_TAGS.get(response._get_param("ResourceARN"), {})
    for key in response._get_param("TagKeys") or []:
        tags.pop(key, None)
    return "{}"


def _list_tags_for_resource(response: ApplicationAutoScalingResponse) -> str:
    return json.dumps({"Tags": _SCALING_TAGS.get(response._get_param("ResourceARN"), {})})


# The headers of the object request being answered (moto's server answers each in one thread).
_OBJECT_REQUEST_HEADERS: ContextVar[Mapping[str, str]] = ContextVar(
    "headers", default=MappingProxyType({})
)
_HEADER_CONDITION_KEYS = (
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
)


def _request_values() -> dict[str, str]:
    """Condition key -> value for this request, for the keys evaluated here only."""
    headers = _OBJECT_REQUEST_HEADERS.get()
    values = {"aws:SecureTransport": "true"}
    for key in _HEADER_CONDITION_KEYS:
        header = headers.get(key.removeprefix("s3:"))
        if header is not None:
            values[key] = header
    return values


def _holds(operator: str, key: str, expected: Any, values: dict[str, str]) -> bool | None:
    """Whether one condition holds; None when it is not one evaluated here."""
    if key != "aws:SecureTransport" and key not in _HEADER_CONDITION_KEYS:
        return None
    wanted = [
        str(v).lower() if operator in ("Bool", "Null") else str(v)
        for v in (expected if isinstance(expected, list) else [expected])
    ]
    actual = values.get(key)
    if operator == "Null":
        return (actual is None) == ("true" in wanted)
    if operator == "Bool":
        return actual is not None and actual.lower() in wanted
    if operator == "StringEquals":
        return actual is not None and actual in wanted
    if operator == "StringNotEquals":
        return actual is None or actual not in wanted
    return None


def _evaluated(statement: dict[str, Any], values: dict[str, str]) -> dict[str, Any] | None:
    """The statement without its conditions when they hold, None when they do not, the
    statement unchanged when a condition is not one evaluated here."""
    condition = statement.get("Condition")
    if not condition:
        return statement
    verdicts = [
        _holds(operator, key, expected, values)
        for operator, pairs in condition.items()
        for key, expected in pairs.items()
    ]
    if any(verdict is None for verdict in verdicts):
        return statement
    if not all(verdicts):
        return None
    return {k: v for k, v in statement.items() if k != "Condition"}


def _conditions_evaluated(base: Any) -> Any:
    def get_permission(bucket: FakeBucket, action: str, resource: str) -> Any:
        if bucket.policy is None:
            return base(bucket, action, resource)
        document = json.loads(bucket.policy)
        statements = document.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        values = _request_values()
        kept = [e for e in (_evaluated(s, values) for s in statements) if e is not None]
        if kept == statements:
            return base(bucket, action, resource)
        if not kept:
            return PermissionResult.NEUTRAL
        policy = IAMPolicy(json.dumps({**document, "Statement": kept}))
        return policy.is_action_permitted(action, resource)

    return get_permission


def _remembering_headers(base: Any) -> Any:
    def key_response(response: S3Response, request: Any, full_url: str) -> Any:
        token = _OBJECT_REQUEST_HEADERS.set({k.lower(): v for k, v in request.headers.items()})
        try:
            return base(response, request, full_url)
        finally:
            _OBJECT_REQUEST_HEADERS.reset(token)

    return key_response


def apply_fixes() -> None:
    """Patch moto in this process (idempotent)."""
    if REDRIVE_ALLOW_POLICY in Queue.BASE_ATTRIBUTES:
        return
    FakeBucket.get_permission = _conditions_evaluated(FakeBucket.get_permission)  # type: ignore[method-assign]
    S3Response._key_response = _remembering_headers(S3Response._key_response)  # type: ignore[method-assign]
    scaling = ApplicationAutoScalingResponse
    scaling.register_scalable_target = _register_scalable_target(  # type: ignore[method-assign]
        scaling.register_scalable_target
    )
    scaling.tag_resource = _tag_resource  # type: ignore[attr-defined]
    scaling.untag_resource = _untag_resource  # type: ignore[attr-defined]
    scaling.list_tags_for_resource = _list_tags_for_resource  # type: ignore[attr-defined]
    # SetQueueAttributes already stores it as `redrive_allow_policy`; listing it makes
    # GetQueueAttributes return it (and accept it as a requested name).
    Queue.redrive_allow_policy = None  # type: ignore[attr-defined]
    Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, REDRIVE_ALLOW_POLICY]
    Queue.attributes = _with_redrive_allow_policy(Queue.attributes)  # type: ignore[method-assign,assignment]


STATE_PATH = "/_devstack/state/"
_STATE_NAME = re.compile(r"[0-9a-f]{8,64}", re.ASCII)


class StateEndpoints:
    """moto's WSGI application plus the save/load endpoints (files only in `state_dir`)."""

    def __init__(self, app: Any, state_dir: Path) -> None:
        self._app = app
        self._state_dir = state_dir

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not str(environ.get("PATH_INFO", "")).startswith(STATE_PATH):
            return self._app(environ, start_response)
        return self._state(Request(environ))(environ, start_response)

    def _state(self, request: Request) -> Response:
        action = request.path.removeprefix(STATE_PATH)
        name = request.args.get("name", "")
        if request.method != "POST" or action not in {"save", "load"}:
            return _json({"error": f"POST {STATE_PATH}save or load expected"}, 404)
        if not _STATE_NAME.fullmatch(name):
            return _json({"error": "name must be 8-64 lowercase hex digits"}, 400)
        path = self._state_dir / f"{name}.pickle"
        try:
            if action == "save":
                self._state_dir.mkdir(parents=True, exist_ok=True)
                services = moto_state.save(path, {"scaling_tags": _SCALING_TAGS})
            elif not path.is_file():
                return _json({"error": f"no snapshot {name}"}, 404)
            else:
                services, extra = moto_state.load(path)
                _SCALING_TAGS.clear()
                _SCALING_TAGS.update(extra.get("scaling_tags", {}))
        except moto_state.StateError as error:
            return _json({"error": str(error)}, 500)
        return _json({"name": name, "services": services}, 200)


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.moto_server")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, help="enables the state endpoints")
    args = parser.parse_args(argv)
    # As moto_server does: its URLs name the port; SIGTERM ends the process cleanly.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    apply_fixes()
    app: Any = DomainDispatcherApplication(create_backend_app)
    if args.state_dir:
        app = StateEndpoints(app, args.state_dir)
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main(sys.argv[1:])
