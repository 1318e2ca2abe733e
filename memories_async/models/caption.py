"""Models of the caption host: reference persons to look for, tasks and image captions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import Field

from ._base import MemoriesModel, alias
from .common import TokenUsage

if TYPE_CHECKING:
    from .._uploads import FileInput

__all__ = ["CaptionTask", "ImageCaption", "Person"]


@dataclass(frozen=True)
class Person:
    """Someone to re-identify in a caption: a name and a reference image, by `url` or `file`.

    `file` takes what uploads take (a path, bytes or a binary file object).
    """

    name: str
    url: str | None = None
    file: FileInput | None = None


class CaptionTask(MemoriesModel):
    """A video caption task; the result arrives on your callback (`memories_async.callbacks`)."""

    task_id: str = Field(validation_alias=alias("task_id", "taskId"))


class ImageCaption(MemoriesModel):
    """An image caption, answered at once: the text and the tokens it cost."""

    text: str = ""
    token: TokenUsage | None = None
