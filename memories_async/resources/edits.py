"""Video-editing tasks on the v2 host: scene detection, splitting and AI editing of assets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from .._errors import InvalidArgumentError
from .._extras import Body, Headers, Query
from .._pipeline import Endpoint
from .._validate import non_empty, open_choice, positive_int, string_list
from ..models.vision import EditTask
from ._base import AsyncResource

__all__ = ["AsyncEdits"]


def _task(name: str) -> Endpoint:
    # Starting a task is not idempotent; the v2 task endpoints answer `{code: 200, data}`.
    return Endpoint(
        f"video_{name}",
        "POST",
        f"/video/{name}",
        bucket="edit",
        host="vlm",
        idempotent=False,
        envelope="v2",
    )


CLIP, SPLIT, EDIT = _task("clip"), _task("split"), _task("edit")
MAX_USER_PROMPT = 500
Orientation = Literal["landscape", "portrait"]


class AsyncEdits(AsyncResource):
    """`client.edits`: start clip, split and edit tasks on assets (ids like `re_...`); each
    answers a task id, and the result arrives at the webhook the account registered with the
    vendor (`memories_async.callbacks.parse_edit_callback` reads it)."""

    async def clip(
        self,
        asset_id: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> EditTask:
        """Detect the scenes of an asset."""
        return await self._start(
            CLIP,
            {"asset_id": non_empty("asset_id", asset_id)},
            extra_headers,
            extra_query,
            extra_body,
        )

    async def split(
        self,
        asset_id: str,
        *,
        segment_seconds: int = 60,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> EditTask:
        """Split an asset into pieces of `segment_seconds`."""
        body = {
            "asset_id": non_empty("asset_id", asset_id),
            "segment_seconds": positive_int("segment_seconds", segment_seconds),
        }
        return await self._start(SPLIT, body, extra_headers, extra_query, extra_body)

    async def edit(
        self,
        asset_ids: Iterable[str],
        user_prompt: str,
        *,
        orientation: Orientation | str = "landscape",
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> EditTask:
        """Have the vendor's AI edit `asset_ids` into one video as `user_prompt` (at most 500
        characters) describes, in `orientation`."""
        prompt = non_empty("user_prompt", user_prompt)
        if len(prompt) > MAX_USER_PROMPT:
            raise InvalidArgumentError(
                "user_prompt", f"must be at most {MAX_USER_PROMPT} characters, got {len(prompt)}"
            )
        body = {
            "asset_ids": string_list("asset_ids", asset_ids),
            "orientation": open_choice("orientation", orientation, ("landscape", "portrait")),
            "user_prompt": prompt,
        }
        return await self._start(EDIT, body, extra_headers, extra_query, extra_body)

    async def _start(
        self,
        endpoint: Endpoint,
        body: dict[str, Any],
        extra_headers: Headers | None,
        extra_query: Query | None,
        extra_body: Body | None,
    ) -> EditTask:
        return await self._pipeline.request(
            endpoint,
            json=body,
            cast_to=EditTask,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )
