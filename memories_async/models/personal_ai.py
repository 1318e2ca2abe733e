"""What Personal.ai's memory endpoint answers: the memory blocks it made of a text."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ._base import MemoriesModel

__all__ = ["MemoryBlock", "MemoryCreated", "MemoryPayload", "MemorySource", "MemoryTopic"]


class MemorySource(MemoriesModel):
    """Where a memory came from."""

    type: str | None = None
    name: str | None = None


class MemoryTopic(MemoriesModel):
    """A tag of a memory."""

    value: str


class MemoryBlock(MemoriesModel):
    """One stored memory block."""

    type: str | None = None
    memlevel: str | None = None
    memlabel: str | None = None
    start_time_utc: datetime | None = None
    source: MemorySource | None = None
    topics: list[MemoryTopic] = Field(default_factory=list)


class MemoryPayload(MemoriesModel):
    """A group of memory blocks."""

    data: list[MemoryBlock] = Field(default_factory=list)


class MemoryCreated(MemoriesModel):
    """Personal.ai's answer to a new memory: the blocks it stored."""

    type: str | None = None
    payload: list[MemoryPayload] = Field(default_factory=list)

    @property
    def blocks(self) -> list[MemoryBlock]:
        """Every stored block, flattened."""
        return [block for group in self.payload for block in group.data]
