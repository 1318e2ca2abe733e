"""The caller's video library: listing, waiting, download, deletion and what is in a video; the
way in (uploads, scrapers) is inherited from `_video_intake`."""

from __future__ import annotations

import builtins
import os
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any, get_args

import anyio

from .._download import file_name_for, resolve_destination, save_response
from .._errors import VideoProcessingError, WaitTimeoutError
from .._extras import Body, Headers, Query
from .._pipeline import Endpoint
from .._validate import non_empty, number_range, open_choice, positive_int, string_list
from ..models.transcripts import SummaryType, Transcription, TranscriptionUpdate, VideoSummary
from ..models.videos import Video, VideoMetadata, VideoPage, VideoStatus
from ._video_intake import AsyncVideoIntake, Quality

__all__ = ["AsyncVideos", "Quality"]

_API = "/serve/api/v1/"
LIST_VIDEOS = Endpoint("list_videos", "POST", _API + "list_videos", bucket="list_videos")
DELETE_VIDEOS = Endpoint("delete_videos", "POST", _API + "delete_videos", bucket="delete_videos")
DOWNLOAD = Endpoint("download", "POST", _API + "download", bucket="download")
TRANSCRIPTION = Endpoint(
    "get_video_transcription", "GET", _API + "get_video_transcription", "video_transcription"
)
SUMMARY = Endpoint("generate_summary", "GET", _API + "generate_summary", bucket="summary")
# Not in the v1.2 documents: the vendor's examples poll it; its bucket is a guess (API.md).
GET_METADATA = Endpoint("get_metadata", "GET", _API + "get_metadata", bucket="list_videos")
UPDATE_TRANSCRIPTION = Endpoint(
    "update_video_transcription",
    "POST",
    _API + "update_video_transcription",
    bucket="update_transcription",
    idempotent=False,
)

DELETE_BATCH = 100
"""The most video numbers one `delete_videos` request may carry."""


