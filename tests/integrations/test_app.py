"""The example FastAPI app, endpoint by endpoint, in process against the emulator: uploads,
listing, search, the chat relay, the plain `def` handler, and every SDK error mapped to HTTP
without the key in a body or a log line."""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Iterator

import pytest

from examples.fastapi_app.app import STATUS, status_for
from memories_async import MemoriesError
from memories_async.emulator import Emulator, Fault, serve
from tests.integrations._support import KEY, app_client, sse_frames

RACE = "VI606099815446712320"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Emulator, str]]:
    emu = Emulator(rate_limits=False, parse_delay=0)
    with serve(emu) as base_url:
        yield emu, base_url
    emu.close()


@pytest.fixture
def emu(server: tuple[Emulator, str]) -> Emulator:
    server[0].reset()
    return server[0]


async def test_upload_list_search_and_the_transcript_handler(
    server: tuple[Emulator, str], emu: Emulator
) -> None:
    async with app_client(server[1], rate_limits=False) as http:
        uploaded = await http.post(
            "/videos", files={"file": ("holiday.mp4", b"\x00" * 50_000, "video/mp4")}
        )
        assert uploaded.status_code == 200, uploaded.text
        video = uploaded.json()
        assert video["video_name"] == "holiday" and video["video_no"].startswith("VI")
        (record,) = [r for r in emu.requests if r.endpoint == "upload"]
        assert record.files[0].filename == "holiday.mp4" and record.files[0].size == 50_000

        listed = (await http.get("/videos", params={"page": 1, "size": 2})).json()
        assert len(listed["videos"]) == 2 and listed["total_count"] > 2
        assert (await http.get("/videos", params={"size": 0})).status_code == 422

        clips = (await http.get("/search", params={"q": "400m final race"})).json()
        assert clips and clips[0]["video_no"] == RACE

        transcript = await http.get(f"/videos/{RACE}/transcript")
        assert transcript.status_code == 200 and transcript.json()["transcriptions"]


async def test_a_user_header_selects_the_namespace(
    server: tuple[Emulator, str], emu: Emulator
) -> None:
    async with app_client(server[1], rate_limits=False) as http:
        await http.get("/videos", headers={"X-User-Id": "user-42"})
    (record,) = [r for r in emu.requests if r.endpoint == "list_videos"]
    assert record.json["unique_id"] == "user-42"


async def test_the_chat_relay_streams_thinking_text_references_and_done(
    server: tuple[Emulator, str],
) -> None:
    async with app_client(server[1], rate_limits=False) as http:
        response = await http.get(
            "/chat", params={"q": "Who wins the 400m final?", "video_nos": [RACE]}
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = sse_frames(response.text)
    kinds = [kind for kind, _ in frames]
    assert kinds[0] == "thinking" and kinds[-1] == "done" and "content" in kinds and "ref" in kinds
    text = "".join(json.loads(data)["text"] for kind, data in frames if kind == "content")
    assert "400m" in text or "final" in text
    refs = [r for kind, data in frames if kind == "ref" for r in json.loads(data)["refs"]]
    assert refs and all(r["video_no"] == RACE and r["start"] is not None for r in refs)
    assert json.loads(frames[-1][1])["session_id"]


async def test_a_chat_error_end_reaches_the_browser_as_an_error_event(
    server: tuple[Emulator, str], emu: Emulator
) -> None:
    emu.faults.add("chat_stream", Fault.error_end("user don't login"))
    async with app_client(server[1], rate_limits=False) as http:
        response = await http.get("/chat", params={"q": "hello", "video_nos": [RACE]})
    frames = sse_frames(response.text)
    assert frames[-1][0] == "error"
    assert json.loads(frames[-1][1]) == {"code": "FAIL", "message": "user don't login"}


@pytest.mark.parametrize(
    ("fault", "status", "retry_after"),
    [
        (Fault.rate_limited(), 429, "1"),
        (Fault.error("0001", "video not found"), 404, None),
        (Fault.error("0401", "invalid API key"), 502, None),
        (Fault.error("0402", "not enough credit"), 502, None),
        (Fault.http_status(500), 502, None),
    ],
)
async def test_vendor_errors_map_to_http(
    server: tuple[Emulator, str],
    emu: Emulator,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
    status: int,
    retry_after: str | None,
) -> None:
    emu.faults.add("search", fault, times=None)
    with caplog.at_level(logging.DEBUG):
        async with app_client(server[1], max_retries=0) as http:
            response = await http.get("/search", params={"q": "anything"})
    assert response.status_code == status
    assert response.headers.get("retry-after") == retry_after
    body = response.json()["error"]
    assert body["type"] and body["message"]
    assert KEY not in response.text and KEY not in caplog.text


async def test_bad_input_is_422_before_anything_is_sent(
    server: tuple[Emulator, str], emu: Emulator
) -> None:
    async with app_client(server[1], rate_limits=False) as http:
        response = await http.get("/chat", params={"q": "hi", "video_nos": [" "]})
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "InvalidArgumentError"
    assert not [r for r in emu.requests if r.endpoint == "chat_stream"]


def _every_subclass(cls: type[MemoriesError]) -> set[type[MemoriesError]]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _every_subclass(sub)
    return found


def test_every_sdk_error_has_a_deliberate_status() -> None:
    for module in ("memories_async.cli._common", "memories_async.ingest", "memories_async.redis"):
        importlib.import_module(module)  # their errors join the tree

    expected = {
        "InvalidArgumentError": 422,
        "RateLimitError": 429,
        "NotFoundError": 404,
        "ConflictError": 409,
        "BadRequestError": 400,
        "VideoProcessingError": 422,
        "AuthenticationError": 502,
        "InsufficientCreditError": 502,
        "PermissionDeniedError": 502,
        "APIResponseValidationError": 502,
        "ResponseTooLargeError": 502,
        "InternalServerError": 502,
        "StreamError": 502,
        "APIError": 502,
        "APITimeoutError": 504,
        "WaitTimeoutError": 504,
        "APIConnectionError": 502,
        "RateLimiterUnavailableError": 503,
        "ClientClosedError": 503,
        "IngestStoppedError": 502,
        "JournalError": 500,
        "CliError": 500,
    }
    classes = _every_subclass(MemoriesError)
    assert {c.__name__ for c in classes} <= set(expected), "a new error needs a status here"
    for cls in classes:
        error = cls.__new__(cls)
        assert status_for(error) == expected[cls.__name__], cls
    assert all(issubclass(cls, MemoriesError) for cls, _ in STATUS)
    assert MemoriesError not in classes and len(classes) == len(expected)
