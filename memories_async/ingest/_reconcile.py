"""Settling what a killed or failed run left in doubt, before the next run sends anything.

Before a run sends anything, every record in doubt is *reconciled* against the server: its
videos are listed by name (`list_videos`, `video_name` filter) and a video counts as this attempt
when its name is the name sent, its size equals the file's bytes, its create time is no earlier
than the attempt's start (less `CLOCK_SKEW` for the two clocks), and no other record of the
journal already claims it. Found: the record becomes `uploaded` with that number. Not found: the
request never completed server-side, so it is sent again. A killed client's connection is closed
by the OS, so a half-sent body is discarded by the server rather than stored later.

The match is unambiguous because a job never has two attempts in doubt with the same (name, size):
uploads of one (name, size) run one at a time, an intent is committed ahead of its worker only
while no other source of its (name, size) is in flight, and once one of them ends in doubt, later
sources with that (name, size) are deferred to the next run, after reconciliation. Image uploads and
platform scrapes have no listing to check against; when in doubt they are sent again (the only
case where a duplicate is possible, and only for a request whose answer never arrived).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from .._errors import (
    APIConnectionError,
    APIResponseValidationError,
    InternalServerError,
    MemoriesError,
)
from .._retry import certainly_not_acted_on
from ._events import IngestEvent, Uploaded
from ._journal import Journal, Record

if TYPE_CHECKING:
    from .._client import AsyncMemories
    from ..models.videos import Video

__all__ = ["CLOCK_SKEW", "RECONCILABLE_KINDS", "maybe_delivered", "reconcile"]

CLOCK_SKEW = 300.0
"""Seconds a server's create time may lag the client's clock and still match an attempt."""
RECONCILABLE_KINDS = frozenset({"video", "url"})
"""Kinds whose uploads can be found again in the server's video listing after a crash."""


def maybe_delivered(error: MemoriesError) -> bool:
    """Whether a failed request may nonetheless have been acted on by the server: the resend
    rule's complement for failures the server answered or that broke after sending."""
    if isinstance(error, APIResponseValidationError):
        return True  # it answered success, in a shape we could not read
    if isinstance(error, APIConnectionError | InternalServerError):
        return not certainly_not_acted_on(error)
    return False


def _stem(name: str) -> str:
    stem = os.path.splitext(name)[0]
    return stem or name


async def reconcile(
    client: AsyncMemories,
    journal: Journal,
    unique_id: str | None,
    emit: Callable[[IngestEvent], Awaitable[None]],
) -> int:
    """Settle every record a previous run left in doubt (see the module docstring); returns how
    many were found on the server."""
    found = 0
    doubtful = [r for r in journal.records.values() if r.state == "uploading" or r.in_doubt]
    claimed = journal.claimed_ids()
    for record in sorted(doubtful, key=lambda r: r.attempt_started or 0.0):
        video = None
        if record.kind in RECONCILABLE_KINDS:
            video = await _find_on_server(client, unique_id, record, claimed)
        if video is not None:
            claimed.add(video.video_no)
            record.state, record.remote_id = "uploaded", video.video_no
            record.last_error = None
            found += 1
        elif record.state == "uploading":
            record.state = "pending"
        record.in_doubt = False
        await journal.save([record])
        if video is not None:
            await emit(Uploaded(record.source, video.video_no, record.bytes, reconciled=True))
    return found


async def _find_on_server(
    client: AsyncMemories, unique_id: str | None, record: Record, claimed: set[str]
) -> Video | None:
    stem = _stem(record.name)
    names = {record.name, stem}
    earliest = (record.attempt_started or 0.0) - CLOCK_SKEW
    found: list[Video] = []
    async for video in client.videos.iter(video_name=stem, size=100, unique_id=unique_id):
        if video.video_no in claimed or video.video_name not in names:
            continue
        if record.kind == "video" and video.size is not None and video.size != record.bytes:
            continue
        if video.create_time is not None and video.create_time.timestamp() < earliest:
            continue
        found.append(video)
    if not found:
        return None
    return min(found, key=lambda v: v.create_time.timestamp() if v.create_time else 0.0)
