"""Search: your library and the public one, by meaning, by transcript text, by image likeness."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, get_args

from .._errors import InvalidArgumentError
from .._extras import Body, Headers, Query
from .._form import format_datetime_taken
from .._pipeline import Endpoint
from .._uploads import FileInput, FilePart, MultipartBody, open_source
from .._validate import non_empty, number_range, open_choice, positive_int, string_list
from ..models.common import Platform
from ..models.images import ImageSearchPage, SimilarImagePage
from ..models.search import FilteringLevel, SearchClip, VideoSearchType
from ..models.transcripts import TranscriptSearchPage
from ._base import AsyncResource

__all__ = ["AsyncSearch"]

_API = "/serve/api/v1/"
SEARCH = Endpoint("search", "POST", _API + "search", bucket="search")
SEARCH_PUBLIC = Endpoint("search_public", "POST", _API + "search_public", bucket="search")
SEARCH_AUDIO_TRANSCRIPTS = Endpoint(
    "search_audio_transcripts",
    "GET",
    _API + "search_audio_transcripts",
    bucket="search",
    envelope="optional",
)
SEARCH_PUBLIC_AUDIO_TRANSCRIPTS = Endpoint(
    "search_public_audio_transcripts",
    "GET",
    _API + "search_public_audio_transcripts",
    bucket="search",
    envelope="optional",
)
SEARCH_SIMILAR_IMAGES = Endpoint(
    "search_similar_images",
    "POST",
    _API + "search_similar_images",
    bucket="search",
    envelope="optional",
)
SEARCH_PUBLIC_SIMILAR_IMAGES = Endpoint(
    "search_public_similar_images",
    "POST",
    _API + "search_public_similar_images",
    bucket="search",
    envelope="optional",
)

MAX_TRANSCRIPT_PAGE_SIZE = 100


def _ranking(body: dict[str, Any], top_k: int | None, filtering_level: str | None) -> None:
    if top_k is not None:
        body["top_k"] = positive_int("top_k", top_k)
    if filtering_level is not None:
        body["filtering_level"] = open_choice(
            "filtering_level", filtering_level, get_args(FilteringLevel)
        )


class AsyncSearch(AsyncResource):
    """`client.search`: natural-language search over videos, audio and images."""

    async def videos(
        self,
        query: str,
        *,
        search_type: VideoSearchType | str = "BY_VIDEO",
        top_k: int | None = None,
        filtering_level: FilteringLevel | str | None = None,
        unique_id: str | None = None,
        video_nos: Iterable[str] | None = None,
        tag: str | None = None,
        camera_tag: str | None = None,
        datetime_taken: datetime | str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> list[SearchClip]:
        """Rank the moments of your parsed videos that match `query`, best first.

        `search_type` chooses what is matched: the pictures (`BY_VIDEO`, or `BY_CLIP` clip by
        clip, the vendor examples' choice) or the speech (`BY_AUDIO`); `top_k` caps the number
        of clips; `filtering_level` trades recall (`low`) for precision (`high`). The rest
        narrow the search, as the live API does: to the videos `video_nos`, to videos tagged
        `tag` (see `videos.upload(tags=...)`), by camera, by when and where they were taken.
        """
        if search_type == "BY_IMAGE":
            raise InvalidArgumentError("search_type", "BY_IMAGE finds images: use search.images")
        body: dict[str, Any] = {
            "search_param": non_empty("query", query),
            "search_type": open_choice("search_type", search_type, get_args(VideoSearchType)),
            "unique_id": self._unique_id(unique_id),
        }
        _ranking(body, top_k, filtering_level)
        if video_nos is not None:
            body["video_nos"] = string_list("video_nos", video_nos)
        if tag is not None:
            body["tag"] = non_empty("tag", tag)
        if camera_tag is not None:
            body["camera_tag"] = non_empty("camera_tag", camera_tag)
        if datetime_taken is not None:
            body["datetime_taken"] = format_datetime_taken(datetime_taken)
        if latitude is not None:
            body["latitude"] = _degrees("latitude", latitude, 90.0)
        if longitude is not None:
            body["longitude"] = _degrees("longitude", longitude, 180.0)
        result = await self._pipeline.request(
            SEARCH,
            json=body,
            cast_to=list[SearchClip] | None,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )
        return result or []

    async def images(
        self,
        query: str,
        *,
        top_k: int | None = None,
        filtering_level: FilteringLevel | str | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ImageSearchPage:
        """Find the images of your library that match `query` (a `BY_IMAGE` search)."""
        body: dict[str, Any] = {
            "search_param": non_empty("query", query),
            "search_type": "BY_IMAGE",
            "unique_id": self._unique_id(unique_id),
        }
        _ranking(body, top_k, filtering_level)
        result = await self._pipeline.request(
            SEARCH,
            json=body,
            cast_to=ImageSearchPage | None,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )
        return result or ImageSearchPage()

    async def public(
        self,
        query: str,
        *,
        platform: Platform | str = "TIKTOK",
        search_type: VideoSearchType | str = "BY_VIDEO",
        top_k: int | None = None,
        filtering_level: FilteringLevel | str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> list[SearchClip]:
        """Rank moments of the public library (videos indexed from `platform`) for `query`."""
        if search_type == "BY_IMAGE":
            raise InvalidArgumentError("search_type", "the public library holds no images")
        body: dict[str, Any] = {
            "search_param": non_empty("query", query),
            "search_type": open_choice("search_type", search_type, get_args(VideoSearchType)),
            "type": open_choice("platform", platform, get_args(Platform)),
        }
        _ranking(body, top_k, filtering_level)
        result = await self._pipeline.request(
            SEARCH_PUBLIC,
            json=body,
            cast_to=list[SearchClip] | None,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )
        return result or []

    async def audio_transcripts(
        self,
        query: str,
        *,
        page: int = 1,
        page_size: int = 50,
        public: bool = False,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> TranscriptSearchPage:
        """Text search over audio transcripts: yours, or the public library's (`public=True`).

        `page_size` is at most 100.
        """
        params: dict[str, Any] = {
            "query": non_empty("query", query),
            "page": positive_int("page", page),
            "page_size": positive_int("page_size", page_size, maximum=MAX_TRANSCRIPT_PAGE_SIZE),
        }
        if public:
            if unique_id is not None:
                raise _no_unique_id()
            endpoint = SEARCH_PUBLIC_AUDIO_TRANSCRIPTS
        else:
            params["unique_id"] = self._unique_id(unique_id)
            endpoint = SEARCH_AUDIO_TRANSCRIPTS
        return await self._pipeline.request(
            endpoint,
            params=params,
            cast_to=TranscriptSearchPage,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    async def similar_images(
        self,
        image: FileInput,
        *,
        similarity: float | None = None,
        public: bool = False,
        platform: Platform | str | None = None,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> SimilarImagePage:
        """Find images like `image` (a path, bytes or binary file object) in your library, or
        with `public=True` in the public one of `platform` (TikTok by default).

        `similarity` (0..1) drops matches scoring below it.
        """
        fields: list[tuple[str, str]] = []
        if public:
            if unique_id is not None:
                raise _no_unique_id()
            if platform is not None:
                fields.append(("type", open_choice("platform", platform, get_args(Platform))))
            endpoint = SEARCH_PUBLIC_SIMILAR_IMAGES
        else:
            if platform is not None:
                raise InvalidArgumentError("platform", "only applies to public=True searches")
            fields.append(("unique_id", self._unique_id(unique_id)))
            endpoint = SEARCH_SIMILAR_IMAGES
        if similarity is not None:
            fields.append(("similarity", str(number_range("similarity", similarity, 0.0, 1.0))))
        source = await open_source("image", image, default_name="image.jpg")
        body = MultipartBody(fields, [FilePart("file", source)])
        return await self._pipeline.request(
            endpoint,
            body=body,
            cast_to=SimilarImagePage,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )


def _degrees(field: str, value: float, limit: float) -> float:
    return float(number_range(field, value, -limit, limit))


def _no_unique_id() -> InvalidArgumentError:
    return InvalidArgumentError("unique_id", "the public library has no unique_id")
