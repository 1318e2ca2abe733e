"""How videos enter the caller's library: file and URL uploads, and the platform scrapers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from .._errors import InvalidArgumentError
from .._extras import Body, Headers, Query, RequestExtras
from .._form import indexing_fields, media_metadata
from .._pipeline import Endpoint
from .._uploads import FileInput, FilePart, MultipartBody, ProgressCallback, open_source
from .._validate import choice, non_empty, positive_int, string_list
from ..models.common import ScrapeTask
from ..models.videos import UploadedVideo
from ._base import AsyncResource

__all__ = ["AsyncVideoIntake", "Quality"]

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


class AsyncVideoIntake(AsyncResource):
    """The part of `client.videos` that brings videos in: `upload`, `upload_url`, `scrape`,
    `scrape_creator`."""

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
        tags: Iterable[str] | None = None,
        retain_original_video: bool | None = None,
        video_transcription_prompt: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
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
        `tags` label the video for `search.videos(tag=...)`; `retain_original_video` keeps
        the original file at the vendor; `video_transcription_prompt` steers the transcription.
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
        indexing = indexing_fields(
            tags=tags,
            retain_original_video=retain_original_video,
            video_transcription_prompt=video_transcription_prompt,
        )
        extras = self._extras(extra_headers, extra_query, extra_body)
        source = await open_source("file", file, default_name="video.mp4", filename=filename)
        body = MultipartBody(
            [*fields.items(), *indexing], [FilePart("file", source)], on_progress=on_progress
        )
        return await self._pipeline.request(UPLOAD, body=body, cast_to=UploadedVideo, extras=extras)

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
        tags: Iterable[str] | None = None,
        video_transcription_prompt: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> UploadedVideo:
        """Have the vendor fetch a video from a direct, playable URL (no platform pages).

        For TikTok, YouTube or Instagram post pages use `scrape`. `tags` and
        `video_transcription_prompt` are as for `upload`.
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
        for name, value in indexing_fields(
            tags=tags, video_transcription_prompt=video_transcription_prompt
        ):
            if name == "tags":
                form.setdefault("tags", []).append(value)  # one form field per tag
            else:
                form[name] = value
        return await self._pipeline.request(
            UPLOAD_URL,
            data=form,
            cast_to=UploadedVideo,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    async def scrape(
        self,
        urls: Iterable[str],
        *,
        public: bool = False,
        quality: Quality | None = None,
        callback_url: str | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
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
            body,
            callback_url,
            public,
            unique_id,
            private=SCRAPER_URL,
            shared=SCRAPER_URL_PUBLIC,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    async def scrape_creator(
        self,
        creator_url: str,
        *,
        public: bool = False,
        max_videos: int | None = None,
        callback_url: str | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
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
            extras=self._extras(extra_headers, extra_query, extra_body),
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
        extras: RequestExtras | None,
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
            return await self._pipeline.request(
                shared, json=body, cast_to=ScrapeTask, extras=extras
            )
        body["unique_id"] = self._unique_id(unique_id)
        return await self._pipeline.request(private, json=body, cast_to=ScrapeTask, extras=extras)
