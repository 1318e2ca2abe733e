"""The caller's video library: uploads, scrapers, listing, waiting, download and deletion."""

from __future__ import annotations

import builtins
import os
import time
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import anyio

from .._download import file_name_for, resolve_destination, save_response
from .._errors import InvalidArgumentError, VideoProcessingError, WaitTimeoutError
from .._form import media_metadata
from .._pipeline import Endpoint
from .._uploads import (
    FileInput,
    FilePart,
    MultipartBody,
    ProgressCallback,
    open_source,
)
from .._validate import choice, non_empty, number_range, positive_int, string_list
from ..models.common import ScrapeTask
from ..models.transcripts import SummaryType, Transcription, TranscriptionUpdate, VideoSummary
from ..models.videos import UploadedVideo, Video, VideoPage, VideoStatus
from ._base import AsyncResource

__all__ = ["AsyncVideos"]

_API = "/serve/api/v1/"
UPLOAD = Endpoint("upload", "POST", _API + "upload", bucket="upload", idempotent=False)
UPLOAD_URL = Endpoint("upload_url", "POST", _API + "upload_url", bucket="upload", idempotent=False)
SCRAPER_URL = Endpoint(
    "scraper_url", "POST", _API + "scraper_url", bucket="platform", idempotent=False
)
SCRAPER_URL_PUBLIC = Endpoint(
    "scraper_url_public", "POST", _API + "scraper_url_public", bucket="platform", idempotent=False
)
SCRAPER = Endpoint("scraper", "POST", _API + "scraper", bucket="platform", idempotent=False)
SCRAPER_PUBLIC = Endpoint(
    "scraper_public", "POST", _API + "scraper_public", bucket="platform", idempotent=False
)
LIST_VIDEOS = Endpoint("list_videos", "POST", _API + "list_videos", bucket="list_videos")
DELETE_VIDEOS = Endpoint("delete_videos", "POST", _API + "delete_videos", bucket="delete_videos")
DOWNLOAD = Endpoint("download", "POST", _API + "download", bucket="download")
TRANSCRIPTION = Endpoint(
    "get_video_transcription", "GET", _API + "get_video_transcription", "video_transcription"
)
SUMMARY = Endpoint("generate_summary", "GET", _API + "generate_summary", bucket="summary")
UPDATE_TRANSCRIPTION = Endpoint(
    "update_video_transcription",
    "POST",
    _API + "update_video_transcription",
    bucket="update_transcription",
    idempotent=False,
)

DELETE_BATCH = 100
"""The most video numbers one `delete_videos` request may carry."""

Quality = Literal[1080, 720, 480, 260]

_PLATFORM_HOSTS = {
    "tiktok.com": "TIKTOK",
    "youtube.com": "YOUTUBE",
    "youtu.be": "YOUTUBE",
    "instagram.com": "INSTAGRAM",
}


