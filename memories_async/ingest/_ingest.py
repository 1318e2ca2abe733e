"""`ingest()`: upload folders, files and URLs under the rate limits, resumably, exactly once.

## How a source travels

1. Expanded (`_sources`), then taken by one of `concurrency` workers. A file is identified by the
   SHA-256 of its bytes, hashed in a worker thread (reused from the journal's cache when size and
   mtime are unchanged); a URL by itself. A source whose content the journal already holds as
   `uploaded`/`parsed` is skipped: a renamed or moved file is not uploaded again.
2. Its record is committed as `uploading` (attempts + 1, wall-clock start time, the name sent)
   *before* the request leaves, and as `uploaded` with the server's id as soon as the answer
   arrives. Pacing comes from the client's account-wide rate buckets.
3. With `wait_for_parse`, uploaded videos are polled until the server reports them parsed
   (`parsed`) or failed (`failed`, the video number kept: it is never uploaded again).

## Why a killed job neither loses nor duplicates work

A SIGKILL can only land in one of three places: before the `uploading` commit (nothing was sent;
the record is absent or `pending`), after the `uploaded` commit (nothing is in doubt), or between
the two. Only the last leaves doubt, and it is visible: the record says `uploading`. An error that
may have reached the server (a connection dropped after sending, a timeout, a 5xx other than
502/503, an unreadable success answer) leaves the same doubt, recorded as `failed` + `in_doubt`.

## A refused account stops the job

An answer that refuses the account rather than the file (`0401` bad key, `0402` no credit,
`0403`/`9009` not permitted) stops the whole job at once with `IngestStoppedError`: the refused
attempt is rolled back in the journal (it does not count against the file's `max_attempts`),
nothing else is sent, and the next run resumes. Until one request of a run has come back without
such an answer, sends go one at a time, so a wrong key costs one request, not one per worker.

## Reconciliation

Before a run sends anything, every record in doubt is *reconciled* against the server: its
videos are listed by name (`list_videos`, `video_name` filter) and a video counts as this attempt
when its name is the name sent, its size equals the file's bytes, its create time is no earlier
than the attempt's start (less `CLOCK_SKEW` for the two clocks), and no other record of the
journal already claims it. Found: the record becomes `uploaded` with that number. Not found: the
request never completed server-side, so it is sent again. A killed client's connection is closed
by the OS, so a half-sent body is discarded by the server rather than stored later.

The match is unambiguous because a job never has two attempts in doubt with the same (name, size):
uploads of one (name, size) run one at a time, and once one of them ends in doubt, later sources
with that (name, size) are deferred to the next run, after reconciliation. Image uploads and
platform scrapes have no listing to check against; when in doubt they are sent again (the only
case where a duplicate is possible, and only for a request whose answer never arrived).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import inspect
import os
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from .._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    AuthenticationError,
    InsufficientCreditError,
    InternalServerError,
    InvalidArgumentError,
    MemoriesError,
    PermissionDeniedError,
)
from .._retry import certainly_not_acted_on
from .._uploads import FileInput, ProgressCallback
from ._events import (
    EventCallback,
    Failed,
    Failure,
    IngestEvent,
    IngestStoppedError,
    IngestSummary,
    Parsed,
    Planned,
    Progress,
    Skipped,
    Started,
    Uploaded,
)
from ._journal import STATES, Journal, Record
from ._sources import Source, expand_sources

if TYPE_CHECKING:
    from .._client import AsyncMemories
    from ..models.videos import Video

__all__ = ["CLOCK_SKEW", "DEFAULT_MAX_ATTEMPTS", "ingest"]

CLOCK_SKEW = 300.0
"""Seconds a server's create time may lag the client's clock and still match an attempt."""
DEFAULT_MAX_ATTEMPTS = 3
SCRAPE_BATCH = 50
"""Platform URLs per scrape request (one request per platform and batch: the bucket is 1/min)."""
_HASH_CHUNK = 1 << 20
ACCOUNT_ERRORS = (AuthenticationError, InsufficientCreditError, PermissionDeniedError)
"""Answers that refuse the account, not the file: they stop the whole job."""
RECONCILABLE_KINDS = frozenset({"video", "url"})
"""Kinds whose uploads can be found again in the server's video listing after a crash."""


SMALL_FILE = 4 << 20
"""Files up to this size are read once, hashed, and uploaded from those very bytes."""


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        while chunk := fp.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_small(path: str, size: int) -> tuple[str, bytes | None]:
    """The file's SHA-256, and its bytes when it is small (else it is hashed in chunks)."""
    if size > SMALL_FILE:
        return _sha256_file(path), None
    with open(path, "rb") as fp:
        data = fp.read(SMALL_FILE + 1)
    if len(data) > SMALL_FILE:  # it grew since it was listed
        return _sha256_file(path), None
    return hashlib.sha256(data).hexdigest(), data


