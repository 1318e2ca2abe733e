"""`ingest()`: upload folders, files and URLs under the rate limits, resumably, exactly once.

## How a source travels

1. Expanded (`_sources`), then taken by one of `concurrency` workers. A file is identified by the
   SHA-256 of its bytes, hashed in a worker thread (reused from the journal's cache when size and
   mtime are unchanged); small files are read and hashed ahead of the workers, a batch per thread
   hop, and sent from those very bytes; a URL is identified by itself. A source whose content
   the journal already holds as `uploaded`/`parsed` is skipped: a renamed or moved file is not
   uploaded again. A file the journal knows by its unchanged size and mtime as done is reported
   skipped as the job reaches it, without a trip through the workers' queue, so a resumed job
   of thousands of finished files takes a fraction of a second.
2. Its record is committed as `uploading` (attempts + 1, wall-clock start time, the name sent)
   *before* the request leaves, and as `uploaded` with the server's id as soon as the answer
   arrives. For sources known without hashing now (small files read ahead, files of the hash
   cache, URLs) the `uploading` intents of a whole batch are committed in one transaction while
   the batch before it is being sent (`Job.plan`), so no worker waits for a commit; a large file
   hashed by its worker commits its own. Pacing comes from the client's account-wide rate
   buckets.
3. With `wait_for_parse`, uploaded videos are polled until the server reports them parsed
   (`parsed`) or failed (`failed`, the video number kept: it is never uploaded again).

## Why a killed job neither loses nor duplicates work

A SIGKILL can only land in one of three places: before the `uploading` commit (nothing was sent;
the record is absent or `pending`), after the `uploaded` commit (nothing is in doubt), or between
the two. Only the last leaves doubt, and it is visible: the record says `uploading`. Intents
committed ahead widen that window by up to two batches and the workers' queue of sources that
were never sent: each costs the next run one look at the server's listing (5 per second), and a
job that ends any other way (stopped, failed, cancelled) withdraws them first. An error that
may have reached the server (a connection dropped after sending, a timeout, a 5xx other than a
503 that said when to come back, an unreadable success answer) leaves the same doubt, recorded as
`failed` + `in_doubt`; `_reconcile` settles it before the next run sends anything.

## A refused account stops the job

An answer that refuses the account rather than the file (`0401` bad key, `0402` no credit,
`0403`/`9009` not permitted) stops the whole job at once with `IngestStoppedError`: the refused
attempt is rolled back in the journal (it does not count against the file's `max_attempts`),
nothing else is sent, and the next run resumes. Until one request of a run has come back without
such an answer, sends go one at a time, so a wrong key costs one request, not one per worker.

"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import inspect
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

import anyio
import anyio.lowlevel
import anyio.to_thread

from .._errors import (
    APIError,
    InvalidArgumentError,
    MemoriesError,
)
from .._uploads import FileInput, ProgressCallback
from .._validate import positive_int, string_list
from . import _files
from ._events import (
    ACCOUNT_ERRORS,
    EventCallback,
    Failed,
    Failure,
    IngestEvent,
    IngestStoppedError,
    IngestSummary,
    Planned,
    Progress,
    Skipped,
    Started,
    Uploaded,
)
from ._files import HashingFile, MemoryFile
from ._journal import STATES, FileRow, Journal, Record
from ._reconcile import RECONCILABLE_KINDS, maybe_delivered, reconcile
from ._scrape import scrape
from ._sources import Source, expand_sources
from ._watch import ParseWatcher

if TYPE_CHECKING:
    from .._client import AsyncMemories

__all__ = ["DEFAULT_MAX_ATTEMPTS", "ingest"]

DEFAULT_MAX_ATTEMPTS = 3
READ_AHEAD_BATCH = 32
"""Sources identified per thread hop, ahead of the workers (`Job.identify_ahead`)."""
HELD = ("uploaded", "parsed")
"""The states of a record whose content the server holds: its sources are never sent again."""

NameKey = tuple[str, int]
"""A source's name and size: what reconciliation matches an upload by on the server."""


def name_key(source: Source) -> NameKey:
    return (source.name, source.size)


