"""Unit tests of the HTTP contract, with moto's in-process AWS mocks."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from flask.testing import FlaskClient
from frontend.app import MAX_REQUEST_BYTES, create_app
from frontend.aws import make_client
from frontend.config import Config
from frontend.queue import MAX_MESSAGE_BYTES, MessageQueue
from frontend.token_store import TokenStore
from gunicorn.http.errors import (
    ChunkMissingTerminator,
    InvalidChunkExtension,
    InvalidChunkSize,
    NoMoreData,
)
from moto import mock_aws

TOKEN = "correct-horse-battery-staple"
PARAMETER = "/app/frontend/token"
REGION = "eu-central-1"
VALID_DATA = {"email_timestream": "2023-01-01T00:00:00Z", "subject": "hello", "n": 3}


@pytest.fixture(scope="module")
def mocked_aws() -> Iterator[dict[str, Any]]:
    """One in-process mock for the module (starting one per test is slow)."""
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SSM"):
            patch.delenv(key, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            sqs = boto3.client("sqs", region_name=REGION)
            ssm = boto3.client("ssm", region_name=REGION)
            ssm.put_parameter(Name=PARAMETER, Value=TOKEN, Type="SecureString")
            yield {"sqs": sqs, "ssm": ssm}


@pytest.fixture
def aws(mocked_aws: dict[str, Any]) -> dict[str, Any]:
    """A fresh queue per test."""
    queue_url = mocked_aws["sqs"].create_queue(QueueName=f"frontend-unit-{uuid.uuid4().hex}")[
        "QueueUrl"
    ]
    return {**mocked_aws, "queue_url": queue_url}


@pytest.fixture
def config(aws: dict[str, Any]) -> Config:
    return Config(queue_url=aws["queue_url"], token_parameter=PARAMETER, region=REGION)


@pytest.fixture
def client(config: Config, mocked_aws: dict[str, Any]) -> FlaskClient:
    return create_app(config, clients=mocked_aws).test_client()


def received(aws: dict[str, Any]) -> list[dict[str, Any]]:
    response = aws["sqs"].receive_message(
        QueueUrl=aws["queue_url"], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return list(response.get("Messages", []))


def post(client: FlaskClient, body: Any, token: str | None = TOKEN) -> Any:
    payload = {"token": token, "data": body} if token is not None else {"data": body}
    return client.post("/", json=payload)


class ExplodingStore(TokenStore):
    def __init__(self) -> None:
        pass

    def current(self) -> bytes:
        raise AssertionError("GET / must not touch SSM")


class ExplodingQueue(MessageQueue):
    def __init__(self, error: Exception) -> None:
        self._error = error

    def send(self, data: dict[str, Any], timestamp: Any, request_id: str) -> str:
        raise self._error


def test_health_is_200_and_makes_no_aws_call(config: Config) -> None:
    app = create_app(config, token_store=ExplodingStore(), queue=ExplodingQueue(AssertionError()))
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "healthy",
        "request_id": response.headers["X-Request-Id"],
    }


def test_accepted_post_enqueues_data_with_normalised_timestamp(
    client: FlaskClient, aws: dict[str, Any]
) -> None:
    data = {"email_timestream": "2023-01-01T02:00:00+02:00", "nested": {"a": [1, "ü"]}}
    response = post(client, data)
    assert response.status_code == 202
    messages = received(aws)
    assert len(messages) == 1
    assert response.get_json() == {
        "message_id": messages[0]["MessageId"],
        "request_id": response.headers["X-Request-Id"],
    }
    assert json.loads(messages[0]["Body"]) == data
    attributes = messages[0]["MessageAttributes"]
    assert attributes == {
        "email_timestream": {"StringValue": "2023-01-01T00:00:00Z", "DataType": "String"},
        "request_id": {"StringValue": response.headers["X-Request-Id"], "DataType": "String"},
    }


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("2023-01-01T00:00:00Z", "2023-01-01T00:00:00Z"),
        ("2023-01-01t00:00:00z", "2023-01-01T00:00:00Z"),
        ("2023-01-01T02:00:00+02:00", "2023-01-01T00:00:00Z"),
        ("2022-12-31T19:30:00-04:30", "2023-01-01T00:00:00Z"),
        ("2023-01-01T00:00:00.250Z", "2023-01-01T00:00:00.250000Z"),
        ("1693561101", "2023-09-01T09:38:21Z"),
        (1693561101, "2023-09-01T09:38:21Z"),
        ("0", "1970-01-01T00:00:00Z"),
        ("2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z"),
    ],
)
def test_accepted_timestamp_forms(
    client: FlaskClient, aws: dict[str, Any], value: Any, normalised: str
) -> None:
    response = post(client, {"email_timestream": value})
    assert response.status_code == 202, response.get_json()
    (message,) = received(aws)
    assert message["MessageAttributes"]["email_timestream"]["StringValue"] == normalised
    assert json.loads(message["Body"]) == {"email_timestream": value}


@pytest.mark.parametrize(
    "value",
    [
        "2023-01-01T00:00:00",  # naive
        "2023-01-01 00:00:00Z",  # space instead of T
        "2023-13-01T00:00:00Z",  # month 13
        "2023-02-30T00:00:00Z",  # Feb 30
        "2023-02-29T00:00:00Z",  # not a leap year
        "2023-01-01T25:00:00Z",  # hour 25
        "2023-01-01T00:60:00Z",
        "2016-12-31T23:59:60Z",  # leap second: datetime cannot hold it
        "2023-01-01T00:00:00+24:00",
        "2023-01-01",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "",
        " 1693561101",
        "1693561101\n",
        "-5",
        "1693561101.5",
        "١٢٣",  # Arabic-Indic digits
        "9999999999999",
        None,
        True,
        False,
        1693561101.0,
        -1,
        10**20,
        {},
        [],
        ["2023-01-01T00:00:00Z"],
        {"value": "2023-01-01T00:00:00Z"},
    ],
)
def test_rejected_timestamps_are_400_and_never_enqueued(
    client: FlaskClient, aws: dict[str, Any], value: Any
) -> None:
    response = post(client, {"email_timestream": value, "other": 1})
    assert response.status_code == 400
    assert "email_timestream" in response.get_json()["error"]
    assert received(aws) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"token": TOKEN}, "data"),
        ({"token": TOKEN, "data": None}, "data"),
        ({"token": TOKEN, "data": "x"}, "data"),
        ({"token": TOKEN, "data": [VALID_DATA]}, "data"),
        ({"token": TOKEN, "data": {"other": 1}}, "data.email_timestream"),
    ],
)
def test_missing_or_invalid_data_is_400_naming_the_field(
    client: FlaskClient, aws: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    response = client.post("/", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(field)
    assert received(aws) == []


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"",
        b"not json",
        b'{"token": "x",}',
        b"NaN",
        b'{"a": Infinity}',
        b'{"token": "a", "token": "b"}',  # which one counts would be the parser's guess
        b'{"token": "a", "data": {"n": 1e400}}',  # infinity, re-serialised as `Infinity`
        b"\x00{}",
    ],
)
def test_malformed_json_is_400(client: FlaskClient, aws: dict[str, Any], raw: bytes) -> None:
    response = client.post("/", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "body is not valid JSON"
    assert received(aws) == []


def test_deeply_nested_json_is_400_not_500(client: FlaskClient) -> None:
    raw = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/", data=raw, content_type="application/json")
    assert response.status_code in {400, 413}
    assert "error" in response.get_json()


@pytest.mark.parametrize("body", [[], "token", 42, None, [{"token": TOKEN}]])
def test_body_that_is_not_an_object_is_400(
    client: FlaskClient, aws: dict[str, Any], body: Any
) -> None:
    response = client.post("/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "body must be a JSON object"


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x", TOKEN[:-1], 123, ["x"]])
def test_missing_or_wrong_token_is_401_and_never_enqueued(
    client: FlaskClient, aws: dict[str, Any], token: Any
) -> None:
    body: dict[str, Any] = {"data": VALID_DATA}
    if token is not None:
        body["token"] = token
    response = client.post("/", json=body)
    assert response.status_code == 401
    assert response.get_json()["error"] == "token is missing or invalid"
    assert received(aws) == []


def test_wrong_token_is_401_even_when_data_is_invalid(client: FlaskClient) -> None:
    # Unauthenticated callers learn nothing about the data rules.
    response = client.post("/", json={"token": "wrong", "data": {"x": 1}})
    assert response.status_code == 401


def test_body_over_the_request_limit_is_413(client: FlaskClient, aws: dict[str, Any]) -> None:
    data = {"email_timestream": "0", "x": "a" * MAX_REQUEST_BYTES}
    raw = json.dumps({"token": TOKEN, "data": data})
    response = client.post("/", data=raw, content_type="application/json")
    assert response.status_code == 413
    assert "body" in response.get_json()["error"]
    assert received(aws) == []


def test_message_over_the_sqs_limit_is_413(client: FlaskClient, aws: dict[str, Any]) -> None:
    # Within the request limit, but the escaped message body is larger than 256 KiB.
    data = {"email_timestream": "0", "x": "\u00e9" * (MAX_MESSAGE_BYTES // 6 + 10)}
    raw = json.dumps({"token": TOKEN, "data": data}, ensure_ascii=False).encode()
    assert len(raw) < MAX_REQUEST_BYTES
    response = client.post("/", data=raw, content_type="application/json")
    assert response.status_code == 413
    assert "data" in response.get_json()["error"]
    assert received(aws) == []


def test_message_just_under_the_sqs_limit_is_accepted(
    client: FlaskClient, aws: dict[str, Any]
) -> None:
    data = {"email_timestream": "0", "x": "a" * (MAX_MESSAGE_BYTES - 200)}
    response = client.post("/", json={"token": TOKEN, "data": data})
    assert response.status_code == 202
    (message,) = received(aws)
    assert json.loads(message["Body"]) == data


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_non_json_content_type_is_415(
    client: FlaskClient, aws: dict[str, Any], content_type: str | None
) -> None:
    raw = json.dumps({"token": TOKEN, "data": VALID_DATA})
    response = client.post("/", data=raw, content_type=content_type)
    assert response.status_code == 415
    assert "Content-Type" in response.get_json()["error"]
    assert received(aws) == []


def test_json_content_type_with_charset_is_accepted(client: FlaskClient) -> None:
    raw = json.dumps({"token": TOKEN, "data": VALID_DATA})
    response = client.post("/", data=raw, content_type="application/json; charset=utf-8")
    assert response.status_code == 202


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405_json(client: FlaskClient, method: str) -> None:
    response = client.open("/", method=method, json={"token": TOKEN, "data": VALID_DATA})
    assert response.status_code == 405
    assert method in response.get_json()["error"]
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_unknown_path_is_404_json(client: FlaskClient) -> None:
    response = client.get("/admin")
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_missing_token_parameter_is_503(aws: dict[str, Any], mocked_aws: dict[str, Any]) -> None:
    config = Config(queue_url=aws["queue_url"], token_parameter="/missing", region=REGION)
    response = post(create_app(config, clients=mocked_aws).test_client(), VALID_DATA)
    assert response.status_code == 503
    assert response.get_json()["error"] == "service temporarily unavailable, retry later"


def test_missing_queue_is_503(aws: dict[str, Any], mocked_aws: dict[str, Any]) -> None:
    config = Config(queue_url=aws["queue_url"] + "-gone", token_parameter=PARAMETER, region=REGION)
    response = post(create_app(config, clients=mocked_aws).test_client(), VALID_DATA)
    assert response.status_code == 503
    assert "error" in response.get_json()


class FailingSsm:
    def __init__(self, code: str) -> None:
        self.calls = 0
        self.code = code

    def get_parameter(self, **_: Any) -> Any:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        self.calls += 1
        raise ClientError({"Error": {"Code": self.code, "Message": "x"}}, "GetParameter")


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerError", "AccessDenied"])
def test_ssm_errors_are_503(config: Config, code: str, mocked_aws: dict[str, Any]) -> None:
    store = TokenStore(FailingSsm(code), PARAMETER, 300)
    response = post(
        create_app(config, token_store=store, clients=mocked_aws).test_client(), VALID_DATA
    )
    assert response.status_code == 503


def test_unexpected_error_is_500_json_without_trace(
    config: Config, mocked_aws: dict[str, Any]
) -> None:
    app = create_app(
        config, queue=ExplodingQueue(RuntimeError("secret detail")), clients=mocked_aws
    )
    response = post(app.test_client(), VALID_DATA)
    assert response.status_code == 500
    assert response.get_json()["error"] == "internal error"
    assert b"secret detail" not in response.data
    assert b"Traceback" not in response.data


def test_one_json_log_line_per_request_without_token_or_payload(
    capsys: pytest.CaptureFixture[str],
    config: Config,
    mocked_aws: dict[str, Any],
) -> None:
    # The app's log handler writes to the captured stdout.
    client = create_app(config, clients=mocked_aws).test_client()
    payload = {"email_timestream": "0", "secret_field": "payload-marker-123"}
    accepted = post(client, payload)
    post(client, payload, token="wrong-token-marker")
    client.get("/")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["status"] for line in lines] == [202, 401, 200]
    assert lines[0]["message_id"] == accepted.get_json()["message_id"]
    for line in lines:
        assert {"method", "path", "status", "latency_ms"} <= set(line)
        assert line["latency_ms"] >= 0
    text = json.dumps(lines)
    for secret in (TOKEN, "wrong-token-marker", "payload-marker-123"):
        assert secret not in text


def test_clients_have_timeouts_and_standard_bounded_retries(config: Config) -> None:
    client = make_client("sqs", config)
    assert client.meta.config.connect_timeout == config.aws_connect_timeout_seconds
    assert client.meta.config.read_timeout == config.aws_read_timeout_seconds
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert client.meta.region_name == REGION


def raw_post(client: FlaskClient, raw: bytes, **kwargs: Any) -> Any:
    return client.post("/", data=raw, content_type="application/json", **kwargs)


def body_with(data: dict[str, Any]) -> bytes:
    return json.dumps({"token": TOKEN, "data": {**VALID_DATA, **data}}).encode()


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        # Encoded surrogates: Python's json.loads(bytes) would decode them leniently.
        (body_with({"k": "x"}).replace(b'"x"', b'"\xed\xa0\x80"'), "body is not valid UTF-8"),
        (body_with({"k": "x"}).replace(b'"k"', b'"\xed\xbf\xbf"'), "body is not valid UTF-8"),
        (b'{"token": "\xc3\x28"}', "body is not valid UTF-8"),
        (b'{"token": "\xc0\xaf"}', "body is not valid UTF-8"),  # overlong
        (body_with({}).decode().encode("utf-16"), "body is not valid UTF-8"),
        (body_with({}).decode().encode("utf-32"), "body is not valid UTF-8"),
        (body_with({}).decode().encode("utf-16-le"), "body is not valid JSON"),
        (body_with({}).decode().encode("utf-32-be"), "body is not valid JSON"),
        (b"\xef\xbb\xbf" + body_with({}), "body must not start with a byte order mark"),
        (body_with({"k": "\ud800"}), "body contains an unpaired surrogate escape"),
        (body_with({"\udfff": 1}), "body contains an unpaired surrogate escape"),
    ],
)
def test_body_that_is_not_strict_utf8_json_is_400_and_never_enqueued(
    client: FlaskClient, aws: dict[str, Any], raw: bytes, error: str
) -> None:
    response = raw_post(client, raw)
    assert response.status_code == 400
    assert response.get_json()["error"] == error
    assert received(aws) == []


def test_escaped_surrogate_pair_is_text_and_accepted(
    client: FlaskClient, aws: dict[str, Any]
) -> None:
    response = raw_post(client, body_with({"k": "\U0001f600"}))  # json.dumps escapes as a pair
    assert response.status_code == 202
    assert json.loads(received(aws)[0]["Body"])["k"] == "\U0001f600"


@pytest.mark.parametrize("charset", ["utf-16", "UTF-32", "latin-1"])
def test_json_content_type_with_another_charset_is_415(
    client: FlaskClient, aws: dict[str, Any], charset: str
) -> None:
    response = client.post(
        "/", data=body_with({}), content_type=f"application/json; charset={charset}"
    )
    assert response.status_code == 415
    assert "charset" in response.get_json()["error"]
    assert received(aws) == []


@pytest.mark.parametrize("path", ["//", "/%2F", "/%2f", "/./", "/admin", "/index.html"])
@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
def test_any_target_but_slash_is_404_even_when_normalised_to_slash(
    client: FlaskClient, aws: dict[str, Any], path: str, method: str
) -> None:
    response = client.open(path, method=method, data=body_with({}), content_type="application/json")
    assert response.status_code == 404
    assert "path" in response.get_json()["error"]
    assert received(aws) == []


def test_query_string_on_slash_is_the_same_resource(client: FlaskClient) -> None:
    assert client.get("/?probe=1").status_code == 200
    assert raw_post(client, body_with({}), query_string={"x": "1"}).status_code == 202


def test_405_names_the_allowed_methods(client: FlaskClient) -> None:
    response = client.open("/", method="TRACE")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, POST"


class RaisingInput:
    """A WSGI input failing like gunicorn's chunked reader on a malformed chunk."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def read(self, *_: Any) -> bytes:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        InvalidChunkSize(b"zz"),
        InvalidChunkExtension("bare CR"),
        ChunkMissingTerminator(b"xx"),
        NoMoreData(b""),
    ],
    ids=type,
)
def test_unreadable_body_framing_is_400_not_500(
    client: FlaskClient, aws: dict[str, Any], error: Exception
) -> None:
    response = client.post(
        "/",
        content_type="application/json",
        environ_overrides={"wsgi.input": RaisingInput(error), "wsgi.input_terminated": True},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] in {
        f"body could not be read ({type(error).__name__})",
        "body ended before it was complete",  # werkzeug turns NoMoreData (an OSError) into this
    }
    assert received(aws) == []


