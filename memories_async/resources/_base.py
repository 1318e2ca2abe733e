"""What every resource shares: access to the pipeline and the client's defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._extras import Body, Headers, Query, RequestExtras
from .._validate import non_empty

if TYPE_CHECKING:
    from .._client import AsyncMemories
    from .._pipeline import Pipeline


class AsyncResource:
    """A group of endpoints bound to one client."""

    def __init__(self, client: AsyncMemories) -> None:
        self._client = client

    @property
    def _pipeline(self) -> Pipeline:
        return self._client._pipeline

    def _unique_id(self, unique_id: str | None) -> str:
        """The per-call `unique_id` (checked: a non-empty string), else the client's default."""
        return self._client.unique_id if unique_id is None else non_empty("unique_id", unique_id)

    def _extras(
        self, extra_headers: Headers | None, extra_query: Query | None, extra_body: Body | None
    ) -> RequestExtras | None:
        """The call's `extra_*` arguments, checked before anything is sent."""
        return self._pipeline.check_extras(extra_headers, extra_query, extra_body)
