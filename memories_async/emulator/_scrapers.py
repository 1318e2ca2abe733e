"""Scraper endpoints of api.memories.ai (platform and creator URLs, private or public) and the
tasks they start, which turn into videos after `scraper_delay`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from ._context import Ctx, RouteSpec
from ._params import (
    ApiError,
    int_field,
    param_error,
    str_field,
    str_list_field,
    unique_id_field,
    url_field,
)
from ._state import ScraperTask, platform_of
from ._videos import video_row

__all__ = ["ROUTES"]

_QUALITIES = (1080, 720, 480, 260)


def _callback_of(body: Mapping[str, Any]) -> str | None:
    # The table says callback_url, one example says callback: both are read.
    for name in ("callback_url", "callback"):
        value = str_field(body, name)
        if value:
            return value
    return None


def _start_scraper(
    ctx: Ctx, urls: list[str], *, public: bool, unique_id: str | None, callback: str | None
) -> Response:
    state = ctx.emu.state
    delay = ctx.emu.config.scraper_delay
    task = ScraperTask(
        task_id=state.new_task_id(ctx.api_key),
        api_key=ctx.api_key,
        unique_id=unique_id,
        public=public,
        urls=urls,
        ready_at=ctx.now() + delay,
    )
    with state.lock:
        state.tasks[task.task_id] = task
    if callback:

        def body() -> dict[str, Any]:
            state.materialize(ctx.emu.config.parse_delay)
            return {"taskId": task.task_id, "status": "SUCCEEDED"}

        ctx.emu.schedule_callback("scraper", callback, body, delay)
    return ctx.ok({"taskId": task.task_id})


def _scraper_urls(body: Mapping[str, Any]) -> list[str]:
    urls = str_list_field(body, "video_urls")
    platforms = {platform_of(u) for u in urls}
    if None in platforms:
        bad = next(u for u in urls if platform_of(u) is None)
        raise param_error("video_urls", f"must be TikTok, YouTube or Instagram URLs, got {bad!r}")
    if len(platforms) > 1:
        raise param_error("video_urls", "must all come from one platform")
    quality = body.get("quality")
    if quality is not None and (isinstance(quality, bool) or quality not in _QUALITIES):
        raise param_error("quality", f"must be one of {', '.join(map(str, _QUALITIES))}")
    return urls


async def scraper_url(ctx: Ctx) -> Response:
    """POST scraper_url: platform URLs into the private library."""
    body = await ctx.json_object()
    urls = _scraper_urls(body)
    unique_id = unique_id_field(body.get("unique_id"))
    return _start_scraper(ctx, urls, public=False, unique_id=unique_id, callback=_callback_of(body))


async def scraper_url_public(ctx: Ctx) -> Response:
    """POST scraper_url_public: platform URLs into the shared public library."""
    body = await ctx.json_object()
    urls = _scraper_urls(body)
    return _start_scraper(ctx, urls, public=True, unique_id=None, callback=_callback_of(body))


def _creator_urls(body: Mapping[str, Any]) -> list[str]:
    creator = url_field(body.get("username"), "username")
    assert creator is not None
    if platform_of(creator) is None:
        raise param_error("username", "must be a TikTok, YouTube or Instagram creator URL")
    count = int_field(body, "scraper_cnt", default=10, lo=1, hi=100)
    base = creator.rstrip("/")
    return [f"{base}/video/{7_500_000_000_000_000_000 + i}" for i in range(count)]


async def scraper(ctx: Ctx) -> Response:
    """POST scraper (inferred): a creator's latest videos into the private library."""
    body = await ctx.json_object()
    urls = _creator_urls(body)
    unique_id = unique_id_field(body.get("unique_id"))
    return _start_scraper(ctx, urls, public=False, unique_id=unique_id, callback=_callback_of(body))


async def scraper_public(ctx: Ctx) -> Response:
    """POST scraper_public (inferred): a creator's latest videos into the public library."""
    body = await ctx.json_object()
    urls = _creator_urls(body)
    return _start_scraper(ctx, urls, public=True, unique_id=None, callback=_callback_of(body))


async def get_video_ids_by_task_id(ctx: Ctx) -> Response:
    """GET get_video_ids_by_task_id (inferred): empty `video_ids` while the task runs."""
    task_id = str_field(ctx.query, "task_id", required=True)
    state = ctx.emu.state
    state.materialize(ctx.emu.config.parse_delay)
    task = state.tasks.get(task_id or "")
    if task is None or task.api_key != ctx.api_key:
        raise ApiError("not_found", "task not found")
    if not task.done:
        return ctx.ok({"taskId": task.task_id, "video_ids": []})
    now = ctx.now()
    videos = []
    for no in task.video_nos:
        video = (
            state.public.get(no)
            if task.public
            else state.scope(task.api_key, task.unique_id or "default").videos.get(no)
        )
        if video is not None:
            videos.append(video_row(video, now) | {"video_url": video.source_url or ""})
    return ctx.ok({"taskId": task.task_id, "video_ids": list(task.video_nos), "videos": videos})


ROUTES = [
    RouteSpec("scraper_url", "scraper_url", "POST", "api", scraper_url, bucket="platform"),
    RouteSpec(
        "scraper_url_public",
        "scraper_url_public",
        "POST",
        "api",
        scraper_url_public,
        bucket="platform",
    ),
    RouteSpec("scraper", "scraper", "POST", "api", scraper, bucket="platform"),
    RouteSpec("scraper_public", "scraper_public", "POST", "api", scraper_public, bucket="platform"),
    RouteSpec(
        "get_video_ids_by_task_id",
        "get_video_ids_by_task_id",
        "GET",
        "api",
        get_video_ids_by_task_id,
        bucket="task_status",
    ),
]
"""Paths here are relative to /serve/api/v1/."""
