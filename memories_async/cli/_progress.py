"""The live view of an ingestion job: a redrawn status line on a terminal, log lines elsewhere.

On a terminal, one status line (files, bytes, rate, ETA, failures) stays at the bottom for the
whole run: it is redrawn in place at most ten times a second as bytes move, at least twice a
second by `tick()` while nothing happens (a rate-limit wait), and at once below every line a
finished source prints, in the same write as that line, so the screen never shows it missing.
Anywhere else (a pipe, a log file, CI) only the per-source lines are printed, without ANSI codes
or carriage returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable

from ..ingest import (
    Failed,
    IngestEvent,
    IngestSummary,
    Parsed,
    Planned,
    Progress,
    Skipped,
    Started,
    Uploaded,
)
from ._common import Console, duration, human_bytes

__all__ = ["IngestProgress", "print_summary"]

_REDRAW_EVERY = 0.1


def _short(path: str) -> str:
    """A path relative to the working directory when that is shorter."""
    if path.startswith(("http://", "https://")):
        return path
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return relative if len(relative) < len(path) else path


class IngestProgress:
    """`on_event` for `ingest()` that keeps the person at the terminal informed."""

    def __init__(
        self,
        console: Console,
        *,
        live: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.live = console.color if live is None else live
        self._clock = clock
        self._start = clock()
        self._drawn = 0.0
        self._status_shown = False
        self.total = 0
        self.total_bytes = 0
        self._finished: set[str] = set()
        self.skipped_bytes = 0
        self.uploaded = 0
        self.bytes_sent = 0
        self.parsed = 0
        self.failed = 0
        self._sizes: dict[str, int] = {}
        self._partial: dict[str, int] = {}

    # -- events --------------------------------------------------------------------------

    def __call__(self, event: IngestEvent) -> None:
        c = self.console
        if isinstance(event, Planned):
            self.total, self.total_bytes = event.total, event.total_bytes
            self._log(f"ingesting {event.total} source(s), {human_bytes(event.total_bytes)}")
        elif isinstance(event, Started):
            self._sizes[event.source] = event.bytes
            self._partial[event.source] = 0
        elif isinstance(event, Progress):
            size = self._sizes.get(event.source, 0)
            self._partial[event.source] = size * event.sent // event.total if event.total else 0
        elif isinstance(event, Uploaded):
            self._partial.pop(event.source, None)
            self.uploaded += 1
            self.bytes_sent += event.bytes
            self._finished.add(event.source)
            how = " (found on the server after an interrupted run)" if event.reconciled else ""
            self._log(
                f"{c.good('uploaded')} {_short(event.source)} -> {event.remote_id}{how}"
                f" {self._count()}"
            )
        elif isinstance(event, Parsed):
            self.parsed += 1
            self._log(f"{c.good('parsed')}   {_short(event.source)} ({event.video_no})")
        elif isinstance(event, Failed):
            self._partial.pop(event.source, None)
            self.failed += 1
            self._finished.add(event.source)
            if event.in_doubt:
                note = " (may have reached the server: checked on the next run)"
            elif event.gave_up:
                note = " (--retry-failed tries it again)"
            else:
                note = ""
            self._log(f"{c.bad('failed')}   {_short(event.source)}: {event.error}{note}")
            return
        elif isinstance(event, Skipped):
            self._finished.add(event.source)
            self.skipped_bytes += self._sizes.get(event.source, 0)
            self._log(f"{c.dim('skipped')}  {_short(event.source)}: {event.reason}")
            return
        self._redraw(force=isinstance(event, Planned))

    @property
    def finished(self) -> int:
        """Sources that reached an end in this run: uploaded, skipped or failed."""
        return len(self._finished)

    def _count(self) -> str:
        return f"({self.finished}/{self.total})" if self.total else ""

    def tick(self) -> None:
        """Redraw the status line now (rates and ETA move on while uploads wait their turn)."""
        self._redraw(force=True)

    # -- drawing -------------------------------------------------------------------------

    def status(self) -> str:
        """The status line: files, bytes, rates, ETA, failures."""
        elapsed = max(self._clock() - self._start, 1e-9)
        in_flight = sum(self._partial.values())
        sent = self.bytes_sent + in_flight
        rate = sent / elapsed
        files_rate = self.uploaded / elapsed
        remaining = max(self.total_bytes - self.skipped_bytes - sent, 0)
        if rate > 0 and self.total_bytes:
            eta = duration(remaining / rate)
        elif files_rate > 0:
            eta = duration((self.total - self.finished) / files_rate)
        else:
            eta = "-"
        parts = [
            f"{self.finished}/{self.total} files",
            f"{human_bytes(sent)}/{human_bytes(max(self.total_bytes - self.skipped_bytes, 0))}",
            f"{files_rate:.1f} files/s",
            f"{human_bytes(rate)}/s",
            f"ETA {eta}",
        ]
        if self.parsed:
            parts.append(f"{self.parsed} parsed")
        if self.failed:
            parts.append(self.console.bad(f"{self.failed} failed"))
        return "  ".join(parts)

    def _redraw(self, *, force: bool = False) -> None:
        if not self.live:
            return
        now = self._clock()
        if not force and now - self._drawn < _REDRAW_EVERY:
            return
        self._drawn = now
        self.console.write("\r\x1b[2K" + self.status())
        self._status_shown = True

    def _log(self, text: str) -> None:
        if not self.live:
            self.console.line(text)
            return
        # The line replaces the status line, which is drawn again below it in the same write.
        self._drawn = self._clock()
        self.console.write(f"\r\x1b[2K{text}\n{self.status()}")
        self._status_shown = True

    def close(self) -> None:
        """Leave the terminal with the last status line drawn and a line break after it."""
        if self.live:
            self._redraw(force=True)
            self.console.line()
            self._status_shown = False

    @contextlib.asynccontextmanager
    async def ticking(self, interval: float = 0.5) -> AsyncIterator[IngestProgress]:
        """Within the block, `tick()` every `interval` seconds on a terminal (run the job in it).

        A plain task rather than a task group, so an error of the job leaves the block as it is.
        """
        task = asyncio.get_running_loop().create_task(self._tick_every(interval))
        try:
            yield self
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _tick_every(self, interval: float) -> None:
        if not self.live:
            return
        while True:
            await asyncio.sleep(interval)
            self.tick()


def print_summary(console: Console, summary: IngestSummary) -> None:
    """The end of a job, for a person."""
    c = console
    counts = ", ".join(f"{state} {n}" for state, n in summary.counts.items() if n)
    verdict = c.good("done") if summary.ok else c.bad("incomplete")
    gave_up = f" ({summary.gave_up} gave up)" if summary.gave_up else ""
    c.line(
        f"{verdict} in {duration(summary.elapsed)}: {summary.uploaded} uploaded"
        f" ({human_bytes(summary.bytes_sent)}), {summary.skipped} skipped,"
        f" {len(summary.failures)} failed{gave_up}"
    )
    if summary.reconciled:
        c.line(f"{summary.reconciled} upload(s) of an interrupted run were found on the server")
    c.line(f"states: {counts or 'nothing to do'}")
    if summary.failures:
        c.line("failures:")
        for failure in summary.failures:
            c.line(f"  {_short(failure.source)}: {failure.error}")
    if summary.gave_up:
        c.line(
            f"run the same command with --retry-failed to try the {summary.gave_up} source(s)"
            " that gave up again"
        )
    elif not summary.ok:
        c.line("run the same command again to resume and retry")
    c.line(c.dim(f"journal: {summary.journal}"))
