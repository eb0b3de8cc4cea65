"""The Flask application: `GET /` health, `POST /` validate and enqueue."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from frontend import access_log, request_id
from frontend.aws import make_client
from frontend.config import Config, load
from frontend.queue import (
    MAX_MESSAGE_BYTES,
    MessageQueue,
    MessageTooLargeError,
    QueueUnavailableError,
)
from frontend.request_rules import (
    ALLOWED_METHODS,
    MAX_REQUEST_BYTES,
    check_target,
    read_submission,
)
from frontend.token_store import TokenStore, TokenUnavailableError
from frontend.validation import InvalidRequestError

__all__ = ["MAX_REQUEST_BYTES", "create_app"]

_UNAVAILABLE = "service temporarily unavailable, retry later"


def _request_id() -> str:
    # Set first thing in every request; the fallback covers a failure before that.
    if "request_id" not in g:
        g.request_id = request_id.accept_or_generate(None)
    return str(g.request_id)


def _reply(http_status: int, **fields: Any) -> tuple[Response, int]:
    """A JSON response carrying the request id next to `fields`."""
    return jsonify(**fields, request_id=_request_id()), http_status


def _error(status: int, message: str, code: str | None = None) -> tuple[Response, int]:
    g.error_code = code
    return _reply(status, error=message)


def create_app(
    config: Config | None = None,
    token_store: TokenStore | None = None,
    queue: MessageQueue | None = None,
    *,
    clients: Mapping[str, Any] | None = None,
) -> Flask:
    """Build the app; collaborators are created from `config` unless injected (tests), on the
    given boto3 clients by service name ("ssm", "sqs") or on new ones (~0.2 CPU-s each)."""
    config = config or load(os.environ)
    clients = clients or {}
    token_store = token_store or TokenStore(
        clients.get("ssm") or make_client("ssm", config),
        config.token_parameter,
        config.token_cache_ttl_seconds,
        grace_seconds=config.token_grace_seconds,
        failure_cache_seconds=config.token_failure_cache_seconds,
    )
    queue = queue or MessageQueue(
        clients.get("sqs") or make_client("sqs", config), config.queue_url
    )
    logger = access_log.configure()

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # `//` must be a 404, not the handler of `/` (check_target also compares the raw target).
    app.url_map.merge_slashes = False

    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        g.request_id = request_id.accept_or_generate(request.headers.get(request_id.HEADER))
        check_target(request)

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers[request_id.HEADER] = _request_id()
        started = g.get("started", time.perf_counter())
        access_log.log_request(
            logger,
            method=request.method,
            path=request.path,
            status=response.status_code,
            latency_ms=(time.perf_counter() - started) * 1000,
            request_id=_request_id(),
            message_id=g.get("message_id"),
            error_code=g.get("error_code"),
        )
        return response

    # No automatic OPTIONS: every method but GET (and its HEAD) and POST is a 405.
    @app.get("/", provide_automatic_options=False)
    def health() -> Any:
        return _reply(200, status="healthy")

    @app.post("/", provide_automatic_options=False)
    def submit() -> Any:
        submission = read_submission(request, token_store.matches)
        g.message_id = queue.send(submission.data, submission.timestamp, g.request_id)
        return _reply(202, message_id=g.message_id)

    @app.errorhandler(InvalidRequestError)
    def invalid(error: InvalidRequestError) -> Any:
        response, status = _error(error.status, error.message)
        if status == 405:
            response.headers["Allow"] = ", ".join(ALLOWED_METHODS)
        return response, status

    @app.errorhandler(MessageTooLargeError)
    def message_too_large(_: MessageTooLargeError) -> Any:
        return _error(413, f"data is larger than the SQS limit of {MAX_MESSAGE_BYTES} bytes")

    @app.errorhandler(TokenUnavailableError)
    def token_unavailable(error: TokenUnavailableError) -> Any:
        return _error(503, _UNAVAILABLE, f"ssm:{error}")

    @app.errorhandler(QueueUnavailableError)
    def queue_unavailable(error: QueueUnavailableError) -> Any:
        return _error(503, _UNAVAILABLE, f"sqs:{error}")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        # Whatever werkzeug still raises itself stays JSON.
        return _error(error.code or 500, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        logger.error("unhandled error", exc_info=error)
        return _error(500, "internal error", type(error).__name__)

    return app
