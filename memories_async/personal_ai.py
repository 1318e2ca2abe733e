"""`AsyncPersonalAI`: add text memories to a Personal.ai persona (`POST /v1/memory`).

```python
async with AsyncPersonalAI(api_key="...", domain_name="ai-climbing") as pai:
    await pai.memories.create("my cat is born in 2000", source_name="Notes", tags=["pet", "cat"])
```

It has its own connection pool and host, and the same retry and error machinery as
`AsyncMemories`. Personal.ai publishes no rate limits, so nothing is paced.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from functools import cached_property
from typing import Any

import httpx

from ._client import DEFAULT_TIMEOUT, check_api_key, check_base_url, redact_key
from ._errors import InvalidArgumentError
from ._extras import Body, Headers, Query
from ._lifecycle import PoolOwner
from ._pipeline import Endpoint
from ._retry import RetryPolicy
from ._validate import non_empty
from .models.personal_ai import (
    MemoryBlock,
    MemoryCreated,
    MemoryPayload,
    MemorySource,
    MemoryTopic,
)

__all__ = [
    "DEFAULT_PERSONAL_AI_BASE_URL",
    "AsyncPersonalAI",
    "AsyncPersonalMemories",
    "MemoryBlock",
    "MemoryCreated",
    "MemoryPayload",
    "MemorySource",
    "MemoryTopic",
    "format_created_time",
]

DEFAULT_PERSONAL_AI_BASE_URL = "https://api.personal.ai"

CREATE_MEMORY = Endpoint(
    "personal_memory",
    "POST",
    "/v1/memory",
    bucket=None,
    host="personal",
    idempotent=False,
    envelope="none",
)

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The zone names RFC 2822 readers understand; any other zone is written as a numeric offset.
_RFC_ZONES = frozenset({"UT", "UTC", "GMT", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"})


def format_created_time(moment: datetime) -> str:
    """`"Wed, 19 Sep 2023 13:31:00 PDT"`: the moment in its own zone, English names whatever the
    locale, and a numeric offset (`+0200`) for zones without a well-known abbreviation."""
    offset = moment.utcoffset() if isinstance(moment, datetime) else None
    if offset is None:
        raise InvalidArgumentError("created_time", "must be a timezone-aware datetime")
    zone = moment.tzname()
    if zone not in _RFC_ZONES:
        zone = moment.strftime("%z")
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year}"
        f" {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {zone}"
    )


def _tags(tags: str | Iterable[str]) -> str:
    if isinstance(tags, str):
        return tags
    items = [non_empty(f"tags[{i}]", t).strip() for i, t in enumerate(tags)]
    for index, tag in enumerate(items):
        if "," in tag:
            raise InvalidArgumentError(f"tags[{index}]", f"must not contain a comma: {tag!r}")
    return ",".join(items)


class AsyncPersonalMemories:
    """`pai.memories`: the memory stack of the client's persona."""

    def __init__(self, client: AsyncPersonalAI) -> None:
        self._client = client

    async def create(
        self,
        text: str,
        *,
        source_name: str,
        created_time: datetime | None = None,
        raw_feed_text: str | None = None,
        tags: str | Iterable[str] | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> MemoryCreated:
        """Store `text` as a memory of the persona, noting where it came from (`source_name`).

        `created_time` must be timezone-aware (default: now, in the local zone); `tags` is a
        list (joined with commas) or a ready comma-separated string; `raw_feed_text` keeps a
        formatted (HTML) copy of the text.
        """
        body: dict[str, Any] = {
            "Text": non_empty("text", text),
            "SourceName": non_empty("source_name", source_name),
            "DomainName": self._client.domain_name,
            "CreatedTime": format_created_time(
                datetime.now().astimezone() if created_time is None else created_time
            ),
        }
        if raw_feed_text is not None:
            body["RawFeedText"] = raw_feed_text
        if tags is not None:
            body["Tags"] = _tags(tags)
        pipeline = self._client._pipeline
        extras = pipeline.check_extras(extra_headers, extra_query, extra_body)
        return await pipeline.request(
            CREATE_MEMORY, json=body, cast_to=MemoryCreated, extras=extras
        )


class AsyncPersonalAI(PoolOwner):
    """The async client of Personal.ai's memory API, bound to one persona (`domain_name`)."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        domain_name: str,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int | RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        """Configure a client; no connection is opened until the first request.

        `api_key` falls back to `PERSONAL_AI_API_KEY`; `domain_name` is the persona (the prefix
        before `.personal.ai`). `base_url` may be plain http only to a loopback host.
        """
        key = api_key if api_key is not None else os.environ.get("PERSONAL_AI_API_KEY")
        self._api_key = check_api_key("api_key", key, "PERSONAL_AI_API_KEY")
        self.domain_name = non_empty("domain_name", domain_name).strip()
        self.base_url = check_base_url("base_url", base_url or DEFAULT_PERSONAL_AI_BASE_URL)
        self._open(
            "personal",
            self.base_url,
            {"x-api-key": self._api_key},
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
        )

    @cached_property
    def memories(self) -> AsyncPersonalMemories:
        """The persona's memories: `create`."""
        return AsyncPersonalMemories(self)

    def __repr__(self) -> str:
        return (
            f"AsyncPersonalAI(base_url={self.base_url!r}, domain_name={self.domain_name!r}, "
            f"api_key={redact_key(self._api_key)!r}{', closed' if self._closed else ''})"
        )
