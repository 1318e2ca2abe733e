"""Strict validation: every malformed request gets an error envelope naming the problem, never
a 500. One row per rule; each endpoint of the api host appears at least once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from memories_async.emulator import Emulator

from ._support import API, LAUNDRY, RACE

MP4 = {"file": ("a.mp4", b"x", "video/mp4")}
TIKTOK = "https://www.tiktok.com/@a/video/1"
SEARCH = {"search_param": "boat", "search_type": "BY_VIDEO"}

# (endpoint, method, request kwargs, expected code, fragment of msg)
CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("upload", "POST", {"data": {"unique_id": "x"}}, "0003", "Content-Type must be multipart"),
    ("upload", "POST", {"files": {"other": ("a.mp4", b"x")}}, "0003", "file is required"),
    ("upload", "POST", {"json": {"file": "x"}}, "0003", "Content-Type"),
    (
        "upload",
        "POST",
        {"files": MP4, "data": {"datetime_taken": "2025/09/07 22:52"}},
        "0003",
        "datetime_taken must look like 'YYYY-MM-DD HH:MM:SS'",
    ),
    ("upload", "POST", {"files": MP4, "data": {"latitude": "91"}}, "0003", "latitude"),
    ("upload", "POST", {"files": MP4, "data": {"longitude": "east"}}, "0003", "longitude"),
    ("upload_url", "POST", {"data": {"unique_id": "x"}}, "0003", "url is required"),
    (
        "upload_url",
        "POST",
        {"data": {"url": "ftp://x/y.mp4"}},
        "0003",
        "url must be an http(s) URL",
    ),
    ("upload_url", "POST", {"json": {"url": "https://e.com/v.mp4"}}, "0003", "Content-Type"),
    ("scraper_url", "POST", {"json": {}}, "0003", "video_urls is required"),
    ("scraper_url", "POST", {"json": {"video_urls": []}}, "0003", "video_urls must be a non-empty"),
    (
        "scraper_url",
        "POST",
        {"json": {"video_urls": [TIKTOK, "https://www.youtube.com/shorts/x"]}},
        "0003",
        "one platform",
    ),
    (
        "scraper_url",
        "POST",
        {"json": {"video_urls": ["https://vimeo.com/1"]}},
        "0003",
        "TikTok, YouTube or Instagram",
    ),
    ("scraper_url", "POST", {"json": {"video_urls": [TIKTOK], "quality": 999}}, "0003", "quality"),
    (
        "scraper_url",
        "POST",
        {"json": {"video_urls": [TIKTOK], "quality": "720"}},
        "0003",
        "quality",
    ),
    ("scraper_url", "POST", {"data": {"video_urls": TIKTOK}}, "0003", "Content-Type"),
    ("scraper_url_public", "POST", {"json": {"video_urls": "x"}}, "0003", "video_urls"),
    ("scraper", "POST", {"json": {}}, "0003", "username is required"),
    (
        "scraper_public",
        "POST",
        {"json": {"username": "https://www.tiktok.com/@nike", "scraper_cnt": 0}},
        "0003",
        "scraper_cnt must be >= 1",
    ),
    (
        "upload_img",
        "POST",
        {"files": {"image": ("a.png", b"x", "image/png")}},
        "0003",
        "files is required",
    ),
    ("upload_img", "POST", {"json": {}}, "0003", "Content-Type"),
    ("search", "POST", {"json": {"search_type": "BY_VIDEO"}}, "0003", "search_param is required"),
    ("search", "POST", {"json": {"search_param": "boat"}}, "0003", "search_type is required"),
    (
        "search",
        "POST",
        {"json": SEARCH | {"search_type": "BY_TEXT"}},
        "0003",
        "search_type must be",
    ),
    ("search", "POST", {"json": SEARCH | {"search_type": "by_video"}}, "0003", "search_type"),
    (
        "search",
        "POST",
        {"json": SEARCH | {"filtering_level": "extreme"}},
        "0003",
        "filtering_level",
    ),
    ("search", "POST", {"json": SEARCH | {"top_k": "3"}}, "0003", "top_k must be an integer"),
    ("search", "POST", {"json": SEARCH | {"top_k": 0}}, "0003", "top_k must be >= 1"),
    ("search", "POST", {"json": SEARCH | {"unique_id": 5}}, "0003", "unique_id must be a string"),
    (
        "search",
        "POST",
        {"content": b"{oops", "headers": {"content-type": "application/json"}},
        "0003",
        "not valid JSON",
    ),
    ("search", "POST", {"json": ["boat"]}, "0003", "JSON object"),
    (
        "search_public",
        "POST",
        {"json": SEARCH | {"search_type": "BY_IMAGE"}},
        "0003",
        "search_type",
    ),
    ("search_public", "POST", {"json": SEARCH | {"type": "FACEBOOK"}}, "0003", "type must be"),
    ("search_audio_transcripts", "GET", {}, "0003", "query is required"),
    (
        "search_audio_transcripts",
        "GET",
        {"params": {"query": "x", "page_size": 101}},
        "0003",
        "page_size must be <= 100",
    ),
    (
        "search_audio_transcripts",
        "GET",
        {"params": {"query": "x", "page": 0}},
        "0003",
        "page must be >= 1",
    ),
    (
        "search_public_audio_transcripts",
        "GET",
        {"params": {"page": "one", "query": "x"}},
        "0003",
        "page must be an integer",
    ),
    ("search_similar_images", "POST", {"data": {"similarity": "0.5"}}, "0003", "Content-Type"),
    (
        "search_similar_images",
        "POST",
        {"files": {"file": ("a.png", b"p")}, "data": {"similarity": "1.5"}},
        "0003",
        "similarity",
    ),
    (
        "search_public_similar_images",
        "POST",
        {"files": {"file": ("a.png", b"p")}, "data": {"type": "VINE"}},
        "0003",
        "type must be",
    ),
    ("chat", "POST", {"json": {"prompt": "x"}}, "0003", "video_nos is required"),
    ("chat", "POST", {"json": {"video_nos": [RACE]}}, "0003", "prompt is required"),
    (
        "chat",
        "POST",
        {"json": {"video_nos": [RACE], "prompt": " "}},
        "0003",
        "prompt must not be empty",
    ),
    (
        "chat",
        "POST",
        {"json": {"video_nos": [RACE], "prompt": "x", "session_id": "s-1"}},
        "0003",
        "session_id must be numeric",
    ),
    ("chat", "POST", {"json": {"video_nos": ["VI1"], "prompt": "x"}}, "0001", "No videos found"),
    (
        "chat_stream",
        "POST",
        {"json": {"video_nos": RACE, "prompt": "x"}},
        "0003",
        "video_nos must be a non-empty list",
    ),
    ("marketer_chat", "POST", {"json": {"prompt": "x", "type": "tiktok"}}, "0003", "type must be"),
    (
        "marketer_chat_stream",
        "POST",
        {"json": {"prompt": "x", "session_id": True}},
        "0003",
        "session_id",
    ),
    ("chat_personal", "POST", {"json": {"session_id": ""}}, "0003", "prompt is required"),
    (
        "chat_personal_stream",
        "POST",
        {"json": {"prompt": "x", "session_id": "abc"}},
        "0003",
        "session_id",
    ),
    ("get_metadata", "GET", {}, "0003", "video_no is required"),
    ("get_metadata", "GET", {"params": {"video_no": "VI1"}}, "0001", "video not found"),
    (
        "search",
        "POST",
        {"json": {"search_param": "x", "search_type": "BY_VIDEO", "video_nos": "VI1"}},
        "0003",
        "video_nos",
    ),
    (
        "search",
        "POST",
        {"json": {"search_param": "x", "search_type": "BY_CLIP", "latitude": 91}},
        "0003",
        "latitude",
    ),
    (
        "upload",
        "POST",
        {"files": MP4, "data": {"retain_original_video": "maybe"}},
        "0003",
        "retain_original_video",
    ),
    (
        "upload_url",
        "POST",
        {"data": {"url": "https://cdn.example.com/a.mp4", "retain_original_video": "true"}},
        "0003",
        "retain_original_video is not a field",
    ),
    ("get_video_transcription", "GET", {}, "0003", "video_no is required"),
    ("get_video_transcription", "GET", {"params": {"video_no": "VI1"}}, "0001", "video not found"),
    ("generate_summary", "GET", {"params": {"video_no": LAUNDRY}}, "0003", "type is required"),
    (
        "generate_summary",
        "GET",
        {"params": {"video_no": LAUNDRY, "type": "SHORT"}},
        "0003",
        "type must be one of CHAPTER, TOPIC",
    ),
    (
        "get_public_audio_transcription",
        "GET",
        {"params": {"video_no": "PI-1"}},
        "0001",
        "video not found",
    ),
    ("list_videos", "POST", {"json": {"status": "DONE"}}, "0003", "status must be one of"),
    ("list_videos", "POST", {"json": {"page": 0}}, "0003", "page must be >= 1"),
    ("list_videos", "POST", {"json": {"size": "20"}}, "0003", "size must be an integer"),
    ("list_videos", "POST", {"json": []}, "0003", "JSON object"),
    ("list_videos", "POST", {}, "0003", "Content-Type"),
    ("delete_videos", "POST", {"json": [f"VI{i}" for i in range(101)]}, "0003", "more than 100"),
    ("delete_videos", "POST", {"json": {"video_nos": ["VI1"]}}, "0003", "JSON list"),
    ("delete_videos", "POST", {"json": []}, "0003", "non-empty"),
    ("delete_videos", "POST", {"json": ["VI1", 2]}, "0003", "strings"),
    ("get_public_video_detail", "GET", {}, "0003", "video_no is required"),
    ("get_public_video_detail", "GET", {"params": {"video_no": "PI-0"}}, "0001", "video not found"),
    ("download", "POST", {"json": {"unique_id": "x"}}, "0003", "video_no is required"),
    ("download", "POST", {"json": {"video_no": 7}}, "0003", "video_no must be a string"),
    ("get_video_ids_by_task_id", "GET", {}, "0003", "task_id is required"),
    ("get_video_ids_by_task_id", "GET", {"params": {"task_id": "nope"}}, "0001", "task not found"),
    ("list_sessions", "GET", {"params": {"page": "x"}}, "0003", "page must be an integer"),
    (
        "get_session_detail",
        "GET",
        {"params": {"sessionId": "abc"}},
        "0003",
        "sessionId must be numeric",
    ),
    ("get_session_detail", "GET", {"params": {"sessionId": "12"}}, "0001", "session not found"),
    (
        "update_video_transcription",
        "POST",
        {"json": {"video_no": LAUNDRY}},
        "0003",
        "prompt is required",
    ),
]


@pytest.mark.parametrize(
    ("endpoint", "method", "kwargs", "code", "fragment"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
async def test_invalid_requests_get_error_envelopes(
    emu: Emulator,
    client: httpx.AsyncClient,
    endpoint: str,
    method: str,
    kwargs: dict[str, Any],
    code: str,
    fragment: str,
) -> None:
    r = await client.request(method, f"{API}/{endpoint}", **kwargs)
    assert r.status_code == 200
    body = r.json()
    assert body["code"] == code and fragment in body["msg"], body
    assert body["success"] is False and body["failed"] is True and body["data"] is None
    assert emu.requests.last(endpoint=endpoint).code == code


def test_every_api_endpoint_has_a_validation_case() -> None:
    from memories_async.emulator._app import ROUTES

    covered = {c[0] for c in CASES}
    api = {r.name for r in ROUTES if r.host == "api"}
    assert api <= covered, api - covered


async def test_wrong_method_and_unknown_path_are_envelopes_not_500(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get(f"{API}/search")
    assert r.status_code == 405 and r.json()["code"] == "0405"
    r = await client.post(f"{API}/list_video", json={})
    assert r.status_code == 404 and r.json()["code"] == "0404"
    r = await client.post("/v1/search", json={})  # the headings' prefix is not a real path
    assert r.status_code == 404


async def test_an_internal_failure_becomes_an_envelope(
    emu: Emulator, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(emu.state, "scope", boom)
    r = await client.post(f"{API}/list_videos", json={})
    assert r.status_code == 200 and r.json()["code"] == "0500"
    assert emu.internal_errors == ["list_videos: RuntimeError: kaput"]
    emu.internal_errors.clear()
