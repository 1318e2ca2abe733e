"""One account's rate limits held across processes and machines, on Redis.

```python
from memories_async import AsyncMemories
from memories_async.redis import RedisRateLimiter

client = AsyncMemories(rate_limits=RedisRateLimiter.from_url("redis://cache:6379/0"))
```

or, for every client of a process, `MEMORIES_REDIS_URL=redis://cache:6379/0`. Install with
`pip install "memories-async[redis]"`.

## How a request gets its slot

The in-process ledger (`_limits._Ledger`) spaces the departures of one bucket
`(period + guard) / limit` apart, with more room after the first request of a burst. Here the same
ledger lives in Redis, one key per account and bucket, `memories:{<account>}:<bucket>` (the
account is a fingerprint of the key, never the key; the braces are a hash tag, so one account's
buckets share a Redis Cluster slot). One Lua step per request reads the server's `TIME` (the
machines' clocks differ, Redis's is one), reserves the caller's departure slot and answers how
long to wait; the caller then sleeps that long on its own, without polling Redis. The key expires
once it no longer matters.

Why not a library: `limits`' Redis moving window counts requests already sent and lets a burst of
`limit` through at once, so a sliding window can see almost twice the limit arrive; GCRA scripts
(redis-cell, the `redis-rate-limiter` family) allow a burst as well, and answer "retry after"
rather than reserving a place in the queue, which turns a crowd of waiters into a crowd of pollers.
What is needed is the strict spacing of the in-process ledger with a reservation per request: the
twenty lines of `_RESERVE`.

## When Redis is away

`on_unavailable="local"` (the default) falls back to the in-process buckets with one WARNING and
tries Redis again with a capped backoff (1 s, doubling to 30 s); when it answers again, one INFO
line says so and the shared buckets resume. `"raise"` raises `RateLimiterUnavailableError`.
Every Redis call has a short timeout (`timeout`, 1 s), so nothing hangs; a request already on its
way is never touched. A cancelled waiter's slot is left unused (one slot, never a stuck bucket).
Under trio there is no asyncio client for Redis: the local buckets serve (or "raise" raises).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import anyio

from ._errors import InvalidArgumentError, MemoriesError
from ._limits import DEFAULT_RATES, AccountRateLimiter, Rate, RateLimiter, check_rates
from ._redis_support import Connections, Health, RedisClock, Unavailable, redis_errors

if TYPE_CHECKING:
    pass

__all__ = ["RateLimiterUnavailableError", "RedisRateLimiter", "default_limiter"]

logger = logging.getLogger("memories_async")

KEY_PREFIX = "memories"
WINDOW_GUARD = 0.040
"""Seconds added to every window of `limit + 1` departures (the in-process ledger adds 20 ms).

A slot is reserved ahead of time, so a caller whose event loop is busy when the slot comes
leaves late, and the callers after it do not: a window then holds more departures by as much
as that lateness. Measured under `uvicorn --workers 2` with 100 concurrent requests, 10 ms of
room let 1 request in 100 arrive in a full window; 40 ms costs 4% of every bucket's rate (the
table's 10/s becomes 9.6/s), and callers later than `LATE` take a new slot."""
LATE = 0.020
"""A caller that wakes later than this past its slot (as Redis's clock maps onto ours, so a
reply our loop read late counts too) takes a new slot rather than leave inside the next
caller's room. Below `WINDOW_GUARD` by the jitter of the way from the limiter to the server:
about 1 ms from the check to the socket and 4 ms on to the server's handler on an idle machine,
and 25 ms more when the OS parks the process in between, seen with two CPU-bound processes
beside the test on two cores (where 30 ms here let 1 run in 8 see one window over the limit,
and 20 ms none in 8, at one new slot per 100 requests)."""
MAX_LATE_RETRIES = 3
COLD_START = 0.100
"""Extra room after the first request of a burst, while its connection opens."""
CALLER_COLD = 0.050
"""Extra room after the first request of each process in a burst, for the same reason (measured:
4 processes starting a burst together, a process's first search could arrive 40 ms late and
share a window with 10 others). Smaller than `COLD_START`: the burst's very first request also
waits for the others to be reserved."""
IDLE = 1.0
"""Seconds a bucket must be free past its next slot for the next request to start a burst."""
_COLD_START_US = math.ceil(COLD_START * 1_000_000)
_CALLER_COLD_US = math.ceil(CALLER_COLD * 1_000_000)
_IDLE_US = math.ceil(IDLE * 1_000_000)
_UNKNOWN: Any = object()

