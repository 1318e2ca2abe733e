"""Personal.ai's POST /v1/memory: a text memory with source, domain, time and tags."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.responses import Response

from ._context import Ctx, RouteSpec
from ._params import param_error, str_field

__all__ = ["ROUTES"]


def _created(value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise param_error("CreatedTime", "must look like 'Wed, 19 Sep 2023 13:31:00 PDT'")
    return parsed.astimezone(timezone.utc)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


async def memory(ctx: Ctx) -> Response:
    """POST /v1/memory: Text, SourceName and DomainName are required."""
    body = await ctx.json_object()
    text = str_field(body, "Text", required=True)
    source = str_field(body, "SourceName", required=True)
    domain = str_field(body, "DomainName", required=True)
    raw_feed = str_field(body, "RawFeedText")
    tags = str_field(body, "Tags") or ""
    created = _created(str_field(body, "CreatedTime"))
    item: dict[str, Any] = {
        "type": "MEMORY",
        "memlevel": "MEMBLOCK",
        "memlabel": text,
        "start_time_utc": _utc(created),
        "source": {"type": "text", "name": source},
        "topics": [{"value": t.strip()} for t in tags.split(",") if t.strip()],
    }
    with ctx.emu.state.lock:
        ctx.emu.state.memories.setdefault(ctx.api_key, []).append(
            item | {"domain": domain, "raw_feed_text": raw_feed}
        )
    return ctx.bare({"type": "memory", "payload": [{"data": [item]}]})


ROUTES = [RouteSpec("personal_memory", "/v1/memory", "POST", "personal", memory)]
