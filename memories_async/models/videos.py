"""Models of the video library: listed videos and their pages."""

from __future__ import annotations

from pydantic import Field

from ._base import MemoriesModel, MillisDatetime, NullableStr, alias
from .common import EpochDatetime

__all__ = [
    "ParseState",
    "PublicVideo",
    "UploadedVideo",
    "Video",
    "VideoMetadata",
    "VideoPage",
    "VideoStatus",
]


class VideoStatus:
    """The status values the vendor documents; `status` fields stay plain strings for new ones."""

    UNPARSE = "UNPARSE"
    PARSE = "PARSE"
    FAIL = "FAIL"
    FAILED = "FAILED"
    PARSE_ERROR = "PARSE_ERROR"
    FAILURES = frozenset({FAIL, FAILED, PARSE_ERROR})
    ALL = (UNPARSE, PARSE, FAIL, FAILED, PARSE_ERROR)


class ParseState:
    """`is_parsed` / `is_failed` for every model that carries a video's `status`."""

    status: str | None

    @property
    def is_parsed(self) -> bool:
        """Whether the video is indexed and ready for search and chat."""
        return self.status == VideoStatus.PARSE

    @property
    def is_failed(self) -> bool:
        """Whether processing failed for good."""
        return self.status in VideoStatus.FAILURES


class Video(ParseState, MemoriesModel):
    """A video of the library as `list_videos` describes it."""

    video_no: str = Field(validation_alias=alias("video_no", "videoNo"))
    video_name: str | None = Field(None, validation_alias=alias("video_name", "videoName"))
    status: str | None = Field(None, validation_alias=alias("status", "videoStatus"))
    duration: float | None = None
    size: int | None = None
    cause: NullableStr = None
    create_time: MillisDatetime | None = Field(
        None, validation_alias=alias("create_time", "createTime")
    )


class VideoMetadata(ParseState, MemoriesModel):
    """What `get_metadata` reports of a video: its indexing status and what is known of it.

    The endpoint is not in the v1.2 documents (the vendor's examples poll it while a video is
    indexed), so beyond these fields the answer's others are kept as they came
    (`model_extra`).
    """

    video_no: str | None = Field(None, validation_alias=alias("video_no", "videoNo"))
    video_name: str | None = Field(None, validation_alias=alias("video_name", "videoName"))
    status: str | None = Field(
        None, validation_alias=alias("status", "videoStatus", "video_status", "index_status")
    )
    duration: float | None = None
    size: int | None = None
    tags: list[str] | None = None
    create_time: MillisDatetime | None = Field(
        None, validation_alias=alias("create_time", "createTime")
    )


class VideoPage(MemoriesModel):
    """One page of `list_videos`."""

    videos: list[Video] = Field(default_factory=list)
    current_page: int = Field(1, validation_alias=alias("current_page", "currentPage", "page"))
    page_size: int = Field(20, validation_alias=alias("page_size", "pageSize", "size"))
    total_count: int = Field(0, validation_alias=alias("total_count", "totalCount", "total"))

    @property
    def has_more(self) -> bool:
        """Whether pages after this one hold more videos."""
        return self.current_page * self.page_size < self.total_count and bool(self.videos)


class UploadedVideo(MemoriesModel):
    """What `upload` and `upload_url` answer: the new video's number and first status."""

    video_no: str = Field(validation_alias=alias("videoNo", "video_no"))
    video_name: str | None = Field(None, validation_alias=alias("videoName", "video_name"))
    status: str | None = Field(
        None, validation_alias=alias("videoStatus", "status", "video_status")
    )
    upload_time: MillisDatetime | None = Field(
        None, validation_alias=alias("uploadTime", "upload_time")
    )


class PublicVideo(MemoriesModel):
    """A video of the public library (TikTok, YouTube, Instagram) with its platform metadata."""

    video_no: str = Field(validation_alias=alias("video_no", "videoNo"))
    video_name: str | None = Field(None, validation_alias=alias("video_name", "videoName"))
    duration: float | None = None
    status: str | None = None
    create_time: MillisDatetime | None = Field(
        None, validation_alias=alias("create_time", "createTime")
    )
    video_url: NullableStr = Field(None, validation_alias=alias("video_url", "videoUrl"))
    like_count: int | None = None
    share_count: int | None = None
    comment_count: int | None = None
    view_count: int | None = None
    collect_count: int | None = None
    blogger_id: NullableStr = None
    text_language: NullableStr = None
    music_name: NullableStr = None
    hash_tag: NullableStr = None
    publish_time: EpochDatetime | None = None

    @property
    def hashtags(self) -> list[str]:
        """`hash_tag` split into tags: `"#nba#minnesota"` gives `["nba", "minnesota"]`."""
        if not self.hash_tag:
            return []
        return [t.strip() for t in self.hash_tag.replace(" ", "#").split("#") if t.strip()]
