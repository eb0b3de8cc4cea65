"""TTL cache of the SSM token: hits, expiry (rotation), failures never cached."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from frontend.token_store import TokenStore, TokenUnavailableError


class FakeSsm:
    def __init__(self, value: str) -> None:
        self.value = value
        self.calls: list[dict[str, Any]] = []
        self.failures: list[Exception] = []

    def get_parameter(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.failures:
            raise self.failures.pop(0)
        return {"Parameter": {"Name": kwargs["Name"], "Value": self.value}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_reads_with_decryption_and_caches_within_ttl() -> None:
    ssm, clock = FakeSsm("t1"), Clock()
    store = TokenStore(ssm, "/app/frontend/token", 300, clock)
    assert store.matches("t1")
    clock.now += 299
    assert store.matches("t1")
    assert not store.matches("t2")
    assert ssm.calls == [{"Name": "/app/frontend/token", "WithDecryption": True}]


def test_rotated_token_takes_effect_after_ttl() -> None:
    ssm, clock = FakeSsm("old"), Clock()
    store = TokenStore(ssm, "/p", 300, clock)
    assert store.matches("old")
    ssm.value = "new"
    assert store.matches("old")  # still cached
    clock.now += 300
    assert store.matches("new")
    assert not store.matches("old")
    assert len(ssm.calls) == 2


@pytest.mark.parametrize(
    "failure",
    [
        ClientError({"Error": {"Code": "ThrottlingException"}}, "GetParameter"),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
    ],
)
def test_failed_lookup_is_not_cached(failure: Exception) -> None:
    ssm, clock = FakeSsm("t1"), Clock()
    ssm.failures.append(failure)
    store = TokenStore(ssm, "/p", 300, clock)
    with pytest.raises(TokenUnavailableError):
        store.matches("t1")
    assert store.matches("t1")  # the very next call reads SSM again
    assert len(ssm.calls) == 2


def test_expired_cache_with_failing_ssm_is_unavailable_not_stale() -> None:
    ssm, clock = FakeSsm("t1"), Clock()
    store = TokenStore(ssm, "/p", 300, clock)
    assert store.matches("t1")
    clock.now += 301
    ssm.failures.append(ClientError({"Error": {"Code": "InternalError"}}, "GetParameter"))
    with pytest.raises(TokenUnavailableError):
        store.matches("t1")


@pytest.mark.parametrize("response", [{}, {"Parameter": {}}, {"Parameter": {"Value": ""}}])
def test_malformed_or_empty_parameter_is_unavailable(response: dict[str, Any]) -> None:
    class Ssm:
        def get_parameter(self, **_: Any) -> dict[str, Any]:
            return response

    with pytest.raises(TokenUnavailableError):
        TokenStore(Ssm(), "/p", 300).matches("x")


def test_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import frontend.token_store as module  # noqa: PLC0415

    seen: list[tuple[bytes, bytes]] = []

    def compare(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return a == b

    monkeypatch.setattr(module.hmac, "compare_digest", compare)
    assert TokenStore(FakeSsm("sécret"), "/p", 300).matches("sécret")
    assert seen == [("sécret".encode(), "sécret".encode())]


def test_non_ascii_and_surrogate_candidates_do_not_raise() -> None:
    store = TokenStore(FakeSsm("t1"), "/p", 300)
    assert not store.matches("\ud800")
    assert not store.matches("ünïcode")
