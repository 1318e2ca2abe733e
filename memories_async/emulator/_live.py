"""What the vendor's own public examples send beyond the v1.2 documents (API.md, last section):
the indexing fields of uploads, the search filters, `BY_CLIP`, and `get_metadata`.

These are facts about the live API's requests, but not about its answers or its semantics, so
the points marked GUESS below are the emulator's choices: strict enough to catch a client that
sends the wrong type, loose enough to take what public clients send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from ._context import Ctx, RouteSpec
from ._params import (
    ApiError,
    float_field,
    param_error,
    str_field,
    str_list_field,
    taken_at_field,
    unique_id_field,
)
from ._state import Video

__all__ = ["ROUTES", "SEARCH_TYPES", "apply_search_filters", "indexing_fields"]

SEARCH_TYPES = ("BY_VIDEO", "BY_AUDIO", "BY_IMAGE", "BY_CLIP")
"""`BY_CLIP` is the examples' default for visual search; here it ranks the pictures as
`BY_VIDEO` does (GUESS: what the vendor does differently per clip is not published)."""

_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}


def indexing_fields(form: FormData, *, retain: bool) -> tuple[list[str], dict[str, str]]:
    """The tags (one `tags` field each) and the other indexing fields of an upload form.

    GUESS: the examples send one `tags` field per tag; a comma-separated single field, as
    some public clients send, is split too.
    """
    tags: list[str] = []
    for value in form.getlist("tags"):
        if isinstance(value, UploadFile):
            raise param_error("tags", "must be text fields, not files")
        tags.extend(tag.strip() for tag in value.split(",") if tag.strip())
    meta: dict[str, str] = {}
    prompt = form.get("video_transcription_prompt")
    if isinstance(prompt, UploadFile):
        raise param_error("video_transcription_prompt", "must be a text field")
    if prompt:
        meta["video_transcription_prompt"] = prompt
    raw = form.get("retain_original_video")
    if raw is not None and raw != "":
        if not retain:
            raise param_error("retain_original_video", "is not a field of this endpoint")
        if isinstance(raw, UploadFile) or raw.lower() not in _BOOLEANS:
            raise param_error("retain_original_video", "must be 'true' or 'false'")
        meta["retain_original_video"] = str(_BOOLEANS[raw.lower()]).lower()
    return tags, meta


def apply_search_filters(body: Mapping[str, Any], videos: list[Video]) -> list[Video]:
    """The videos a search may rank, narrowed by the live API's filters.

    `video_nos`, `tag` and `camera_tag` narrow the search. GUESS: `datetime_taken`,
    `latitude` and `longitude` are checked and recorded but do not narrow it, since what the
    vendor matches them against (a day, a radius) is not published.
    """
    if body.get("video_nos") is not None:
        wanted = set(str_list_field(body, "video_nos", max_items=1000))
        videos = [v for v in videos if v.video_no in wanted]
    tag = str_field(body, "tag")
    if tag:
        videos = [v for v in videos if tag in v.tags]
    camera = str_field(body, "camera_tag")
    if camera:
        videos = [v for v in videos if v.metadata.get("camera_model") == camera]
    taken = body.get("datetime_taken")
    if taken is not None:
        taken_at_field(taken)
    float_field(body.get("latitude"), "latitude", lo=-90.0, hi=90.0)
    float_field(body.get("longitude"), "longitude", lo=-180.0, hi=180.0)
    return videos


async def get_metadata(ctx: Ctx) -> Response:
    """GET get_metadata: one video's row, tags and upload metadata (GUESS: the answer's field
    names follow `list_videos`; the examples read only its status)."""
    from ._videos import video_row  # _videos reads the upload fields from here

    video_no = str_field(ctx.query, "video_no", required=True)
    unique_id = unique_id_field(ctx.query.get("unique_id"))
    now = ctx.now()
    with ctx.emu.state.lock:
        video = ctx.scope(unique_id).videos.get(video_no or "")
    if video is None:
        raise ApiError("not_found", "video not found")
    return ctx.ok({**video_row(video, now), "tags": list(video.tags), **video.metadata})


ROUTES = [
    RouteSpec("get_metadata", "get_metadata", "GET", "api", get_metadata, bucket="list_videos"),
]
"""Paths here are relative to /serve/api/v1/."""
