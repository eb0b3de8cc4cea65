"""The shared API token, read from SSM Parameter Store and cached with a TTL."""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError


class TokenUnavailableError(Exception):
    """SSM could not be read (unreachable, throttled, missing parameter, denied)."""


class TokenStore:
    """Caches the SecureString value for `ttl_seconds`; failed reads are never cached.

    A rotated parameter takes effect within one TTL, without a restart.
    """

    def __init__(
        self,
        ssm_client: Any,
        parameter_name: str,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ssm = ssm_client
        self._parameter_name = parameter_name
        self._ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._value: bytes | None = None
        self._expires_at = 0.0

    def current(self) -> bytes:
        """The current token, from the cache or from SSM; raises TokenUnavailableError."""
        with self._lock:
            if self._value is not None and self._clock() < self._expires_at:
                return self._value
        value = self._fetch()
        with self._lock:
            self._value = value
            self._expires_at = self._clock() + self._ttl_seconds
        return value

    def matches(self, candidate: str) -> bool:
        """Constant-time comparison of `candidate` with the current token."""
        expected = self.current()
        return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), expected)

    def _fetch(self) -> bytes:
        try:
            response = self._ssm.get_parameter(Name=self._parameter_name, WithDecryption=True)
            value = response["Parameter"]["Value"]
        except (BotoCoreError, ClientError, KeyError, TypeError) as error:
            # Unreachable, throttled, denied, missing or malformed: "no token" for now;
            # the caller answers 503 and the next request tries again.
            raise TokenUnavailableError(type(error).__name__) from error
        if not isinstance(value, str) or not value:
            raise TokenUnavailableError("empty token parameter")
        return value.encode("utf-8")
