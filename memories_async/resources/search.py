"""Search: your library and the public one, by meaning, by transcript text, by image likeness."""

from __future__ import annotations

from typing import Any, get_args

from .._errors import InvalidArgumentError
from .._pipeline import Endpoint
from .._uploads import FileInput, FilePart, MultipartBody, open_source
from .._validate import choice, non_empty, number_range, positive_int
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
        body["filtering_level"] = choice(
            "filtering_level", filtering_level, get_args(FilteringLevel)
        )


class AsyncSearch(AsyncResource):
    """`client.search`: natural-language search over videos, audio and images."""

    async def videos(
        self,
        query: str,
        *,
        search_type: VideoSearchType = "BY_VIDEO",
        top_k: int | None = None,
        filtering_level: FilteringLevel | None = None,
        unique_id: str | None = None,
    ) -> list[SearchClip]:
        """Rank the moments of your parsed videos that match `query`, best first.

        `search_type` chooses what is matched: the pictures (`BY_VIDEO`) or the speech
        (`BY_AUDIO`); `top_k` caps the number of clips; `filtering_level` trades recall
        (`low`) for precision (`high`).
        """
        body: dict[str, Any] = {
            "search_param": non_empty("query", query),
            "search_type": choice("search_type", search_type, get_args(VideoSearchType)),
            "unique_id": self._unique_id(unique_id),
        }
        _ranking(body, top_k, filtering_level)
        result = await self._pipeline.request(SEARCH, json=body, cast_to=list[SearchClip] | None)
        return result or []

    async def images(
        self,
        query: str,
        *,
        top_k: int | None = None,
        filtering_level: FilteringLevel | None = None,
        unique_id: str | None = None,
    ) -> ImageSearchPage:
        """Find the images of your library that match `query` (a `BY_IMAGE` search)."""
        body: dict[str, Any] = {
            "search_param": non_empty("query", query),
            "search_type": "BY_IMAGE",
            "unique_id": self._unique_id(unique_id),
        }
        _ranking(body, top_k, filtering_level)
        result = await self._pipeline.request(SEARCH, json=body, cast_to=ImageSearchPage | None)
        return result or ImageSearchPage()

    async def public(
        self,
        query: str,
        *,
        platform: Platform = "TIKTOK",
        search_type: VideoSearchType = "BY_VIDEO",
        top_k: int | None = None,
        filtering_level: FilteringLevel | None = None,
    ) -> list[SearchClip]:
        """Rank moments of the public library (videos indexed from `platform`) for `query`."""
        body: dict[str, Any] = {
            "search_param": non_empty("query", query),
            "search_type": choice("search_type", search_type, get_args(VideoSearchType)),
            "type": choice("platform", platform, get_args(Platform)),
        }
        _ranking(body, top_k, filtering_level)
        result = await self._pipeline.request(
            SEARCH_PUBLIC, json=body, cast_to=list[SearchClip] | None
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
        return await self._pipeline.request(endpoint, params=params, cast_to=TranscriptSearchPage)

    async def similar_images(
        self,
        image: FileInput,
        *,
        similarity: float | None = None,
        public: bool = False,
        platform: Platform | None = None,
        unique_id: str | None = None,
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
                fields.append(("type", choice("platform", platform, get_args(Platform))))
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
        return await self._pipeline.request(endpoint, body=body, cast_to=SimilarImagePage)


def _no_unique_id() -> InvalidArgumentError:
    return InvalidArgumentError("unique_id", "the public library has no unique_id")
