"""Models of the image library: uploaded images, image search pages, similar-image matches."""

from __future__ import annotations

from pydantic import Field

from ._base import MemoriesModel, MillisDatetime, NullableStr, alias

__all__ = ["ImageItem", "ImageSearchPage", "SimilarImage", "SimilarImagePage", "UploadedImage"]


class UploadedImage(MemoriesModel):
    """An image `images.upload` stored: its id (the example's `id`, the table's `imageNo`)."""

    id: str = Field(validation_alias=alias("id", "imageNo", "image_no"))
    image_name: str | None = Field(None, validation_alias=alias("imageName", "image_name"))
    upload_status: str | None = Field(None, validation_alias=alias("uploadStatus", "upload_status"))
    upload_time: MillisDatetime | None = Field(
        None, validation_alias=alias("uploadTime", "upload_time")
    )


class ImageItem(MemoriesModel):
    """An image of your library that matched a search, with its photo metadata."""

    id: str
    name: str | None = None
    img_url: str | None = Field(None, validation_alias=alias("img_url", "image_url", "imgUrl"))
    latitude: float | None = None
    longitude: float | None = None
    datetime_taken: MillisDatetime | None = Field(
        None, validation_alias=alias("datetime_taken", "datetimeTaken")
    )
    camera_model: NullableStr = Field(None, validation_alias=alias("camera_model", "cameraModel"))


class ImageSearchPage(MemoriesModel):
    """The answer of a `BY_IMAGE` search: one page of matching images."""

    items: list[ImageItem] = Field(default_factory=list, validation_alias=alias("item", "items"))
    current_page: int = Field(0, validation_alias=alias("current_page", "currentPage", "page"))
    page_size: int = Field(20, validation_alias=alias("page_size", "pageSize"))
    total_count: int = Field(0, validation_alias=alias("total_count", "totalCount", "total"))


class SimilarImage(MemoriesModel):
    """An image that looks like the one searched with, and how alike they are (0..1)."""

    id: str | None = None
    image_url: str | None = Field(None, validation_alias=alias("image_url", "img_url", "imageUrl"))
    similarity_score: float | None = Field(
        None, validation_alias=alias("similarity_score", "similarityScore", "score")
    )
    source: str | None = None


class SimilarImagePage(MemoriesModel):
    """The answer of a similar-image search."""

    results: list[SimilarImage] = Field(default_factory=list)
    total: int = Field(0, validation_alias=alias("total", "total_count"))
