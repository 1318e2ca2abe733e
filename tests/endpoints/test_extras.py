"""`extra_headers`, `extra_query`, `extra_body`: what the SDK does not know yet reaches the server,
merged last, on JSON, form, multipart and GET endpoints; what would break a request is refused
before anything is sent."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from memories_async import AsyncMemories, InvalidArgumentError, Memories
from memories_async._sync import ChatSession
from memories_async.emulator import Emulator, serve
from memories_async.resources.chat import AsyncChatSession
from tests._support import http_client_for, on_every_transport

KEY = "sk-test-extras-0001"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(parse_delay=0, rate_limits=False) as emulator:
        yield emulator


@pytest.fixture
def client(emu: Emulator, runtime: str) -> Iterator[AsyncMemories]:
    with serve(emu) as url:
        yield AsyncMemories(
            KEY, base_url=url, rate_limits=False, http_client=http_client_for(runtime)
        )


def last(emu: Emulator, endpoint: str) -> Any:
    return [r for r in emu.requests if r.endpoint == endpoint][-1]


@on_every_transport
async def test_extra_body_reaches_a_json_endpoint_merged_last(
    client: AsyncMemories, emu: Emulator
) -> None:
    await client.search.videos("boat", top_k=5, extra_body={"new_flag": True, "top_k": 3})
    sent = last(emu, "search").json
    assert sent["new_flag"] is True
    assert sent["top_k"] == 3  # the caller's extra wins over the typed argument
    assert sent["search_param"] == "boat"


@on_every_transport
async def test_extra_body_reaches_a_form_endpoint(client: AsyncMemories, emu: Emulator) -> None:
    await client.videos.upload_url(
        "https://cdn.example.com/a.mp4", extra_body={"new_flag": True, "note": "hi"}
    )
    form = last(emu, "upload_url").form
    assert form["new_flag"] == "true" and form["note"] == "hi"
    assert form["url"] == "https://cdn.example.com/a.mp4"


@on_every_transport
async def test_extra_body_reaches_a_multipart_endpoint_beside_the_file(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"v" * 10_000)
    video = await client.videos.upload(
        clip, camera_model="old", extra_body={"new_flag": True, "camera_model": "new"}
    )
    record = last(emu, "upload")
    assert record.form["new_flag"] == "true"
    assert record.form["camera_model"] == "new"  # replaced, not sent twice
    assert [(f.field, f.size) for f in record.files] == [("file", 10_000)]
    assert video.video_no


@on_every_transport
async def test_extra_query_reaches_a_get_endpoint(client: AsyncMemories, emu: Emulator) -> None:
    await client.search.audio_transcripts("hello", extra_query={"new_param": 7, "flag": False})
    query = last(emu, "search_audio_transcripts").query
    assert query["new_param"] == "7" and query["flag"] == "false" and query["query"] == "hello"


@on_every_transport
async def test_extra_headers_reach_the_server(client: AsyncMemories, emu: Emulator) -> None:
    await client.videos.list(extra_headers={"X-Trace": "abc"})
    assert last(emu, "list_videos").headers["x-trace"] == "abc"


@on_every_transport
async def test_a_chat_stream_and_a_session_turn_carry_their_extras(
    client: AsyncMemories, emu: Emulator
) -> None:
    video = (await client.videos.list()).videos[0].video_no
    async with client.chat.stream([video], "Who?", extra_body={"new_flag": 1}) as stream:
        await stream.final()
    assert last(emu, "chat_stream").json["new_flag"] == 1
    session = client.chat.session([video])
    await session.send("And then?", extra_body={"turn_flag": "x"})
    assert last(emu, "chat").json["turn_flag"] == "x"


@pytest.mark.parametrize(
    ("extras", "field"),
    [
        ({"extra_headers": {"Authorization": "x"}}, "extra_headers['Authorization']"),
        ({"extra_headers": {"authorization": "x"}}, "extra_headers['authorization']"),
        ({"extra_headers": {"Content-Type": "text/plain"}}, "extra_headers['Content-Type']"),
        ({"extra_headers": {"X-Bad": "a\r\nb"}}, "extra_headers['X-Bad']"),
        ({"extra_headers": {"X-Number": 5}}, "extra_headers['X-Number']"),
        ({"extra_headers": ["X-Trace"]}, "extra_headers"),
        ({"extra_body": {"when": object()}}, "extra_body"),
        ({"extra_body": {"": 1}}, "extra_body"),
        ({"extra_query": {"nested": {"a": 1}}}, "extra_query['nested']"),
    ],
)
@on_every_transport
async def test_what_would_break_a_request_is_refused_before_sending(
    client: AsyncMemories, emu: Emulator, extras: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.search.videos("boat", **extras)
    assert caught.value.field == field
    assert KEY not in str(caught.value)
    assert not [r for r in emu.requests if r.endpoint == "search"]


@on_every_transport
async def test_a_get_endpoint_has_no_body_for_extra_body(
    client: AsyncMemories, emu: Emulator
) -> None:
    with pytest.raises(InvalidArgumentError, match="extra_query") as caught:
        await client.videos.transcription("VI1", extra_body={"x": 1})
    assert caught.value.field == "extra_body"
    assert not [r for r in emu.requests if r.endpoint == "get_video_transcription"]


def test_the_blocking_client_takes_them_too(emu: Emulator) -> None:
    with serve(emu) as url, Memories(KEY, base_url=url, rate_limits=False) as client:
        client.search.videos("boat", extra_body={"new_flag": "sync"}, extra_query={"q": "1"})
    record = last(emu, "search")
    assert record.json["new_flag"] == "sync" and record.query["q"] == "1"


def _endpoint_methods(root: object) -> Iterator[tuple[str, Callable[..., Any]]]:
    for name in (
        "videos",
        "images",
        "public",
        "search",
        "sessions",
        "tasks",
        "caption",
        "vision",
        "edits",
    ):
        resource = getattr(root, name)
        for attr in dir(resource):
            if not attr.startswith("_"):
                yield f"{name}.{attr}", getattr(resource, attr)
    for name in ("chat", "marketer", "personal"):
        resource = getattr(root, name)
        yield f"{name}.send", resource.send
        yield f"{name}.stream", resource.stream


@pytest.mark.parametrize("twin", ["async", "sync"])
def test_every_endpoint_method_takes_the_three_extras(twin: str) -> None:
    root: Any = AsyncMemories(KEY) if twin == "async" else Memories(KEY)
    methods = dict(_endpoint_methods(root))
    session = AsyncChatSession if twin == "async" else ChatSession
    methods["chat_session.send"] = session.send
    methods["chat_session.stream"] = session.stream
    assert len(methods) > 25
    for name, method in methods.items():
        parameters = inspect.signature(method).parameters
        for extra in ("extra_headers", "extra_query", "extra_body"):
            assert extra in parameters, f"{twin} {name} lacks {extra}"
            assert parameters[extra].kind is inspect.Parameter.KEYWORD_ONLY
