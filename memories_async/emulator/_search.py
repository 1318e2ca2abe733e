"""Search endpoints: clips ranked by word overlap with transcripts, images, audio snippets."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import anyio.to_thread
from starlette.datastructures import UploadFile
from starlette.responses import Response

from ._context import Ctx, RouteSpec
from ._live import SEARCH_TYPES, apply_search_filters
from ._params import (
    enum_field,
    float_field,
    int_field,
    param_error,
    query_int,
    str_field,
    unique_id_field,
)
from ._state import PLATFORMS, Image, Video
from ._text import hhmmss, score, terms
from ._videos import form_text

__all__ = ["ROUTES", "THRESHOLDS", "public_videos", "rank_segments"]

THRESHOLDS = {"low": 0.0, "medium": 0.3, "high": 0.6}
"""Minimum score kept at each filtering level (low keeps any overlap at all)."""


def rank_segments(
    query: str, videos: Iterable[Video], *, audio: bool, now: float, minimum: float = 0.0
) -> list[tuple[float, Video, int]]:
    """(score, video, segment index) of every matching segment of parsed videos, best first."""
    wanted = terms(query)
    found = []
    for video in videos:
        if video.status(now) != "PARSE":
            continue
        for index, segment in enumerate(video.audio if audio else video.visual):
            value = score(wanted, segment.text)
            if value > 0 and value >= minimum:
                found.append((value, video, index))
    found.sort(key=lambda hit: (-hit[0], hit[1].video_no, hit[2]))
    return found


def _clips(hits: list[tuple[float, Video, int]], audio: bool, top_k: int) -> list[dict[str, Any]]:
    clips = []
    for value, video, index in hits[:top_k]:
        segment = (video.audio if audio else video.visual)[index]
        clips.append(
            {
                "videoNo": video.video_no,
                "videoName": video.name,
                "startTime": str(segment.start),
                "endTime": str(segment.end),
                "score": value,
            }
        )
    return clips


def _image_url(ctx: Ctx, image: Image) -> str:
    return f"{ctx.base_url()}/_emulator/images/{image.image_id}"


def _search_images(ctx: Ctx, query: str, images: list[Image], minimum: float) -> dict[str, Any]:
    wanted = terms(query)
    ranked = []
    for image in images:
        value = score(wanted, f"{image.name} {image.camera_model or ''}")
        if value > 0 and value >= minimum:
            ranked.append((value, image))
    ranked.sort(key=lambda hit: (-hit[0], hit[1].image_id))
    items = [
        {
            "latitude": image.latitude,
            "longitude": image.longitude,
            "id": image.image_id,
            "name": image.name,
            "img_url": _image_url(ctx, image),
            "datetime_taken": None if image.datetime_taken is None else str(image.datetime_taken),
            "camera_model": image.camera_model,
        }
        for _, image in ranked[:20]
    ]
    return {"item": items, "current_page": 0, "page_size": 20, "total_count": str(len(ranked))}


async def search(ctx: Ctx) -> Response:
    """POST search: private clips (BY_VIDEO / BY_CLIP / BY_AUDIO) or images (BY_IMAGE), within
    the live API's filters (`_live`)."""
    body = await ctx.json_object()
    query = str_field(body, "search_param", required=True)
    assert query is not None
    kind = enum_field(body.get("search_type"), "search_type", SEARCH_TYPES)
    top_k = int_field(body, "top_k", default=10, lo=1, hi=1000)
    level = enum_field(
        body.get("filtering_level"), "filtering_level", tuple(THRESHOLDS), default="medium"
    )
    unique_id = unique_id_field(body.get("unique_id"))
    with ctx.emu.state.lock:
        scope = ctx.scope(unique_id)
        videos = list(scope.videos.values())
        images = list(scope.images.values())
    videos = apply_search_filters(body, videos)
    if kind == "BY_IMAGE":
        return ctx.ok(_search_images(ctx, query, images, THRESHOLDS[level]))
    audio = kind == "BY_AUDIO"
    hits = rank_segments(query, videos, audio=audio, now=ctx.now(), minimum=THRESHOLDS[level])
    return ctx.ok(_clips(hits, audio, top_k))


def public_videos(ctx: Ctx, platform: str | None = None) -> list[Video]:
    state = ctx.emu.state
    state.materialize(ctx.emu.config.parse_delay)
    with state.lock:
        return [v for v in state.public.values() if platform is None or v.platform == platform]


async def search_public(ctx: Ctx) -> Response:
    """POST search_public: clips from one platform's public library."""
    body = await ctx.json_object()
    query = str_field(body, "search_param", required=True)
    assert query is not None
    kind = enum_field(body.get("search_type"), "search_type", ("BY_VIDEO", "BY_AUDIO", "BY_CLIP"))
    platform = enum_field(body.get("type"), "type", PLATFORMS, default="TIKTOK")
    top_k = int_field(body, "top_k", default=10, lo=1, hi=1000)
    level = enum_field(
        body.get("filtering_level"), "filtering_level", tuple(THRESHOLDS), default="medium"
    )
    audio = kind == "BY_AUDIO"
    hits = rank_segments(
        query, public_videos(ctx, platform), audio=audio, now=ctx.now(), minimum=THRESHOLDS[level]
    )
    return ctx.ok(_clips(hits, audio, top_k))


def _audio_page(ctx: Ctx, videos: list[Video]) -> Response:
    query = str_field(ctx.query, "query", required=True)
    assert query is not None
    page = query_int(ctx.query, "page", default=1, lo=1)
    page_size = query_int(ctx.query, "page_size", default=50, lo=1, hi=100)
    hits = rank_segments(query, videos, audio=True, now=ctx.now())
    shown = hits[(page - 1) * page_size : page * page_size]
    results = []
    for _, video, index in shown:
        segment = video.audio[index]
        results.append(
            {
                "id": f"{video.video_no}-{index}",
                "audio_id": video.video_no,
                "snippet": segment.text,
                "timestamp": hhmmss(segment.start),
            }
        )
    return ctx.bare({"results": results, "page": page, "page_size": page_size, "total": len(hits)})


async def search_audio_transcripts(ctx: Ctx) -> Response:
    """GET search_audio_transcripts: text match over private audio transcripts (no envelope)."""
    unique_id = unique_id_field(ctx.query.get("unique_id"))
    with ctx.emu.state.lock:
        videos = list(ctx.scope(unique_id).videos.values())
    return _audio_page(ctx, videos)


async def search_public_audio_transcripts(ctx: Ctx) -> Response:
    """GET search_public_audio_transcripts: text match over public audio transcripts."""
    return _audio_page(ctx, public_videos(ctx))


def _similarity(a: str, b: str) -> float:
    """1.0 for identical bytes, otherwise a stable value in [0.2, 0.8) from the two hashes."""
    if a == b:
        return 1.0
    mixed = hashlib.sha256((min(a, b) + max(a, b)).encode()).digest()
    return round(0.2 + int.from_bytes(mixed[:2], "big") / 65536 * 0.6, 4)


async def _probe(ctx: Ctx) -> tuple[str, float, str | None, str | None]:
    async with ctx.form() as form:
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise param_error("file", "is required (a file part)")
        threshold = float_field(form_text(form, "similarity"), "similarity", lo=0.0, hi=1.0)
        unique_id = form_text(form, "unique_id")
        platform = form_text(form, "type")

        def digest() -> str:
            part.file.seek(0)
            hasher = hashlib.sha256()
            while chunk := part.file.read(1 << 20):
                hasher.update(chunk)
            return hasher.hexdigest()

        sha = await anyio.to_thread.run_sync(digest)
    return sha, threshold or 0.0, unique_id, platform


async def search_similar_images(ctx: Ctx) -> Response:
    """POST search_similar_images: the caller's images, by similarity to an uploaded one."""
    sha, threshold, unique_id, _ = await _probe(ctx)
    with ctx.emu.state.lock:
        images = list(ctx.scope(unique_id_field(unique_id)).images.values())
    ranked = sorted(
        ((_similarity(sha, image.blob.sha256), image) for image in images),
        key=lambda hit: (-hit[0], hit[1].image_id),
    )
    results = [
        {
            "id": image.image_id,
            "image_url": _image_url(ctx, image),
            "similarity_score": value,
            "source": "PRIVATE",
        }
        for value, image in ranked
        if value >= threshold
    ]
    return ctx.bare({"results": results, "total": len(results)})


async def search_public_similar_images(ctx: Ctx) -> Response:
    """POST search_public_similar_images: cover frames of one platform's public videos."""
    sha, threshold, _, raw_platform = await _probe(ctx)
    platform = enum_field(raw_platform, "type", PLATFORMS, default="TIKTOK")
    ranked = sorted(
        (
            (_similarity(sha, hashlib.sha256(v.video_no.encode()).hexdigest()), v)
            for v in public_videos(ctx, platform)
        ),
        key=lambda hit: (-hit[0], hit[1].video_no),
    )
    results = [
        {
            "id": video.video_no,
            "image_url": video.detail.get("video_url", ""),
            "similarity_score": value,
            "source": platform,
        }
        for value, video in ranked
        if value >= threshold
    ]
    return ctx.bare({"results": results, "total": len(results)})


ROUTES = [
    RouteSpec("search", "search", "POST", "api", search, bucket="search"),
    RouteSpec("search_public", "search_public", "POST", "api", search_public, bucket="search"),
    RouteSpec(
        "search_audio_transcripts",
        "search_audio_transcripts",
        "GET",
        "api",
        search_audio_transcripts,
        bucket="search",
    ),
    RouteSpec(
        "search_public_audio_transcripts",
        "search_public_audio_transcripts",
        "GET",
        "api",
        search_public_audio_transcripts,
        bucket="search",
    ),
    RouteSpec(
        "search_similar_images",
        "search_similar_images",
        "POST",
        "api",
        search_similar_images,
        bucket="search",
    ),
    RouteSpec(
        "search_public_similar_images",
        "search_public_similar_images",
        "POST",
        "api",
        search_public_similar_images,
        bucket="search",
    ),
]
