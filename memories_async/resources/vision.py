"""Visual Intelligence on the v2 host: ask a vision-language model about a video or an image."""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from .._errors import InvalidArgumentError
from .._extras import Body, Headers, Query
from .._pipeline import Endpoint
from .._validate import non_empty, number_range, positive_int
from ..models.vision import Completion
from ._base import AsyncResource

__all__ = ["AsyncVision"]

# Not idempotent: a completion costs credits each time, so it is resent only when the server
# certainly never saw it. Answers without an envelope (`completion` in `_answers`).
COMPLETIONS = Endpoint(
    "vu_chat_completions",
    "POST",
    "/vu/chat/completions",
    bucket="vision",
    host="vlm",
    idempotent=False,
    envelope="completion",
)

DEFAULT_MODEL = "gemini:gemini-2.5-flash"


def _file_part(field: str, uri: str, mime_type: str | None, fallback: str) -> dict[str, str]:
    uri = non_empty(field, uri).strip()
    guessed = mimetypes.guess_type(uri.split("?", 1)[0])[0]
    return {
        "type": "input_file",
        "file_uri": uri,
        "mime_type": non_empty("mime_type", mime_type) if mime_type else guessed or fallback,
    }


def _messages(value: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise InvalidArgumentError("messages", "must be a non-empty list of message objects")
    checked = []
    for index, message in enumerate(value):
        if not isinstance(message, Mapping) or "role" not in message or "content" not in message:
            raise InvalidArgumentError(f"messages[{index}]", "must have a role and a content")
        checked.append(dict(message))
    return checked


class AsyncVision(AsyncResource):
    """`client.vision`: Visual Intelligence completions (`/vu/chat/completions`)."""

    async def complete(
        self,
        prompt: str | None = None,
        *,
        model: str = DEFAULT_MODEL,
        video_url: str | None = None,
        image_url: str | None = None,
        mime_type: str | None = None,
        system: str | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        response_format: Literal["text", "json"] = "text",
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> Completion:
        """Ask `model` (the vendor's `provider:model` names, such as the default
        `gemini:gemini-2.5-flash`) about the video at `video_url` or the image at `image_url`.

        Give a `prompt` (with `system` before it), or whole OpenAI-style `messages` whose
        `content` is a list of parts (`{"type": "text", ...}`, `{"type": "input_file",
        "file_uri", "mime_type"}`). `mime_type` defaults to what the URL's extension says.
        `response_format="json"` asks for JSON (`Completion.json()` parses it, code fences and
        all). A completion that fails raises `APIError` with the vendor's code and message.
        """
        if messages is not None:
            if prompt is not None or video_url is not None or image_url is not None:
                raise InvalidArgumentError(
                    "messages", "give either messages, or a prompt with video_url/image_url"
                )
            conversation = _messages(messages)
        else:
            if prompt is None:
                raise InvalidArgumentError("prompt", "is required (or give messages)")
            parts: list[dict[str, Any]] = [{"type": "text", "text": non_empty("prompt", prompt)}]
            if video_url is not None:
                parts.append(_file_part("video_url", video_url, mime_type, "video/mp4"))
            if image_url is not None:
                parts.append(_file_part("image_url", image_url, mime_type, "image/jpeg"))
            conversation = [{"role": "user", "content": parts}]
            if system is not None:
                text = {"type": "text", "text": non_empty("system", system)}
                conversation.insert(0, {"role": "system", "content": [text]})
        body: dict[str, Any] = {"model": non_empty("model", model), "messages": conversation}
        if temperature is not None:
            body["temperature"] = number_range("temperature", temperature, 0.0, 2.0)
        if max_tokens is not None:
            body["max_tokens"] = positive_int("max_tokens", max_tokens)
        if response_format == "json":
            # As API.md gives it from the vendor's examples: a body field named `extra_body`.
            body["extra_body"] = {"metadata": {"response_mime_type": "application/json"}}
        elif response_format != "text":
            raise InvalidArgumentError("response_format", "must be 'text' or 'json'")
        return await self._pipeline.request(
            COMPLETIONS,
            json=body,
            cast_to=Completion,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )
