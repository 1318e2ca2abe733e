"""The public library: details and audio transcripts of videos indexed from the platforms."""

from __future__ import annotations

from .._extras import Body, Headers, Query
from .._pipeline import Endpoint
from .._validate import non_empty
from ..models.transcripts import Transcription
from ..models.videos import PublicVideo
from ._base import AsyncResource

__all__ = ["AsyncPublic"]

_API = "/serve/api/v1/"
# Not in the rate table; the list-videos bucket is the nearest kin.
PUBLIC_VIDEO_DETAIL = Endpoint(
    "get_public_video_detail", "GET", _API + "get_public_video_detail", bucket="list_videos"
)
PUBLIC_AUDIO_TRANSCRIPTION = Endpoint(
    "get_public_audio_transcription",
    "GET",
    _API + "get_public_audio_transcription",
    bucket="audio_transcription",
)


class AsyncPublic(AsyncResource):
    """`client.public`: videos of the shared public library (numbers like `PI-...`)."""

    async def video(
        self,
        video_no: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> PublicVideo:
        """A public video's details: title, platform URL, creator, counts and hashtags."""
        params = {"video_no": non_empty("video_no", video_no)}
        return await self._pipeline.request(
            PUBLIC_VIDEO_DETAIL,
            params=params,
            cast_to=PublicVideo,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    async def audio_transcription(
        self,
        video_no: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> Transcription:
        """What is said in a public video, segment by segment."""
        params = {"video_no": non_empty("video_no", video_no)}
        return await self._pipeline.request(
            PUBLIC_AUDIO_TRANSCRIPTION,
            params=params,
            cast_to=Transcription,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )
