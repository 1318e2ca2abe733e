"""Account-wide rate buckets: strict spacing, shared by clients, threads and loops of one key."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import anyio
import httpcore
import httpx
import pytest
from aiolimiter import AsyncLimiter

from memories_async import AsyncMemories, InvalidArgumentError, NoRateLimiter, Rate
from memories_async._limits import AccountRateLimiter, _Ledger, account_fingerprint
from memories_async._pools import cold_probe
from memories_async.emulator import Emulator, serve
from tests._support import collector_held, load_fixture

SEARCH_OK = load_fixture("core/search_by_video.json")


class Recorder:
    """A transport that answers every search and records when each request reached it."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.times.append(time.monotonic())
        return httpx.Response(200, json=SEARCH_OK)

    def client(self, api_key: str, **options: object) -> AsyncMemories:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))
        return AsyncMemories(api_key, http_client=http, **options)  # type: ignore[arg-type]


def most_in_any_window(times: Sequence[float], window: float) -> int:
    """The largest number of timestamps inside any half-open window [t, t + window)."""
    ordered = sorted(times)
    best = start = 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def fresh_key() -> str:
    return f"sk-test-{uuid.uuid4().hex}"


async def search_many(client: AsyncMemories, count: int) -> None:
    """`count` searches at once, timed at the transport with the collector held off."""
    with collector_held():
        async with anyio.create_task_group() as tg:
            for _ in range(count):
                tg.start_soon(client.search.videos, "boat")
    await client.http_client.aclose()


def test_window_helper() -> None:
    assert most_in_any_window([0.0, 0.5, 0.99, 1.0, 1.5], 1.0) == 3
    assert most_in_any_window([], 1.0) == 0


async def test_fifty_concurrent_calls_never_exceed_ten_per_sliding_second() -> None:
    recorder = Recorder()
    client = recorder.client(fresh_key())
    await search_many(client, 50)
    times = recorder.times
    assert len(times) == 50
    assert most_in_any_window(times, 1.0) <= 10
    # The rate is measured from the second departure: the first gap of a burst is longer by
    # design (the cold-start allowance in _limits.py), a one-time 100 ms rather than a rate.
    ordered = sorted(times)
    achieved = (len(ordered) - 2) / (ordered[-1] - ordered[1])
    assert achieved >= 0.95 * 10, f"only {achieved:.2f} requests/s of 10 allowed"


async def test_two_clients_of_one_key_share_buckets() -> None:
    recorder = Recorder()
    key = fresh_key()
    limits = {"search": Rate(10, 0.5)}
    first, second = (
        recorder.client(key, rate_limits=limits),
        recorder.client(key, rate_limits=limits),
    )
    async with anyio.create_task_group() as tg:
        tg.start_soon(search_many, first, 15)
        tg.start_soon(search_many, second, 15)
    assert len(recorder.times) == 30
    assert most_in_any_window(recorder.times, 0.5) <= 10


async def test_different_keys_have_their_own_buckets() -> None:
    recorder = Recorder()
    limits = {"search": Rate(10, 0.5)}
    first = recorder.client(fresh_key(), rate_limits=limits)
    second = recorder.client(fresh_key(), rate_limits=limits)
    async with anyio.create_task_group() as tg:
        tg.start_soon(search_many, first, 15)
        tg.start_soon(search_many, second, 15)
    # Each key alone may send 10 per half second, so together they exceed one key's limit.
    assert most_in_any_window(recorder.times, 0.5) > 10


def test_two_event_loops_in_two_threads_share_one_key() -> None:
    recorder = Recorder()
    key = fresh_key()
    limits = {"search": Rate(10, 0.5)}
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(search_many(recorder.client(key, rate_limits=limits), 15))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(recorder.times) == 30
    assert most_in_any_window(recorder.times, 0.5) <= 10


def test_one_key_used_from_successive_loops_does_not_warn() -> None:
    # aiolimiter binds to the first loop that uses it; pytest makes warnings errors here.
    recorder = Recorder()
    key = fresh_key()
    for _ in range(3):
        asyncio.run(search_many(recorder.client(key, rate_limits={"search": Rate(100)}), 3))
    assert len(recorder.times) == 9