class _MemoryFile:
    """Bytes already read, shaped as the async file the SDK streams from (no thread hops).

    Uploading the bytes that were hashed also means the journal's hash is that of what was sent,
    even if the file changes on disk meanwhile.
    """

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        self._data = data
        self._position = 0

    async def read(self, size: int = -1, /) -> bytes:
        end = len(self._data) if size < 0 else self._position + size
        chunk = self._data[self._position : end]
        self._position += len(chunk)
        return chunk

    async def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: len(self._data)}
        self._position = base[whence] + offset
        return self._position

    async def tell(self) -> int:
        return self._position


class _HashingFile:
    """A file on disk read for its upload, hashing exactly the bytes it hands over.

    A file can change between being hashed and being sent (or while it is sent); the journal
    must then record the hash of what the server got, or a later run would send it again. Reads
    open the file each time (no descriptor is held while a chunk is in flight) and run in worker
    threads; a seek back to the start, as a retried upload does, starts the hash again.
    """

    def __init__(self, path: str, name: str, size: int) -> None:
        self.name = name
        self._path = path
        self._size = size
        self._position = 0
        self._digest = hashlib.sha256()

    def sent_key(self) -> str | None:
        """The journal key of what was sent, once the whole file was read; else None."""
        if self._position != self._size:
            return None
        return "sha256:" + self._digest.hexdigest()

    async def read(self, size: int = -1, /) -> bytes:
        want = self._size - self._position if size < 0 else size
        chunk = await anyio.to_thread.run_sync(self._read, self._position, want)
        self._position += len(chunk)
        return chunk

    def _read(self, position: int, size: int) -> bytes:
        with open(self._path, "rb", buffering=0) as fp:
            fp.seek(position)
            chunk = fp.read(size)
        self._digest.update(chunk)
        return chunk

    async def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        self._position = base + offset
        if self._position == 0:
            self._digest = hashlib.sha256()
        return self._position

    async def tell(self) -> int:
        return self._position


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


