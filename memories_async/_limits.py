"""The vendor's rate-limit table as data, and the account-wide buckets that keep us inside it.

Limits belong to the vendor account, not to one client object, so buckets live in a process-wide
registry keyed by a fingerprint of the API key. One bucket is a lock-protected ledger of the last
departure, shared by every thread and event loop; in front of it each event loop queues its own
callers on an `aiolimiter.AsyncLimiter` (a fair `anyio.Lock` per run under trio), so that at most
the two at the head of each loop's queue contend for the ledger and a cancelled waiter costs
nothing.
Departures are spaced `(period + guard) / limit` apart, so no sliding window of `period` ever
sees more than `limit` requests leave, with room for them to *arrive* a little unevenly; the
first request of a burst, and any request that opens a connection, gets more room (`_Ledger`).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, cast, runtime_checkable

import anyio
from anyio.lowlevel import RunVar

from ._errors import InvalidArgumentError, RateLimitError

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter

__all__ = [
    "DEFAULT_RATES",
    "REDIS_URL_ENV",
    "AccountRateLimiter",
    "NoRateLimiter",
    "Rate",
    "RateLimiter",
    "RateLimits",
    "SharedRateLimiter",
    "build_rate_limiter",
    "check_rates",
]

REDIS_URL_ENV = "MEMORIES_REDIS_URL"
"""Set, it makes a Redis limiter the default of every client in the process."""


@dataclass(frozen=True)
class Rate:
    """At most `limit` requests per `period` seconds."""

    limit: int
    period: float = 1.0

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"Rate.limit must be at least 1, got {self.limit}")
        if self.period <= 0:
            raise ValueError(f"Rate.period must be positive, got {self.period}")

    @property
    def interval(self) -> float:
        """The spacing between two departures that keeps every sliding window within the limit."""
        return self.period / self.limit


_MINUTE = 60.0

DEFAULT_RATES: Mapping[str, Rate] = {
    "upload": Rate(1),  # upload from a local file or a streaming URL, images too
    "platform": Rate(1, _MINUTE),  # upload from a platform or creator URL (scrapers)
    "search": Rate(10),
    "chat": Rate(1),  # video chat and personal chat
    "marketer": Rate(1),
    "video_transcription": Rate(5),
    "audio_transcription": Rate(5),
    "summary": Rate(5),
    "list_videos": Rate(5),
    "list_sessions": Rate(5),
    "delete_videos": Rate(5),
    "download": Rate(12, _MINUTE),
    "caption_video": Rate(1),
    "caption_image": Rate(5),
    "reid": Rate(1),
    "update_transcription": Rate(5),  # from the pricing page
    "task_status": Rate(1),  # not in the table; a conservative guess for get_video_ids_by_task_id
    # The v2 host publishes no limits: guesses, at the caption host's pace.
    "vision": Rate(1),  # Visual Intelligence completions
    "edit": Rate(1),  # clip, split and edit tasks
    "agent": Rate(1),  # search agent runs (`/queries/stream`)
}
"""The vendor's published limits, per account (API.md, "Rate limits")."""

RateLimits = Mapping[str, "Rate | None"]
"""Overrides of `DEFAULT_RATES` by bucket name; `None` turns one bucket off."""


@runtime_checkable
class RateLimiter(Protocol):
    """Waits until a request of `bucket` may leave. Replace it to share buckets across processes.

    A limiter that can also refuse a far slot has `acquire_within(bucket, max_wait)` (as every
    limiter of the SDK does), which the client's `max_rate_wait` needs.
    """

    async def acquire(self, bucket: str) -> None:
        """Return when one request of `bucket` may be sent now."""
        ...


class BoundedRateLimiter(RateLimiter, Protocol):
    """A limiter that can also refuse a slot further away than a caller will wait."""

    async def acquire_within(self, bucket: str, max_wait: float) -> float | None:
        """Wait for a slot and return None; or, when the slot is more than `max_wait` seconds
        away, return that wait and take nothing."""
        ...


@runtime_checkable
class SharedRateLimiter(Protocol):
    """A limiter made without an account, that each client binds to its own: the client calls
    `for_account` with a fingerprint of its key (never the key). `RedisRateLimiter` is one."""

    def for_account(self, account: str) -> RateLimiter:
        """The limiter of one account."""
        ...


class NoRateLimiter:
    """A limiter that never waits: for tests, emulators, and callers who pace themselves."""

    async def acquire_within(self, bucket: str, max_wait: float) -> float | None:
        """Never refuses: every slot is now."""
        return None

    async def acquire(self, bucket: str) -> None:
        return None

    def __repr__(self) -> str:
        return "NoRateLimiter()"


class _Ledger:
    """One account's bucket: the time of the last departure, shared by all threads and loops.

    The vendor counts requests when they *arrive*, and a request reaches the server some time
    after it leaves the ledger; only differences in that delay can overfill a window. These
    allowances cover them (measured against the emulator on loopback, 300 searches and 60
    uploads fired at once; `benchmarks/bench_rate.py`):

    - `WINDOW_GUARD` widens every window of `limit + 1` departures to `period + WINDOW_GUARD`,
      less `CATCH_UP`. Warm requests reached the server 0.5-6 ms after leaving on an idle
      machine, but the window's first and last request can be delayed differently by more: with
      10 ms the rate benchmark saw its tightest window 8.7 ms over the period once and a 0429 in
      one burst, and a test whose server shares the client's process saw one more. 20 ms costs
      2% of every bucket's rate. (It was 1 ms per departure: 10 ms per window for search, but
      only 1 ms for the 1-per-second buckets, and uploads got 0429.)
    - `CATCH_UP`: a caller leaves a little after its slot (its loop wakes late: 0.9 ms at the
      median, 2.5 ms at p99 in that burst of 300 searches), and charging the bucket from that
      moment would let every lateness add up (0.3 s over the burst). A departure that left
      within `CATCH_UP` of its slot is charged at the slot, later ones from when they left. No
      window of `limit + 1` departures then spans less than `period + WINDOW_GUARD - CATCH_UP`,
      and one whose first departure left on time spans the whole guard more.
    - `COLD_START` holds back the departure `limit` places after the first of a burst. That
      first request opens the connection while the loop starts every other task of the burst:
      it arrived 19-68 ms after leaving (5.5-8 ms for an upload) where the rest took about 1 ms,
      so the window it opened closed late and a request `limit` places after it landed inside.
      Only that request, which closes the first window, needs the room: the ones before it
      leave on the usual spacing, so a burst's first `limit` requests pay nothing (a web app's
      first ten searches are not held back) and the allowance is paid once per burst (0.3% of a
      300-search burst). A burst starts when the bucket has been free for `IDLE` seconds past
      its next slot (or was never used).
    - Any other request that opens a connection arrives late for the same reason (a client made
      for one web request, a pool growing under load, a connection the server closed), so when
      the caller can tell (`cold`, asked as the request leaves; httpx's own pool can), it is owed
      the same room. Without it, with connections that take 60 ms to open, a second client's
      first request of a 1-per-second bucket arrived late, the next request (a spacing later, over a
      warm connection) reached the emulator 0.949 s after it, and was refused.
    """

    WINDOW_GUARD = 0.020
    CATCH_UP = 0.005
    COLD_START = 0.100
    IDLE = 1.0
    GATE_ROOM = 2  # waiters a loop's gate admits per `GATE_ROOM` intervals (`gate`)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._departed = 0  # departures so far, numbering them
        # Rooms owed to cold departures: departure number `n` leaves no earlier than `at`.
        self._owed: deque[tuple[int, float]] = deque()
        self._queued = 0  # callers waiting for a departure, in every loop and thread
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncLimiter] = (
            weakref.WeakKeyDictionary()
        )

    @classmethod
    def spacing(cls, rate: Rate) -> float:
        """The time between two departures of a busy bucket."""
        return (rate.period + cls.WINDOW_GUARD) / rate.limit

    def try_depart(
        self, spacing: float, limit: int, cold: Callable[[], bool] | None = None
    ) -> float:
        """Record a departure now and return 0, or return how long to wait before trying again.

        `cold`, asked only at the moment of departure, says whether this request will open a new
        connection: like a burst's first request it arrives late, and is owed the same room.
        """
        with self._lock:
            now = time.monotonic()
            number = self._departed + 1
            earliest = self._last + spacing
            owed = self._owed
            if owed and owed[0][0] == number:
                earliest = max(earliest, owed[0][1])
            if now < earliest:
                return earliest - now
            if self._opens_burst(now, spacing):
                owed.clear()
                owed.append((number + limit, self._room_due(now, spacing, limit)))
            elif cold is not None and cold():
                # The departure that closes the window this one opens leaves `COLD_START` late.
                owed.append((number + limit, self._room_due(now, spacing, limit)))
            while owed and owed[0][0] <= number:
                owed.popleft()
            self._departed = number
            self._last = earliest if now - earliest <= self.CATCH_UP else now
            return 0.0

    def expected_wait(self, spacing: float, limit: int) -> float:
        """How long a caller joining the queue now would wait: until the next free slot, one
        spacing more for each caller already waiting, and any room that falls due before it."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._last + spacing) + self._queued * spacing
            owed = list(self._owed)
            if self._opens_burst(now, spacing):  # the next departure starts a burst
                owed = [(self._departed + 1 + limit, self._room_due(now, spacing, limit))]
            number = self._departed + self._queued + 1  # this caller's departure
            for owed_number, at in owed:
                if owed_number <= number:
                    slot = max(slot, at + (number - owed_number) * spacing)
            return slot - now

    def _opens_burst(self, now: float, spacing: float) -> bool:
        """Whether a departure now starts a burst: the bucket was free for `IDLE` seconds past
        its next slot (always true on first use, when `_last` is -inf)."""
        return now >= self._last + spacing + self.IDLE

    def _room_due(self, now: float, spacing: float, limit: int) -> float:
        """When the departure closing the window of a cold one leaving now may leave."""
        return now + limit * spacing + self.COLD_START

    def queue(self, change: int) -> None:
        with self._lock:
            self._queued += change

    def gate(self, interval: float) -> AsyncLimiter | anyio.Lock:
        """The calling loop's own queue: waiters reach the ledger at its pace, one or two at once.

        On asyncio it is an `aiolimiter.AsyncLimiter` per loop, admitting one waiter per
        `interval` with room for one more: holding room for only one, it would count each
        interval from the moment its last waiter woke, so every waiter's lateness would push the
        next one back (1.3% of a 300-search burst's rate, on top of the ledger's spacing). Under
        trio, where there is no asyncio loop to key it by, a fair `anyio.Lock` kept for the
        length of the run, held until the departure, which cannot drift.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._run_gate()
        with self._lock:
            gate = self._gates.get(loop)
            period = self.GATE_ROOM * interval
            if gate is None or gate.time_period != period:
                # Imported here: aiolimiter reads its version through importlib.metadata, a
                # cost `import memories_async` need not pay.
                from aiolimiter import AsyncLimiter

                gate = AsyncLimiter(self.GATE_ROOM, period)
                self._gates[loop] = gate
            return gate

    def _run_gate(self) -> anyio.Lock:
        try:
            gates = _RUN_GATES.get()
        except LookupError:
            gates = {}
            _RUN_GATES.set(gates)
        gate = gates.get(self)
        if gate is None:
            gate = gates[self] = anyio.Lock()
        return gate


