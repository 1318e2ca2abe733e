"""Models of the v2 host: a Visual Intelligence completion, and an editing task."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import Field

from ._base import MemoriesModel, alias

__all__ = ["Completion", "CompletionChoice", "CompletionMessage", "CompletionUsage", "EditTask"]

_FENCE = re.compile(r"^\s*```[\w-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


class CompletionMessage(MemoriesModel):
    """The model's message in the chat-completions shape."""

    role: str | None = None
    content: str | list[Any] | None = None


class CompletionChoice(MemoriesModel):
    """One answer: its text as `text`, or as `message.content`, depending on the model."""

    index: int | None = None
    text: str | None = None
    message: CompletionMessage | None = None
    finish_reason: str | None = None

    @property
    def content(self) -> str:
        """The answer's text, from whichever shape it came in."""
        if self.text is not None:
            return self.text
        content = None if self.message is None else self.message.content
        if isinstance(content, list):  # parts: keep the text ones
            return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
        return content or ""


class CompletionUsage(MemoriesModel):
    """Tokens counted by the vendor, where it reports them."""

    prompt_tokens: int | None = Field(None, validation_alias=alias("prompt_tokens", "input_tokens"))
    completion_tokens: int | None = Field(
        None, validation_alias=alias("completion_tokens", "output_tokens")
    )
    total_tokens: int | None = None


class Completion(MemoriesModel):
    """A vision-language model's answer about a video or image (`client.vision.complete`)."""

    id: str | None = None
    model: str | None = None
    status: str | None = None
    choices: list[CompletionChoice] = Field(default_factory=list)
    usage: CompletionUsage | None = None

    @property
    def text(self) -> str:
        """The first choice's text (empty when there is none)."""
        return self.choices[0].content if self.choices else ""

    def json(self) -> Any:  # type: ignore[override]
        """The text parsed as JSON, after stripping the code fences models often wrap it in
        (Gemini's ```` ```json ```` among them). A `ValueError` says when it is not JSON."""
        text = self.text
        fenced = _FENCE.match(text)
        if fenced is not None:
            text = fenced.group(1)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the completion's text is not JSON ({exc}): {text[:200]!r}") from None


class EditTask(MemoriesModel):
    """A started clip, split or edit task; its result arrives at the account's webhook."""

    task_id: str = Field(validation_alias=alias("task_id", "taskId"))