@dataclasses.dataclass
class PlannedBatch:
    """A batch as the workers get it (`Job.plan`), and the commit of its intents to wait for
    before handing it out (None when it committed none)."""

    items: list[Source | Ticket]
    durable: asyncio.Future[None] | None = None


@dataclasses.dataclass
class Ticket:
    """A source claimed for upload: its record, and the file-cache rows to save with it."""

    source: Source
    record: Record
    file_rows: list[FileRow]

    @property
    def name_key(self) -> NameKey:
        return name_key(self.source)


class Job:
    """The state of one `ingest()` call."""

    def __init__(
        self,
        client: AsyncMemories,
        journal: Journal,
        *,
        concurrency: int,
        wait_for_parse: bool,
        on_event: EventCallback | None,
        max_attempts: int,
        retry_failed: bool,
        unique_id: str | None,
        poll_interval: float,
        parse_timeout: float | None,
        tags: list[str] | None = None,
    ) -> None:
        self.client = client
        self.tags = tags
        self.journal = journal
        self.concurrency = concurrency
        self.on_event = on_event
        self.max_attempts = max_attempts
        self.retry_failed = retry_failed
        self.unique_id = unique_id
        self.keys: set[str] = set()
        self.contents: dict[str, bytes] = {}
        # Sources identified ahead of their worker (`identify_ahead`): their key and file row,
        # or the error reading them raised.
        self.identified: dict[str, tuple[str, list[FileRow]] | OSError] = {}
        self.owner: dict[str, str] = {}
        self.failures: dict[str, Failure] = {}
        self.uploaded = 0
        self.skipped = 0
        self.reconciled = 0
        self.bytes_sent = 0
        self.name_locks: dict[NameKey, asyncio.Lock] = {}
        self.doubtful: set[NameKey] = set()
        # Sources planned (`plan`) and not yet done, by name and size; and the records whose
        # `uploading` intent was committed ahead of their worker, by key, as they were before
        # it, until they are sent.
        self.in_flight: collections.Counter[NameKey] = collections.Counter()
        self.committed_ahead: dict[str, Record] = {}
        self.watcher = ParseWatcher(
            client,
            journal,
            enabled=wait_for_parse,
            unique_id=unique_id,
            poll_interval=poll_interval,
            parse_timeout=parse_timeout,
            failures=self.failures,
            emit=self.emit,
        )
        self.account_ok = asyncio.Event()  # a request came back without refusing the account
        self.probe = asyncio.Lock()  # sends go one at a time until then
        self.stopped: APIError | None = None
        self.cancel_scope: anyio.CancelScope | None = None

    async def emit(self, event: IngestEvent) -> None:
        if self.on_event is not None:
            result = self.on_event(event)
            if inspect.isawaitable(result):
                await result

    # -- one source ----------------------------------------------------------------------

    async def identify(self, source: Source) -> tuple[str, list[FileRow]]:
        """The source's journal key, and the file-cache row to save if it was hashed now."""
        if not source.is_file:
            return "url:" + source.location, []
        ahead = self.identified.pop(source.location, None)
        if ahead is not None:
            if isinstance(ahead, OSError):
                raise ahead
            return ahead
        cached = self.journal.cached_key(source.location, source.size, source.mtime_ns)
        if cached is not None:
            return cached, []
        digest, data = await anyio.to_thread.run_sync(
            _files.read_small, source.location, source.size
        )
        return self._read(source, digest, data)

    def _read(self, source: Source, digest: str, data: bytes | None) -> tuple[str, list[FileRow]]:
        """The key of a file just hashed (its bytes kept to send when it was read whole), and
        the file-cache row to save."""
        if data is not None:
            self.contents[source.location] = data
        key = "sha256:" + digest
        return key, [(source.location, source.size, source.mtime_ns, key)]

    async def claim(self, source: Source) -> tuple[Record, list[FileRow]] | None:
        """The record to upload `source` under, or None when it needs no upload (reported)."""
        try:
            key, file_rows = await self.identify(source)
        except OSError as exc:
            error = f"cannot read the file: {exc.strerror or exc}"
            self.failures[source.location] = Failure(source.location, error)
            await self.emit(Failed(source.location, error))
            return None
        if key in self.owner:
            if file_rows:
                await self.journal.save(files=file_rows)
            self.skipped += 1
            await self.emit(Skipped(source.location, f"same content as {self.owner[key]}"))
            return None
        self.owner[key] = source.location
        self.keys.add(key)
        record = self.journal.records.get(key)
        if record is None:
            return Record(key, source.kind, source.location, source.name, source.size), file_rows
        if record.state in HELD:
            if record.source != source.location or file_rows:
                record.source = source.location  # renamed or moved: remember where it is now
                await self.journal.save([record], files=file_rows)
            self.skipped += 1
            await self.emit(Skipped(source.location, f"already {record.state}", record.remote_id))
            self.watcher.watch(record)
            return None
        if (
            record.state == "failed"
            and record.remote_id is None
            and record.attempts >= self.max_attempts
            and self.retry_failed
        ):
            record.attempts = 0
        if record.state == "failed" and (record.remote_id or record.attempts >= self.max_attempts):
            if file_rows:
                await self.journal.save(files=file_rows)
            reason = record.last_error or "failed"
            if record.remote_id:
                error = f"the server failed to process it: {reason}"
            else:
                error = f"gave up after {record.attempts} attempt(s): {reason}"
            gave_up = record.remote_id is None
            self.failures[source.location] = Failure(source.location, error, gave_up=gave_up)
            await self.emit(Failed(source.location, error, gave_up=gave_up))
            return None
        return record, file_rows

    def settled(self, source: Source) -> bool:
        """Whether `source` is a file whose content (known by its unchanged size and mtime) the
        journal holds as uploaded or parsed: it needs no worker, only reporting as skipped."""
        if not source.is_file:
            return False
        key = self.journal.cached_key(source.location, source.size, source.mtime_ns)
        record = None if key is None else self.journal.records.get(key)
        return record is not None and record.state in HELD

    async def identify_ahead(self, batch: list[Source]) -> None:
        """Hash (and read) the small files of `batch` in one thread hop, before their workers
        ask: one hop per batch instead of one per file, and no worker waits for it."""
        todo = [
            source
            for source in batch
            if source.is_file
            and source.size <= _files.READ_AHEAD_FILE
            and self.journal.cached_key(source.location, source.size, source.mtime_ns) is None
        ]
        if not todo:
            return
        results = await anyio.to_thread.run_sync(
            _files.read_many, [(s.location, s.size) for s in todo]
        )
        for source, result in zip(todo, results, strict=True):
            self.identified[source.location] = (
                result if isinstance(result, OSError) else self._read(source, *result)
            )

    def known(self, source: Source) -> bool:
        """Whether `source` can be claimed without hashing it now: a URL, a file identified
        ahead, or one whose key the journal's file cache holds."""
        return (
            not source.is_file
            or source.location in self.identified
            or self.journal.cached_key(source.location, source.size, source.mtime_ns) is not None
        )

    async def plan(self, batch: list[Source]) -> PlannedBatch:
        """What the workers get for `batch` (identified ahead), in order, with the `uploading`
        intents of as many as may be committed ahead in one transaction, so that no worker
        waits for a commit before it sends. The commit is started, not waited for: the batch
        goes to the workers once it lands (`PlannedBatch.durable`), while the next one is read.

        Settled sources and those claimed as needing no upload are reported here. Sources still
        to be hashed are handed on as they are (their worker claims them). An intent is
        committed ahead only while no other source with the same name and size is planned and
        undone, nor in doubt: reconciliation after a crash tells attempts apart by name and
        size, so a job must never leave two of them `uploading` (see `_reconcile`).
        """
        items: list[Source | Ticket] = []
        ahead: list[Ticket] = []
        before: dict[str, Record] = {}
        for source in batch:
            if self.settled(source):
                await self.process(source)
                continue
            item: Source | Ticket = source
            if self.known(source):
                claimed = await self.claim(source)
                if claimed is None:
                    self.forget(source)
                    continue
                item = ticket = Ticket(source, *claimed)
                if not self.in_flight[ticket.name_key] and ticket.name_key not in self.doubtful:
                    before[ticket.record.key] = self.begin_attempt(ticket)
                    ahead.append(ticket)
            self.in_flight[name_key(source)] += 1
            items.append(item)
        if not ahead:
            return PlannedBatch(items)
        # Known as committed ahead from now on: a job that ends before sending them withdraws
        # them (`withdraw_unsent`), after this commit.
        self.committed_ahead.update(before)
        files = [row for ticket in ahead for row in ticket.file_rows]
        return PlannedBatch(items, self.journal.commit_soon([t.record for t in ahead], files=files))

    async def take(self, item: Source | Ticket) -> None:
        """A worker's turn: one item of `plan`, then it is no longer in flight."""
        source = item if isinstance(item, Source) else item.source
        try:
            await self.process(item)
        finally:
            key = name_key(source)
            self.in_flight[key] -= 1
            if not self.in_flight[key]:
                del self.in_flight[key]

    async def withdraw_unsent(self) -> None:
        """Restore the records whose intent was committed ahead but that were never sent (the
        job stopped, failed or was cancelled first), so the next run need not look for them
        on the server. Best effort: a crash or a broken journal leaves them to reconciliation."""
        if not self.committed_ahead:
            return
        records = [
            self.journal.records[key].restore(before)
            for key, before in self.committed_ahead.items()
        ]
        self.committed_ahead.clear()
        with anyio.CancelScope(shield=True), contextlib.suppress(MemoriesError):
            await self.journal.save(records)

    def forget(self, source: Source) -> None:
        """Drop what was read ahead for `source`."""
        self.contents.pop(source.location, None)
        self.identified.pop(source.location, None)

    async def process(self, item: Source | Ticket) -> None:
        source = item if isinstance(item, Source) else item.source
        try:
            await self._process(item)
        finally:
            self.forget(source)

    async def _process(self, item: Source | Ticket) -> None:
        if isinstance(item, Source):
            claimed = await self.claim(item)
            if claimed is None:
                return
            item = Ticket(item, *claimed)
        ticket = item
        lock = self.name_locks.setdefault(ticket.name_key, asyncio.Lock())
        async with lock:
            if ticket.name_key in self.doubtful:
                # Kept as it was (pending): an intent committed ahead is withdrawn.
                before = self.committed_ahead.pop(ticket.record.key, None)
                if before is not None:
                    ticket.record.restore(before)
                await self.journal.save([ticket.record], files=ticket.file_rows)
                self.skipped += 1
                await self.emit(
                    Skipped(
                        ticket.source.location,
                        "deferred to the next run: an upload with the same name and size "
                        "is in doubt",
                    )
                )
                return
            await self.gated(lambda: self.send(ticket))

    async def gated(self, send: Callable[[], Awaitable[None]]) -> None:
        """Run `send` alone until a request has come back without refusing the account; then
        along with the others."""
        if not self.account_ok.is_set():
            async with self.probe:
                if not self.account_ok.is_set():
                    await send()
                    return
        await send()

    async def stop(self, error: APIError, records: list[Record]) -> None:
        """The account was refused: roll back `records` (already restored), stop every task."""
        await self.journal.save(records)
        self.stopped = error
        if self.cancel_scope is not None:
            self.cancel_scope.cancel()

    @staticmethod
    def begin_attempt(ticket: Ticket) -> Record:
        """Mark the ticket's record as a new attempt (`uploading`); returns it as it was."""
        record, source = ticket.record, ticket.source
        before = dataclasses.replace(record)
        record.state = "uploading"
        record.attempts += 1
        record.attempt_started = time.time()
        record.source, record.name, record.bytes = source.location, source.name, source.size
        record.in_doubt, record.last_error, record.remote_id = False, None, None
        return before

    async def send(self, ticket: Ticket) -> None:
        source, record = ticket.source, ticket.record
        before = self.committed_ahead.pop(record.key, None)
        if before is None:  # not committed ahead: committed now, before the request leaves
            before = self.begin_attempt(ticket)
            await self.journal.save([record], files=ticket.file_rows)
        await self.emit(Started(source.location, source.kind, source.size, record.attempts))

        async def on_progress(sent: int, total: int) -> None:
            await self.emit(Progress(source.location, sent, total))

        try:
            remote_id, sent_key = await self.upload(source, on_progress)
        except ACCOUNT_ERRORS as exc:
            await self.stop(exc, [record.restore(before)])
            return
        except MemoriesError as exc:
            self.account_ok.set()
            record.state = "failed"
            record.in_doubt = maybe_delivered(exc)
            record.last_error = str(exc) or type(exc).__name__
            await self.journal.save([record])
            if record.in_doubt:
                self.doubtful.add(ticket.name_key)
            self.failures[source.location] = Failure(source.location, record.last_error)
            await self.emit(Failed(source.location, record.last_error, record.in_doubt))
            return
        self.account_ok.set()
        if sent_key is not None and sent_key != record.key:
            record = await self._changed_while_sent(record, before, sent_key)
        record.state, record.remote_id = "uploaded", remote_id
        # For videos and URLs, queued for the very next commit but not waited for: if the job
        # dies before it lands, the record is still `uploading` and the next run finds the
        # video on the server. Images and scrapes have no listing to be found in, so their
        # confirmation is committed before the job moves on.
        await self.journal.save([record], wait=record.kind not in RECONCILABLE_KINDS)
        self.uploaded += 1
        self.bytes_sent += source.size
        await self.emit(Uploaded(source.location, remote_id, source.size))
        self.watcher.watch(record)

    async def _changed_while_sent(self, record: Record, before: Record, sent_key: str) -> Record:
        """The file changed after it was hashed: what was sent is another content. The record
        of the old content goes back to how it was; the upload is journaled under what was sent,
        so a later run recognises those bytes and does not send them again."""
        sent = self.journal.records.get(sent_key) or dataclasses.replace(
            record, key=sent_key, state="pending", remote_id=None, task_id=None
        )
        sent.attempts, sent.attempt_started = record.attempts, record.attempt_started
        sent.source, sent.name, sent.bytes = record.source, record.name, record.bytes
        sent.in_doubt, sent.last_error = False, None
        self.keys.discard(record.key)  # not this file's content any more
        self.keys.add(sent_key)
        self.owner.setdefault(sent_key, record.source)
        await self.journal.save([record.restore(before)])
        return sent

    async def upload(self, source: Source, on_progress: ProgressCallback) -> tuple[str, str | None]:
        """Send `source`; its remote id, and the journal key of the bytes that were sent when
        they were read from disk during the upload (None when they were read before)."""
        videos = self.client.videos
        data = self.contents.pop(source.location, None)
        hashing = None
        file: FileInput
        if data is not None:
            file = MemoryFile(data, source.name)
        elif source.is_file:
            file = hashing = HashingFile(source.location, source.name, source.size)
        else:
            file = source.location
        if source.kind == "video":
            result = await videos.upload(
                file, unique_id=self.unique_id, on_progress=on_progress, tags=self.tags
            )
            remote_id = result.video_no
        elif source.kind == "image":
            images = await self.client.images.upload(
                file, unique_id=self.unique_id, on_progress=on_progress
            )
            if not images:
                raise MemoriesError("the server accepted the image but returned no id")
            remote_id = images[0].id
        else:
            remote_id = (
                await videos.upload_url(source.location, unique_id=self.unique_id, tags=self.tags)
            ).video_no
        return remote_id, None if hashing is None else hashing.sent_key()

    # -- the summary ---------------------------------------------------------------------

    def summary(self, started: float) -> IngestSummary:
        counts: dict[str, int] = dict.fromkeys(STATES, 0)
        for key in self.keys:
            record = self.journal.records.get(key)  # absent: claimed, then the job stopped
            counts[record.state if record is not None else "pending"] += 1
        return IngestSummary(
            counts=counts,
            uploaded=self.uploaded,
            skipped=self.skipped,
            bytes_sent=self.bytes_sent,
            elapsed=time.monotonic() - started,
            failures=list(self.failures.values()),
            reconciled=self.reconciled,
            journal=self.journal.path,
        )


