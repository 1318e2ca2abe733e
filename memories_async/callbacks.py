"""The payloads the vendor POSTs to your callback URLs, and `parse_callback` to read them.

```python
from memories_async.callbacks import UploadCallback, parse_callback

@app.post("/memories/callback")
async def hook(request):
    event = parse_callback(await request.body())
    if isinstance(event, UploadCallback) and event.is_parsed:
        ...
```
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError

from ._errors import InvalidArgumentError
from .models._base import MemoriesModel, alias, first_error
from .models.common import TokenUsage
from .models.videos import ParseState

__all__ = [
    "CallbackPayload",
    "CaptionCallback",
    "CaptionResult",
    "EditCallback",
    "ScraperCallback",
    "UploadCallback",
    "parse_callback",
    "parse_edit_callback",
]


class UploadCallback(ParseState, MemoriesModel):
    """Sent after `upload` / `upload_url`: a video's new status (`PARSE`, `UNPARSE`, `FAIL`)."""

    video_no: str = Field(validation_alias=alias("videoNo", "video_no"))
    status: str


class ScraperCallback(MemoriesModel):
    """Sent after `scrape` / `scrape_creator`: the task's status (`SUCCEEDED`, `FAILED`, ...)."""

    task_id: str = Field(validation_alias=alias("taskId", "task_id"))
    status: str
    message: str | None = None
    video_id: str | None = Field(None, validation_alias=alias("videoId", "video_id", "videoNo"))

    @property
    def succeeded(self) -> bool:
        """Whether the task (or, with `INDEXING_SUCCEEDED`, its indexing) went through."""
        return self.status in ("SUCCEEDED", "INDEXING_SUCCEEDED")


class CaptionResult(MemoriesModel):
    """A caption's text and the tokens it cost."""

    text: str = ""
    token: TokenUsage | None = None


class CaptionCallback(MemoriesModel):
    """Sent by the caption host when a video caption is done: `status` 0 is success, -1 failure."""

    status: int
    task_id: str = Field(validation_alias=alias("task_id", "taskId"))
    data: CaptionResult | None = None

    @property
    def ok(self) -> bool:
        """Whether the caption succeeded."""
        return self.status == 0

    @property
    def text(self) -> str | None:
        """The caption, when there is one."""
        return None if self.data is None else self.data.text


class EditCallback(MemoriesModel):
    """Sent by the v2 host when a clip, split or edit task (`client.edits`) ends, to the webhook
    the account registered with the vendor. Its shape is not published: the task id and a
    status are typed where present, and every other field is kept as it came (`model_extra`).
    """

    task_id: str | None = Field(None, validation_alias=alias("task_id", "taskId"))
    status: str | int | None = None


CallbackPayload = UploadCallback | ScraperCallback | CaptionCallback


def _kind(payload: Mapping[str, Any]) -> type[CallbackPayload] | None:
    status = payload.get("status")
    if ("task_id" in payload and "data" in payload) or (
        isinstance(status, int) and not isinstance(status, bool)
    ):
        return CaptionCallback
    if "taskId" in payload or "task_id" in payload:
        return ScraperCallback
    if "videoNo" in payload or "video_no" in payload:
        return UploadCallback
    return None


def _object(body: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    payload: Any = body
    if isinstance(body, bytes | bytearray | str):
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidArgumentError("body", "is not JSON") from None
    if not isinstance(payload, Mapping):
        raise InvalidArgumentError("body", f"must be a JSON object, got {type(payload).__name__}")
    return payload


def parse_edit_callback(body: bytes | str | Mapping[str, Any]) -> EditCallback:
    """Read the body of an edit task's webhook (raw bytes, text or decoded JSON), keeping every
    field; `InvalidArgumentError` (field `body`) when it is not a JSON object."""
    try:
        return EditCallback.model_validate(_object(body))
    except ValidationError as exc:
        raise InvalidArgumentError("body", f"EditCallback: {first_error(exc)}") from None


def parse_callback(body: bytes | str | Mapping[str, Any]) -> CallbackPayload:
    """Read a callback request's body (raw bytes, text or decoded JSON) into its model.

    Raises `InvalidArgumentError` (field `body`) for anything that is not one of the three
    payloads, so a web handler can answer 400. (Edit task webhooks: `parse_edit_callback`.)
    """
    payload = _object(body)
    kind = _kind(payload)
    if kind is None:
        keys = ", ".join(sorted(map(str, payload))) or "none"
        raise InvalidArgumentError("body", f"is not a known callback payload (keys: {keys})")
    try:
        return kind.model_validate(payload)
    except ValidationError as exc:
        raise InvalidArgumentError("body", f"{kind.__name__}: {first_error(exc)}") from None