class AsyncVideos(AsyncVideoIntake):
    """`client.videos`: upload, list, wait for, download and delete videos."""

    # -- the library -------------------------------------------------------------------------

    async def list(
        self,
        *,
        page: int = 1,
        size: int = 20,
        video_name: str | None = None,
        video_no: str | None = None,
        status: str | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
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
            body["status"] = open_choice("status", status, VideoStatus.ALL)
        return await self._pipeline.request(
            LIST_VIDEOS,
            json=body,
            cast_to=VideoPage,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    async def iter(
        self,
        *,
        size: int = 20,
        video_name: str | None = None,
        video_no: str | None = None,
        status: str | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
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
                extra_headers=extra_headers,
                extra_query=extra_query,
                extra_body=extra_body,
            )
            for video in result.videos:
                yield video
            if not result.has_more:
                return
            page += 1

    async def delete(
        self,
        video_nos: Iterable[str],
        *,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> None:
        """Delete videos and everything derived from them, for good.

        Any number of video numbers is accepted (duplicates are sent once): they go in requests
        of at most 100, in order. If one request fails, the batches before it have been deleted.
        """
        items = builtins.list(dict.fromkeys(string_list("video_nos", video_nos)))
        params = {"unique_id": self._unique_id(unique_id)}
        for start in range(0, len(items), DELETE_BATCH):
            batch = items[start : start + DELETE_BATCH]
            await self._pipeline.request(
                DELETE_VIDEOS,
                params=params,
                json=batch,
                cast_to=None,
                extras=self._extras(extra_headers, extra_query, extra_body),
            )

    async def wait_until_parsed(
        self,
        video_no: str,
        *,
        timeout: float | None = 600.0,
        poll_interval: float = 5.0,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> Video:
        """Poll a video until it is parsed (`PARSE`) and return it.

        Raises `VideoProcessingError` when the vendor reports `FAIL`, `FAILED` or `PARSE_ERROR`,
        and `WaitTimeoutError` after `timeout` seconds (`None`: wait for ever). A video not yet
        listed is waited for too, since a fresh upload may take a moment to appear.
        """
        non_empty("video_no", video_no)
        if timeout is not None:
            number_range("timeout", timeout, 0.0, float("inf"))
        number_range("poll_interval", poll_interval, 0.001, float("inf"))
        deadline = None if timeout is None else time.monotonic() + timeout
        last: Video | None = None
        while True:
            page = await self.list(
                video_no=video_no,
                unique_id=unique_id,
                extra_headers=extra_headers,
                extra_query=extra_query,
                extra_body=extra_body,
            )
            last = next((v for v in page.videos if v.video_no == video_no), last)
            if last is not None and last.is_parsed:
                return last
            if last is not None and last.is_failed:
                status = last.status or VideoStatus.FAIL
                cause = f": {last.cause}" if last.cause else ""
                raise VideoProcessingError(
                    f"video {video_no} failed to process ({status}){cause}",
                    video_no=video_no,
                    status=status,
                    video=last,
                )
            delay = poll_interval
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = f"still {last.status}" if last is not None else "never listed"
                    raise WaitTimeoutError(
                        f"video {video_no} was not parsed within {timeout:g}s ({seen})", last=last
                    )
                delay = min(delay, remaining)
            await anyio.sleep(delay)

    async def download(
        self,
        video_no: str,
        dest: str | os.PathLike[str],
        *,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> Path:
        """Download a video's original file to `dest` and return the path written.

        `dest` is a file path, or a directory (the file is then named `<video_no>.mp4`, with
        any character but letters, digits, `.`, `_` and `-` replaced, so it stays in `dest`).
        The body is streamed to a temporary file beside it and renamed into place only when
        complete: an error or cancellation leaves nothing at `dest`.
        """
        non_empty("video_no", video_no)
        target = await resolve_destination(dest, file_name_for(video_no))
        body = {"video_no": video_no, "unique_id": self._unique_id(unique_id)}
        async with self._pipeline.stream(
            DOWNLOAD,
            json=body,
            accept="application/octet-stream",
            extras=self._extras(extra_headers, extra_query, extra_body),
        ) as response:
            return await save_response(response, target, endpoint=DOWNLOAD.name)

    # -- what is in a video ------------------------------------------------------------------

    async def metadata(
        self,
        video_no: str,
        *,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> VideoMetadata:
        """A video's metadata and indexing status (`GET get_metadata`), every field kept.

        `is_parsed` / `is_failed` read its status as `wait_until_parsed` does.
        """
        params = {
            "video_no": non_empty("video_no", video_no),
            "unique_id": self._unique_id(unique_id),
        }
        return await self._pipeline.request(
            GET_METADATA,
            params=params,
            cast_to=VideoMetadata,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    async def transcription(
        self,
        video_no: str,
        *,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> Transcription:
        """What a parsed video shows and says, segment by segment with start and end times."""
        params = {
            "video_no": non_empty("video_no", video_no),
            "unique_id": self._unique_id(unique_id),
        }
        return await self._pipeline.request(
            TRANSCRIPTION,
            params=params,
            cast_to=Transcription,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    async def summary(
        self,
        video_no: str,
        type: SummaryType | str = "CHAPTER",
        *,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> VideoSummary:
        """A parsed video's summary: by time (`CHAPTER`) or by subject (`TOPIC`)."""
        params = {
            "video_no": non_empty("video_no", video_no),
            "type": open_choice("type", type, get_args(SummaryType)),
            "unique_id": self._unique_id(unique_id),
        }
        return await self._pipeline.request(
            SUMMARY,
            params=params,
            cast_to=VideoSummary,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    async def update_transcription(
        self,
        video_no: str,
        prompt: str,
        *,
        callback: str | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> TranscriptionUpdate:
        """Redo a video's transcription, guided by `prompt`; `callback` hears when it is done.

        This contract (`update_video_transcription`) comes from public clients and newer vendor
        pages, not from the vendor documents.
        """
        body: dict[str, Any] = {
            "video_no": non_empty("video_no", video_no),
            "prompt": non_empty("prompt", prompt),
            "unique_id": self._unique_id(unique_id),
        }
        if callback is not None:
            body["callback"] = non_empty("callback", callback)
        return await self._pipeline.request(
            UPDATE_TRANSCRIPTION,
            json=body,
            cast_to=TranscriptionUpdate,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )
