"""Captions on the caption host: videos (answered on a callback) and images (answered at once),
with optional human re-identification of up to five reference persons.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .._errors import InvalidArgumentError
from .._extras import Body, Headers, Query
from .._pipeline import Endpoint
from .._uploads import (
    FileInput,
    FilePart,
    FileSource,
    MultipartBody,
    ProgressCallback,
    file_list,
    open_source,
)
from .._validate import non_empty, string_list
from ..models.caption import CaptionTask, ImageCaption, Person
from ._base import AsyncResource

__all__ = ["MAX_CAPTION_VIDEO_BYTES", "MAX_PERSONS", "AsyncCaption"]

CAPTION_VIDEO = Endpoint(
    "caption_video",
    "POST",
    "/v1/understand/upload",
    bucket="caption_video",
    host="caption",
    idempotent=False,
    envelope="caption",
)
CAPTION_VIDEO_REID = replace(CAPTION_VIDEO, bucket="reid")
CAPTION_VIDEO_FILE = replace(
    CAPTION_VIDEO, name="caption_video_file", path="/v1/understand/uploadFile"
)
CAPTION_VIDEO_FILE_REID = replace(CAPTION_VIDEO_FILE, bucket="reid")
CAPTION_IMAGE = Endpoint(
    "caption_image",
    "POST",
    "/v1/understand/uploadImg",
    bucket="caption_image",
    host="caption",
    envelope="caption",
)
CAPTION_IMAGE_REID = replace(CAPTION_IMAGE, bucket="reid")
CAPTION_IMAGE_FILE = replace(
    CAPTION_IMAGE, name="caption_image_file", path="/v1/understand/uploadImgFile"
)
CAPTION_IMAGE_FILE_REID = replace(CAPTION_IMAGE_FILE, bucket="reid")

MAX_PERSONS = 5
MAX_CAPTION_VIDEO_BYTES = 20 * 1024 * 1024
"""The caption host refuses videos over 20 MB; checked before anything is sent."""


def _check_persons(persons: Sequence[Person] | None) -> list[Person]:
    if persons is None:
        return []
    if isinstance(persons, Person):
        persons = [persons]
    items = list(persons)
    if len(items) > MAX_PERSONS:
        raise InvalidArgumentError(
            "persons", f"at most {MAX_PERSONS} reference persons, got {len(items)}"
        )
    for index, person in enumerate(items):
        field = f"persons[{index}]"
        if not isinstance(person, Person):
            raise InvalidArgumentError(field, f"must be a Person, got {type(person).__name__}")
        non_empty(f"{field}.name", person.name)
        if (person.url is None) == (person.file is None):
            raise InvalidArgumentError(field, "needs exactly one of url or file")
        if person.url is not None:
            non_empty(f"{field}.url", person.url)
    return items


def _persons_json(persons: list[Person]) -> list[dict[str, str]]:
    return [{"name": p.name} if p.url is None else {"name": p.name, "url": p.url} for p in persons]


def _prompts(user_prompt: str, system_prompt: str | None, thinking: bool | None) -> dict[str, Any]:
    req: dict[str, Any] = {"user_prompt": non_empty("user_prompt", user_prompt)}
    if system_prompt is not None:
        req["system_prompt"] = non_empty("system_prompt", system_prompt)
    if thinking is not None:
        if not isinstance(thinking, bool):
            raise InvalidArgumentError("thinking", "must be True or False")
        req["thinking"] = thinking
    return req


def _req_part(req: dict[str, Any]) -> FilePart:
    data = json.dumps(req, ensure_ascii=False, separators=(",", ":")).encode()
    return FilePart("req", FileSource.from_bytes(data, "req.json", "application/json"))


class AsyncCaption(AsyncResource):
    """`client.caption`: describe videos and images, optionally spotting given persons.

    These endpoints live on the caption host and take its special key (`caption_api_key`).
    """

    async def video(
        self,
        *,
        video_url: str | None = None,
        file: FileInput | None = None,
        user_prompt: str,
        system_prompt: str,
        callback: str,
        persons: Sequence[Person] | None = None,
        thinking: bool | None = None,
        on_progress: ProgressCallback | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> CaptionTask:
        """Start a caption of a video given by `video_url` or as a `file` (at most 20 MB).

        The caption arrives later on `callback` (parse it with `memories_async.callbacks`).
        `persons` (at most 5) are looked for in the video, each by a reference image URL or file;
        reference files need the video as a file too.
        """
        if (video_url is None) == (file is None):
            raise InvalidArgumentError("video_url", "give exactly one of video_url or file")
        refs = _check_persons(persons)
        req = _prompts(user_prompt, system_prompt, thinking)
        req["callback"] = non_empty("callback", callback)
        if refs:
            req["persons"] = _persons_json(refs)
        has_ref_files = any(p.file is not None for p in refs)
        if video_url is not None:
            if has_ref_files:
                raise InvalidArgumentError(
                    "persons", "reference image files need the video as a file; use urls here"
                )
            req = {"video_url": non_empty("video_url", video_url), **req}
            endpoint = CAPTION_VIDEO_REID if refs else CAPTION_VIDEO
            return await self._pipeline.request(
                endpoint,
                json=req,
                cast_to=CaptionTask,
                extras=self._extras(extra_headers, extra_query, extra_body),
            )
        assert file is not None
        video = await open_source("file", file, default_name="video.mp4")
        if video.size > MAX_CAPTION_VIDEO_BYTES:
            raise InvalidArgumentError(
                "file",
                f"the caption host takes videos up to 20 MB, this one has {video.size} bytes",
            )
        parts = [_req_part(req), FilePart("files", video)]
        for index, person in enumerate(refs):
            if person.file is not None:
                source = await open_source(
                    f"persons[{index}].file", person.file, default_name=f"person-{index + 1}.jpg"
                )
                parts.append(FilePart("file", source))
        body = MultipartBody([], parts, on_progress=on_progress)
        endpoint = CAPTION_VIDEO_FILE_REID if refs else CAPTION_VIDEO_FILE
        return await self._pipeline.request(
            endpoint,
            body=body,
            cast_to=CaptionTask,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )

    async def image(
        self,
        *,
        image_url: str | Sequence[str] | None = None,
        file: FileInput | Sequence[FileInput] | None = None,
        user_prompt: str,
        system_prompt: str | None = None,
        thinking: bool | None = None,
        persons: Sequence[Person] | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> ImageCaption:
        """Caption one or more images, given by URL(s) or as file(s); the text comes back at once.

        `persons` (at most 5, by reference image URL only) are looked for in the images. The
        image endpoints come from newer vendor pages, not from the vendor documents.
        """
        if (image_url is None) == (file is None):
            raise InvalidArgumentError("image_url", "give exactly one of image_url or file")
        refs = _check_persons(persons)
        if any(p.file is not None for p in refs):
            raise InvalidArgumentError("persons", "image captions take reference images by url")
        req = _prompts(user_prompt, system_prompt, thinking)
        if refs:
            req["persons"] = _persons_json(refs)
        if image_url is not None:
            if isinstance(image_url, str):
                req["url"] = non_empty("image_url", image_url)
            else:
                req["urls"] = string_list("image_url", image_url)
            endpoint = CAPTION_IMAGE_REID if refs else CAPTION_IMAGE
            return await self._pipeline.request(
                endpoint,
                json=req,
                cast_to=ImageCaption,
                extras=self._extras(extra_headers, extra_query, extra_body),
            )
        assert file is not None
        files = file_list("file", file)
        parts = [_req_part(req)]
        for index, item in enumerate(files):
            field = "file" if len(files) == 1 else f"file[{index}]"
            source = await open_source(field, item, default_name=f"image-{index + 1}.jpg")
            parts.append(FilePart("file", source))
        body = MultipartBody([], parts)
        endpoint = CAPTION_IMAGE_FILE_REID if refs else CAPTION_IMAGE_FILE
        return await self._pipeline.request(
            endpoint,
            body=body,
            cast_to=ImageCaption,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )
