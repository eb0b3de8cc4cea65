"""The SSM token store: TTL cache, single flight, grace on failure, failure cache, rotation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from frontend.token_store import TokenStore, TokenUnavailableError, parse_tokens

THROTTLED = ClientError({"Error": {"Code": "ThrottlingException"}}, "GetParameter")


class FakeSsm:
    """Counts calls; fails while `failing`; can hold calls until `release` is set."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.calls: list[dict[str, Any]] = []
        self.failures: list[Exception] = []
        self.failing: Exception | None = None
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()
        self._lock = threading.Lock()

    def get_parameter(self, **kwargs: Any) -> dict[str, Any]:
        with self._lock:
            self.calls.append(kwargs)
        self.entered.set()
        assert self.release.wait(10), "test never released the SSM call"
        if self.failures:
            raise self.failures.pop(0)
        if self.failing is not None:
            raise self.failing
        return {"Parameter": {"Name": kwargs["Name"], "Value": self.value}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def inline(target: Callable[[], object]) -> None:
    """Runs the background refresh at once, so a test sees its effect deterministically."""
    target()


def store_for(ssm: FakeSsm, clock: Clock, **kwargs: Any) -> TokenStore:
    options: dict[str, Any] = {"grace_seconds": 600, "failure_cache_seconds": 5}
    options.update(kwargs)
    return TokenStore(ssm, "/p", 300, clock=clock, start_thread=inline, **options)


def test_reads_with_decryption_and_caches_within_ttl() -> None:
    ssm, clock = FakeSsm("t1"), Clock()
    store = TokenStore(ssm, "/app/frontend/token", 300, clock=clock)
    assert store.matches("t1")
    clock.now += 299
    assert store.matches("t1")
    assert not store.matches("t2")
    assert ssm.calls == [{"Name": "/app/frontend/token", "WithDecryption": True}]


def test_rotated_token_takes_effect_after_ttl() -> None:
    ssm, clock = FakeSsm("old"), Clock()
    store = store_for(ssm, clock)
    assert store.matches("old")
    ssm.value = "new"
    assert store.matches("old")  # still cached
    clock.now += 300
    store.accepted()  # the refresh after expiry (inline here, in the background in service)
    assert store.matches("new")
    assert not store.matches("old")
    assert len(ssm.calls) == 2


def test_rotation_accepts_old_and_new_within_the_overlap_then_only_new() -> None:
    ssm, clock = FakeSsm("old"), Clock()
    store = store_for(ssm, clock)
    assert store.matches("old")
    ssm.value = "new\nold"  # step 1: new current token, old kept as previous
    clock.now += 300
    store.accepted()
    assert store.matches("new")
    assert store.matches("old")
    assert store.accepted() == (b"new", b"old")
    ssm.value = "new"  # step 2, once every client sends the new token
    clock.now += 300
    store.accepted()
    assert store.matches("new")
    assert not store.matches("old")


@pytest.mark.parametrize(
    ("value", "tokens"),
    [
        ("t", (b"t",)),
        ("t\n", (b"t",)),
        ("new\nold", (b"new", b"old")),
        ("new\r\nold\r\n", (b"new", b"old")),
        (" new \n\n old ", (b"new", b"old")),
        ("sécret", ("sécret".encode(),)),
    ],
)
def test_parameter_value_is_current_then_optional_previous(
    value: str, tokens: tuple[bytes, ...]
) -> None:
    assert parse_tokens(value) == tokens


@pytest.mark.parametrize("value", ["", "\n", " \n ", "a\nb\nc", None, 5])
def test_empty_malformed_or_three_token_parameter_is_unavailable(value: Any) -> None:
    with pytest.raises(TokenUnavailableError):
        parse_tokens(value)


@pytest.mark.parametrize(
    "failure", [THROTTLED, EndpointConnectionError(endpoint_url="http://127.0.0.1:1")]
)
def test_failure_without_a_token_is_unavailable_and_cached_briefly(failure: Exception) -> None:
    ssm, clock = FakeSsm("t1"), Clock()
    ssm.failures.append(failure)
    store = store_for(ssm, clock, failure_cache_seconds=5)
    for _ in range(20):  # e.g. unauthenticated POSTs while SSM throttles
        with pytest.raises(TokenUnavailableError):
            store.matches("t1")
        clock.now += 0.2
    assert len(ssm.calls) == 1  # the failure was remembered for 5 s: no call storm
    clock.now += 1.1
    assert store.matches("t1")  # after the failure cache, SSM is read again
    assert len(ssm.calls) == 2


def test_ssm_failing_serves_last_token_within_grace_then_503() -> None:
    ssm, clock = FakeSsm("t1"), Clock()
    store = store_for(ssm, clock, grace_seconds=600, failure_cache_seconds=5)
    assert store.matches("t1")
    ssm.failing = THROTTLED
    clock.now += 300  # expired: refreshes fail from now on
    while clock.now < 1000 + 300 + 600 - 1:
        assert store.matches("t1")
        assert not store.matches("wrong")
        clock.now += 7
    calls_within_grace = len(ssm.calls) - 1
    # One read per failure-cache period at most, never one per request.
    assert 0 < calls_within_grace <= 600 / 5 + 1
    clock.now = 1000 + 300 + 600 + 10  # grace over
    with pytest.raises(TokenUnavailableError):
        store.matches("t1")
    ssm.failing = None
    clock.now += 5
    assert store.matches("t1")  # SSM back: a fresh token, a new grace period


def test_grace_zero_means_503_as_soon_as_the_ttl_expires() -> None:
    ssm, clock = FakeSsm("t1"), Clock()
    store = store_for(ssm, clock, grace_seconds=0)
    assert store.matches("t1")
    ssm.failing = THROTTLED
    clock.now += 300
    with pytest.raises(TokenUnavailableError):
        store.matches("t1")


def test_fifty_concurrent_requests_at_expiry_make_one_ssm_call() -> None:
    ssm, clock = FakeSsm("t1"), Clock()
    # Real background threads, as in service; grace 0 so every caller must wait for the read.
    store = TokenStore(ssm, "/p", 300, clock=clock, grace_seconds=0)
    assert store.matches("t1")
    clock.now += 300
    ssm.release.clear()
    ssm.entered.clear()
    start = threading.Barrier(50)

    def request(_: int) -> bool:
        start.wait(10)
        return store.matches("t1")

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = [pool.submit(request, index) for index in range(50)]
        assert ssm.entered.wait(10)
        ssm.release.set()
        assert all(result.result(timeout=10) for result in results)
    assert len(ssm.calls) == 2  # the first fill, then exactly one refresh for all 50


def test_fifty_concurrent_requests_at_expiry_within_grace_do_not_wait_for_ssm() -> None:
    ssm, clock = FakeSsm("t1"), Clock()
    store = TokenStore(ssm, "/p", 300, clock=clock, grace_seconds=600)
    assert store.matches("t1")
    clock.now += 300
    ssm.release.clear()  # the refresh hangs until released
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda _: store.matches("t1"), range(50)))
    assert results == [True] * 50  # served the last good token while the read is in flight
    assert ssm.entered.wait(10)
    ssm.release.set()
    assert len(ssm.calls) == 2