class _Job:
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
    ) -> None:
        self.client = client
        self.journal = journal
        self.concurrency = concurrency
        self.wait_for_parse = wait_for_parse
        self.on_event = on_event
        self.max_attempts = max_attempts
        self.retry_failed = retry_failed
        self.unique_id = unique_id
        self.poll_interval = poll_interval
        self.parse_timeout = parse_timeout
        self.keys: set[str] = set()
        self.contents: dict[str, bytes] = {}
        self.owner: dict[str, str] = {}
        self.failures: dict[str, Failure] = {}
        self.uploaded = 0
        self.skipped = 0
        self.reconciled = 0
        self.bytes_sent = 0
        self.name_locks: dict[tuple[str, int], asyncio.Lock] = {}
        self.doubtful: set[tuple[str, int]] = set()
        self.watching: dict[str, tuple[Record, float]] = {}
        self.wake = asyncio.Event()
        self.sending_done = False
        self.account_ok = asyncio.Event()  # a request came back without refusing the account
        self.probe = asyncio.Lock()  # sends go one at a time until then
        self.stopped: APIError | None = None
        self.cancel_scope: anyio.CancelScope | None = None

    async def emit(self, event: IngestEvent) -> None:
        if self.on_event is not None:
            result = self.on_event(event)
            if inspect.isawaitable(result):
                await result

    # -- reconciliation ------------------------------------------------------------------

    async def reconcile(self) -> None:
        """Settle every record a previous run left in doubt (see the module docstring)."""
        doubtful = [
            r for r in self.journal.records.values() if r.state == "uploading" or r.in_doubt
        ]
        claimed = self.journal.claimed_ids()
        for record in sorted(doubtful, key=lambda r: r.attempt_started or 0.0):
            video = None
            if record.kind in RECONCILABLE_KINDS:
                video = await self._find_on_server(record, claimed)
            if video is not None:
                claimed.add(video.video_no)
                record.state, record.remote_id = "uploaded", video.video_no
                record.last_error = None
                self.reconciled += 1
            elif record.state == "uploading":
                record.state = "pending"
            record.in_doubt = False
            await self.journal.save([record])
            if video is not None:
                await self.emit(
                    Uploaded(record.source, video.video_no, record.bytes, reconciled=True)
                )

    async def _find_on_server(self, record: Record, claimed: set[str]) -> Video | None:
        stem = _stem(record.name)
        names = {record.name, stem}
        earliest = (record.attempt_started or 0.0) - CLOCK_SKEW
        found: list[Video] = []
        async for video in self.client.videos.iter(
            video_name=stem, size=100, unique_id=self.unique_id
        ):
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

    # -- one source ----------------------------------------------------------------------

    async def identify(self, source: Source) -> tuple[str, list[tuple[str, int, int, str]]]:
        """The source's journal key, and the file-cache row to save if it was hashed now."""
        if not source.is_file:
            return "url:" + source.location, []
        cached = self.journal.cached_key(source.location, source.size, source.mtime_ns)
        if cached is not None:
            return cached, []
        digest, data = await anyio.to_thread.run_sync(_read_small, source.location, source.size)
        if data is not None:
            self.contents[source.location] = data
        key = "sha256:" + digest
        return key, [(source.location, source.size, source.mtime_ns, key)]

    async def claim(self, source: Source) -> tuple[Record, list[tuple[str, int, int, str]]] | None:
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
        if record.state in ("uploaded", "parsed"):
            if record.source != source.location or file_rows:
                record.source = source.location  # renamed or moved: remember where it is now
                await self.journal.save([record], files=file_rows)
            self.skipped += 1
            await self.emit(Skipped(source.location, f"already {record.state}", record.remote_id))
            self.watch(record)
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

    async def process(self, source: Source) -> None:
        try:
            await self._process(source)
        finally:
            self.contents.pop(source.location, None)

    async def _process(self, source: Source) -> None:
        claimed = await self.claim(source)
        if claimed is None:
            return
        record, file_rows = claimed
        name_key = (source.name, source.size)
        lock = self.name_locks.setdefault(name_key, asyncio.Lock())
        async with lock:
            if name_key in self.doubtful:
                await self.journal.save([record], files=file_rows)  # kept as pending
                self.skipped += 1
                await self.emit(
                    Skipped(
                        source.location,
                        "deferred to the next run: an upload with the same name and size "
                        "is in doubt",
                    )
                )
                return
            if not self.account_ok.is_set():
                async with self.probe:
                    if not self.account_ok.is_set():
                        await self.send(source, record, file_rows, name_key)
                        return
            await self.send(source, record, file_rows, name_key)

    async def stop(self, error: APIError, records: list[Record]) -> None:
        """The account was refused: roll back `records` (already restored), stop every task."""
        await self.journal.save(records)
        self.stopped = error
        if self.cancel_scope is not None:
            self.cancel_scope.cancel()

    async def send(
        self,
        source: Source,
        record: Record,
        file_rows: list[tuple[str, int, int, str]],
        name_key: tuple[str, int],
    ) -> None:
        before = dataclasses.replace(record)
        record.state = "uploading"
        record.attempts += 1
        record.attempt_started = time.time()
        record.source, record.name, record.bytes = source.location, source.name, source.size
        record.in_doubt, record.last_error, record.remote_id = False, None, None
        await self.journal.save([record], files=file_rows)
        await self.emit(Started(source.location, source.kind, source.size, record.attempts))

        async def on_progress(sent: int, total: int) -> None:
            await self.emit(Progress(source.location, sent, total))

        try:
            remote_id, sent_key = await self.upload(source, on_progress)
        except ACCOUNT_ERRORS as exc:
            await self.stop(exc, [_restore(record, before)])
            return
        except MemoriesError as exc:
            self.account_ok.set()
            record.state = "failed"
            record.in_doubt = maybe_delivered(exc)
            record.last_error = str(exc) or type(exc).__name__
            await self.journal.save([record])
            if record.in_doubt:
                self.doubtful.add(name_key)
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
        self.watch(record)

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
        await self.journal.save([_restore(record, before)])
        return sent

    async def upload(self, source: Source, on_progress: ProgressCallback) -> tuple[str, str | None]:
        """Send `source`; its remote id, and the journal key of the bytes that were sent when
        they were read from disk during the upload (None when they were read before)."""
        videos = self.client.videos
        data = self.contents.pop(source.location, None)
        hashing = None
        file: FileInput
        if data is not None:
            file = _MemoryFile(data, source.name)
        elif source.is_file:
            file = hashing = _HashingFile(source.location, source.name, source.size)
        else:
            file = source.location
        if source.kind == "video":
            result = await videos.upload(file, unique_id=self.unique_id, on_progress=on_progress)
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
                await videos.upload_url(source.location, unique_id=self.unique_id)
            ).video_no
        return remote_id, None if hashing is None else hashing.sent_key()

    # -- platform URLs -------------------------------------------------------------------

    async def scrape(self, sources: list[Source]) -> None:
        """Platform URLs, one scrape request per platform and batch (the bucket is 1/minute)."""
        by_platform: dict[str, list[tuple[Source, Record]]] = {}
        for source in sources:
            claimed = await self.claim(source)
            if claimed is not None:
                by_platform.setdefault(source.platform or "", []).append((source, claimed[0]))
        for items in by_platform.values():
            for start in range(0, len(items), SCRAPE_BATCH):
                await self._scrape_batch(items[start : start + SCRAPE_BATCH])

    async def _scrape_batch(self, items: list[tuple[Source, Record]]) -> None:
        if not self.account_ok.is_set():
            async with self.probe:
                if not self.account_ok.is_set():
                    await self._send_scrape_batch(items)
                    return
        await self._send_scrape_batch(items)

    async def _send_scrape_batch(self, items: list[tuple[Source, Record]]) -> None:
        items = sorted(items, key=lambda item: item[0].location)
        befores = [dataclasses.replace(record) for _, record in items]
        now = time.time()
        for _, record in items:
            record.state, record.attempt_started = "uploading", now
            record.attempts += 1
            record.in_doubt, record.last_error, record.remote_id = False, None, None
        await self.journal.save([r for _, r in items])
        for source, record in items:
            await self.emit(Started(source.location, source.kind, 0, record.attempts))
        try:
            task = await self.client.videos.scrape(
                [s.location for s, _ in items], unique_id=self.unique_id
            )
        except ACCOUNT_ERRORS as exc:
            restored = [_restore(r, b) for (_, r), b in zip(items, befores, strict=True)]
            await self.stop(exc, restored)
            return
        except MemoriesError as exc:
            self.account_ok.set()
            error = str(exc) or type(exc).__name__
            for source, record in items:
                record.state, record.in_doubt, record.last_error = (
                    "failed",
                    maybe_delivered(exc),
                    error,
                )
                self.failures[source.location] = Failure(source.location, error)
            await self.journal.save([r for _, r in items])
            for source, record in items:
                await self.emit(Failed(source.location, error, record.in_doubt))
            return
        self.account_ok.set()
        for _, record in items:
            record.state, record.task_id = "uploaded", task.task_id
        await self.journal.save([r for _, r in items])
        for source, record in items:
            self.uploaded += 1
            await self.emit(Uploaded(source.location, task.task_id, 0))
            self.watch(record)

    # -- waiting for parse ---------------------------------------------------------------

    def watch(self, record: Record) -> None:
        """Follow an uploaded video until it is parsed (when the job waits for parsing)."""
        if (
            self.wait_for_parse
            and record.state == "uploaded"
            and record.kind != "image"
            and (record.remote_id or record.task_id)
        ):
            self.watching.setdefault(record.key, (record, time.monotonic()))
            self.wake.set()

    async def watch_parsing(self) -> None:
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
    Failures of single sources do not raise: they are in `summary.failures`. An answer refusing
    the account itself (bad key, no credit) stops the job with `IngestStoppedError`.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidArgumentError(
            "concurrency", f"must be a positive integer, got {concurrency!r}"
        )
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise InvalidArgumentError(
            "max_attempts", f"must be a positive integer, got {max_attempts!r}"
        )
    if not poll_interval > 0:
        raise InvalidArgumentError("poll_interval", "must be positive")
    started = time.monotonic()
    expanded = await expand_sources(sources)
    scope = client.unique_id if unique_id is None else unique_id
    book = await Journal.open(journal, base_url=client.base_url, unique_id=scope)
    try:
        job = _Job(
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
        )
        await job.emit(Planned(len(expanded), sum(s.size for s in expanded)))
        try:
            await job.reconcile()
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


async def _run(job: _Job, sources: list[Source]) -> None:
    uploads = iter([s for s in sources if s.kind != "scrape"])
    scrapes = [s for s in sources if s.kind == "scrape"]

    async def worker(queue: Iterator[Source]) -> None:
        for source in queue:  # one shared iterator: each source goes to exactly one worker
            await job.process(source)

    async def send_all() -> None:
        try:
            async with anyio.create_task_group() as tg:
                for _ in range(job.concurrency):
                    tg.start_soon(worker, uploads)
                if scrapes:
                    tg.start_soon(job.scrape, scrapes)
        finally:
            job.sending_done = True
            job.wake.set()

    async with anyio.create_task_group() as tg:
        job.cancel_scope = tg.cancel_scope
        tg.start_soon(send_all)
        tg.start_soon(job.watch_parsing)


def _restore(record: Record, before: Record) -> Record:
    """`record` set back to `before`: an attempt the account refused leaves no trace."""
    for item in dataclasses.fields(Record):
        setattr(record, item.name, getattr(before, item.name))
    return record
