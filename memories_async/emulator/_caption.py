"""The caption host (security.memories.ai): video captions delivered by callback, image
captions answered at once, human re-identification through `persons`. Int codes: 0 / -1."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.responses import JSONResponse, Response

from ._context import Ctx, RouteSpec
from ._params import ApiError, param_error, str_field, url_field
from ._text import caption_text

__all__ = ["ROUTES"]

_VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".flv", ".wmv"})


def _ok(ctx: Ctx, data: Any) -> JSONResponse:
    ctx.record.code = 0
    return JSONResponse({"code": 0, "msg": "success", "data": data})


def _persons(ctx: Ctx, req: Mapping[str, Any]) -> list[str]:
    raw = req.get("persons")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise param_error("persons", "must be a list of {name, url}")
    names = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise param_error("persons", "items need a non-empty name")
        if item.get("url") is not None:
            url_field(item["url"], "persons.url")
        names.append(item["name"])
    _max_persons(ctx, len(names))
    return names


def _max_persons(ctx: Ctx, count: int) -> None:
    limit = ctx.emu.config.caption_max_persons
    if count > limit:
        raise param_error("persons", f"must not hold more than {limit} persons, got {count}")


def _prompts(req: Mapping[str, Any], *, system_required: bool) -> tuple[str, str]:
    user = str_field(req, "user_prompt", required=True)
    system = str_field(req, "system_prompt", required=system_required)
    thinking = req.get("thinking")
    if thinking is not None and not isinstance(thinking, bool):
        raise param_error("thinking", "must be true or false")
    return user or "", system or ""


def _callback(req: Mapping[str, Any]) -> str:
    value = str_field(req, "callback", required=True)
    assert value is not None
    return value


def _tokens(user: str, system: str, text: str, media: int) -> dict[str, int]:
    given = len(user.split()) + len(system.split()) + 100 * max(media, 1)
    made = len(text.split())
    return {"input": given, "output": made, "total": given + made}


def _start_task(ctx: Ctx, callback: str, text: str, tokens: dict[str, int]) -> Response:
    task_id = str(uuid.uuid4())
    body = {"status": 0, "task_id": task_id, "data": {"text": text, "token": tokens}}
    ctx.emu.schedule_callback("caption", callback, lambda: body, ctx.emu.config.caption_delay)
    return _ok(ctx, {"task_id": task_id})


async def _req_part(form: FormData) -> dict[str, Any]:
    part = form.get("req")
    if part is None:
        raise param_error("req", "is required (a JSON part)")
    raw = await part.read(1 << 20) if isinstance(part, UploadFile) else part.encode()
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise param_error("req", "must be valid JSON") from None
    if not isinstance(value, dict):
        raise param_error("req", "must be a JSON object")
    return value


def _files(form: FormData, name: str) -> list[UploadFile]:
    parts = form.getlist(name)
    if not all(isinstance(p, UploadFile) for p in parts):
        raise param_error(name, "must be file parts")
    return [p for p in parts if isinstance(p, UploadFile)]


def _is_video(part: UploadFile) -> bool:
    if (part.content_type or "").startswith("video/"):
        return True
    return PurePosixPath(part.filename or "").suffix.lower() in _VIDEO_SUFFIXES


def _stem(name: str | None) -> str:
    return PurePosixPath(name or "person").stem or "person"


async def understand_upload(ctx: Ctx) -> Response:
    """POST /v1/understand/upload: a video by URL; the caption arrives on the callback."""
    req = await ctx.json_object()
    persons = _persons(ctx, req)
    ctx.limit("reid" if persons else "caption_video")
    video_url = url_field(req.get("video_url"), "video_url")
    user, system = _prompts(req, system_required=True)
    callback = _callback(req)
    text = caption_text(user, video_url or "", persons)
    return _start_task(ctx, callback, text, _tokens(user, system, text, 1))


async def understand_upload_file(ctx: Ctx) -> Response:
    """POST /v1/understand/uploadFile: multipart `req` JSON, `files` media, `file` references."""
    async with ctx.form() as form:
        req = await _req_part(form)
        media = _files(form, "files")
        references = _files(form, "file")
    persons = _persons(ctx, req)
    _max_persons(ctx, len(references))
    videos = [m for m in media if _is_video(m)]
    if persons or references:
        bucket = "reid"
    else:
        bucket = "caption_video" if videos or not media else "caption_image"
    ctx.limit(bucket)
    if not media:
        raise param_error("files", "is required (the video or image file part)")
    limit = ctx.emu.config.caption_max_video_bytes
    for part in videos:
        if (part.size or 0) > limit:
            raise param_error("files", f"video {part.filename!r} exceeds {limit // (1 << 20)} MB")
    user, system = _prompts(req, system_required=True)
    callback = _callback(req)
    names = persons or [_stem(r.filename) for r in references]
    text = caption_text(user, media[0].filename or "media", names)
    return _start_task(ctx, callback, text, _tokens(user, system, text, len(media)))


def _image_urls(req: Mapping[str, Any]) -> list[str]:
    if req.get("urls") is not None:
        urls = req["urls"]
        if not isinstance(urls, list) or not urls:
            raise param_error("urls", "must be a non-empty list of URLs")
        return [u for u in (url_field(u, "urls") for u in urls) if u is not None]
    url = url_field(req.get("url"), "url")
    assert url is not None
    return [url]


def _sync_caption(
    ctx: Ctx, user: str, system: str, sources: Sequence[str], persons: list[str]
) -> Response:
    text = caption_text(user, " ".join(sources), persons)
    return _ok(ctx, {"text": text, "token": _tokens(user, system, text, len(sources))})


async def understand_upload_img(ctx: Ctx) -> Response:
    """POST /v1/understand/uploadImg: image(s) by URL, captioned synchronously."""
    req = await ctx.json_object()
    persons = _persons(ctx, req)
    ctx.limit("reid" if persons else "caption_image")
    urls = _image_urls(req)
    user, system = _prompts(req, system_required=False)
    return _sync_caption(ctx, user, system, urls, persons)


async def understand_upload_img_file(ctx: Ctx) -> Response:
    """POST /v1/understand/uploadImgFile: multipart `req` + `file` image(s), synchronous."""
    async with ctx.form() as form:
        req = await _req_part(form)
        images = _files(form, "file")
    persons = _persons(ctx, req)
    ctx.limit("reid" if persons else "caption_image")
    if not images:
        raise param_error("file", "is required (an image file part)")
    user, system = _prompts(req, system_required=False)
    return _sync_caption(ctx, user, system, [i.filename or "image" for i in images], persons)


def caption_error(error: ApiError) -> dict[str, Any]:
    """The caption host's failure shape."""
    return {"code": -1, "msg": error.msg, "data": None}


ROUTES = [
    RouteSpec("caption_upload", "/v1/understand/upload", "POST", "caption", understand_upload),
    RouteSpec(
        "caption_upload_file",
        "/v1/understand/uploadFile",
        "POST",
        "caption",
        understand_upload_file,
    ),
    RouteSpec(
        "caption_upload_img", "/v1/understand/uploadImg", "POST", "caption", understand_upload_img
    ),
    RouteSpec(
        "caption_upload_img_file",
        "/v1/understand/uploadImgFile",
        "POST",
        "caption",
        understand_upload_img_file,
    ),
]
