"""Property-based tests: the timestamp rule, and malformed bodies never 5xx nor enqueue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from frontend.app import create_app
from frontend.config import Config
from frontend.queue import MessageQueue
from frontend.token_store import TokenStore
from frontend.validation import format_timestamp, parse_timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TOKEN = "property-token"
MAX_EPOCH = 253_402_300_799

aware_datetimes = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def rfc3339(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@settings(deadline=None)
@given(aware_datetimes, offsets)
def test_any_rfc3339_with_offset_parses_to_the_same_instant(moment: datetime, offset: Any) -> None:
    local = moment.astimezone(offset)
    assert parse_timestamp(rfc3339(local)) == moment


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=MAX_EPOCH))
def test_epoch_seconds_as_int_or_digit_string(seconds: int) -> None:
    expected = datetime.fromtimestamp(seconds, tz=UTC)
    assert parse_timestamp(seconds) == expected
    assert parse_timestamp(str(seconds)) == expected


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
def test_naive_date_times_are_rejected(moment: datetime) -> None:
    for text in (moment.isoformat(), moment.isoformat(timespec="seconds")):
        with pytest.raises(ValueError, match="not"):
            parse_timestamp(text)


@settings(deadline=None)
@given(st.text(max_size=40))
def test_accepted_strings_agree_with_the_standard_library(text: str) -> None:
    try:
        parsed = parse_timestamp(text)
    except ValueError:
        return
    if text.isascii() and text.isdigit():
        assert parsed == datetime.fromtimestamp(int(text), tz=UTC)
    else:
        reference = datetime.fromisoformat(text.upper())
        assert reference.tzinfo is not None
        assert parsed == reference
    assert parse_timestamp(format_timestamp(parsed)) == parsed


@settings(deadline=None)
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.floats(),
        st.integers(max_value=-1),
        st.integers(min_value=MAX_EPOCH + 1),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    )
)
def test_non_timestamp_types_are_rejected(value: Any) -> None:
    with pytest.raises(ValueError, match=r"timestamp|range"):
        parse_timestamp(value)


class RecordingSqs:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(kwargs)
        return {"MessageId": f"m-{len(self.sent)}"}


class StaticSsm:
    def get_parameter(self, **_: Any) -> dict[str, Any]:
        return {"Parameter": {"Value": TOKEN}}


@pytest.fixture(scope="module")
def app_and_sqs() -> tuple[Any, RecordingSqs]:
    sqs = RecordingSqs()
    config = Config(queue_url="http://127.0.0.1:1/000000000000/q")
    app = create_app(
        config,
        token_store=TokenStore(StaticSsm(), config.token_parameter, 300),
        queue=MessageQueue(sqs, config.queue_url),
    )
    return app.test_client(), sqs


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
invalid_timestamps = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=2),
    st.datetimes().map(lambda moment: moment.isoformat()),  # naive
    st.text(alphabet="0123456789-:TZ+. ", max_size=30).filter(
        lambda text: not (text.isdigit() and len(text) <= 12)
    ),
)


@settings(
    max_examples=150,
    deadline=None,  # wall-clock limits flake on a loaded CI machine; the logic is what counts
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.binary(max_size=200))
def test_random_bytes_never_5xx_never_enqueue(
    app_and_sqs: tuple[Any, RecordingSqs], raw: bytes
) -> None:
    client, sqs = app_and_sqs
    before = len(sqs.sent)
    response = client.post("/", data=raw, content_type="application/json")
    assert response.status_code in {400, 401}
    assert len(sqs.sent) == before


@settings(
    max_examples=150,
    deadline=None,  # wall-clock limits flake on a loaded CI machine; the logic is what counts
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(json_values, st.text(max_size=20).filter(lambda token: token != TOKEN))
def test_random_json_with_wrong_token_never_5xx_never_enqueue(
    app_and_sqs: tuple[Any, RecordingSqs], body: Any, token: str
) -> None:
    client, sqs = app_and_sqs
    if isinstance(body, dict):
        body = {**body, "token": token}
    before = len(sqs.sent)
    response = client.post("/", data=json.dumps(body), content_type="application/json")
    assert response.status_code in {400, 401}
    assert len(sqs.sent) == before


@settings(
    max_examples=150,
    deadline=None,  # wall-clock limits flake on a loaded CI machine; the logic is what counts
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(invalid_timestamps, st.dictionaries(st.text(max_size=8), json_values, max_size=3))
def test_valid_token_with_invalid_timestamp_is_400_never_enqueued(
    app_and_sqs: tuple[Any, RecordingSqs], value: Any, extra: dict[str, Any]
) -> None:
    client, sqs = app_and_sqs
    data = {**extra, "email_timestream": value}
    before = len(sqs.sent)
    response = client.post("/", json={"token": TOKEN, "data": data})
    assert response.status_code == 400
    assert "email_timestream" in response.get_json()["error"]
    assert len(sqs.sent) == before
