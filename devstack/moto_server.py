"""moto server with the compatibility fixes the Terraform AWS provider needs.

    python -m devstack.moto_server -H 127.0.0.1 -p 4566 [--state-dir DIR]

Against a plain moto 5.2.5 server two resources of the stack never finish creating:

- SQS: moto stores a queue's RedriveAllowPolicy but never returns it from GetQueueAttributes,
  and the provider waits until the attributes it set read back equal
  (`aws_sqs_queue_redrive_allow_policy`). Here the attribute reads back as AWS returns it.
- Application Auto Scaling: moto lacks TagResource/UntagResource/ListTagsForResource, which
  the provider calls after RegisterScalableTarget and retries for many minutes
  (`aws_appautoscaling_target`). Here tags are kept per ARN, as given at registration too.

And one that breaks the data path: moto evaluates bucket policies without their conditions, so
the TLS-only statement every bucket carries (Deny when aws:SecureTransport is false) denies
every request. The emulator stands in for AWS's HTTPS endpoints: that statement never matches.

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
from pathlib import Path
from typing import Any

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.s3.models import FakeBucket
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


def _is_insecure_transport_only(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    flags = condition.get("Bool") if list(condition) == ["Bool"] else None
    return (
        isinstance(flags, dict)
        and list(flags) == ["aws:SecureTransport"]
        and str(flags["aws:SecureTransport"]).lower() == "false"
    )


def _over_tls(base: Any) -> Any:
    def get_permission(bucket: FakeBucket, action: str, resource: str) -> Any:
        if bucket.policy is None:
            return base(bucket, action, resource)
        document = json.loads(bucket.policy)
        statements = document.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        kept = [s for s in statements if not _is_insecure_transport_only(s)]
        if len(kept) == len(statements):
            return base(bucket, action, resource)
        if not kept:
            return PermissionResult.NEUTRAL
        policy = IAMPolicy(json.dumps({**document, "Statement": kept}))
        return policy.is_action_permitted(action, resource)

    return get_permission


def apply_fixes() -> None:
    """Patch moto in this process (idempotent)."""
    if REDRIVE_ALLOW_POLICY in Queue.BASE_ATTRIBUTES:
        return
    FakeBucket.get_permission = _over_tls(FakeBucket.get_permission)  # type: ignore[method-assign]
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