async def ingest(
    client: AsyncMemories,
    sources: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    journal: str | os.PathLike[str] = "memories-ingest.sqlite",
    concurrency: int = 4,
    wait_for_parse: bool = False,
    on_event: EventCallback | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    retry_failed: bool = False,
    unique_id: str | None = None,
    poll_interval: float = 5.0,
    parse_timeout: float | None = 3600.0,
    tags: Iterable[str] | None = None,
) -> IngestSummary:
    """Upload every source once, resumably, and return a summary.

    `sources` are file paths, directories (walked recursively for video and image extensions),
    direct video URLs (sent with `upload_url`) and TikTok/YouTube/Instagram URLs (`scrape`).
    The `journal` SQLite file remembers what was sent: run the same call again after a crash, a
    SIGKILL or a failure and it resumes, never sending again what the server already holds and
    retrying failures up to `max_attempts` attempts in all; `retry_failed` gives sources that
    used them all up a fresh count. At most `concurrency` uploads are in flight; the client's
    rate buckets pace them (uploads are 1 per second per account).

    With `wait_for_parse`, the call returns once every uploaded video is parsed (polled every
    `poll_interval` seconds, up to `parse_timeout` each). `on_event` hears typed progress events.
    `tags` label every uploaded video (not images or scrapes), for `search.videos(tag=...)`.
    Failures of single sources do not raise: they are in `summary.failures`. An answer refusing
    the account itself (bad key, no credit) stops the job with `IngestStoppedError`.
    """
    positive_int("concurrency", concurrency)
    positive_int("max_attempts", max_attempts)
    if not poll_interval > 0:
        raise InvalidArgumentError("poll_interval", "must be positive")
    labels = None if tags is None else string_list("tags", tags, allow_empty=True)
    started = time.monotonic()
    expanded = await expand_sources(sources)
    scope = client.unique_id if unique_id is None else unique_id
    book = await Journal.open(journal, base_url=client.base_url, unique_id=scope)
    try:
        job = Job(
            client,
            book,
            concurrency=concurrency,
            wait_for_parse=wait_for_parse,
            on_event=on_event,
            max_attempts=max_attempts,
            retry_failed=retry_failed,
            unique_id=unique_id,
            poll_interval=poll_interval,
            parse_timeout=parse_timeout,
            tags=labels,
        )
        await job.emit(Planned(len(expanded), sum(s.size for s in expanded)))
        try:
            job.reconciled = await reconcile(client, book, unique_id, job.emit)
        except ACCOUNT_ERRORS as exc:
            job.stopped = exc
        else:
            await _run(job, expanded)
        summary = job.summary(started)
        if job.stopped is not None:
            raise IngestStoppedError(job.stopped, summary)
        return summary
    finally:
        await book.aclose()