async def test_a_bucket_can_be_turned_off_or_overridden() -> None:
    limiter = AccountRateLimiter(fresh_key(), {"search": None, "upload": Rate(2, 3.0)})
    assert limiter.rates["search"] is None
    assert limiter.rates["upload"] == Rate(2, 3.0)
    assert limiter.rates["chat"] == Rate(1)
    with anyio.fail_after(1):
        for _ in range(50):
            await limiter.acquire("search")


async def test_limiting_can_be_turned_off() -> None:
    client = AsyncMemories(fresh_key(), rate_limits=False)
    assert isinstance(client._pipeline.hosts["api"].limiter, NoRateLimiter)
    await client.aclose()


def test_bad_rate_settings_name_the_field() -> None:
    with pytest.raises(InvalidArgumentError, match="rate_limits: unknown bucket 'serch'"):
        AsyncMemories(fresh_key(), rate_limits={"serch": Rate(1)})
    with pytest.raises(InvalidArgumentError, match=r"rate_limits\['search'\]"):
        AsyncMemories(fresh_key(), rate_limits={"search": 5})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="limit"):
        Rate(0)


async def test_unknown_bucket_at_acquire_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown rate bucket"):
        await AccountRateLimiter(fresh_key()).acquire("nope")


def test_the_registry_never_holds_a_raw_key() -> None:
    key = fresh_key()
    fingerprint = account_fingerprint(key)
    assert key not in fingerprint
    assert len(fingerprint) == 32


def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The ledger's clock, moved only by the test (`clock[0] += ...`)."""
    clock = [100.0]
    monkeypatch.setattr("memories_async._limits.time.monotonic", lambda: clock[0])
    return clock


def depart(
    ledger: _Ledger,
    spacing: float,
    limit: int,
    count: int,
    clock: list[float],
    late: Callable[[], float],
) -> list[float]:
    """When each of `count` queued callers left, each waking `late()` after the wait the ledger
    named."""
    departures: list[float] = []
    while len(departures) < count:
        wait = ledger.try_depart(spacing, limit)
        if wait == 0:
            departures.append(clock[0])
        else:
            clock[0] += wait + late()
    return departures


def test_a_busy_bucket_spaces_departures_to_widen_each_window_by_the_guard() -> None:
    spacing = _Ledger.spacing(Rate(10, 1.0))
    assert spacing == pytest.approx((1.0 + _Ledger.WINDOW_GUARD) / 10)
    # Any `limit + 1` consecutive departures span a period plus the guard, never less.
    assert 10 * spacing == pytest.approx(1.0 + _Ledger.WINDOW_GUARD)


def test_a_departure_a_little_late_is_charged_at_its_slot_and_a_later_one_when_it_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = frozen_clock(monkeypatch)
    ledger = _Ledger()
    spacing, limit = 0.1, 10
    assert ledger.try_depart(spacing, limit) == 0.0
    clock[0] += spacing + _Ledger.CATCH_UP / 2  # woke a little late: the schedule keeps
    assert ledger.try_depart(spacing, limit) == 0.0
    assert ledger.try_depart(spacing, limit) == pytest.approx(spacing - _Ledger.CATCH_UP / 2)
    clock[0] += spacing - _Ledger.CATCH_UP / 2 + 2 * _Ledger.CATCH_UP  # too late: charged now
    assert ledger.try_depart(spacing, limit) == 0.0
    assert ledger.try_depart(spacing, limit) == pytest.approx(spacing)


def test_no_window_of_late_departures_spans_less_than_the_period_and_the_guards_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Callers wake late by anything from 0 to 4 catch-ups; whatever the mix, every `limit + 1`
    # consecutive departures span at least `period + WINDOW_GUARD - CATCH_UP`.
    clock = frozen_clock(monkeypatch)
    rate = Rate(10, 1.0)
    spacing, limit = _Ledger.spacing(rate), rate.limit
    lateness = random.Random(7)
    departures = depart(
        _Ledger(),
        spacing,
        limit,
        500,
        clock,
        late=lambda: lateness.choice([0.0, 0.0, 0.5, 1.0, 2.0, 4.0]) * _Ledger.CATCH_UP,
    )
    spans = [b - a for a, b in zip(departures, departures[limit:], strict=False)]
    floor = rate.period + _Ledger.WINDOW_GUARD - _Ledger.CATCH_UP
    assert min(spans) >= floor - 1e-9
    assert min(spans) < floor + _Ledger.CATCH_UP / 2  # the bound is reached, not just kept


