"""Form fields the upload endpoints share: when and where a photo or video was taken, with what
camera, and how the video is to be indexed, written the way the vendor reads them and checked
before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from ._errors import InvalidArgumentError
from ._validate import non_empty, number_range, string_list

__all__ = ["format_datetime_taken", "indexing_fields", "media_metadata"]

_TAKEN_FORMAT = "%Y-%m-%d %H:%M:%S"
_TAKEN_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def format_datetime_taken(value: datetime | str) -> str:
    """`YYYY-MM-DD HH:MM:SS` from a datetime (its wall-clock time), or a string checked for it."""
    if isinstance(value, datetime):
        return value.strftime(_TAKEN_FORMAT)
    if isinstance(value, str) and _TAKEN_PATTERN.fullmatch(value.strip()):
        try:
            datetime.strptime(value.strip(), _TAKEN_FORMAT)
        except ValueError:
            pass
        else:
            return value.strip()
    raise InvalidArgumentError(
        "datetime_taken", f"must be a datetime or a 'YYYY-MM-DD HH:MM:SS' string, got {value!r}"
    )


def _coordinate(field: str, value: float | str, limit: float) -> str:
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise InvalidArgumentError(field, f"must be a number, got {value!r}") from None
    else:
        number = value
    number_range(field, number, -limit, limit)
    return str(value).strip() if isinstance(value, str) else repr(float(number))


def media_metadata(
    *,
    datetime_taken: datetime | str | None,
    camera_model: str | None,
    latitude: float | str | None,
    longitude: float | str | None,
) -> dict[str, str]:
    """The optional photo metadata form fields shared by the upload endpoints, checked."""
    fields: dict[str, str] = {}
    if datetime_taken is not None:
        fields["datetime_taken"] = format_datetime_taken(datetime_taken)
    if camera_model is not None:
        fields["camera_model"] = non_empty("camera_model", camera_model)
    if latitude is not None:
        fields["latitude"] = _coordinate("latitude", latitude, 90.0)
    if longitude is not None:
        fields["longitude"] = _coordinate("longitude", longitude, 180.0)
    return fields


def indexing_fields(
    *,
    tags: Iterable[str] | None,
    video_transcription_prompt: str | None,
    retain_original_video: bool | None = None,
) -> list[tuple[str, str]]:
    """The live API's indexing fields of a video upload (from the vendor's own examples, not
    the v1.2 documents): one `tags` field per tag, the keep-the-original flag as
    `"true"`/`"false"`, and a prompt that steers the transcription."""
    fields: list[tuple[str, str]] = []
    if tags is not None:
        fields.extend(("tags", tag.strip()) for tag in string_list("tags", tags, allow_empty=True))
    if retain_original_video is not None:
        if not isinstance(retain_original_video, bool):
            raise InvalidArgumentError(
                "retain_original_video",
                f"must be True or False, got {type(retain_original_video).__name__}",
            )
        fields.append(("retain_original_video", "true" if retain_original_video else "false"))
    if video_transcription_prompt is not None:
        fields.append(
            (
                "video_transcription_prompt",
                non_empty("video_transcription_prompt", video_transcription_prompt),
            )
        )
    return fields
