"""Models of scraping tasks: which videos a task has produced so far."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from ._base import MemoriesModel, alias
from .videos import Video

__all__ = ["TaskStatus"]


class TaskStatus(MemoriesModel):
    """A scraping task's progress: either bare `video_ids`, or full `videos`, or neither yet."""

    task_id: str | None = Field(None, validation_alias=alias("taskId", "task_id"))
    video_ids: list[str] = Field(
        default_factory=list, validation_alias=alias("video_ids", "videoIds")
    )
    videos: list[Video] = Field(default_factory=list)

    @field_validator("video_ids", "videos", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def video_nos(self) -> list[str]:
        """The numbers of the videos the task has produced, whichever shape the answer took."""
        seen = dict.fromkeys(self.video_ids)
        seen.update(dict.fromkeys(v.video_no for v in self.videos))
        return list(seen)

    @property
    def is_downloading(self) -> bool:
        """Whether the vendor is still fetching the videos (no video is known yet)."""
        return not self.video_ids and not self.videos