def test_lateness_within_the_catch_up_does_not_add_up_over_a_burst(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = frozen_clock(monkeypatch)
    spacing, limit = _Ledger.spacing(Rate(10, 1.0)), 10
    every_caller_late = 0.8 * _Ledger.CATCH_UP
    departures = depart(_Ledger(), spacing, limit, 300, clock, late=lambda: every_caller_late)
    # The burst's one room and the last caller's lateness, but not 299 latenesses.
    expected = 299 * spacing + _Ledger.COLD_START + every_caller_late
    assert departures[-1] - departures[0] == pytest.approx(expected)


async def test_a_loop_whose_waiter_entered_late_lets_the_next_one_in_on_schedule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The loop's gate must not count each interval from its last waiter's (late) entry: were it
    # to, every wake-up's lateness would push the whole queue back and the bucket would run
    # slower than its ledger allows.
    loop = asyncio.get_running_loop()
    now = [1000.0]
    monkeypatch.setattr(loop, "time", lambda: now[0])
    gate = _Ledger().gate(0.1)
    assert isinstance(gate, AsyncLimiter)
    await gate.acquire()  # a burst's head...
    now[0] += 0.1 + 0.03  # ...and the next waiter, which woke 30 ms past its interval
    assert gate.has_capacity()
    await gate.acquire()
    now[0] += 0.1 - 0.03  # the third is due an interval after the second was, not after it woke
    assert gate.has_capacity()
    await gate.acquire()
    assert not gate.has_capacity()  # and the gate never runs ahead of the ledger's pace


def test_the_first_departure_of_a_burst_holds_back_the_one_that_closes_its_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = frozen_clock(monkeypatch)
    ledger = _Ledger()
    spacing, limit = 0.1, 3
    assert ledger.try_depart(spacing, limit) == 0.0  # first use: a cold start
    for _ in range(limit - 1):  # the rest of the first window: the usual spacing
        assert ledger.try_depart(spacing, limit) == pytest.approx(spacing)
        clock[0] += spacing
        assert ledger.try_depart(spacing, limit) == 0.0
    # The departure `limit` places on would close the window the late first arrival opened.
    assert ledger.try_depart(spacing, limit) == pytest.approx(spacing + _Ledger.COLD_START)
    clock[0] += spacing + _Ledger.COLD_START
    assert ledger.try_depart(spacing, limit) == 0.0
    assert ledger.try_depart(spacing, limit) == pytest.approx(spacing)  # paid once per burst
    clock[0] += spacing
    assert ledger.try_depart(spacing, limit) == 0.0
    clock[0] += spacing + _Ledger.IDLE  # free for IDLE past its slot: a new burst
    assert ledger.try_depart(spacing, limit) == 0.0
    assert ledger.try_depart(spacing, limit) == pytest.approx(spacing)


def test_a_one_per_period_bucket_pays_the_room_on_its_second_departure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen_clock(monkeypatch)
    ledger = _Ledger()
    assert ledger.try_depart(1.01, 1) == 0.0
    assert ledger.try_depart(1.01, 1) == pytest.approx(1.01 + _Ledger.COLD_START)


def test_the_expected_wait_names_the_slot_a_caller_would_get(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = frozen_clock(monkeypatch)
    ledger = _Ledger()
    spacing, limit = 0.1, 3
    waits = []
    for _ in range(6):  # callers joining an idle bucket's queue at once
        waits.append(ledger.expected_wait(spacing, limit))
        ledger.queue(+1)
    room = _Ledger.COLD_START
    expected = [0, spacing, 2 * spacing, 3 * spacing + room, 4 * spacing + room, 5 * spacing + room]
    assert waits == pytest.approx(expected)
    departures = []
    while len(departures) < 6:  # and the ledger lets them leave exactly then
        wait = ledger.try_depart(spacing, limit)
        if wait == 0:
            departures.append(clock[0] - 100.0)
            ledger.queue(-1)
        clock[0] += wait
    assert departures == pytest.approx(expected)


async def test_a_late_first_arrival_does_not_overfill_the_window_it_opens() -> None:
    # The first request of a burst opens the connection and reaches the server late (here by
    # 50 ms); without the cold-start allowance the 11th request would land in its window.
    times: list[float] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        if not times:
            await asyncio.sleep(0.05)
        times.append(time.monotonic())
        return httpx.Response(200, json=SEARCH_OK)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    client = AsyncMemories(fresh_key(), http_client=http, rate_limits={"search": Rate(10, 0.5)})
    await search_many(client, 21)
    assert len(times) == 21
    assert most_in_any_window(times, 0.5) <= 10


class SlowConnect(httpcore.AsyncNetworkBackend):
    """Opens real loopback connections, each `delay` seconds late: a far server's handshake."""

    def __init__(self, delay: float) -> None:
        self._real = httpcore.AnyIOBackend()
        self._delay = delay

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        await anyio.sleep(self._delay)
        return await self._real.connect_tcp(*args, **kwargs)

    async def sleep(self, seconds: float) -> None:
        await self._real.sleep(seconds)


def slow_connecting_client(key: str, url: str) -> AsyncMemories:
    transport = httpx.AsyncHTTPTransport()
    transport._pool = httpcore.AsyncConnectionPool(network_backend=SlowConnect(0.06))
    http = httpx.AsyncClient(transport=transport)
    return AsyncMemories(key, http_client=http, vlm_base_url=url + "/serve/api/v2")


def test_a_pool_with_an_idle_connection_is_warm_and_other_transports_cannot_tell() -> None:
    mocked = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert cold_probe(mocked, "https://api.memories.ai") is None

    async def main() -> None:
        with Emulator(rate_limits=False) as emu, serve(emu) as url:
            async with httpx.AsyncClient() as http:
                probe = cold_probe(http, url)
                assert probe is not None and probe()  # nothing open yet
                await http.get(url + "/")
                assert not probe()  # its connection is back in the pool, idle
                assert cold_probe(http, "http://127.0.0.1:9")() is True  # another origin

    anyio.run(main)


def test_a_request_that_opens_a_connection_holds_back_the_one_that_closes_its_window() -> None:
    # A second client's first request of a 1-per-second bucket connects 60 ms late; the next
    # request, over a warm connection on the usual spacing, would reach the server 0.95 s after
    # it. Told the first was cold, the ledger holds that one back and the emulator refuses none.
    key = fresh_key()

    async def main() -> None:
        with Emulator(parse_delay=0) as emu, serve(emu) as url, collector_held():
            first = slow_connecting_client(key, url)
            second = slow_connecting_client(key, url)
            async with first, second, first.http_client, second.http_client:
                for client in (first, first, second, first):
                    await client.vision.complete("Describe it", image_url="https://c.example/a.jpg")
            arrivals = [r.time for r in emu.requests if r.endpoint == "vu_chat_completions"]
            assert emu.rate_limits.rejected == {}, [b - a for a, b in pairwise(arrivals)]
            assert len(arrivals) == 4

    anyio.run(main)


def test_each_cold_departure_owes_room_to_the_one_that_closes_its_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = frozen_clock(monkeypatch)
    ledger = _Ledger()
    spacing, limit = 0.1, 2
    room = _Ledger.COLD_START
    cold = {3, 4}  # departures 3 and 4 open connections; 1 opens the burst

    def depart(number: int) -> float:
        waited = 0.0
        while wait := ledger.try_depart(spacing, limit, lambda: number in cold):
            waited += wait
            clock[0] += wait
        return waited

    waits = [depart(n) for n in range(1, 8)]
    # 3 waits for the room of 1, 5 for the room of 3 (which covers 4's); the rest the spacing.
    assert waits == pytest.approx(
        [0, spacing, spacing + room, spacing, spacing + room, spacing, spacing]
    )
    ledger.queue(+1)  # a caller waiting, and a warm one asking: no room owed any more
    assert ledger.expected_wait(spacing, limit) == pytest.approx(2 * spacing)
