"""Models of what was said and shown in a video: transcriptions, summaries, transcript search."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from ._base import MemoriesModel, alias

__all__ = [
    "SummaryItem",
    "SummaryType",
    "TranscriptHit",
    "TranscriptSearchPage",
    "TranscriptSegment",
    "Transcription",
    "TranscriptionUpdate",
    "VideoSummary",
]

SummaryType = Literal["CHAPTER", "TOPIC"]


class TranscriptSegment(MemoriesModel):
    """One stretch of a transcription: its text and where it sits in the video (seconds)."""

    index: int | None = None
    content: str = Field("", validation_alias=alias("content", "text"))
    start_time: float | None = Field(
        None, validation_alias=alias("startTime", "start_time", "start")
    )
    end_time: float | None = Field(None, validation_alias=alias("endTime", "end_time", "end"))


class Transcription(MemoriesModel):
    """A video's transcription, segment by segment."""

    video_no: str | None = Field(None, validation_alias=alias("videoNo", "video_no"))
    transcriptions: list[TranscriptSegment] = Field(
        default_factory=list, validation_alias=alias("transcriptions", "transcription")
    )

    @property
    def text(self) -> str:
        """The whole transcription as one text, a segment per line."""
        return "\n".join(s.content for s in self.transcriptions)


class SummaryItem(MemoriesModel):
    """One chapter or topic of a summary."""

    title: str | None = None
    description: str | None = None
    start_time: float | None = Field(
        None, validation_alias=alias("start", "startTime", "start_time")
    )
    end_time: float | None = Field(None, validation_alias=alias("end", "endTime", "end_time"))


class VideoSummary(MemoriesModel):
    """A video's summary: an overall text and its chapters or topics."""

    video_no: str | None = Field(None, validation_alias=alias("videoNo", "video_no"))
    summary_type: str | None = Field(None, validation_alias=alias("summary_type", "type"))
    summary: str | None = None
    items: list[SummaryItem] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _table_spelling(cls, data: Any) -> Any:
        # The table puts the segments under `summary`; the example has text there and `items`.
        if isinstance(data, dict) and isinstance(data.get("summary"), list):
            data = dict(data)
            segments = data.pop("summary")
            data.setdefault("items", segments)
        return data


class TranscriptionUpdate(MemoriesModel):
    """The answer of `update_transcription`: the video whose transcription is being redone."""

    video_no: str | None = Field(None, validation_alias=alias("video_no", "videoNo"))


class TranscriptHit(MemoriesModel):
    """A transcript snippet that matched a text search, and where it is said."""

    id: str | None = None
    audio_id: str | None = Field(None, validation_alias=alias("audio_id", "audioId"))
    snippet: str = ""
    timestamp: str | None = None

    @property
    def seconds(self) -> float | None:
        """`timestamp` (`"HH:MM:SS"`, `"MM:SS"` or seconds) as seconds from the start."""
        if not self.timestamp:
            return None
        try:
            total = 0.0
            for part in self.timestamp.strip().split(":"):
                total = total * 60 + float(part)
        except ValueError:
            return None
        return total


class TranscriptSearchPage(MemoriesModel):
    """One page of transcript search hits."""

    results: list[TranscriptHit] = Field(default_factory=list)
    page: int = 1
    page_size: int = Field(50, validation_alias=alias("page_size", "pageSize"))
    total: int = Field(0, validation_alias=alias("total", "total_count"))

    @property
    def has_more(self) -> bool:
        """Whether pages after this one hold more hits."""
        return self.page * self.page_size < self.total and bool(self.results)