_RUN_GATES: RunVar[dict[_Ledger, anyio.Lock]] = RunVar("memories_async_rate_gates")
_registry_lock = threading.Lock()
_registry: dict[tuple[str, str], _Ledger] = {}


def _ledger_for(account: str, bucket: str) -> _Ledger:
    with _registry_lock:
        ledger = _registry.get((account, bucket))
        if ledger is None:
            ledger = _registry[(account, bucket)] = _Ledger()
        return ledger


def account_fingerprint(api_key: str) -> str:
    """A stable, non-reversible name for an account, so no raw key is kept in the registry."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:32]


class AccountRateLimiter:
    """The default limiter: buckets shared by every client of one API key in this process."""

    def __init__(self, api_key: str, rates: Mapping[str, Rate | None] | None = None) -> None:
        self._account = account_fingerprint(api_key)
        merged: dict[str, Rate | None] = dict(DEFAULT_RATES)
        merged.update(rates or {})
        self.rates: Mapping[str, Rate | None] = merged

    @classmethod
    def for_fingerprint(
        cls, account: str, rates: Mapping[str, Rate | None] | None = None
    ) -> AccountRateLimiter:
        """The in-process buckets of the account whose fingerprint is `account`."""
        limiter = cls.__new__(cls)
        limiter._account = account
        limiter.rates = {**DEFAULT_RATES, **(rates or {})}
        return limiter

    async def acquire(self, bucket: str, *, cold: Callable[[], bool] | None = None) -> None:
        await self.acquire_within(bucket, math.inf, cold=cold)

    async def acquire_within(
        self, bucket: str, max_wait: float, *, cold: Callable[[], bool] | None = None
    ) -> float | None:
        """Wait for a slot of `bucket` and return None; or, when the slot a caller joining now
        would get is more than `max_wait` seconds away, return that wait and take nothing.
        `cold` says, as the request leaves, whether it will open a connection (`_Ledger`)."""
        try:
            rate = self.rates[bucket]
        except KeyError:
            raise ValueError(f"unknown rate bucket {bucket!r}") from None
        if rate is None:
            return None
        ledger = _ledger_for(self._account, bucket)
        spacing = _Ledger.spacing(rate)
        if (
            max_wait != math.inf
            and (expected := ledger.expected_wait(spacing, rate.limit)) > max_wait
        ):
            return expected
        ledger.queue(+1)
        try:
            async with ledger.gate(spacing):
                # The ledger is shared across threads and loops, so no Event can wake us: sleep
                # exactly until the slot the ledger named, then ask again.
                while (wait := ledger.try_depart(spacing, rate.limit, cold)) > 0:  # noqa: ASYNC110
                    await anyio.sleep(wait)
        finally:
            ledger.queue(-1)
        return None

    def __repr__(self) -> str:
        return f"AccountRateLimiter(account={self._account[:8]}…)"


def check_rates(rates: Mapping[str, Rate | None] | None) -> dict[str, Rate | None]:
    """Bucket overrides, each checked: a known bucket name, and a `Rate` or None."""
    if rates is None:
        return {}
    checked: dict[str, Rate | None] = {}
    for name, rate in rates.items():
        if name not in DEFAULT_RATES:
            raise InvalidArgumentError(
                "rate_limits", f"unknown bucket {name!r}; known: {', '.join(DEFAULT_RATES)}"
            )
        if rate is not None and not isinstance(rate, Rate):
            raise InvalidArgumentError(f"rate_limits[{name!r}]", "must be a Rate or None")
        checked[name] = rate
    return checked


def build_rate_limiter(
    api_key: str,
    rate_limits: RateLimits | RateLimiter | SharedRateLimiter | Literal[False] | None,
) -> RateLimiter:
    """Turn the client's `rate_limits` argument into a limiter.

    `None` means the vendor's table; `False` turns limiting off; a mapping overrides some buckets
    (a `None` value turns that bucket off); a shared limiter (`RedisRateLimiter`) is bound to
    this key's account; an object with `acquire` is used as it is. With `MEMORIES_REDIS_URL`
    set, `None` and a mapping give a Redis limiter on that URL with those overrides.
    """
    if rate_limits is False:
        return NoRateLimiter()
    if isinstance(rate_limits, SharedRateLimiter):
        return rate_limits.for_account(account_fingerprint(api_key))
    if isinstance(rate_limits, RateLimiter):
        return rate_limits
    overrides = check_rates(rate_limits)
    url = os.environ.get(REDIS_URL_ENV)
    if url:
        from .redis import default_limiter

        return default_limiter(url).with_rates(overrides).for_account(account_fingerprint(api_key))
    return AccountRateLimiter(api_key, overrides)


async def take_slot(
    limiter: RateLimiter,
    bucket: str,
    *,
    max_wait: float | None,
    caller: str,
    clock: _Pausable | None = None,
    cold: Callable[[], bool] | None = None,
) -> float:
    """Wait for a slot of `bucket` and return how long that took. With `max_wait`, a slot
    further away than that is refused with a local `RateLimitError` (nothing taken, nothing
    sent; `retry_after` the wait it would have been). `clock`, the call's deadline, is paused
    meanwhile: the wait for a rate slot is the caller's own queue, not the server's doing.
    `cold` reaches the in-process buckets only (`AccountRateLimiter`)."""
    asked = time.monotonic()
    if clock is not None:
        clock.pause(caller)
    try:
        refused: float | None = None
        if type(limiter) is AccountRateLimiter:
            wait = math.inf if max_wait is None else max_wait
            refused = await limiter.acquire_within(bucket, wait, cold=cold)
        elif max_wait is None:
            await limiter.acquire(bucket)
        else:
            refused = await cast(BoundedRateLimiter, limiter).acquire_within(bucket, max_wait)
        if refused is not None:
            raise RateLimitError(
                f"the next {bucket} slot is {refused:.2f}s away, past max_rate_wait "
                f"({max_wait:g}s); nothing was sent",
                local=True,
                status_code=429,
                endpoint=caller,
                retry_after=refused,
            )
    finally:
        if clock is not None:
            clock.resume(caller)
    return time.monotonic() - asked


class _Pausable(Protocol):
    def pause(self, owner: object) -> None: ...

    def resume(self, owner: object) -> None: ...