def _platform(field: str, url: str) -> str | None:
    """The platform a URL belongs to (None for hosts we do not know), after checking it is one."""
    parts = urlsplit(non_empty(field, url).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgumentError(field, f"must be an http(s) URL, got {url!r}")
    host = parts.hostname.lower()
    for domain, platform in _PLATFORM_HOSTS.items():
        if host == domain or host.endswith("." + domain):
            return platform
    return None


class AsyncVideos(AsyncResource):
    """`client.videos`: upload, list, wait for, download and delete videos."""

    # -- uploads -----------------------------------------------------------------------------

    async def upload(
        self,
        file: FileInput,
        *,
        unique_id: str | None = None,
        callback: str | None = None,
        datetime_taken: datetime | str | None = None,
        camera_model: str | None = None,
        latitude: float | str | None = None,
        longitude: float | str | None = None,
        on_progress: ProgressCallback | None = None,
        filename: str | None = None,
    ) -> UploadedVideo:
        """Upload a video file of any size: a path, bytes, or a seekable binary file object
        (sync or async, read from its current position). `filename` is the name the video gets
        (default: the file's own name, else `video.mp4`): handy for a browser upload held in a
        temporary file.

        The file is streamed from disk in worker threads, so memory stays flat and the event loop
        keeps running; `on_progress(sent, total)` (sync or async) follows the request body's
        bytes as they leave, and starts again from 0 if a failed attempt is retried.
        `callback` is a URL the vendor POSTs the parse status to (see `memories_async.callbacks`);
        `datetime_taken` takes a datetime (its wall-clock time) or `"YYYY-MM-DD HH:MM:SS"`.
        """
        fields = {"unique_id": self._unique_id(unique_id)}
        if callback is not None:
            fields["callback"] = non_empty("callback", callback)
        fields.update(
            media_metadata(
                datetime_taken=datetime_taken,
                camera_model=camera_model,
                latitude=latitude,
                longitude=longitude,
            )
        )
        source = await open_source("file", file, default_name="video.mp4", filename=filename)
        body = MultipartBody(
            list(fields.items()), [FilePart("file", source)], on_progress=on_progress
        )
        return await self._pipeline.request(UPLOAD, body=body, cast_to=UploadedVideo)

    async def upload_url(
        self,
        url: str,
        *,
        unique_id: str | None = None,
        callback: str | None = None,
        datetime_taken: datetime | str | None = None,
        camera_model: str | None = None,
        latitude: float | str | None = None,
        longitude: float | str | None = None,
    ) -> UploadedVideo:
        """Have the vendor fetch a video from a direct, playable URL (no platform pages).

        For TikTok, YouTube or Instagram post pages use `scrape`.
        """
        _platform("url", url)
        form: dict[str, Any] = {"url": url.strip(), "unique_id": self._unique_id(unique_id)}
        if callback is not None:
            form["callback"] = non_empty("callback", callback)
        form.update(
            media_metadata(
                datetime_taken=datetime_taken,
                camera_model=camera_model,
                latitude=latitude,
                longitude=longitude,
            )
        )
        return await self._pipeline.request(UPLOAD_URL, data=form, cast_to=UploadedVideo)

    async def scrape(
        self,
        urls: Iterable[str],
        *,
        public: bool = False,
        quality: Quality | None = None,
        callback_url: str | None = None,
        unique_id: str | None = None,
    ) -> ScrapeTask:
        """Index videos from TikTok, YouTube or Instagram post URLs, all from one platform.

        With `public=True` they go to the shared public library (permanent, searchable by
        everyone) rather than yours. `quality` caps the resolution of YouTube videos. The
        answer is a task: follow it with `client.tasks.get(task.task_id)` or your callback.
        """
        items = string_list("urls", urls)
        found = (_platform(f"urls[{i}]", u) for i, u in enumerate(items))
        platforms = {p for p in found if p is not None}
        if len(platforms) > 1:
            raise InvalidArgumentError(
                "urls", f"must all come from one platform, got {', '.join(sorted(platforms))}"
            )
        body: dict[str, Any] = {"video_urls": [u.strip() for u in items]}
        if quality is not None:
            body["quality"] = choice("quality", quality, get_args(Quality))
        return await self._start_scrape(
            body, callback_url, public, unique_id, private=SCRAPER_URL, shared=SCRAPER_URL_PUBLIC
        )

    async def scrape_creator(
        self,
        creator_url: str,
        *,
        public: bool = False,
        max_videos: int | None = None,
        callback_url: str | None = None,
        unique_id: str | None = None,
    ) -> ScrapeTask:
        """Index the latest videos of a creator (a TikTok, YouTube or Instagram profile URL).

        `max_videos` is sent as `scraper_cnt`. This contract (`scraper` / `scraper_public`)
        comes from public clients and newer vendor pages, not from the vendor documents.
        """
        if _platform("creator_url", creator_url) is None:
            raise InvalidArgumentError(
                "creator_url", f"must be a TikTok, YouTube or Instagram URL, got {creator_url!r}"
            )
        body: dict[str, Any] = {"username": creator_url.strip()}
        if max_videos is not None:
            body["scraper_cnt"] = positive_int("max_videos", max_videos)
        return await self._start_scrape(
            body,
            callback_url,
            public,
            unique_id,
            private=SCRAPER,
            shared=SCRAPER_PUBLIC,
            shared_takes_unique_id=True,  # API.md gives scraper_public the same body as scraper
        )

    async def _start_scrape(
        self,
        body: dict[str, Any],
        callback_url: str | None,
        public: bool,
        unique_id: str | None,
        *,
        private: Endpoint,
        shared: Endpoint,
        shared_takes_unique_id: bool = False,
    ) -> ScrapeTask:
        """Send a scraper request to the public library's endpoint or to the caller's own."""
        if callback_url is not None:
            body["callback_url"] = non_empty("callback_url", callback_url)
        if public:
            if shared_takes_unique_id:
                body["unique_id"] = self._unique_id(unique_id)
            elif unique_id is not None:
                raise InvalidArgumentError(
                    "unique_id", f"{shared.name} takes no unique_id (the public library has none)"
                )
            return await self._pipeline.request(shared, json=body, cast_to=ScrapeTask)
        body["unique_id"] = self._unique_id(unique_id)
        return await self._pipeline.request(private, json=body, cast_to=ScrapeTask)

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
            body["status"] = choice("status", status, VideoStatus.ALL)
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

    async def delete(self, video_nos: Iterable[str], *, unique_id: str | None = None) -> None:
        """Delete videos and everything derived from them, for good.

        Any number of video numbers is accepted (duplicates are sent once): they go in requests
        of at most 100, in order. If one request fails, the batches before it have been deleted.
        """
        items = builtins.list(dict.fromkeys(string_list("video_nos", video_nos)))
        params = {"unique_id": self._unique_id(unique_id)}
        for start in range(0, len(items), DELETE_BATCH):
            batch = items[start : start + DELETE_BATCH]
            await self._pipeline.request(DELETE_VIDEOS, params=params, json=batch, cast_to=None)

    async def wait_until_parsed(
        self,
        video_no: str,
        *,
        timeout: float | None = 600.0,
        poll_interval: float = 5.0,
        unique_id: str | None = None,
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
            page = await self.list(video_no=video_no, unique_id=unique_id)
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
        self, video_no: str, dest: str | os.PathLike[str], *, unique_id: str | None = None
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
            DOWNLOAD, json=body, accept="application/octet-stream"
        ) as response:
            return await save_response(response, target, endpoint=DOWNLOAD.name)

    # -- what is in a video ------------------------------------------------------------------

    async def transcription(self, video_no: str, *, unique_id: str | None = None) -> Transcription:
        """What a parsed video shows and says, segment by segment with start and end times."""
        params = {
            "video_no": non_empty("video_no", video_no),
            "unique_id": self._unique_id(unique_id),
        }
        return await self._pipeline.request(TRANSCRIPTION, params=params, cast_to=Transcription)

    async def summary(
        self, video_no: str, type: SummaryType = "CHAPTER", *, unique_id: str | None = None
    ) -> VideoSummary:
        """A parsed video's summary: by time (`CHAPTER`) or by subject (`TOPIC`)."""
        params = {
            "video_no": non_empty("video_no", video_no),
            "type": choice("type", type, get_args(SummaryType)),
            "unique_id": self._unique_id(unique_id),
        }
        return await self._pipeline.request(SUMMARY, params=params, cast_to=VideoSummary)

    async def update_transcription(
        self,
        video_no: str,
        prompt: str,
        *,
        callback: str | None = None,
        unique_id: str | None = None,
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
            UPDATE_TRANSCRIPTION, json=body, cast_to=TranscriptionUpdate
        )
