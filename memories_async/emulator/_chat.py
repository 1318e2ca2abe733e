"""Chat endpoints: video chat, video marketer, personal chat (JSON and SSE), sessions, and the
legacy v1.0 chat. Answers quote the transcript segments that best match the prompt."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from ._context import Ctx, RouteSpec
from ._params import (
    ApiError,
    enum_field,
    param_error,
    query_int,
    session_id_field,
    str_field,
    str_list_field,
    unique_id_field,
)
from ._search import rank_segments
from ._sse import event, sse_response
from ._state import PLATFORMS, Message, Session, Video
from ._text import answer_text, split_pieces, terms

__all__ = ["ROUTES"]

_END_OK = {"code": "SUCCESS", "data": "Done"}
_NO_VIDEOS = "No videos found for the provided video numbers."


@dataclass
class Turn:
    """One assistant answer: its text, reasoning steps and references."""

    session_id: str
    content: str
    thinkings: list[dict[str, Any]]
    refs: list[dict[str, Any]]


class StreamEnd(Exception):
    """A failure a stream reports in its end event rather than as an envelope."""


def _hits(prompt: str, videos: list[Video], now: float) -> list[tuple[Video, int, bool]]:
    """Up to 3 best (video, segment index, is_audio) matches, visual and audio mixed."""
    scored = [
        (value, video, index, audio)
        for audio in (False, True)
        for value, video, index in rank_segments(prompt, videos, audio=audio, now=now)
    ]
    scored.sort(key=lambda h: (-h[0], h[1].video_no, h[3], h[2]))
    return [(video, index, audio) for _, video, index, audio in scored[:3]]


def _refs(hits: list[tuple[Video, int, bool]]) -> list[dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = {}
    for video, index, audio in hits:
        segment = (video.audio if audio else video.visual)[index]
        entry = grouped.setdefault(
            video.video_no,
            {
                "video": {
                    "duration": str(video.duration),
                    "video_no": video.video_no,
                    "video_name": video.name,
                },
                "refItems": [],
            },
        )
        items = entry["refItems"]
        if not items:
            items.append(
                {"videoNo": video.video_no, "startTime": segment.start, "type": "keyframe"}
            )
        items.append(
            {
                "videoNo": video.video_no,
                "startTime": segment.start,
                "type": "audio_ts" if audio else "visual_ts",
                "endTime": segment.end,
                "text": segment.text,
            }
        )
    return list(grouped.values())


def _session(ctx: Ctx, unique_id: str, session_id: str | None, prompt: str, kind: str) -> Session:
    state = ctx.emu.state
    with state.lock:
        sessions = ctx.scope(unique_id).sessions
        sid = session_id or state.new_id()
        found = sessions.get(sid)
        if found is None:
            title = prompt.strip().splitlines()[0][:60] if prompt.strip() else "New chat"
            found = Session(sid, title, kind, int(time.time() * 1000))
            sessions[sid] = found
        return found


def _answer(
    ctx: Ctx,
    session: Session,
    prompt: str,
    videos: list[Video],
    *,
    context: str,
    fallback_summaries: bool = True,
) -> Turn:
    now = ctx.now()
    hits = _hits(prompt, videos, now)
    quoted = [
        (video.name, (video.audio if audio else video.visual)[index])
        for video, index, audio in hits
    ]
    content = answer_text(prompt, quoted)
    if not hits and fallback_summaries and videos:
        content += "\n" + "\n".join(f"- {v.name}: {v.summary}" for v in videos[:3])
    thinkings = [
        {
            "title": "Based on selected videos, fetch detailed information",
            "content": (
                f'Okay, the user asks "{prompt.strip()}". I have {len(videos)} {context} to look '
                "at and need their transcripts to answer."
            ),
        },
        {
            "title": "Match the question against the transcripts",
            "content": f"Found {len(hits)} relevant segment(s); quoting them with timestamps.",
        },
    ]
    turn = Turn(session.session_id, content, thinkings, _refs(hits))
    with ctx.emu.state.lock:
        session.messages.append(Message("USER", prompt))
        session.messages.append(Message("ASSISTANT", content, thinkings, turn.refs))
    return turn


def _stream_events(turn: Turn) -> list[str]:
    sid = turn.session_id
    events = [event({"type": "thinking", **t, "sessionId": sid}) for t in turn.thinkings]
    events.append(event({"type": "ref", "sessionId": sid, "ref": turn.refs}))
    events += [
        event({"type": "content", "role": "assistant", "content": piece, "sessionId": sid})
        for piece in split_pieces(turn.content)
    ]
    events.append(event(_END_OK))
    return events


def _stream(ctx: Ctx, events: list[str], malformed: str | None = None) -> Response:
    fault = ctx.emu.faults.take(ctx.spec.name, STREAM_FAULTS)
    if fault is not None:
        ctx.record.fault = fault.kind
    interval = ctx.emu.config.stream_interval
    if malformed is None:
        return sse_response(events, fault, interval=interval, request=ctx.request)
    return sse_response(events, fault, interval=interval, malformed=malformed, request=ctx.request)


STREAM_FAULTS = frozenset({"drop_mid_stream", "truncate_stream", "malformed_stream", "error_end"})


def _end_only(ctx: Ctx, message: str) -> Response:
    """A stream that fails at once, the way the vendor reports it: an end event with a reason."""
    return _stream(ctx, [event({"code": "FAIL", "data": message})])


async def _video_chat_request(ctx: Ctx) -> tuple[str, str | None, str, list[Video]]:
    body = await ctx.json_object()
    # The table says video_nos, one example says videoNos: both are read.
    key = "video_nos" if "video_nos" in body or "videoNos" not in body else "videoNos"
    numbers = str_list_field(body, key)
    prompt = str_field(body, "prompt", required=True)
    assert prompt is not None
    session_id = session_id_field(body.get("session_id"))
    unique_id = unique_id_field(body.get("unique_id"))
    with ctx.emu.state.lock:
        scope_videos = ctx.scope(unique_id).videos
        videos = [scope_videos[n] for n in numbers if n in scope_videos]
    if len(videos) != len(set(numbers)):
        raise StreamEnd(_NO_VIDEOS)
    now = ctx.now()
    for video in videos:
        if video.status(now) != "PARSE":
            raise StreamEnd(f"Video is not parsed:{video.video_no}")
    return prompt, session_id, unique_id, videos


async def chat(ctx: Ctx) -> Response:
    """POST chat: one JSON answer about the given parsed videos, with its session_id."""
    try:
        prompt, session_id, unique_id, videos = await _video_chat_request(ctx)
    except StreamEnd as exc:
        raise ApiError("not_found", str(exc)) from None
    session = _session(ctx, unique_id, session_id, prompt, "chat")
    turn = _answer(ctx, session, prompt, videos, context="selected video(s)")
    return ctx.ok(
        {
            "role": "ASSISTANT",
            "content": turn.content,
            "refs": turn.refs,
            "thinkings": turn.thinkings,
        },
        session_id=turn.session_id,
    )


async def chat_stream(ctx: Ctx) -> Response:
    """POST chat_stream: thinking, ref, content pieces, then {"code":"SUCCESS","data":"Done"}."""
    try:
        prompt, session_id, unique_id, videos = await _video_chat_request(ctx)
    except StreamEnd as exc:
        return _end_only(ctx, str(exc))
    session = _session(ctx, unique_id, session_id, prompt, "chat")
    turn = _answer(ctx, session, prompt, videos, context="selected video(s)")
    return _stream(ctx, _stream_events(turn))


def _marketer_videos(ctx: Ctx, prompt: str, platform: str) -> list[Video]:
    """Public videos of the platform, narrowed by any @creator or #hashtag in the prompt."""
    state = ctx.emu.state
    state.materialize(ctx.emu.config.parse_delay)
    with state.lock:
        videos = [v for v in state.public.values() if v.platform == platform]
    creators = {c.lower() for c in re.findall(r"@([\w.]+)", prompt)}
    tags = {t.lower() for t in re.findall(r"#(\w+)", prompt)}
    if creators:
        videos = [v for v in videos if v.detail.get("blogger_id", "").lower() in creators]
    if tags:
        videos = [
            v
            for v in videos
            if tags & set(re.findall(r"#(\w+)", v.detail.get("hash_tag", "").lower()))
        ]
    if not creators and not tags:
        wanted = terms(prompt)
        named = [v for v in videos if v.detail.get("blogger_id", "").lower() in wanted]
        videos = named or videos
    return videos


