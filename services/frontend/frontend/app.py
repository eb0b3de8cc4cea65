"""The Flask application: `GET /` health, `POST /` validate and enqueue."""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from frontend import access_log
from frontend.aws import make_client
from frontend.config import Config, load
from frontend.queue import (
    MAX_MESSAGE_BYTES,
    MessageQueue,
    MessageTooLargeError,
    QueueUnavailableError,
)
from frontend.token_store import TokenStore, TokenUnavailableError
from frontend.validation import (
    InvalidRequestError,
    extract_data,
    extract_token,
    parse_json,
    require_object,
)

# A request is the message plus the token and envelope; anything bigger cannot fit in SQS.
MAX_REQUEST_BYTES = MAX_MESSAGE_BYTES + 4096
_UNAVAILABLE = "service temporarily unavailable, retry later"


def _error(status: int, message: str, code: str | None = None) -> tuple[Response, int]:
    g.error_code = code
    return jsonify(error=message), status


def create_app(
    config: Config | None = None,
    token_store: TokenStore | None = None,
    queue: MessageQueue | None = None,
) -> Flask:
    """Build the app; collaborators are created from `config` unless injected (tests)."""
    config = config or load(os.environ)
    token_store = token_store or TokenStore(
        make_client("ssm", config), config.token_parameter, config.token_cache_ttl_seconds
    )
    queue = queue or MessageQueue(make_client("sqs", config), config.queue_url)
    logger = access_log.configure()

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("started", time.perf_counter())
        access_log.log_request(
            logger,
            method=request.method,
            path=request.path,
            status=response.status_code,
            latency_ms=(time.perf_counter() - started) * 1000,
            message_id=g.get("message_id"),
            error_code=g.get("error_code"),
        )
        return response

    # No automatic OPTIONS: every method but GET (and its HEAD) and POST is a 405.
    @app.get("/", provide_automatic_options=False)
    def health() -> Any:
        return jsonify(status="healthy")

    @app.post("/", provide_automatic_options=False)
    def submit() -> Any:
        try:
            if request.mimetype != "application/json":
                raise InvalidRequestError(415, "Content-Type must be application/json")
            body = require_object(parse_json(request.get_data(cache=False)))
            if not token_store.matches(extract_token(body)):
                raise InvalidRequestError(401, "token is missing or invalid")
            data, timestamp = extract_data(body)
            g.message_id = queue.send(data, timestamp)
        except InvalidRequestError as invalid:
            return _error(invalid.status, invalid.message)
        except MessageTooLargeError:
            return _error(413, f"data is larger than the SQS limit of {MAX_MESSAGE_BYTES} bytes")
        except TokenUnavailableError as unavailable:
            return _error(503, _UNAVAILABLE, f"ssm:{unavailable}")
        except QueueUnavailableError as unavailable:
            return _error(503, _UNAVAILABLE, f"sqs:{unavailable}")
        return jsonify(message_id=g.message_id), 202

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_: RequestEntityTooLarge) -> Any:
        return _error(413, f"body is larger than {MAX_REQUEST_BYTES} bytes")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        response = error.get_response()
        message = error.description or error.name
        if error.code == 405:
            message = f"method {request.method} is not allowed; use GET or POST"
        response.data = jsonify(error=message).get_data()
        response.content_type = "application/json"
        g.error_code = None
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        logger.error("unhandled error", exc_info=error)
        return _error(500, "internal error", type(error).__name__)

    return app
