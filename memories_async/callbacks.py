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
from .models._base import MemoriesModel, alias
from .models.common import TokenUsage
from .models.videos import ParseState

__all__ = [
    "CallbackPayload",
    "CaptionCallback",
    "CaptionResult",
    "ScraperCallback",
    "UploadCallback",
    "parse_callback",
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


def parse_callback(body: bytes | str | Mapping[str, Any]) -> CallbackPayload:
    """Read a callback request's body (raw bytes, text or decoded JSON) into its model.

    Raises `InvalidArgumentError` (field `body`) for anything that is not one of the three
    payloads, so a web handler can answer 400.
    """
    payload: Any = body
    if isinstance(body, bytes | bytearray | str):
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidArgumentError("body", "is not JSON") from None
    if not isinstance(payload, Mapping):
        raise InvalidArgumentError("body", f"must be a JSON object, got {type(payload).__name__}")
    kind = _kind(payload)
    if kind is None:
        keys = ", ".join(sorted(map(str, payload))) or "none"
        raise InvalidArgumentError("body", f"is not a known callback payload (keys: {keys})")
    try:
        return kind.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidArgumentError("body", f"{kind.__name__}: {first['msg']} at {where}") from None
