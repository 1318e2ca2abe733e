"""The vendor's v2 host (`/serve/api/v2`, served here on the same port): Visual Intelligence
completions, the search agent's stream and the clip, split and edit tasks, as API.md's last
section describes them from the vendor's example agents.

Deterministic answers: a completion describes the scene the emulator's transcript generator
derives from each file's URL (the same one `upload_url` would give that URL), and asks for JSON
get it wrapped in a ```json fence, as Gemini models often answer. GUESS, where the facts stop:
`gemini:` models answer in the `message.content` shape and other providers in the `text` shape;
errors of the task endpoints carry HTTP's number as their int `code`; a completion's own errors
are HTTP 200 with `status: "errored"`, and a rate limit is HTTP 429 in the same shape.
"""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import JSONResponse, Response

from ._chat import STREAM_FAULTS
from ._context import Ctx, RouteSpec
from ._params import ApiError, int_field, param_error, str_field, str_list_field
from ._records import RequestRecord
from ._search import public_videos, rank_segments
from ._sse import event, sse_response
from ._state import Video
from ._text import fake_transcripts

__all__ = ["ROUTES", "V2_PREFIX", "error_response"]

V2_PREFIX = "/serve/api/v2/"
_HTTP_CODES = {"param": 400, "auth": 401, "not_found": 404, "rate": 429}
_ids = itertools.count(1)


def _file_parts(messages: Any) -> tuple[list[str], list[tuple[str, str]]]:
    """The text parts and (file_uri, mime_type) parts of the messages, checked."""
    if not isinstance(messages, list) or not messages:
        raise param_error("messages", "must be a non-empty list")
    texts: list[str] = []
    files: list[tuple[str, str]] = []
    for message in messages:
        if not isinstance(message, dict) or "role" not in message:
            raise param_error("messages", "must hold objects with a role")
        content = message.get("content")
        if not isinstance(content, list):
            raise param_error("content", "must be a list of parts")
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                texts.append(str(part.get("text", "")))
            elif kind == "input_file":
                uri = str_field(part, "file_uri", required=True)
                mime = str_field(part, "mime_type", required=True)
                assert uri is not None
                assert mime is not None
                files.append((uri, mime))
            else:
                raise param_error("content", f"has a part of unknown type {kind!r}")
    return texts, files


def _describe(uri: str) -> str:
    name = urlsplit(uri).path.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "video"
    visual, _ = fake_transcripts(uri.encode(), name, 30)
    return visual[0].text if visual else name


