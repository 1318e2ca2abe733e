"""How Redis's clock is read on ours: a slot Redis reserved must be known here as the instant it
is, whatever happened to the reply on its way back (no Redis needed: the mapping is arithmetic)."""

from __future__ import annotations

import random

from memories_async._redis_support import RedisClock

TRUE_OFFSET = 5000.0  # our monotonic clock minus Redis's, in seconds


def redis_time_us(local: float) -> int:
    return round((local - TRUE_OFFSET) * 1e6)


def test_a_slot_is_mapped_from_when_the_request_was_sent_not_when_its_reply_was_read() -> None:
    clock = RedisClock()
    # Redis ran the script 0.2 ms after we wrote it; the reply could have been read any time
    # later (our loop was busy): the mapping does not depend on it.
    slot = clock.slot(redis_time_us(100.0002), 300_000, sent=100.0)
    assert abs(slot - 100.3002) < 0.0003


def test_the_quickest_way_there_wins_and_a_slow_one_does_not_move_the_estimate() -> None:
    clock = RedisClock()
    rng = random.Random(7)
    sent = 10.0
    quickest = float("inf")
    for _ in range(200):
        sent += 0.01
        delay = 0.0001 + rng.expovariate(1 / 0.005)  # the way to Redis, sometimes long
        quickest = min(quickest, delay)
        slot = clock.slot(redis_time_us(sent + delay), 50_000, sent=sent)
        true_slot = sent + delay + 0.05
        # Early by the quickest way there seen, never by a slow one, and never late.
        assert abs(slot - (true_slot - quickest)) < 2e-6


def test_a_clock_stepped_back_is_followed_at_once() -> None:
    clock = RedisClock()
    clock.slot(redis_time_us(1.0), 0, sent=1.0)
    # Redis's clock goes back by 2 s: its times now look 2 s older for the same instants.
    slot = clock.slot(redis_time_us(2.0) - 2_000_000, 100_000, sent=2.0)
    assert abs(slot - 2.1) < 1e-6


def test_a_clock_stepped_forward_restarts_the_estimate() -> None:
    clock = RedisClock()
    clock.slot(redis_time_us(1.0), 0, sent=1.0)
    slot = clock.slot(redis_time_us(2.0) + 2_000_000, 100_000, sent=2.0)
    assert abs(slot - 2.1) < 1e-6  # not 4.1: the old samples were dropped


def test_old_samples_expire_after_the_horizon() -> None:
    clock = RedisClock()
    clock.slot(redis_time_us(1.0) - 100_000, 0, sent=1.0)  # Redis 100 ms "behind" (a drift)
    # Within the horizon a smaller offset (by less than STEP) keeps the larger estimate...
    assert abs(clock.slot(redis_time_us(5.0), 0, sent=5.0) - 5.1) < 1e-6
    # ...past it, the old sample is gone and the mapping follows the clocks as they are now.
    later = 1.0 + RedisClock.HORIZON + 1.0
    assert abs(clock.slot(redis_time_us(later), 0, sent=later) - later) < 1e-6