async def _marketer_request(ctx: Ctx) -> tuple[Turn, Session]:
    body = await ctx.json_object()
    prompt = str_field(body, "prompt", required=True)
    assert prompt is not None
    session_id = session_id_field(body.get("session_id"))
    unique_id = unique_id_field(body.get("unique_id"))
    platform = enum_field(body.get("type"), "type", PLATFORMS, default="TIKTOK")
    videos = _marketer_videos(ctx, prompt, platform)
    session = _session(ctx, unique_id, session_id, prompt, "marketer")
    turn = _answer(ctx, session, prompt, videos, context=f"{platform} video(s)")
    return turn, session


async def marketer_chat(ctx: Ctx) -> Response:
    """POST marketer_chat: an answer from the public library of one platform."""
    turn, _ = await _marketer_request(ctx)
    return ctx.ok(
        {
            "role": "ASSISTANT",
            "content": turn.content,
            "thinkings": turn.thinkings,
            "refs": turn.refs,
        },
        session_id=turn.session_id,
    )


async def marketer_chat_stream(ctx: Ctx) -> Response:
    """POST marketer_chat_stream: the same events as chat_stream."""
    turn, _ = await _marketer_request(ctx)
    return _stream(ctx, _stream_events(turn))


async def _personal_request(ctx: Ctx) -> Turn:
    body = await ctx.json_object()
    prompt = str_field(body, "prompt", required=True)
    assert prompt is not None
    session_id = session_id_field(body.get("session_id"))
    unique_id = unique_id_field(body.get("unique_id"))
    state = ctx.emu.state
    state.materialize(ctx.emu.config.parse_delay)
    with state.lock:
        videos = list(ctx.scope(unique_id).videos.values()) + list(state.public.values())
    session = _session(ctx, unique_id, session_id, prompt, "personal")
    return _answer(
        ctx,
        session,
        prompt,
        videos,
        context="personal and public video(s)",
        fallback_summaries=False,
    )


async def chat_personal(ctx: Ctx) -> Response:
    """POST chat_personal: the envelope with data {role, content, refs, thinkings} + session_id."""
    turn = await _personal_request(ctx)
    return ctx.ok(
        {
            "role": "ASSISTANT",
            "content": turn.content,
            "refs": turn.refs,
            "thinkings": turn.thinkings,
        },
        session_id=turn.session_id,
    )


async def chat_personal_stream(ctx: Ctx) -> Response:
    """POST chat_personal_stream: `{"token": ...}` pieces, then `[DONE]`."""
    turn = await _personal_request(ctx)
    events = [event({"token": piece}) for piece in split_pieces(turn.content)]
    events.append("[DONE]")
    return _stream(ctx, events, malformed='{"token": "unterminated')


async def list_sessions(ctx: Ctx) -> Response:
    """GET list_sessions (inferred): the scope's chat sessions, newest first, 20 a page."""
    page = query_int(ctx.query, "page", default=1, lo=1)
    unique_id = unique_id_field(ctx.query.get("unique_id"))
    with ctx.emu.state.lock:
        sessions = list(ctx.scope(unique_id).sessions.values())
    sessions.sort(key=lambda s: (s.create_time, int(s.session_id)), reverse=True)
    shown = sessions[(page - 1) * 20 : page * 20]
    return ctx.ok(
        {
            "sessions": [{"sessionId": s.session_id, "title": s.title} for s in shown],
            "current_page": page,
            "page_size": 20,
            "total_count": str(len(sessions)),
        }
    )