def test_body_shorter_than_content_length_is_400(client: FlaskClient) -> None:
    raw = body_with({})
    response = client.post(
        "/",
        content_type="application/json",
        environ_overrides={"wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw) + 10)},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "body ended before it was complete"


@pytest.mark.parametrize("request_id", ["abc", "A.b_c-9", "x" * 128])
def test_valid_client_request_id_is_returned_logged_and_sent_to_sqs(
    config: Config,
    aws: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    request_id: str,
    mocked_aws: dict[str, Any],
) -> None:
    # The app's log handler writes to the captured stdout.
    client = create_app(config, clients=mocked_aws).test_client()
    response = raw_post(client, body_with({}), headers={"X-Request-Id": request_id})
    assert response.status_code == 202
    assert response.headers["X-Request-Id"] == request_id
    assert response.get_json()["request_id"] == request_id
    (message,) = received(aws)
    assert message["MessageAttributes"]["request_id"]["StringValue"] == request_id
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert line["request_id"] == request_id


@pytest.mark.parametrize(
    "request_id",
    ["", "x" * 129, "a b", "a/b", "évènement", "a\tb", "<script>", "a;b=c", "id\x00"],
)
def test_invalid_client_request_id_is_replaced_never_echoed(
    client: FlaskClient, aws: dict[str, Any], request_id: str
) -> None:
    response = raw_post(client, body_with({}), headers={"X-Request-Id": request_id})
    assert response.status_code == 202
    generated = response.headers["X-Request-Id"]
    assert generated != request_id
    assert len(generated) == 32
    assert int(generated, 16) >= 0  # a uuid4 hex
    assert response.get_json()["request_id"] == generated
    (message,) = received(aws)
    assert message["MessageAttributes"]["request_id"]["StringValue"] == generated
    if request_id:
        assert request_id not in response.get_data(as_text=True)


def test_errors_carry_a_generated_request_id_too(client: FlaskClient) -> None:
    first, second = client.get("/nope"), raw_post(client, b"{")
    ids = {first.headers["X-Request-Id"], second.headers["X-Request-Id"]}
    assert len(ids) == 2
    assert first.get_json()["request_id"] == first.headers["X-Request-Id"]
    assert second.get_json()["request_id"] == second.headers["X-Request-Id"]


def test_bearer_token_is_accepted_without_a_body_token(
    client: FlaskClient, aws: dict[str, Any]
) -> None:
    raw = json.dumps({"data": VALID_DATA}).encode()
    for scheme in ("Bearer", "bearer"):
        response = raw_post(client, raw, headers={"Authorization": f"{scheme} {TOKEN}"})
        assert response.status_code == 202
    assert len(received(aws)) == 2


@pytest.mark.parametrize(
    "header",
    ["Bearer wrong", "Bearer", "Bearer ", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN} extra"],
)
def test_wrong_or_malformed_authorization_is_401_even_with_a_good_body_token(
    client: FlaskClient, aws: dict[str, Any], header: str
) -> None:
    # The header, when present, is the credential: it is never silently skipped.
    response = raw_post(client, body_with({}), headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"] == "token is missing or invalid"
    assert received(aws) == []


def test_previous_token_in_the_parameter_is_accepted_during_rotation(
    aws: dict[str, Any],
    mocked_aws: dict[str, Any],
) -> None:
    parameter = f"/rotation/{uuid.uuid4().hex}"
    aws["ssm"].put_parameter(Name=parameter, Value="new-token\nold-token", Type="SecureString")
    config = Config(queue_url=aws["queue_url"], token_parameter=parameter, region=REGION)
    client = create_app(config, clients=mocked_aws).test_client()
    for token in ("new-token", "old-token"):
        assert post(client, VALID_DATA, token=token).status_code == 202
    assert post(client, VALID_DATA, token="other").status_code == 401
