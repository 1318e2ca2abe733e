"""Platform URLs in an ingestion job: sent in batches to the scraper (one request per platform
and batch, since the bucket allows one a minute), journaled like every other source."""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import TYPE_CHECKING

from .._errors import MemoriesError
from ._events import ACCOUNT_ERRORS, Failed, Failure, Started, Uploaded
from ._journal import Record
from ._reconcile import maybe_delivered
from ._sources import Source

if TYPE_CHECKING:
    from ._ingest import Job

__all__ = ["SCRAPE_BATCH", "scrape"]

SCRAPE_BATCH = 50
"""Platform URLs per scrape request (one request per platform and batch: the bucket is 1/min)."""


async def scrape(job: Job, sources: list[Source]) -> None:
    """Platform URLs, one scrape request per platform and batch (the bucket is 1/minute)."""
    by_platform: dict[str, list[tuple[Source, Record]]] = {}
    for source in sources:
        claimed = await job.claim(source)
        if claimed is not None:
            by_platform.setdefault(source.platform or "", []).append((source, claimed[0]))
    for items in by_platform.values():
        for start in range(0, len(items), SCRAPE_BATCH):
            batch = items[start : start + SCRAPE_BATCH]
            await job.gated(functools.partial(_scrape_batch, job, batch))


async def _scrape_batch(job: Job, items: list[tuple[Source, Record]]) -> None:
    items = sorted(items, key=lambda item: item[0].location)
    befores = [dataclasses.replace(record) for _, record in items]
    now = time.time()
    for _, record in items:
        record.state, record.attempt_started = "uploading", now
        record.attempts += 1
        record.in_doubt, record.last_error, record.remote_id = False, None, None
    await job.journal.save([r for _, r in items])
    for source, record in items:
        await job.emit(Started(source.location, source.kind, 0, record.attempts))
    try:
        task = await job.client.videos.scrape(
            [s.location for s, _ in items], unique_id=job.unique_id
        )
    except ACCOUNT_ERRORS as exc:
        restored = [r.restore(b) for (_, r), b in zip(items, befores, strict=True)]
        await job.stop(exc, restored)
        return
    except MemoriesError as exc:
        job.account_ok.set()
        error = str(exc) or type(exc).__name__
        for source, record in items:
            record.state, record.in_doubt, record.last_error = (
                "failed",
                maybe_delivered(exc),
                error,
            )
            job.failures[source.location] = Failure(source.location, error)
        await job.journal.save([r for _, r in items])
        for source, record in items:
            await job.emit(Failed(source.location, error, record.in_doubt))
        return
    job.account_ok.set()
    for _, record in items:
        record.state, record.task_id = "uploaded", task.task_id
    await job.journal.save([r for _, r in items])
    for source, record in items:
        job.uploaded += 1
        await job.emit(Uploaded(source.location, task.task_id, 0))
        job.watcher.watch(record)