# KEYS[1] the bucket; ARGV: spacing, cold start, idle, max wait (negative: none), and the room
# to leave after a caller that is cold itself (its process's first request of the bucket in a
# while: it has no connection to the vendor yet), 0 otherwise; times in µs.
# Answers {wait, now}: the wait in µs (the slot is reserved), or -wait-1 when it would exceed max
# wait (nothing is reserved); and Redis's clock, in µs. The stored value is the earliest time
# the next departure may leave, minus spacing.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local spacing = tonumber(ARGV[1])
local cold_start = tonumber(ARGV[2])
local idle = tonumber(ARGV[3])
local max_wait = tonumber(ARGV[4])
local caller_cold = tonumber(ARGV[5])
local last = tonumber(redis.call('GET', KEYS[1]))
local slot = now
local cold = true
if last then
  local earliest = last + spacing
  if earliest > now then slot = earliest end
  cold = now >= earliest + idle
end
local wait = slot - now
if max_wait >= 0 and wait > max_wait then return {-wait - 1, now} end
local stored = slot
if cold then
  stored = slot + cold_start
elseif caller_cold > 0 then
  stored = slot + caller_cold
end
local ttl = math.ceil((stored - now + spacing + idle) / 1000) + 1000
redis.call('SET', KEYS[1], stored, 'PX', ttl)
return {wait, now}
"""

OnUnavailable = Literal["local", "raise"]


class RateLimiterUnavailableError(MemoriesError):
    """The shared rate limiter could not be reached, and `on_unavailable="raise"` said not to
    fall back to this process's own buckets."""


class RedisRateLimiter:
    """Rate buckets shared through Redis by every process and machine that uses the same Redis.

    Made without an account; each client binds it to its own (`for_account`, called by the
    client with a fingerprint of its key), so one limiter object can serve every key of a
    process and two keys never share a bucket. `rates` overrides buckets of the vendor's table
    as the client's `rate_limits` mapping does.
    """

    def __init__(
        self,
        url: str,
        *,
        rates: Mapping[str, Rate | None] | None = None,
        on_unavailable: OnUnavailable = "local",
        timeout: float = 1.0,
        max_connections: int = 32,
        key_prefix: str = KEY_PREFIX,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://")):
            raise InvalidArgumentError("url", "must be a redis://, rediss:// or unix:// URL")
        if on_unavailable not in ("local", "raise"):
            raise InvalidArgumentError("on_unavailable", "must be 'local' or 'raise'")
        if not timeout > 0:
            raise InvalidArgumentError("timeout", "must be positive")
        self.url = url
        self.rates: Mapping[str, Rate | None] = {**DEFAULT_RATES, **check_rates(rates)}
        self.on_unavailable: OnUnavailable = on_unavailable
        self.timeout = timeout
        self.max_connections = max_connections
        self.key_prefix = key_prefix
        self._connections = Connections(url, timeout, max_connections, _RESERVE)
        self._health = Health()
        self._clock = RedisClock()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        rates: Mapping[str, Rate | None] | None = None,
        on_unavailable: OnUnavailable = "local",
        timeout: float = 1.0,
    ) -> RedisRateLimiter:
        """A limiter on the Redis at `url` (`redis://host:6379/0`, `rediss://` for TLS)."""
        return cls(url, rates=rates, on_unavailable=on_unavailable, timeout=timeout)

    def with_rates(self, rates: Mapping[str, Rate | None] | None) -> RedisRateLimiter:
        """The same Redis and connections, with other bucket overrides."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.rates = {**DEFAULT_RATES, **check_rates(rates)}
        return copy

    def for_account(self, account: str) -> RateLimiter:
        """The limiter of one account (a fingerprint of its key, never the key itself)."""
        return _AccountLimiter(self, account)

    async def aclose(self) -> None:
        """Close this event loop's connections to Redis (they reopen if used again)."""
        await self._connections.aclose_current()

    def __repr__(self) -> str:
        host = self.url.split("@")[-1]  # never the password of a redis://user:pass@host URL
        return f"RedisRateLimiter({host!r}, on_unavailable={self.on_unavailable!r})"


def _micros(seconds: float) -> int:
    return math.ceil(seconds * 1_000_000)


