"""Every vendor failure surfaces as its typed error, with the vendor's code and message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from memories_async import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncMemories,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsufficientCreditError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
)
from tests._support import load_fixture

BASE = "https://api.memories.ai"
SEARCH = f"{BASE}/serve/api/v1/search"
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)


@pytest.fixture
async def client() -> AsyncIterator[AsyncMemories]:
    async with AsyncMemories("sk-test-error-key-0001", max_retries=FAST, rate_limits=False) as c:
        yield c


def envelope(code: str, msg: str) -> dict[str, Any]:
    return {"code": code, "msg": msg, "data": None, "success": False, "failed": True}


CASES = [
    (200, envelope("0003", "search_param is required"), BadRequestError, "0003"),
    (200, envelope("0001", "parameter error"), BadRequestError, "0001"),
    (200, envelope("0001", "video not found"), NotFoundError, "0001"),
    (200, envelope("0001", "No video find from video_no"), NotFoundError, "0001"),
    (
        200,
        envelope("0001", "No videos found for the provided video numbers."),
        NotFoundError,
        "0001",
    ),
    (200, envelope("0001", "video_no is required"), BadRequestError, "0001"),
    (200, envelope("0401", "invalid api key"), AuthenticationError, "0401"),
    (200, envelope("1001", "user don't login"), AuthenticationError, "1001"),
    (200, envelope("0402", "not enough credit"), InsufficientCreditError, "0402"),
    (200, envelope("0403", "account disabled"), PermissionDeniedError, "0403"),
    (200, envelope("9009", "permission denied"), PermissionDeniedError, "9009"),
    (200, envelope("0409", "duplicate request"), ConflictError, "0409"),
    (200, envelope("7777", "something new"), APIError, "7777"),
    (400, {"msg": "bad"}, BadRequestError, None),
    (401, {"msg": "no"}, AuthenticationError, None),
    (403, {"msg": "no"}, PermissionDeniedError, None),
    (404, {"msg": "gone"}, NotFoundError, None),
    (409, {"msg": "again"}, ConflictError, None),
]


@pytest.mark.parametrize(("status", "body", "error_class", "code"), CASES)
@respx.mock
async def test_error_class_for_each_case(
    client: AsyncMemories,
    status: int,
    body: dict[str, Any],
    error_class: type[APIError],
    code: str | None,
) -> None:
    route = respx.post(SEARCH).respond(status, json=body, headers={"x-request-id": "req-42"})
    with pytest.raises(error_class) as caught:
        await client.search.videos("boat")
    error = caught.value
    assert type(error) is error_class
    assert error.code == code
    assert error.msg == body["msg"]
    assert error.status_code == status
    assert error.request_id == "req-42"
    assert error.endpoint == "search"
    assert body["msg"] in str(error)
    # None of these is retried, but for 0001 beyond the not-found wordings: the vendor also
    # answers it for passing network faults, so a search (idempotent) tries once more.
    transient = code == "0001" and error_class is BadRequestError
    assert route.call_count == (2 if transient else 1)


@respx.mock
async def test_0429_on_http_200_is_retried_then_raised_with_the_vendor_message(
    client: AsyncMemories,
) -> None:
    route = respx.post(SEARCH).respond(200, json=load_fixture("core/rate_limited.json"))
    with pytest.raises(RateLimitError) as caught:
        await client.search.videos("boat")
    assert route.call_count == 1 + 3
    assert caught.value.code == "0429"
    assert caught.value.msg == "Request has exceeded the limit."
    assert caught.value.status_code == 200


@respx.mock
async def test_a_retry_after_beyond_a_minute_is_raised_at_once_with_the_hint(
    client: AsyncMemories,
) -> None:
    route = respx.post(SEARCH).respond(429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitError) as caught:
        await client.search.videos("boat")
    assert route.call_count == 1
    assert caught.value.retry_after == 3600.0


@respx.mock
async def test_0429_then_success_returns_the_answer(client: AsyncMemories) -> None:
    ok = load_fixture("core/search_by_video.json")
    route = respx.post(SEARCH)
    route.side_effect = [
        httpx.Response(200, json=load_fixture("core/rate_limited.json")),
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(200, json=ok),
    ]
    clips = await client.search.videos("boat")
    assert [c.video_no for c in clips] == ["VI576925607808602112"]
    assert route.call_count == 3


@respx.mock
async def test_http_429_carries_retry_after(client: AsyncMemories) -> None:
    respx.post(SEARCH).respond(429, text="slow down", headers={"Retry-After": "0"})
    with pytest.raises(RateLimitError) as caught:
        await client.search.videos("boat")
    assert caught.value.retry_after == 0.0
    assert caught.value.msg == "slow down"


@respx.mock
async def test_5xx_is_retried_twice_then_raised(client: AsyncMemories) -> None:
    route = respx.post(SEARCH).respond(502, text="<html>bad gateway</html>")
    with pytest.raises(InternalServerError) as caught:
        await client.search.videos("boat")
    assert route.call_count == 3
    assert caught.value.status_code == 502


@respx.mock
async def test_connection_error_and_timeout_are_typed(client: AsyncMemories) -> None:
    route = respx.post(SEARCH)
    route.side_effect = httpx.ConnectError("refused")
    with pytest.raises(APIConnectionError) as connection:
        await client.search.videos("boat")
    assert not isinstance(connection.value, APITimeoutError)
    assert connection.value.before_send
    assert route.call_count == 3

    route.side_effect = httpx.ReadTimeout("slow")
    with pytest.raises(APITimeoutError):
        await client.search.videos("boat")


@respx.mock
async def test_non_json_success_is_a_validation_error(client: AsyncMemories) -> None:
    respx.post(SEARCH).respond(200, text="<html>maintenance</html>")
    with pytest.raises(APIResponseValidationError, match="expected a JSON answer"):
        await client.search.videos("boat")


@respx.mock
async def test_wrong_shape_is_a_validation_error_naming_the_place(client: AsyncMemories) -> None:
    respx.post(SEARCH).respond(200, json={"code": "0000", "data": [{"score": 1}]})
    with pytest.raises(
        APIResponseValidationError, match=r"fit list\[SearchClip\] \| None: .* at 0\.videoNo"
    ):
        await client.search.videos("boat")


@respx.mock
async def test_success_with_null_data_is_an_empty_result(client: AsyncMemories) -> None:
    respx.post(SEARCH).respond(200, json={"code": "0000", "msg": "success", "data": None})
    assert await client.search.videos("boat") == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"query": "  "}, "query"),
        ({"query": "x", "top_k": -1}, "top_k"),
        ({"query": "x", "top_k": 0}, "top_k"),
        ({"query": "x", "filtering_level": "HIGH"}, "filtering_level"),
        ({"query": "x", "search_type": "BY_IMAGE"}, "search_type"),
        ({"query": "x", "unique_id": " "}, "unique_id"),
    ],
)
@respx.mock(assert_all_called=False)
async def test_bad_arguments_fail_before_any_request(
    client: AsyncMemories, kwargs: dict[str, Any], field: str
) -> None:
    route = respx.post(SEARCH).respond(200, json={"code": "0000", "data": []})
    with pytest.raises(InvalidArgumentError) as caught:
        await client.search.videos(**kwargs)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}:")
    assert route.call_count == 0
