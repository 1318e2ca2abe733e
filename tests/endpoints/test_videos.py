"""`client.videos`: every endpoint's request on the wire and the documents' answers parsed."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio
import httpx
import pytest
import respx

from memories_async import (
    AsyncMemories,
    InvalidArgumentError,
    RateLimitError,
    ScrapeTask,
    Transcription,
    TranscriptionUpdate,
    UploadedVideo,
    Video,
    VideoProcessingError,
    VideoSummary,
    WaitTimeoutError,
)
from tests._support import on_both_backends
from tests.endpoints._wire import (
    API,
    KEY,
    file_parts,
    form_fields,
    json_body,
    multipart,
    payload,
    query,
    sent_to,
)

VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


# -- upload -------------------------------------------------------------------------------


@on_both_backends
async def test_upload_sends_a_multipart_body_with_fields_first(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    path = tmp_path / "holiday clip.mp4"
    path.write_bytes(VIDEO_BYTES)
    route = router.post(f"{API}/upload").respond(json=payload("upload.json"))
    taken = datetime(2025, 9, 7, 22, 52, 0, tzinfo=timezone(timedelta(hours=8)))

    video = await client.videos.upload(
        path,
        unique_id="user-7",
        callback="https://example.com/hook",
        datetime_taken=taken,
        camera_model="Canon EOS 5D",
        latitude=39.9042,
        longitude="116.4074",
    )

    request = route.calls.last.request
    sent_to(request, "POST", f"{API}/upload")
    assert query(request) == {}
    assert request.headers["authorization"] == KEY
    assert int(request.headers["content-length"]) == len(request.content)
    parts = multipart(request)
    assert form_fields(parts) == {
        "unique_id": "user-7",
        "callback": "https://example.com/hook",
        "datetime_taken": "2025-09-07 22:52:00",
        "camera_model": "Canon EOS 5D",
        "latitude": "39.9042",
        "longitude": "116.4074",
    }
    assert [p.name for p in parts][-1] == "file"  # form fields first, then the file
    (file,) = file_parts(parts, "file")
    assert file.filename == "holiday clip.mp4"
    assert file.content_type == "video/mp4"
    assert file.data == VIDEO_BYTES
    assert video == UploadedVideo(
        video_no="VI568102998803353600",
        video_name="1be6a69f3c6e49bf986235d68807ab1f",
        status="UNPARSE",
        upload_time=datetime(2025, 4, 17, 15, 58, 29, 814000, tzinfo=timezone.utc),
    )


@on_both_backends
async def test_upload_defaults_unique_id_and_takes_a_preformatted_datetime(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/upload").respond(json=payload("upload.json"))
    await client.videos.upload(VIDEO_BYTES, datetime_taken="2024-02-29 08:00:00")
    parts = multipart(route.calls.last.request)
    assert form_fields(parts) == {"unique_id": "default", "datetime_taken": "2024-02-29 08:00:00"}
    (file,) = file_parts(parts, "file")
    assert (file.filename, file.content_type, file.data) == ("video.mp4", "video/mp4", VIDEO_BYTES)


@on_both_backends
async def test_upload_takes_sync_and_async_file_objects_from_their_position(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    route = router.post(f"{API}/upload").respond(json=payload("upload.json"))
    buffer = io.BytesIO(b"HEADER" + VIDEO_BYTES)
    buffer.seek(6)
    await client.videos.upload(buffer)
    (file,) = file_parts(multipart(route.calls.last.request), "file")
    assert file.data == VIDEO_BYTES

    path = tmp_path / "clip.webm"
    path.write_bytes(VIDEO_BYTES)
    async with await anyio.open_file(path, "rb") as handle:
        await client.videos.upload(handle)
    (file,) = file_parts(multipart(route.calls.last.request), "file")
    assert (file.filename, file.content_type, file.data) == ("clip.webm", "video/webm", VIDEO_BYTES)


@on_both_backends
async def test_upload_reports_progress_up_to_the_body_length(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/upload").respond(json=payload("upload.json"))
    seen: list[tuple[int, int]] = []

    async def on_progress(sent: int, total: int) -> None:
        seen.append((sent, total))

    await client.videos.upload(VIDEO_BYTES, on_progress=on_progress)
    length = int(route.calls.last.request.headers["content-length"])
    assert seen[-1] == (length, length)
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)
    assert {t for _, t in seen} == {length}


@on_both_backends
async def test_a_retried_upload_resends_the_whole_file(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(VIDEO_BYTES)
    route = router.post(f"{API}/upload")
    route.side_effect = [
        httpx.Response(200, json={"code": "0429", "msg": "Request has exceeded the limit."}),
        httpx.Response(200, json=payload("upload.json")),
    ]
    await client.videos.upload(path)
    assert route.call_count == 2
    first, second = (multipart(call.request) for call in route.calls)
    assert file_parts(first, "file")[0].data == file_parts(second, "file")[0].data == VIDEO_BYTES


@on_both_backends
async def test_upload_is_not_retried_after_a_server_error(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/upload").respond(500, json={"msg": "boom"})
    with pytest.raises(Exception, match="boom"):
        await client.videos.upload(VIDEO_BYTES)
    assert route.call_count == 1  # not idempotent: the server may have stored it


@on_both_backends
async def test_upload_url_sends_a_form(client: AsyncMemories, router: respx.MockRouter) -> None:
    route = router.post(f"{API}/upload_url").respond(json=payload("upload.json"))
    video = await client.videos.upload_url(
        "http://commondatastorage.googleapis.com/gtv-videos-bucket/sample/ElephantsDream.mp4",
        callback="https://example.com/hook",
        camera_model="GoPro",
    )
    request = route.calls.last.request
    sent_to(request, "POST", f"{API}/upload_url")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert dict(httpx.QueryParams(request.content.decode())) == {
        "url": "http://commondatastorage.googleapis.com/gtv-videos-bucket/sample/ElephantsDream.mp4",
        "callback": "https://example.com/hook",
        "unique_id": "default",
        "camera_model": "GoPro",
    }
    assert video.video_no == "VI568102998803353600"


# -- scrapers -----------------------------------------------------------------------------

TIKTOKS = [
    "https://www.tiktok.com/@cutshall73/video/7543017294226558221",
    "https://www.tiktok.com/@abcnews/video/7543794552365124919",
]


@on_both_backends
async def test_scrape_private_and_public(client: AsyncMemories, router: respx.MockRouter) -> None:
    private = router.post(f"{API}/scraper_url").respond(json=payload("scraper_url.json"))
    public = router.post(f"{API}/scraper_url_public").respond(json=payload("scraper_url.json"))

    task = await client.videos.scrape(
        TIKTOKS, quality=1080, callback_url="https://example.com/hook", unique_id="u1"
    )
    sent_to(private.calls.last.request, "POST", f"{API}/scraper_url")
    assert json_body(private.calls.last.request) == {
        "video_urls": TIKTOKS,
        "quality": 1080,
        "callback_url": "https://example.com/hook",
        "unique_id": "u1",
    }
    assert task == ScrapeTask(
        task_id="31b0fccb-d6f9-4135-922d-1e8828499812_84f9d9b4b6e5940b67e67e2d17ef1f97"
    )

    await client.videos.scrape(TIKTOKS, public=True)
    sent_to(public.calls.last.request, "POST", f"{API}/scraper_url_public")
    assert json_body(public.calls.last.request) == {"video_urls": TIKTOKS}


@on_both_backends
async def test_scrape_creator_private_and_public(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    private = router.post(f"{API}/scraper").respond(json=payload("scraper.json"))
    public = router.post(f"{API}/scraper_public").respond(json=payload("scraper.json"))
    task = await client.videos.scrape_creator(
        "https://www.tiktok.com/@cutshall73", max_videos=5, callback_url="https://e.com/h"
    )
    assert task.task_id == "9f1c2d3e-creator"
    assert json_body(private.calls.last.request) == {
        "username": "https://www.tiktok.com/@cutshall73",
        "scraper_cnt": 5,
        "callback_url": "https://e.com/h",
        "unique_id": "default",
    }
    await client.videos.scrape_creator("https://www.youtube.com/@nba", public=True)
    assert json_body(public.calls.last.request) == {
        "username": "https://www.youtube.com/@nba",
        "unique_id": "default",
    }
    await client.videos.scrape_creator("https://www.youtube.com/@nba", public=True, unique_id="u")
    assert json_body(public.calls.last.request)["unique_id"] == "u"


# -- list, iter, delete -------------------------------------------------------------------


@on_both_backends
async def test_list_sends_filters_and_parses_the_example(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/list_videos").respond(json=payload("list_videos.json"))
    page = await client.videos.list(page=2, size=200, video_name="tiny", status="PARSE")
    sent_to(route.calls.last.request, "POST", f"{API}/list_videos")
    assert json_body(route.calls.last.request) == {
        "page": 2,
        "size": 200,
        "video_name": "tiny",
        "status": "PARSE",
        "unique_id": "default",
    }
    assert page.total_count == 3
    first = page.videos[0]
    assert (first.duration, first.size, first.cause) == (12.0, 3284512, None)
    assert first.create_time == datetime(2025, 8, 1, 8, 33, 37, 992000, tzinfo=timezone.utc)


def _page(numbers: list[str], page: int, total: int) -> httpx.Response:
    videos = [{"video_no": n, "status": "PARSE"} for n in numbers]
    data = {"videos": videos, "current_page": page, "page_size": 2, "total_count": str(total)}
    return httpx.Response(200, json={"code": "0000", "msg": "success", "data": data})


@on_both_backends
async def test_iter_walks_three_pages_and_stops(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/list_videos")
    route.side_effect = [
        _page(["V1", "V2"], 1, 5),
        _page(["V3", "V4"], 2, 5),
        _page(["V5"], 3, 5),
        _page([], 4, 5),  # never asked for
    ]
    numbers = [v.video_no async for v in client.videos.iter(size=2)]
    assert numbers == ["V1", "V2", "V3", "V4", "V5"]
    assert [json_body(c.request)["page"] for c in route.calls] == [1, 2, 3]


@on_both_backends
async def test_delete_splits_250_ids_into_three_requests(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/delete_videos").respond(json=payload("delete_videos.json"))
    ids = [f"VI{n:06d}" for n in range(250)]
    await client.videos.delete(ids, unique_id="u9")
    batches = [json_body(c.request) for c in route.calls]
    assert [len(b) for b in batches] == [100, 100, 50]
    assert [i for b in batches for i in b] == ids
    for call in route.calls:
        sent_to(call.request, "POST", f"{API}/delete_videos")
        assert query(call.request) == {"unique_id": "u9"}


@on_both_backends
async def test_delete_sends_one_request_for_a_few(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/delete_videos").respond(json=payload("delete_videos.json"))
    await client.videos.delete(["VI1234567890", "VI0987654321"])
    assert route.call_count == 1
    assert json_body(route.calls.last.request) == ["VI1234567890", "VI0987654321"]
    assert query(route.calls.last.request) == {"unique_id": "default"}


# -- wait_until_parsed --------------------------------------------------------------------


def _status(status: str, cause: str = "null") -> httpx.Response:
    video = {"video_no": "VI1", "status": status, "cause": cause}
    data = {"videos": [video], "current_page": 1, "page_size": 20, "total_count": 1}
    return httpx.Response(200, json={"code": "0000", "msg": "success", "data": data})


@on_both_backends
async def test_wait_until_parsed_polls_until_parse(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    empty = httpx.Response(200, json={"code": "0000", "msg": "ok", "data": {"videos": []}})
    route = router.post(f"{API}/list_videos")
    route.side_effect = [empty, _status("UNPARSE"), _status("PARSE")]
    video = await client.videos.wait_until_parsed("VI1", poll_interval=0.001, timeout=5)
    assert isinstance(video, Video) and video.is_parsed
    assert route.call_count == 3
    assert json_body(route.calls.last.request)["video_no"] == "VI1"


@pytest.mark.parametrize("status", ["FAIL", "FAILED", "PARSE_ERROR"])
@on_both_backends
async def test_wait_until_parsed_raises_on_failure(
    client: AsyncMemories, router: respx.MockRouter, status: str
) -> None:
    router.post(f"{API}/list_videos").side_effect = [_status("UNPARSE"), _status(status, "codec")]
    with pytest.raises(VideoProcessingError) as caught:
        await client.videos.wait_until_parsed("VI1", poll_interval=0.001)
    assert (caught.value.status, caught.value.video_no) == (status, "VI1")
    assert "codec" in str(caught.value)


@on_both_backends
async def test_wait_until_parsed_times_out(client: AsyncMemories, router: respx.MockRouter) -> None:
    router.post(f"{API}/list_videos").mock(side_effect=lambda _: _status("UNPARSE"))
    with pytest.raises(WaitTimeoutError, match="still UNPARSE") as caught:
        await client.videos.wait_until_parsed("VI1", timeout=0.05, poll_interval=0.01)
    assert isinstance(caught.value, TimeoutError)
    assert isinstance(caught.value.last, Video)


# -- transcription, summary, update -------------------------------------------------------


@on_both_backends
async def test_transcription_query_and_example(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.get(f"{API}/get_video_transcription").respond(
        json=payload("get_video_transcription.json")
    )
    result = await client.videos.transcription("VI606041694843813888", unique_id="u2")
    request = route.calls.last.request
    sent_to(request, "GET", f"{API}/get_video_transcription")
    assert query(request) == {"video_no": "VI606041694843813888", "unique_id": "u2"}
    assert "content-type" not in request.headers
    (segment,) = result.transcriptions
    assert (segment.index, segment.start_time, segment.end_time) == (0, 0.0, 8.0)
    assert segment.content.startswith("Under a rocky overhang")


def test_transcription_table_spelling_parses() -> None:
    result = Transcription.model_validate(payload("get_video_transcription_table.json")["data"])
    (segment,) = result.transcriptions
    assert (segment.start_time, segment.end_time, segment.content) == (
        0.0,
        8.5,
        "Under a rocky overhang",
    )


@on_both_backends
async def test_summary_query_and_example(client: AsyncMemories, router: respx.MockRouter) -> None:
    route = router.get(f"{API}/generate_summary").respond(json=payload("generate_summary.json"))
    summary = await client.videos.summary("VI1", "TOPIC")
    sent_to(route.calls.last.request, "GET", f"{API}/generate_summary")
    assert query(route.calls.last.request) == {
        "video_no": "VI1",
        "type": "TOPIC",
        "unique_id": "default",
    }
    assert summary.summary is not None and summary.summary.startswith("The video seems")
    assert [(i.title, i.start_time) for i in summary.items] == [
        ("Arrival at the Car", 0.0),
        ("Phone and Interaction on the Ground", 10.0),
        ("Close-up of Objects on the Ground", 30.0),
    ]


def test_summary_table_spelling_parses() -> None:
    summary = VideoSummary.model_validate(payload("generate_summary_table.json")["data"])
    assert summary.summary_type == "TOPIC"
    assert summary.summary is None
    (item,) = summary.items
    assert (item.start_time, item.end_time, item.description) == (
        0.0,
        10.0,
        "They walk to the car.",
    )


@on_both_backends
async def test_update_transcription(client: AsyncMemories, router: respx.MockRouter) -> None:
    route = router.post(f"{API}/update_video_transcription").respond(
        json=payload("update_video_transcription.json")
    )
    result = await client.videos.update_transcription(
        "VI606404158946574336", "Name the speakers", callback="https://e.com/h"
    )
    sent_to(route.calls.last.request, "POST", f"{API}/update_video_transcription")
    assert json_body(route.calls.last.request) == {
        "video_no": "VI606404158946574336",
        "prompt": "Name the speakers",
        "unique_id": "default",
        "callback": "https://e.com/h",
    }
    assert result == TranscriptionUpdate(video_no="VI606404158946574336")


# -- bad input never reaches the wire -----------------------------------------------------


@on_both_backends
async def test_bad_input_raises_before_sending(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    catch_all = router.route().respond(json={"code": "0000", "data": None})
    cases = [
        ("file", client.videos.upload(tmp_path / "missing.mp4")),
        ("file", client.videos.upload(tmp_path)),
        ("file", client.videos.upload(b"")),
        ("file", client.videos.upload(io.StringIO("text"))),  # type: ignore[arg-type]
        ("datetime_taken", client.videos.upload(b"x", datetime_taken="07/09/2025")),
        ("latitude", client.videos.upload(b"x", latitude=91)),
        ("url", client.videos.upload_url("ftp://example.com/a.mp4")),
        ("urls", client.videos.scrape(TIKTOKS[0])),  # a lone string, not a list
        ("urls", client.videos.scrape([TIKTOKS[0], "https://www.youtube.com/shorts/T2Th"])),
        ("quality", client.videos.scrape(TIKTOKS, quality=999)),  # type: ignore[arg-type]
        ("unique_id", client.videos.scrape(TIKTOKS, public=True, unique_id="u")),
        ("creator_url", client.videos.scrape_creator("https://example.com/@me")),
        ("max_videos", client.videos.scrape_creator(TIKTOKS[0], max_videos=0)),
        ("video_nos", client.videos.delete([])),
        ("video_nos[1]", client.videos.delete(["VI1", ""])),
        ("type", client.videos.summary("VI1", "chapter")),
        ("poll_interval", client.videos.wait_until_parsed("VI1", poll_interval=0)),
        ("dest", client.videos.download("VI1", tmp_path / "nowhere" / "v.mp4")),
        ("status", client.videos.list(status="parse")),
        ("unique_id", client.videos.list(unique_id="")),
        ("unique_id", client.videos.list(unique_id=5)),  # type: ignore[arg-type]
    ]
    for field, call in cases:
        with pytest.raises(InvalidArgumentError) as caught:
            await call
        assert caught.value.field == field, (field, caught.value)
    assert catch_all.call_count == 0


@on_both_backends
async def test_rate_limit_error_surfaces_after_retries(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    body = {"code": "0429", "msg": "Request has exceeded the limit."}
    route = router.post(f"{API}/upload_url").respond(json=body)
    with pytest.raises(RateLimitError):
        await client.videos.upload_url("https://example.com/v.mp4")
    assert route.call_count == 4  # the first attempt and three rate-limit retries