def test_fifty_concurrent_requests_share_one_failed_read() -> None:
    ssm, clock = FakeSsm("t1"), Clock()
    ssm.failing = THROTTLED
    ssm.release.clear()
    store = TokenStore(ssm, "/p", 300, clock=clock)
    outcomes: list[str] = []
    lock = threading.Lock()

    def request(_: int) -> None:
        try:
            store.matches("t1")
            outcome = "ok"
        except TokenUnavailableError:
            outcome = "unavailable"
        with lock:
            outcomes.append(outcome)

    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(request, index) for index in range(50)]
        assert ssm.entered.wait(10)
        ssm.release.set()
        for future in futures:
            future.result(timeout=10)
    assert outcomes == ["unavailable"] * 50
    assert len(ssm.calls) == 1


@pytest.mark.parametrize("response", [{}, {"Parameter": {}}, {"Parameter": {"Value": ""}}])
def test_malformed_or_empty_parameter_is_unavailable(response: dict[str, Any]) -> None:
    class Ssm:
        def get_parameter(self, **_: Any) -> dict[str, Any]:
            return response

    with pytest.raises(TokenUnavailableError):
        TokenStore(Ssm(), "/p", 300).matches("x")


def test_comparison_is_constant_time_against_every_token(monkeypatch: pytest.MonkeyPatch) -> None:
    import frontend.token_store as module  # noqa: PLC0415

    seen: list[tuple[bytes, bytes]] = []

    def compare(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return a == b

    monkeypatch.setattr(module.hmac, "compare_digest", compare)
    assert TokenStore(FakeSsm("sécret\nold"), "/p", 300).matches("sécret")
    # Both tokens are compared even though the first matched: no timing hint of which.
    assert seen == [("sécret".encode(), "sécret".encode()), ("sécret".encode(), b"old")]


def test_non_ascii_and_surrogate_candidates_do_not_raise() -> None:
    store = TokenStore(FakeSsm("t1"), "/p", 300)
    assert not store.matches("\ud800")
    assert not store.matches("ünïcode")


def test_removed_token_stops_working_at_the_ttl_not_one_request_later() -> None:
    # Real background thread: the caller that refreshes waits for a prompt SSM answer.
    ssm, clock = FakeSsm("new\nold"), Clock()
    store = TokenStore(ssm, "/p", 300, clock=clock, grace_seconds=600)
    assert store.matches("old")
    ssm.value = "new"
    clock.now += 300
    assert not store.matches("old")
    assert store.matches("new")


def test_refresh_slower_than_the_wait_serves_the_last_token_within_grace() -> None:
    ssm, clock = FakeSsm("t1"), Clock()
    store = TokenStore(ssm, "/p", 300, clock=clock, grace_seconds=600, refresh_wait_seconds=0.05)
    assert store.matches("t1")
    clock.now += 300
    ssm.release.clear()  # SSM hangs
    ssm.value = "t2"
    assert store.matches("t1")  # waited 50 ms, then the last good token
    ssm.release.set()
    deadline = time.monotonic() + 10
    while not store.matches("t2"):  # the background read lands
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert len(ssm.calls) == 2
