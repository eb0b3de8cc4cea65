"""The API tokens, read from SSM Parameter Store: one refresh at a time, grace on failure.

The parameter holds the current token on its first line and, during a rotation,
the previous token on a second line; both are accepted.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from frontend.access_log import LOGGER_NAME

# Current plus previous: a rotation never has a window in which one of them fails.
MAX_TOKENS = 2
# How long the caller that refreshes an expired token waits for SSM before it goes on
# with the last good token (only while that is within its grace period).
REFRESH_WAIT_SECONDS = 0.5


class TokenUnavailableError(Exception):
    """No usable token: SSM unreadable (unreachable, throttled, missing, denied) past the grace."""


def _start_thread(target: Callable[[], object]) -> None:
    threading.Thread(target=target, name="token-refresh", daemon=True).start()


def parse_tokens(value: object) -> tuple[bytes, ...]:
    """The accepted tokens of a parameter value: current first, then an optional previous one."""
    if not isinstance(value, str):
        raise TokenUnavailableError("token parameter is not a string")
    tokens = tuple(line.strip().encode("utf-8") for line in value.splitlines() if line.strip())
    if not tokens:
        raise TokenUnavailableError("empty token parameter")
    if len(tokens) > MAX_TOKENS:
        raise TokenUnavailableError(f"token parameter has more than {MAX_TOKENS} lines")
    return tokens


class TokenStore:
    """Caches the tokens for `ttl_seconds`, refreshing them with one SSM call at a time.

    - Single flight: when the cache expires, one caller reads SSM. While a last good
      value is within its grace period, that read runs in a background thread: the
      caller waits for it at most `refresh_wait_seconds`, every other caller is served
      the last good value meanwhile. Without such a value, callers wait for the one
      read and share its result.
    - A failed read keeps the last good value usable until `ttl + grace_seconds`
      after it was fetched, then callers get TokenUnavailableError (503).
    - A failure is remembered for `failure_cache_seconds`: no SSM call in that time,
      so unauthenticated traffic cannot turn an SSM throttle into a call storm.
    """

    def __init__(
        self,
        ssm_client: Any,
        parameter_name: str,
        ttl_seconds: float,
        *,
        grace_seconds: float = 600.0,
        failure_cache_seconds: float = 5.0,
        refresh_wait_seconds: float = REFRESH_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        start_thread: Callable[[Callable[[], object]], None] = _start_thread,
    ) -> None:
        self._ssm = ssm_client
        self._parameter_name = parameter_name
        self._ttl_seconds = ttl_seconds
        self._grace_seconds = grace_seconds
        self._failure_cache_seconds = failure_cache_seconds
        self._refresh_wait_seconds = refresh_wait_seconds
        self._clock = clock
        self._start_thread = start_thread
        self._logger = logging.getLogger(LOGGER_NAME)
        self._changed = threading.Condition()
        self._tokens: tuple[bytes, ...] = ()
        self._fresh_until = 0.0
        self._usable_until = 0.0
        self._no_read_until = 0.0
        self._last_error = "token not read yet"
        self._refreshing = False

    def accepted(self) -> tuple[bytes, ...]:
        """The accepted tokens (current first); raises TokenUnavailableError."""
        with self._changed:
            while True:
                now = self._clock()
                if self._tokens and now < self._fresh_until:
                    return self._tokens
                usable = bool(self._tokens) and now < self._usable_until
                if self._refreshing or now < self._no_read_until:
                    if usable:
                        return self._tokens
                    if not self._refreshing:
                        raise TokenUnavailableError(self._last_error)
                    self._changed.wait()  # the read in flight is bounded by the AWS budget
                    continue
                self._refreshing = True
                break
        if not usable:
            tokens = self._refresh()
            if tokens is None:
                raise TokenUnavailableError(self._last_error)
            return tokens
        # The reader waits briefly for the new value, so a removed token stops working
        # at the TTL; if SSM is slow, it goes on with the last good value.
        self._start_thread(self._refresh)
        with self._changed:
            self._changed.wait_for(lambda: not self._refreshing, self._refresh_wait_seconds)
            if self._tokens and self._clock() < self._usable_until:
                return self._tokens
            raise TokenUnavailableError(self._last_error)

    def matches(self, candidate: str) -> bool:
        """Constant-time comparison of `candidate` with every accepted token."""
        encoded = candidate.encode("utf-8", "surrogatepass")
        matched = False
        for token in self.accepted():
            # No short circuit: the time taken does not tell which token matched.
            matched |= hmac.compare_digest(encoded, token)
        return matched

    def _refresh(self) -> tuple[bytes, ...] | None:
        tokens: tuple[bytes, ...] | None = None
        error = ""
        try:
            tokens = self._fetch()
        except TokenUnavailableError as unavailable:
            error = str(unavailable)
            self._logger.warning("token refresh failed", extra={"error_code": f"ssm:{error}"})
        finally:
            with self._changed:
                now = self._clock()
                if tokens is not None:
                    self._tokens = tokens
                    self._fresh_until = now + self._ttl_seconds
                    self._usable_until = self._fresh_until + self._grace_seconds
                    self._no_read_until = 0.0
                else:
                    self._last_error = error or "token refresh failed"
                    self._no_read_until = now + self._failure_cache_seconds
                self._refreshing = False
                self._changed.notify_all()
        return tokens

    def _fetch(self) -> tuple[bytes, ...]:
        try:
            response = self._ssm.get_parameter(Name=self._parameter_name, WithDecryption=True)
            value = response["Parameter"]["Value"]
        except (BotoCoreError, ClientError, KeyError, TypeError) as error:
            # Unreachable, throttled, denied, missing or malformed: "no new token" for now.
            raise TokenUnavailableError(_error_code(error)) from error
        return parse_tokens(value)


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__