async def get_session_detail(ctx: Ctx) -> Response:
    """GET get_session_detail (inferred): the title and every message of a session."""
    raw = str_field(ctx.query, "sessionId", required=True) or ""
    if not (raw.isascii() and raw.isdigit()):
        raise param_error("sessionId", f"must be numeric, got {raw!r}")
    session_id = str(int(raw))
    unique_id = unique_id_field(ctx.query.get("unique_id"))
    with ctx.emu.state.lock:
        session = ctx.scope(unique_id).sessions.get(session_id)
        if session is None:
            raise ApiError("not_found", "session not found")
        messages = [
            {"role": m.role, "content": m.content, "thinkings": m.thinkings, "refs": m.refs}
            for m in session.messages
        ]
    return ctx.ok({"title": session.title, "messages": messages})


def _legacy_history(body: Mapping[str, Any]) -> None:
    history = body.get("history")
    if history is None:
        return
    if not isinstance(history, list):
        raise param_error("history", "must be a list")
    for item in history:
        if not isinstance(item, dict):
            raise param_error("history", "items must be objects with robot and user")
        for name in ("robot", "user"):
            if not isinstance(item.get(name), str):
                raise param_error(f"history.{name}", "is required (a string)")


async def legacy_chat(ctx: Ctx) -> Response:
    """POST /api/serve/video/chat (v1.0, deprecated): {code, msg, data: {msg}}, or SSE."""
    body = await ctx.json_object()
    numbers = str_list_field(body, "videoNos")
    message = str_field(body, "message", required=True)
    assert message is not None
    _legacy_history(body)
    stream = body.get("stream")
    if not isinstance(stream, bool):
        raise param_error("stream", "is required (true or false)")
    videos = [v for v in (ctx.emu.state.find_video(n) for n in numbers) if v is not None]
    if len(videos) != len(set(numbers)):
        raise ApiError("not_found", _NO_VIDEOS)
    hits = _hits(message, videos, ctx.now())
    text = answer_text(
        message,
        [(v.name, (v.audio if audio else v.visual)[i]) for v, i, audio in hits],
    )
    if not stream:
        ctx.record.code = "0000"
        return ctx.bare({"code": "0000", "msg": "success", "data": {"msg": text}})
    events = [
        event({"code": "0000", "msg": "success", "data": {"msg": piece}})
        for piece in split_pieces(text)
    ]
    events.append("[DONE]")
    return _stream(ctx, events)


ROUTES = [
    RouteSpec("chat", "chat", "POST", "api", chat, bucket="chat"),
    RouteSpec(
        "chat_stream", "chat_stream", "POST", "api", chat_stream, bucket="chat", streaming=True
    ),
    RouteSpec("marketer_chat", "marketer_chat", "POST", "api", marketer_chat, bucket="marketer"),
    RouteSpec(
        "marketer_chat_stream",
        "marketer_chat_stream",
        "POST",
        "api",
        marketer_chat_stream,
        bucket="marketer",
        streaming=True,
    ),
    RouteSpec("chat_personal", "chat_personal", "POST", "api", chat_personal, bucket="chat"),
    RouteSpec(
        "chat_personal_stream",
        "chat_personal_stream",
        "POST",
        "api",
        chat_personal_stream,
        bucket="chat",
        streaming=True,
    ),
    RouteSpec(
        "list_sessions", "list_sessions", "GET", "api", list_sessions, bucket="list_sessions"
    ),
    RouteSpec(
        "get_session_detail",
        "get_session_detail",
        "GET",
        "api",
        get_session_detail,
        bucket="list_sessions",
    ),
    RouteSpec(
        "legacy_chat", "/api/serve/video/chat", "POST", "legacy", legacy_chat, streaming=True
    ),
]
