"""Search across the caller's library."""

from __future__ import annotations

from typing import get_args

from .._pipeline import Endpoint
from .._validate import choice, non_empty, positive_int
from ..models.search import FilteringLevel, SearchClip, VideoSearchType
from ._base import AsyncResource

__all__ = ["AsyncSearch"]

SEARCH = Endpoint("search", "POST", "/serve/api/v1/search", bucket="search")


class AsyncSearch(AsyncResource):
    """`client.search`: natural-language search over videos, audio and images."""

    async def videos(
        self,
        query: str,
        *,
        search_type: VideoSearchType = "BY_VIDEO",
        top_k: int | None = None,
        filtering_level: FilteringLevel | None = None,
        unique_id: str | None = None,
    ) -> list[SearchClip]:
        """Rank the moments of your parsed videos that match `query`, best first.

        `search_type` chooses what is matched: the pictures (`BY_VIDEO`) or the speech
        (`BY_AUDIO`); `top_k` caps the number of clips; `filtering_level` trades recall
        (`low`) for precision (`high`).
        """
        body = {
            "search_param": non_empty("query", query),
            "search_type": choice("search_type", search_type, get_args(VideoSearchType)),
            "unique_id": self._unique_id(unique_id),
        }
        if top_k is not None:
            body["top_k"] = positive_int("top_k", top_k)
        if filtering_level is not None:
            body["filtering_level"] = choice(
                "filtering_level", filtering_level, get_args(FilteringLevel)
            )
        result = await self._pipeline.request(SEARCH, json=body, cast_to=list[SearchClip] | None)
        return result or []
