"""Video endpoints of api.memories.ai: uploads, listing, deletion, download, transcriptions,
summaries and public details (scrapers and their tasks are in `_scrapers`)."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import AsyncIterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit

import anyio.lowlevel
import anyio.to_thread
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response, StreamingResponse

from ._context import Ctx, RouteSpec
from ._faults import fault_payload
from ._live import indexing_fields
from ._params import (
    ApiError,
    enum_field,
    float_field,
    int_field,
    param_error,
    str_field,
    str_list_field,
    taken_at_field,
    unique_id_field,
    url_field,
)
from ._state import VIDEO_STATUSES, Image, Video
from ._text import Segment

__all__ = ["ROUTES", "fake_video_chunks", "form_text", "upload_metadata", "video_row"]

_FOCUS = re.compile(r" \(Focus: .*\)$")
_FTYP = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def form_text(form: FormData, name: str) -> str | None:
    """A text form field; a file part where text belongs is a parameter error."""
    value = form.get(name)
    if isinstance(value, UploadFile):
        raise param_error(name, "must be a text field, not a file")
    return value


def upload_metadata(form: FormData) -> dict[str, str]:
    """Validate the optional photo/video metadata fields shared by the upload endpoints."""
    meta: dict[str, str] = {}
    taken = form_text(form, "datetime_taken")
    if taken_at_field(taken) is not None and taken is not None:
        meta["datetime_taken"] = taken
    camera = form_text(form, "camera_model")
    if camera:
        meta["camera_model"] = camera
    for name, bound in (("latitude", 90.0), ("longitude", 180.0)):
        raw = form_text(form, name)
        if float_field(raw, name, lo=-bound, hi=bound) is not None and raw is not None:
            meta[name] = raw
    return meta


def _stem(filename: str | None, fallback: str) -> str:
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return stem or fallback


def _upload_callback(ctx: Ctx, form: FormData) -> str | None:
    # The examples send `callback` as a form field, the tables put it in the query: read both.
    return form_text(form, "callback") or ctx.query.get("callback") or None


def _schedule_parse_callback(ctx: Ctx, video: Video, callback: str | None, unique_id: str) -> None:
    if not callback:
        return
    key = ctx.api_key

    def body() -> dict[str, Any]:
        scope = ctx.emu.state.scope(key, unique_id)
        current = scope.videos.get(video.video_no, video)
        status = current.status(ctx.emu.state.now())
        return {"videoNo": video.video_no, "status": "FAIL" if "FAIL" in status else status}

    ctx.emu.schedule_callback("upload", callback, body, ctx.emu.config.parse_delay)


def _upload_answer(ctx: Ctx, video: Video) -> Response:
    return ctx.ok(
        {
            "videoNo": video.video_no,
            "videoName": video.name,
            "videoStatus": "UNPARSE",
            "uploadTime": str(video.create_time),
        }
    )


async def upload(ctx: Ctx) -> Response:
    """POST upload: multipart `file` plus form fields."""
    async with ctx.form() as form:
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise param_error("file", "is required (a file part)")
        unique_id = unique_id_field(form_text(form, "unique_id"))
        callback = _upload_callback(ctx, form)
        meta = upload_metadata(form)
        tags, indexing = indexing_fields(form, retain=True)
        blob = await ctx.emu.blobs.aput_file(part.file)
        filename = part.filename
    state = ctx.emu.state
    name = _stem(filename, "video")
    with state.lock:
        video = Video.generated(
            state.new_video_no(),
            name,
            content_seed=bytes.fromhex(blob.sha256),
            size=blob.size,
            ready_at=ctx.now() + ctx.emu.config.parse_delay,
            blob=blob,
        )
        video.metadata = meta | indexing
        video.tags = tags
        ctx.scope(unique_id).videos[video.video_no] = video
    _schedule_parse_callback(ctx, video, callback, unique_id)
    return _upload_answer(ctx, video)


async def upload_url(ctx: Ctx) -> Response:
    """POST upload_url: form `url`; nothing is fetched, a small fake video is made from it."""
    async with ctx.form(multipart_only=False) as form:
        url = url_field(form_text(form, "url"), "url")
        assert url is not None
        unique_id = unique_id_field(form_text(form, "unique_id"))
        callback = _upload_callback(ctx, form)
        meta = upload_metadata(form)
        tags, indexing = indexing_fields(form, retain=False)
    state = ctx.emu.state
    digest = hashlib.sha256(url.encode()).digest()
    size = 65_536 + int.from_bytes(digest[:2], "big")
    with state.lock:
        video = Video.generated(
            state.new_video_no(),
            _stem(urlsplit(url).path, "video"),
            content_seed=url.encode(),
            size=size,
            ready_at=ctx.now() + ctx.emu.config.parse_delay,
        )
        video.source_url = url
        video.metadata = meta | indexing
        video.tags = tags
        ctx.scope(unique_id).videos[video.video_no] = video
    _schedule_parse_callback(ctx, video, callback, unique_id)
    return _upload_answer(ctx, video)


def video_row(video: Video, now: float) -> dict[str, Any]:
    status = video.status(now)
    return {
        "duration": str(video.duration),
        "size": str(video.size),
        "status": status,
        "cause": "unsupported video codec" if "FAIL" in status or "ERROR" in status else "null",
        "video_no": video.video_no,
        "video_name": video.name,
        "create_time": str(video.create_time),
    }


async def upload_img(ctx: Ctx) -> Response:
    """POST upload_img: one or more `files` parts, metadata applying to all of them."""
    async with ctx.form() as form:
        # GUESS: the documents name the parts `files`; the caption host's examples send
        # `file` beside `files`, and public clients copy either, so both are read.
        parts = [*form.getlist("files"), *form.getlist("file")]
        if not parts:
            raise param_error("files", "is required (one or more file parts)")
        if not all(isinstance(p, UploadFile) for p in parts):
            raise param_error("files", "must be file parts")
        unique_id = unique_id_field(form_text(form, "unique_id"))
        meta = upload_metadata(form)
        stored = []
        for part in parts:
            assert isinstance(part, UploadFile)
            stored.append((part.filename, await ctx.emu.blobs.aput_file(part.file)))
    state = ctx.emu.state
    answer = []
    with state.lock:
        scope = ctx.scope(unique_id)
        for filename, blob in stored:
            image = Image(
                image_id=state.new_id(),
                name=_stem(filename, "image"),
                blob=blob,
                create_time=int(time.time() * 1000),
                datetime_taken=taken_at_field(meta.get("datetime_taken")),
                camera_model=meta.get("camera_model"),
                latitude=float_field(meta.get("latitude"), "latitude"),
                longitude=float_field(meta.get("longitude"), "longitude"),
            )
            scope.images[image.image_id] = image
            answer.append({"id": image.image_id})
    return ctx.ok(answer)


async def list_videos(ctx: Ctx) -> Response:
    """POST list_videos: filters (name partial, number, status) and 1-based pages."""
    body = await ctx.json_object()
    page = int_field(body, "page", default=1, lo=1)
    size = int_field(body, "size", default=20, lo=1, hi=1000)
    name = str_field(body, "video_name")
    number = str_field(body, "video_no")
    status = body.get("status")
    if status is not None and status != "":
        status = enum_field(status, "status", VIDEO_STATUSES)
    unique_id = unique_id_field(body.get("unique_id"))
    now = ctx.now()
    with ctx.emu.state.lock:
        videos = list(ctx.scope(unique_id).videos.values())
    if name:
        videos = [v for v in videos if name.lower() in v.name.lower()]
    if number:
        videos = [v for v in videos if v.video_no == number]
    if status:
        videos = [v for v in videos if v.status(now) == status]
    videos.sort(key=lambda v: (v.create_time, v.video_no), reverse=True)
    shown = videos[(page - 1) * size : page * size]
    return ctx.ok(
        {
            "videos": [video_row(v, now) for v in shown],
            "current_page": page,
            "page_size": size,
            "total_count": str(len(videos)),
        }
    )


async def delete_videos(ctx: Ctx) -> Response:
    """POST delete_videos: a bare JSON list (at most 100), `unique_id` in the query."""
    body = await ctx.json_body()
    if not isinstance(body, list):
        raise ApiError("param", "request body must be a JSON list of video numbers")
    numbers = str_list_field({"video_nos": body}, "video_nos", max_items=100)
    unique_id = unique_id_field(ctx.query.get("unique_id"))
    removed = []
    with ctx.emu.state.lock:
        scope = ctx.scope(unique_id)
        for number in numbers:
            video = scope.videos.pop(number, None)
            if video is not None:
                removed.append(video)
    for video in removed:
        if video.blob is not None:
            await anyio.to_thread.run_sync(ctx.emu.blobs.discard, video.blob)
    return ctx.ok(None)


async def fake_video_chunks(seed: bytes, size: int, chunk: int = 1 << 20) -> AsyncIterator[bytes]:
    """Deterministic bytes standing in for a video we never had (an MP4 header, then noise)."""
    head = _FTYP[:size]
    if head:
        yield head
    sent = len(head)
    index = 0
    while sent < size:
        n = min(chunk, size - sent)
        yield hashlib.shake_256(seed + index.to_bytes(8, "big")).digest(n)
        sent += n
        index += 1
        await anyio.lowlevel.checkpoint()


def _find_private(ctx: Ctx, video_no: str | None, unique_id: str) -> Video:
    with ctx.emu.state.lock:
        video = ctx.scope(unique_id).videos.get(video_no or "")
    if video is None:
        raise ApiError("not_found", "video not found")
    return video


def _require_parsed(ctx: Ctx, video: Video) -> None:
    status = video.status(ctx.now())
    if status != "PARSE":
        raise ApiError(
            "custom", f"video {video.video_no} is not parsed (status {status})", code="0001"
        )


async def download(ctx: Ctx) -> Response:
    """POST download: the uploaded bytes as application/octet-stream, or a JSON failure."""
    body = await ctx.json_object()
    video_no = str_field(body, "video_no", required=True)
    unique_id = unique_id_field(body.get("unique_id"))
    video = _find_private(ctx, video_no, unique_id)
    _require_parsed(ctx, video)
    fault = ctx.emu.faults.take(ctx.spec.name, {"download_json"})
    if fault is not None:
        ctx.record.fault = fault.kind
        ctx.record.code = fault.code
        return Response(fault_payload(fault), media_type=fault.content_type)
    chunks = (
        ctx.emu.blobs.iter_chunks(video.blob)
        if video.blob is not None
        else fake_video_chunks(video.fake_seed, video.size)
    )
    size = video.blob.size if video.blob is not None else video.size
    filename = quote(f"{video.name}.mp4")
    return StreamingResponse(
        chunks,
        media_type="application/octet-stream",
        headers={
            "content-length": str(size),
            "content-disposition": f"attachment; filename*=UTF-8''{filename}",
        },
    )


def _transcription(video: Video, segments: list[Segment]) -> dict[str, Any]:
    return {
        "videoNo": video.video_no,
        "transcriptions": [
            {
                "index": i,
                "content": s.text,
                "startTime": str(s.start),
                "endTime": str(s.end),
            }
            for i, s in enumerate(segments)
        ],
    }


async def get_video_transcription(ctx: Ctx) -> Response:
    """GET get_video_transcription: the visual transcript of a parsed private video."""
    video_no = str_field(ctx.query, "video_no", required=True)
    video = _find_private(ctx, video_no, unique_id_field(ctx.query.get("unique_id")))
    _require_parsed(ctx, video)
    return ctx.ok(_transcription(video, video.visual))


async def generate_summary(ctx: Ctx) -> Response:
    """GET generate_summary: CHAPTER or TOPIC items of a parsed private video."""
    video_no = str_field(ctx.query, "video_no", required=True)
    kind = enum_field(ctx.query.get("type"), "type", ("CHAPTER", "TOPIC"))
    video = _find_private(ctx, video_no, unique_id_field(ctx.query.get("unique_id")))
    _require_parsed(ctx, video)
    items = video.chapters if kind == "CHAPTER" else video.topics
    return ctx.ok(
        {
            "summary": video.summary,
            "items": [
                {"description": i.description, "title": i.title, "start": str(i.start)}
                for i in items
            ],
        }
    )


def _find_public(ctx: Ctx, video_no: str | None) -> Video:
    ctx.emu.state.materialize(ctx.emu.config.parse_delay)
    video = ctx.emu.state.public.get(video_no or "")
    if video is None:
        raise ApiError("not_found", "video not found")
    return video


async def get_public_audio_transcription(ctx: Ctx) -> Response:
    """GET get_public_audio_transcription: the audio transcript of a public video."""
    video = _find_public(ctx, str_field(ctx.query, "video_no", required=True))
    _require_parsed(ctx, video)
    return ctx.ok(_transcription(video, video.audio))


async def get_public_video_detail(ctx: Ctx) -> Response:
    """GET get_public_video_detail: every field a string, as documented."""
    video = _find_public(ctx, str_field(ctx.query, "video_no", required=True))
    detail = {
        "duration": str(video.duration),
        "status": video.status(ctx.now()),
        "video_no": video.video_no,
        "video_name": video.name,
        "create_time": str(video.create_time),
    }
    for key in (
        "video_url",
        "like_count",
        "share_count",
        "comment_count",
        "view_count",
        "collect_count",
        "blogger_id",
        "text_language",
        "music_name",
        "hash_tag",
        "publish_time",
    ):
        detail[key] = video.detail.get(key, "")
    return ctx.ok(detail)


async def update_video_transcription(ctx: Ctx) -> Response:
    """POST update_video_transcription (inferred): re-transcribe with a prompt."""
    body = await ctx.json_object()
    video_no = str_field(body, "video_no", required=True)
    prompt = str_field(body, "prompt", required=True)
    unique_id = unique_id_field(body.get("unique_id"))
    callback = str_field(body, "callback")
    assert prompt is not None
    video = _find_private(ctx, video_no, unique_id)
    _require_parsed(ctx, video)
    with ctx.emu.state.lock:
        video.visual = [
            Segment(s.start, s.end, _FOCUS.sub("", s.text) + f" (Focus: {prompt.strip()})")
            for s in video.visual
        ]
    if callback:
        number = video.video_no
        ctx.emu.schedule_callback(
            "transcription",
            callback,
            lambda: {"videoNo": number, "status": "PARSE"},
            ctx.emu.config.parse_delay,
        )
    return ctx.ok({"video_no": video.video_no})


ROUTES = [
    RouteSpec("upload", "upload", "POST", "api", upload, bucket="upload"),
    RouteSpec("upload_url", "upload_url", "POST", "api", upload_url, bucket="upload"),
    RouteSpec("upload_img", "upload_img", "POST", "api", upload_img, bucket="upload"),
    RouteSpec("list_videos", "list_videos", "POST", "api", list_videos, bucket="list_videos"),
    RouteSpec(
        "delete_videos", "delete_videos", "POST", "api", delete_videos, bucket="delete_videos"
    ),
    RouteSpec("download", "download", "POST", "api", download, bucket="download", download=True),
    RouteSpec(
        "get_video_transcription",
        "get_video_transcription",
        "GET",
        "api",
        get_video_transcription,
        bucket="video_transcription",
    ),
    RouteSpec(
        "generate_summary", "generate_summary", "GET", "api", generate_summary, bucket="summary"
    ),
    RouteSpec(
        "get_public_audio_transcription",
        "get_public_audio_transcription",
        "GET",
        "api",
        get_public_audio_transcription,
        bucket="audio_transcription",
    ),
    RouteSpec(
        "get_public_video_detail",
        "get_public_video_detail",
        "GET",
        "api",
        get_public_video_detail,
        bucket="list_videos",
    ),
    RouteSpec(
        "update_video_transcription",
        "update_video_transcription",
        "POST",
        "api",
        update_video_transcription,
        bucket="update_transcription",
    ),
]
"""Paths here are relative to /serve/api/v1/."""