async def _run(job: Job, sources: list[Source]) -> None:
    uploads = [s for s in sources if s.kind != "scrape"]
    scrapes = [s for s in sources if s.kind == "scrape"]
    # Sources travel to the workers through a queue as long as the workers are many. A batch is
    # read and planned, and the commit of its intents started, while the one before it is
    # handed out, so a worker waits for neither a read nor a commit: at most the queue, a batch
    # and the next one are held read.
    send, receive = anyio.create_memory_object_stream[Source | Ticket](job.concurrency)
    send_planned, receive_planned = anyio.create_memory_object_stream[PlannedBatch]()

    async def plan_ahead() -> None:
        async with send_planned:
            for start in range(0, len(uploads), READ_AHEAD_BATCH):
                batch = uploads[start : start + READ_AHEAD_BATCH]
                await job.identify_ahead(batch)
                await send_planned.send(await job.plan(batch))
                await anyio.lowlevel.checkpoint()  # a batch of settled files is not a stall

    async def hand_out() -> None:
        async with send, receive_planned:
            async for planned in receive_planned:
                if planned.durable is not None:
                    await asyncio.shield(planned.durable)
                for item in planned.items:
                    await send.send(item)

    async def worker() -> None:
        async for item in receive:  # one shared queue: each source goes to one worker
            await job.take(item)

    async def send_all() -> None:
        try:
            async with receive, anyio.create_task_group() as tg:
                tg.start_soon(plan_ahead)
                tg.start_soon(hand_out)
                for _ in range(job.concurrency):
                    tg.start_soon(worker)
                if scrapes:
                    tg.start_soon(scrape, job, scrapes)
        finally:
            job.watcher.done_sending()

    try:
        async with anyio.create_task_group() as tg:
            job.cancel_scope = tg.cancel_scope
            tg.start_soon(send_all)
            tg.start_soon(job.watcher.run)
    finally:
        await job.withdraw_unsent()