async def completions(ctx: Ctx) -> Response:
    """POST vu/chat/completions: an answer about the files of the messages."""
    body = await ctx.json_object()
    model = str_field(body, "model", required=True)
    assert model is not None
    provider, _, name = model.partition(":")
    if not provider or not name:
        raise ApiError(
            "param", f"model must be 'provider:model', got {model!r}", code="invalid_model"
        )
    texts, files = _file_parts(body.get("messages"))
    if "max_tokens" in body:
        int_field(body, "max_tokens", default=1, lo=1)
    scenes = [_describe(uri) for uri, _ in files] or ["no file was given"]
    answer = " ".join(scenes)
    metadata = (body.get("extra_body") or {}).get("metadata") or body.get("metadata") or {}
    if isinstance(metadata, dict) and metadata.get("response_mime_type") == "application/json":
        answer = "```json\n" + json.dumps({"answer": answer, "files": len(files)}) + "\n```"
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop"}
    if provider == "gemini":
        choice["message"] = {"role": "assistant", "content": answer}
    else:
        choice["text"] = answer
    prompt_tokens = sum(len(t.split()) for t in texts) + 258 * len(files)
    completion_tokens = len(answer.split())
    return JSONResponse(
        {
            "id": f"cmpl-{next(_ids)}",
            "model": model,
            "status": "completed",
            "choices": [choice],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


_AGENT_PLATFORMS = ("youtube", "tiktok", "instagram", "twitter")


async def queries_stream(ctx: Ctx) -> Response:
    """POST queries/stream: the search agent's run over the seeded public library, as named
    events. It plans (`progress`), searches each platform asked for (`tool_call`, then
    `tool_result`), and ends with `complete`: the best matches, at most `max_results`.
    GUESS beyond API.md: `enable_clarification` adds a `clarification` event (a name this SDK
    does not type), and a platform the agent does not serve ends the run with `error`."""
    body = await ctx.json_object()
    query = str_field(body, "query", required=True)
    assert query is not None
    platforms = str_list_field(body, "platforms") if "platforms" in body else ["tiktok"]
    top = int_field(body, "max_results", default=5, lo=1, hi=50)
    time_frame = str_field(body, "time_frame")
    run = f"agent_{next(_ids)}"
    events: list[tuple[str, dict[str, Any]]] = [
        ("started", {"session_id": run}),
        ("progress", {"step": 1, "max_steps": 3, "message": f"Planning a search for {query!r}"}),
    ]
    if body.get("enable_clarification") is True:
        events.append(("clarification", {"question": f"Only videos about {query}?"}))
    found: list[tuple[float, Video, int]] = []
    for platform in platforms:
        arguments = {"query": query, "platform": platform, "time_frame": time_frame}
        events.append(("tool_call", {"tool": "search_platform_videos", "arguments": arguments}))
        if platform not in _AGENT_PLATFORMS:
            events.append(("error", {"message": f"unsupported platform {platform!r}"}))
            return _agent_response(ctx, events)
        hits = rank_segments(
            query,
            public_videos(ctx, platform.upper()),
            audio=False,
            now=ctx.now(),
        )
        found.extend(hits)
        summary = f"{len({v.video_no for _, v, _ in hits})} matching video(s) on {platform}"
        events.append(
            ("tool_result", {"tool": "search_platform_videos", "success": True, "summary": summary})
        )
    events.append(("progress", {"step": 3, "max_steps": 3, "message": "Ranking what was found"}))
    references: dict[str, dict[str, Any]] = {}
    for value, video, index in sorted(found, key=lambda hit: -hit[0]):
        if video.video_no not in references and len(references) < top:
            segment = video.visual[index]
            references[video.video_no] = {
                "video_no": video.video_no,
                "title": video.name,
                "url": video.detail.get("video_url"),
                "platform": (video.platform or "").lower(),
                "start": segment.start,
                "end": segment.end,
                "score": round(value, 3),
            }
    best = max((value for value, _, _ in found), default=0.0)
    events.append(
        (
            "complete",
            {
                "session_id": run,
                "video_references": list(references.values()),
                "confidence_score": round(min(1.0, best), 3),
                "summary": f"{len(references)} video(s) about {query!r}",
            },
        )
    )
    return _agent_response(ctx, events)


def _agent_response(ctx: Ctx, events: list[tuple[str, dict[str, Any]]]) -> Response:
    fault = ctx.emu.faults.take(ctx.spec.name, STREAM_FAULTS)
    if fault is not None:
        ctx.record.fault = fault.kind
    return sse_response(
        [event(data) for _, data in events],
        fault,
        interval=ctx.emu.config.stream_interval,
        malformed='{"step": 2, "message": "unterminated',
        request=ctx.request,
        names=[name for name, _ in events],
    )


def _task(ctx: Ctx, kind: str, body: dict[str, Any]) -> JSONResponse:
    """A started task's answer; with the account's webhook set (`edit_webhook`), its result is
    POSTed there after `edit_delay`. GUESS: the result's shape is not published."""
    task_id = f"re_task_{next(_ids)}"
    webhook = ctx.emu.config.edit_webhook
    if webhook is not None:
        result = {"task_id": task_id, "type": kind, "status": "completed", "request": body}
        ctx.emu.schedule_callback(
            f"edit_{kind}", webhook, lambda: result, ctx.emu.config.edit_delay
        )
    ctx.record.code = 200
    return JSONResponse({"code": 200, "msg": "success", "data": {"task_id": task_id}})


def _asset(body: dict[str, Any], name: str = "asset_id") -> str:
    asset = str_field(body, name, required=True)
    assert asset is not None
    return asset


async def clip(ctx: Ctx) -> Response:
    """POST video/clip: scene detection of one asset."""
    body = await ctx.json_object()
    _asset(body)
    return _task(ctx, "clip", body)


async def split(ctx: Ctx) -> Response:
    """POST video/split: an asset in pieces of `segment_seconds` (60 by default)."""
    body = await ctx.json_object()
    _asset(body)
    int_field(body, "segment_seconds", default=60, lo=1)
    return _task(ctx, "split", body)


async def edit(ctx: Ctx) -> Response:
    """POST video/edit: assets edited into one as `user_prompt` (≤ 500 characters) says."""
    body = await ctx.json_object()
    str_list_field(body, "asset_ids")
    orientation = body.get("orientation", "landscape")
    if orientation not in ("landscape", "portrait"):
        raise param_error("orientation", "must be 'landscape' or 'portrait'")
    prompt = str_field(body, "user_prompt", required=True)
    if prompt is not None and len(prompt) > 500:
        raise param_error("user_prompt", "must be at most 500 characters")
    return _task(ctx, "edit", body)


def error_response(spec: RouteSpec, error: ApiError, record: RequestRecord) -> Response:
    """An error of the v2 host, in the shape of the endpoint it came from."""
    http = _HTTP_CODES.get(error.kind, 500)
    status = 429 if error.kind == "rate" else error.status or 200
    if spec.name == "vu_chat_completions":
        code = error.code or error.kind
        record.code = code
        payload = {"status": "errored", "error": {"code": code, "message": error.msg}}
        return JSONResponse(payload, status_code=status)
    record.code = http
    return JSONResponse({"code": http, "msg": error.msg, "data": None}, status_code=status)


def _route(name: str, path: str, handler: Any, bucket: str, streaming: bool = False) -> RouteSpec:
    return RouteSpec(
        name, V2_PREFIX + path, "POST", "vlm", handler, bucket=bucket, streaming=streaming
    )


ROUTES = [
    _route("vu_chat_completions", "vu/chat/completions", completions, "vision"),
    _route("queries_stream", "queries/stream", queries_stream, "agent", streaming=True),
    _route("video_clip", "video/clip", clip, "edit"),
    _route("video_split", "video/split", split, "edit"),
    _route("video_edit", "video/edit", edit, "edit"),
]
"""Absolute paths: the v2 host's prefix is not the v1 one."""
