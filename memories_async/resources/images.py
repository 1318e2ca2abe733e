"""The caller's image library: uploads of one or many photos with shared metadata."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from .._extras import Body, Headers, Query
from .._form import media_metadata
from .._pipeline import Endpoint
from .._uploads import (
    FileInput,
    FilePart,
    MultipartBody,
    ProgressCallback,
    file_list,
    open_source,
)
from ..models.images import UploadedImage
from ._base import AsyncResource

__all__ = ["AsyncImages"]

UPLOAD_IMG = Endpoint(
    "upload_img", "POST", "/serve/api/v1/upload_img", bucket="upload", idempotent=False
)


class AsyncImages(AsyncResource):
    """`client.images`: add photos to your library (find them with `client.search.images`)."""

    async def upload(
        self,
        files: FileInput | Sequence[FileInput],
        *,
        unique_id: str | None = None,
        datetime_taken: datetime | str | None = None,
        camera_model: str | None = None,
        latitude: float | str | None = None,
        longitude: float | str | None = None,
        on_progress: ProgressCallback | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> list[UploadedImage]:
        """Upload one image or several in one request (JPEG, PNG or WebP), streamed from disk.

        Each file is a path, bytes or a binary file object; the metadata applies to all of them.
        `on_progress(sent, total)` follows the request body's bytes as they leave.
        """
        items = file_list("files", files)
        fields = {"unique_id": self._unique_id(unique_id)}
        fields.update(
            media_metadata(
                datetime_taken=datetime_taken,
                camera_model=camera_model,
                latitude=latitude,
                longitude=longitude,
            )
        )
        parts = []
        for index, item in enumerate(items):
            field = "files" if len(items) == 1 else f"files[{index}]"
            source = await open_source(field, item, default_name=f"image-{index + 1}.jpg")
            parts.append(FilePart("files", source))
        body = MultipartBody(list(fields.items()), parts, on_progress=on_progress)
        result = await self._pipeline.request(
            UPLOAD_IMG,
            body=body,
            cast_to=list[UploadedImage] | None,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )
        return result or []