class _AccountLimiter:
    """`RateLimiter` of one account over a `RedisRateLimiter`."""

    def __init__(self, shared: RedisRateLimiter, account: str) -> None:
        self._shared = shared
        self._account = account
        self._local = AccountRateLimiter.for_fingerprint(account, shared.rates)
        self._args: dict[str, list[int]] = {}
        self._keys: dict[str, str] = {}
        self._departed: dict[str, float] = {}  # this process's last slot per bucket

    async def acquire(self, bucket: str) -> None:
        for _ in range(MAX_LATE_RETRIES):
            slot = await self.reserve(bucket, max_wait=None)
            # None: the bucket is off, or the local buckets served the request.
            if slot is None or await self._leave_at(bucket, slot):
                return

    async def acquire_within(self, bucket: str, max_wait: float) -> float | None:
        """Wait for a slot of `bucket` and return None; or, when the next slot is more than
        `max_wait` seconds away, return that wait and take nothing."""
        slot = await self.reserve(bucket, max_wait=max_wait)
        if slot is not None and slot < 0:
            return -slot
        if slot is not None and not await self._leave_at(bucket, slot):
            await self.acquire(bucket)  # asked in time, woke late: a new slot, as any caller
        return None

    async def _leave_at(self, bucket: str, slot: float) -> bool:
        """Sleep until `slot`; whether we woke close enough to it to leave."""
        wait = slot - time.monotonic()
        if wait > 0:
            await anyio.sleep(wait)
        late = time.monotonic() - slot
        if late <= LATE:
            return True
        # Our event loop was busy (the reply waited for it, or the wake-up did): leaving now
        # could crowd the callers after us into one window. Take a new slot instead.
        logger.debug("memories %s: %.0f ms past its slot; taking a new one", bucket, late * 1e3)
        return False

    async def reserve(self, bucket: str, *, max_wait: float | None) -> float | None:
        """Reserve a departure slot and return when it is, on this process's monotonic clock
        (Redis's time mapped onto ours, plus the wait it answered), without waiting for it. With
        `max_wait`, a slot further away than that is not reserved, and the answer is negative:
        minus the seconds it would have been away. None: the bucket is off, or the local buckets
        served the request (they wait themselves)."""
        try:
            args = self._args[bucket]
        except KeyError:
            rate = self._shared.rates.get(bucket, _UNKNOWN)
            if rate is _UNKNOWN:
                raise ValueError(f"unknown rate bucket {bucket!r}") from None
            if rate is None:
                return None
            assert isinstance(rate, Rate)
            args = self._args[bucket] = [_micros((rate.period + WINDOW_GUARD) / rate.limit)]
        shared = self._shared
        health = shared._health
        attempt = health.should_try()
        if attempt is False:
            return await self._fall_back(bucket, None, max_wait)
        probe = attempt is None
        key = self._keys.get(bucket) or self._keys.setdefault(
            bucket, f"{shared.key_prefix}:{{{self._account}}}:{bucket}"
        )
        limit = -1 if max_wait is None else _micros(max_wait)
        spacing = args[0]

        def caller_cold() -> int:
            # This caller's first reservation of the bucket in a while: the request it sends
            # will open a connection. Asked as the reservation is written, so that it is the
            # first one Redis sees (the one with the earliest slot), not the first one asked
            # for, which may have waited longest for a connection to Redis.
            now = time.monotonic()
            last = self._departed.get(bucket)
            self._departed[bucket] = now  # callers right behind this one are not cold
            return _CALLER_COLD_US if last is None or now - last > IDLE + spacing / 1e6 else 0

        try:
            connection = await shared._connections.current()
            answer, redis_now, sent = await connection.reserve(
                key, (spacing, _COLD_START_US, _IDLE_US, limit), caller_cold
            )
        except Unavailable as exc:
            health.failed(exc.reason, shared.url, probe=probe)
            return await self._fall_back(bucket, exc.reason, max_wait)
        except Exception as exc:
            if not isinstance(exc, (TimeoutError, OSError, *redis_errors())):
                raise
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            health.failed(reason, shared.url, probe=probe)
            return await self._fall_back(bucket, reason, max_wait)
        if probe:
            health.succeeded(shared.url)
        if answer < 0:
            return -((-answer - 1) / 1e6)
        slot = shared._clock.slot(redis_now, answer, sent)
        self._departed[bucket] = slot
        return slot

    async def _fall_back(
        self, bucket: str, reason: str | None, max_wait: float | None
    ) -> float | None:
        """Serve the request from this process's buckets: None once it may leave, or minus the
        wait refused by `max_wait` (as `reserve` answers)."""
        if self._shared.on_unavailable == "raise":
            raise RateLimiterUnavailableError(
                f"the shared rate limiter at {self._shared!r} is unavailable"
                + (f" ({reason})" if reason else "")
            )
        if max_wait is None:
            await self._local.acquire(bucket)
            return None
        refused = await self._local.acquire_within(bucket, max_wait)
        return None if refused is None else -refused

    def __repr__(self) -> str:
        return f"<RedisRateLimiter account={self._account[:8]}… {self._shared!r}>"


_defaults: dict[str, RedisRateLimiter] = {}
_defaults_lock = threading.Lock()


def default_limiter(url: str) -> RedisRateLimiter:
    """The process's limiter on `url` (from `MEMORIES_REDIS_URL`): one per URL, so every client
    of the process shares its connections."""
    with _defaults_lock:
        limiter = _defaults.get(url)
        if limiter is None:
            limiter = _defaults[url] = RedisRateLimiter.from_url(url)
        return limiter
