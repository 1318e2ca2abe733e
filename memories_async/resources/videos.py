"""The caller's video library."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .._pipeline import Endpoint
from .._validate import non_empty, positive_int
from ..models.videos import Video, VideoPage
from ._base import AsyncResource

__all__ = ["AsyncVideos"]

LIST_VIDEOS = Endpoint("list_videos", "POST", "/serve/api/v1/list_videos", bucket="list_videos")


class AsyncVideos(AsyncResource):
    """`client.videos`: upload, list, wait for, download and delete videos."""

    async def list(
        self,
        *,
        page: int = 1,
        size: int = 20,
        video_name: str | None = None,
        video_no: str | None = None,
        status: str | None = None,
        unique_id: str | None = None,
    ) -> VideoPage:
        """One page of your videos, filtered by name (partial match), number or status."""
        body: dict[str, Any] = {
            "page": positive_int("page", page),
            "size": positive_int("size", size),
            "unique_id": self._unique_id(unique_id),
        }
        if video_name is not None:
            body["video_name"] = video_name
        if video_no is not None:
            body["video_no"] = non_empty("video_no", video_no)
        if status is not None:
            body["status"] = non_empty("status", status)
        return await self._pipeline.request(LIST_VIDEOS, json=body, cast_to=VideoPage)

    async def iter(
        self,
        *,
        size: int = 20,
        video_name: str | None = None,
        video_no: str | None = None,
        status: str | None = None,
        unique_id: str | None = None,
    ) -> AsyncIterator[Video]:
        """Every video that matches the filters, fetching page after page as you iterate."""
        page = 1
        while True:
            result = await self.list(
                page=page,
                size=size,
                video_name=video_name,
                video_no=video_no,
                status=status,
                unique_id=unique_id,
            )
            for video in result.videos:
                yield video
            if not result.has_more:
                return
            page += 1
