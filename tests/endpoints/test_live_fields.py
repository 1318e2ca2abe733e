"""The fields the vendor's own examples send beyond the v1.2 documents, end to end through the
emulator: upload tags and indexing fields, the search filters and `BY_CLIP`, `get_metadata`,
values the SDK does not know yet, and one more try after a transient `0001`."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from memories_async import (
    AsyncMemories,
    BadRequestError,
    InvalidArgumentError,
    Memories,
    NotFoundError,
    VideoMetadata,
)
from memories_async.cli import main
from memories_async.emulator import Emulator, serve
from tests._support import http_client_for, on_both_backends, on_every_transport

KEY = "sk-test-live-fields-0001"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(parse_delay=0, rate_limits=False, seed=False) as emulator:
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
async def test_search_sends_exactly_the_live_fields(client: AsyncMemories, emu: Emulator) -> None:
    await client.search.videos("x", search_type="BY_CLIP", video_nos=["VI1"], tag="t")
    assert last(emu, "search").json == {
        "search_param": "x",
        "search_type": "BY_CLIP",
        "unique_id": "default",
        "video_nos": ["VI1"],
        "tag": "t",
    }
    await client.search.videos(
        "x", camera_tag="GoPro", datetime_taken="2025-09-07 22:52:00", latitude=1.5, longitude=-2
    )
    sent = last(emu, "search").json
    assert sent["camera_tag"] == "GoPro" and sent["datetime_taken"] == "2025-09-07 22:52:00"
    assert sent["latitude"] == 1.5 and sent["longitude"] == -2.0


@on_every_transport
async def test_tags_label_an_upload_and_narrow_a_search(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    boats = tmp_path / "harbour_boats.mp4"
    boats.write_bytes(b"boats" * 400)
    tagged = await client.videos.upload(
        boats,
        tags=["trip", "sea"],
        retain_original_video=True,
        video_transcription_prompt="Names of boats",
    )
    record = last(emu, "upload")
    assert record.form_lists["tags"] == ["trip", "sea"]  # one form field per tag
    assert record.form["retain_original_video"] == "true"
    assert record.form["video_transcription_prompt"] == "Names of boats"
    other = await client.videos.upload_url("https://cdn.example.com/harbour_boats.mp4", tags=["x"])
    assert last(emu, "upload_url").form_lists["tags"] == ["x"]

    for video_no in (tagged.video_no, other.video_no):
        await client.videos.wait_until_parsed(video_no, timeout=10, poll_interval=0.05)
    everything = await client.search.videos("boats")
    assert {c.video_no for c in everything} == {tagged.video_no, other.video_no}
    only_trip = await client.search.videos("boats", search_type="BY_CLIP", tag="trip")
    assert {c.video_no for c in only_trip} == {tagged.video_no}
    only_other = await client.search.videos("boats", video_nos=[other.video_no])
    assert {c.video_no for c in only_other} == {other.video_no}


@on_every_transport
async def test_metadata_reports_status_and_keeps_every_field(
    client: AsyncMemories, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"v" * 1000)
    video = await client.videos.upload(clip, tags=["a"], camera_model="GoPro")
    meta = await client.videos.metadata(video.video_no)
    assert isinstance(meta, VideoMetadata)
    assert meta.video_no == video.video_no and meta.tags == ["a"] and meta.is_parsed
    assert (meta.model_extra or {})["camera_model"] == "GoPro"  # a field the model does not name
    with pytest.raises(NotFoundError):
        await client.videos.metadata("VI404")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.search.videos("x", video_nos="VI1"), "video_nos"),
        (lambda c: c.search.videos("x", video_nos=[]), "video_nos"),
        (lambda c: c.search.videos("x", tag=""), "tag"),
        (lambda c: c.search.videos("x", latitude=91), "latitude"),
        (lambda c: c.search.videos("x", datetime_taken="yesterday"), "datetime_taken"),
        (lambda c: c.search.videos("x", search_type="by_clip"), "search_type"),
        (lambda c: c.search.videos("x", search_type=""), "search_type"),
        (lambda c: c.videos.upload(b"x", tags="trip"), "tags"),
        (lambda c: c.videos.upload(b"x", tags=["ok", ""]), "tags[1]"),
        (lambda c: c.videos.upload(b"x", retain_original_video="yes"), "retain_original_video"),
        (
            lambda c: c.videos.upload_url("https://a.b/c.mp4", video_transcription_prompt=" "),
            "video_transcription_prompt",
        ),
    ],
)
@on_every_transport
async def test_bad_live_fields_are_refused_before_sending(
    client: AsyncMemories, emu: Emulator, call: Any, field: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await call(client)
    assert caught.value.field == field
    assert not [r for r in emu.requests if r.endpoint in ("search", "upload", "upload_url")]


@on_every_transport
async def test_a_value_the_sdk_does_not_know_is_sent_as_it_is(
    client: AsyncMemories, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="memories_async")
    with pytest.raises(BadRequestError, match="search_type"):  # the emulator does not know it
        await client.search.videos("x", search_type="BY_SCENE")
    assert last(emu, "search").json["search_type"] == "BY_SCENE"
    assert any("BY_SCENE" in r.getMessage() for r in caplog.records)
    await client.search.videos("x", filtering_level="medium")  # known values go as before


def test_the_blocking_client_takes_the_live_fields(emu: Emulator, tmp_path: Path) -> None:
    with serve(emu) as url, Memories(KEY, base_url=url, rate_limits=False) as client:
        video = client.videos.upload(b"v" * 100, tags=["s"])
        assert client.videos.metadata(video.video_no).tags == ["s"]
        client.search.videos("x", search_type="BY_CLIP", tag="s")
    assert last(emu, "search").json["tag"] == "s"


def test_the_cli_tags_an_ingest_and_filters_a_search(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "harbour_boats.mp4").write_bytes(b"boats" * 300)
    with serve(emu) as url:
        common = ["--api-key", KEY, "--base-url", url]
        journal = str(tmp_path / "j.sqlite")
        assert main([*common, "ingest", str(folder), "--journal", journal, "--tag", "trip"]) == 0
        assert last(emu, "upload").form_lists["tags"] == ["trip"]
        capsys.readouterr()
        code = main([*common, "--json", "search", "boats", "--tag", "trip", "--video", "VI9"])
        assert code == 0
    assert json.loads(capsys.readouterr().out) == []  # VI9 is not the ingested video
    assert last(emu, "search").json["tag"] == "trip"
    assert last(emu, "search").json["video_nos"] == ["VI9"]


def _transport(answers: list[dict[str, Any]], seen: list[str]) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path.rsplit("/", 1)[-1])
        return httpx.Response(200, json=answers.pop(0) if len(answers) > 1 else answers[0])

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


ABNORMAL = {"code": "0001", "msg": "network abnormal", "data": None}
OK_LIST = {"code": "0000", "msg": "success", "data": {"videos": [], "total_count": 0}}


@on_both_backends
async def test_a_transient_0001_is_tried_once_more_on_a_repeatable_call() -> None:
    seen: list[str] = []
    http = _transport([ABNORMAL, OK_LIST], seen)
    async with AsyncMemories(KEY, http_client=http, rate_limits=False) as client:
        client = client.with_options(max_retries=RetryFast())
        page = await client.videos.list()
    assert page.videos == [] and seen == ["list_videos", "list_videos"]


@on_both_backends
async def test_a_second_0001_an_unrepeatable_call_and_not_found_are_not_retried() -> None:
    seen: list[str] = []
    http = _transport([ABNORMAL], seen)
    async with AsyncMemories(KEY, http_client=http, rate_limits=False) as base:
        client = base.with_options(max_retries=RetryFast())
        with pytest.raises(BadRequestError):
            await client.videos.list()
        assert seen == ["list_videos", "list_videos"]  # once more, not twice more
        seen.clear()
        with pytest.raises(BadRequestError):
            await client.chat.send(["VI1"], "again?")  # a chat turn may have been recorded
        assert seen == ["chat"]
    seen.clear()
    http = _transport([{"code": "0001", "msg": "video not found", "data": None}], seen)
    async with AsyncMemories(KEY, http_client=http, rate_limits=False) as base:
        with pytest.raises(NotFoundError):
            await base.with_options(max_retries=RetryFast()).videos.transcription("VI1")
    assert seen == ["get_video_transcription"]


def RetryFast() -> Any:
    from memories_async import RetryPolicy

    return RetryPolicy(max_retries=3, initial_delay=0.001, max_delay=0.001)
