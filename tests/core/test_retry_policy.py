"""The retry policy as pure functions: what is retried, how long we wait, Retry-After."""

from __future__ import annotations

import email.utils

import pytest

from memories_async import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
)
from memories_async._retry import MAX_RETRY_AFTER, parse_retry_after


def rate_limited() -> RateLimitError:
    return RateLimitError("slow down", code="0429", status_code=200)


def server_error(status: int, retry_after: float | None = None) -> InternalServerError:
    return InternalServerError("boom", status_code=status, retry_after=retry_after)


def test_defaults_are_three_for_rate_limits_and_two_otherwise() -> None:
    policy = RetryPolicy()
    assert all(
        policy.should_retry(rate_limited(), retries_done=n, idempotent=True) for n in range(3)
    )
    assert not policy.should_retry(rate_limited(), retries_done=3, idempotent=True)
    assert policy.should_retry(server_error(500), retries_done=1, idempotent=True)
    assert not policy.should_retry(server_error(500), retries_done=2, idempotent=True)


def test_max_retries_bounds_every_kind() -> None:
    policy = RetryPolicy.from_max_retries(0)
    assert not policy.should_retry(rate_limited(), retries_done=0, idempotent=True)
    assert not policy.should_retry(APIConnectionError(), retries_done=0, idempotent=True)


def test_client_errors_are_never_retried() -> None:
    error = BadRequestError("bad", code="0003", status_code=200)
    assert not RetryPolicy().should_retry(error, retries_done=0, idempotent=True)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (rate_limited(), True),
        (APIConnectionError(before_send=True), True),
        (APITimeoutError(before_send=True), True),
        (APIConnectionError(before_send=False), False),
        (APITimeoutError(before_send=False), False),
        # The resend rule: a 5xx is only certain not to have been acted on when the server
        # says it takes no requests now and when to come back (503 with Retry-After).
        (server_error(503, retry_after=1.0), True),
        (server_error(503), False),
        (server_error(502), False),
        (server_error(500), False),
        (server_error(504), False),
    ],
)
def test_non_idempotent_requests_retry_only_when_the_server_cannot_have_acted(
    error: Exception, expected: bool
) -> None:
    assert RetryPolicy().should_retry(error, retries_done=0, idempotent=False) is expected  # type: ignore[arg-type]


def test_idempotent_requests_retry_every_transient_failure() -> None:
    policy = RetryPolicy()
    for error in (APIConnectionError(), APITimeoutError(), server_error(500), server_error(504)):
        assert policy.should_retry(error, retries_done=0, idempotent=True)


def test_backoff_doubles_is_capped_and_jittered() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=4.0)
    low = [policy.delay(n, rand=lambda: 0.0) for n in range(6)]
    high = [policy.delay(n, rand=lambda: 1.0) for n in range(6)]
    assert high == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert low == [h / 2 for h in high]


def test_a_retry_after_beyond_the_cap_is_not_retried() -> None:
    policy = RetryPolicy()
    patient = RateLimitError("slow down", retry_after=MAX_RETRY_AFTER, status_code=429)
    impatient = RateLimitError("in an hour", retry_after=MAX_RETRY_AFTER + 1, status_code=429)
    assert policy.should_retry(patient, retries_done=0, idempotent=True)
    assert not policy.should_retry(impatient, retries_done=0, idempotent=True)


def test_retry_after_wins_over_backoff() -> None:
    # Hints beyond MAX_RETRY_AFTER never get here: should_retry says no (above).
    policy = RetryPolicy()
    assert policy.delay(0, 3.0) == 3.0
    assert policy.delay(0, MAX_RETRY_AFTER) == MAX_RETRY_AFTER


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert parse_retry_after({}) is None
    assert parse_retry_after({"Retry-After": "soon"}) is None
    date = email.utils.formatdate(1000.0 + 7, usegmt=True)
    assert parse_retry_after({"Retry-After": date}, now=lambda: 1000.0) == pytest.approx(7.0)


def test_policy_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
