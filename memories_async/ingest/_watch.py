"""Waiting for uploaded videos (and scrape tasks) to be parsed: one watcher per job, polling the
server for what it follows until each is parsed, failed or timed out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from .._errors import MemoriesError
from ._events import Failed, Failure, IngestEvent, Parsed
from ._journal import Journal, Record

if TYPE_CHECKING:
    from .._client import AsyncMemories

__all__ = ["ParseWatcher"]


class ParseWatcher:
    """Follows uploaded videos of one job until the server has parsed them."""

    def __init__(
        self,
        client: AsyncMemories,
        journal: Journal,
        *,
        enabled: bool,
        unique_id: str | None,
        poll_interval: float,
        parse_timeout: float | None,
        failures: dict[str, Failure],
        emit: Callable[[IngestEvent], Awaitable[None]],
    ) -> None:
        self.client = client
        self.journal = journal
        self.enabled = enabled
        self.unique_id = unique_id
        self.poll_interval = poll_interval
        self.parse_timeout = parse_timeout
        self.failures = failures
        self.emit = emit
        self.watching: dict[str, tuple[Record, float]] = {}
        self.wake = asyncio.Event()
        self.sending_done = False

    def done_sending(self) -> None:
        """Nothing more will be watched: `run` returns once what it follows is settled."""
        self.sending_done = True
        self.wake.set()

    def watch(self, record: Record) -> None:
        """Follow an uploaded video until it is parsed (when the job waits for parsing)."""
        if (
            self.enabled
            and record.state == "uploaded"
            and record.kind != "image"
            and (record.remote_id or record.task_id)
        ):
            self.watching.setdefault(record.key, (record, time.monotonic()))
            self.wake.set()

    async def run(self) -> None:
        """Poll watched videos (and scrape tasks) until each is parsed, failed or timed out."""
        while True:
            if not self.watching:
                if self.sending_done:
                    return
                self.wake.clear()
                await self.wake.wait()
                continue
            tasks: dict[str, list[Record]] = {}
            for key, (record, since) in list(self.watching.items()):
                if self.parse_timeout is not None and time.monotonic() - since > self.parse_timeout:
                    del self.watching[key]
                    error = f"not parsed within {self.parse_timeout:g}s (still uploaded)"
                    self.failures[record.source] = Failure(record.source, error)
                    await self.emit(Failed(record.source, error))
                elif record.remote_id is None and record.task_id is not None:
                    tasks.setdefault(record.task_id, []).append(record)
                elif record.remote_id is not None:
                    await self._check_video(record)
            for task_id, records in tasks.items():
                await self._check_task(task_id, records)
            if self.watching:
                await asyncio.sleep(self.poll_interval)

    async def _check_video(self, record: Record) -> None:
        assert record.remote_id is not None
        try:
            page = await self.client.videos.list(
                video_no=record.remote_id, unique_id=self.unique_id
            )
        except MemoriesError:
            return  # the pipeline already retried; look again next round
        video = next((v for v in page.videos if v.video_no == record.remote_id), None)
        if video is None or not (video.is_parsed or video.is_failed):
            return
        del self.watching[record.key]
        if video.is_parsed:
            record.state = "parsed"
            await self.journal.save([record])
            await self.emit(Parsed(record.source, record.remote_id))
            return
        cause = f": {video.cause}" if video.cause else ""
        record.state, record.last_error = (
            "failed",
            f"the server could not parse it ({video.status}{cause})",
        )
        await self.journal.save([record])
        self.failures[record.source] = Failure(record.source, record.last_error)
        await self.emit(Failed(record.source, record.last_error))

    async def _check_task(self, task_id: str, records: list[Record]) -> None:
        try:
            status = await self.client.tasks.get(task_id, unique_id=self.unique_id)
        except MemoriesError:
            return
        numbers = status.video_nos
        if not numbers:
            return
        if len(numbers) != len(records):  # cannot tell which video is which URL: stop here
            for record in records:
                self.watching.pop(record.key, None)
            return
        # A task lists its videos in the order of its URLs, which were sent sorted.
        for record, number in zip(sorted(records, key=lambda r: r.source), numbers, strict=True):
            record.remote_id = number
        await self.journal.save(records)
