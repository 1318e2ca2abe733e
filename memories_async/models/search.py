"""Models of the search endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import MemoriesModel, alias

__all__ = ["FilteringLevel", "SearchClip", "SearchType", "VideoSearchType"]

SearchType = Literal["BY_VIDEO", "BY_AUDIO", "BY_IMAGE", "BY_CLIP"]
VideoSearchType = Literal["BY_VIDEO", "BY_AUDIO", "BY_CLIP"]
"""`BY_CLIP` matches the pictures clip by clip: the vendor's own examples use it for visual
search, though the v1.2 documents list only `BY_VIDEO` and `BY_AUDIO`."""
FilteringLevel = Literal["low", "medium", "high"]


class SearchClip(MemoriesModel):
    """One ranked moment of a video: where it starts and ends (seconds) and how well it matched."""

    video_no: str = Field(validation_alias=alias("videoNo", "video_no"))
    video_name: str | None = Field(None, validation_alias=alias("videoName", "video_name"))
    start_time: float | None = Field(
        None, validation_alias=alias("startTime", "start_time", "start")
    )
    end_time: float | None = Field(None, validation_alias=alias("endTime", "end_time", "end"))
    score: float | None = None
