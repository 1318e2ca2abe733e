"""Models of chat sessions: the list of them, and one session's messages."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from ._base import MemoriesModel, alias

__all__ = ["Session", "SessionDetail", "SessionMessage", "SessionPage", "SessionThinking"]


class Session(MemoriesModel):
    """A chat session: its id (pass it to `chat` to continue it) and title."""

    session_id: str = Field(validation_alias=alias("sessionId", "session_id"))
    title: str | None = None


class SessionPage(MemoriesModel):
    """One page of your chat sessions."""

    sessions: list[Session] = Field(default_factory=list)
    current_page: int = Field(1, validation_alias=alias("current_page", "currentPage", "page"))
    page_size: int = Field(20, validation_alias=alias("page_size", "pageSize", "size"))
    total_count: int = Field(0, validation_alias=alias("total_count", "totalCount", "total"))

    @property
    def has_more(self) -> bool:
        """Whether pages after this one hold more sessions."""
        return self.current_page * self.page_size < self.total_count and bool(self.sessions)


class SessionThinking(MemoriesModel):
    """One reasoning step the assistant showed."""

    title: str | None = None
    content: str | None = None


class SessionMessage(MemoriesModel):
    """One message of a session, the user's or the assistant's."""

    role: str | None = None
    content: str = ""
    thinkings: list[SessionThinking] = Field(default_factory=list)
    refs: list[Any] = Field(default_factory=list)

    @field_validator("thinkings", "refs", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("thinkings", mode="before")
    @classmethod
    def _text_thinkings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"content": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("content", mode="before")
    @classmethod
    def _null_content(cls, value: Any) -> Any:
        return "" if value is None else value


class SessionDetail(MemoriesModel):
    """A session's title and its messages, oldest first."""

    title: str | None = None
    messages: list[SessionMessage] = Field(default_factory=list)
