"""The ingestion journal: one SQLite file that remembers every source a job has seen.

Each record is keyed by what the source *is*, not where it lives: `sha256:<hex>` of a file's bytes
(so a renamed or moved file is the same record) or `url:<url>`. It holds the state (`pending`,
`uploading`, `uploaded`, `parsed`, `failed`), the server's id for it (video number or image id),
the attempts made, the last error, the bytes, and the wall-clock start of the last attempt.

Durability: WAL mode with `synchronous=FULL`, so a committed transaction survives SIGKILL and
power loss. Writes are *group-committed*: every state change is queued, and one worker thread
applies all queued changes in a single transaction and fsync; each writer awaits the commit that
carries its change. Rows nobody waits for (`wait=False`) linger up to `LINGER` for an awaited
commit to ride with. Ordering is kept (one flusher, FIFO), so the last queued row wins. The whole
table is also mirrored in memory (one process owns a journal at a time, enforced with a lock
file), which keeps reads off the disk and off the event loop.

A `files` table caches `(path, size, mtime) -> key` so that a resumed job does not hash again
the files it has already hashed; a changed size or mtime means hashing again.
"""

from __future__ import annotations

import asyncio
import contextlib
import operator
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import IO, Any, Literal

import anyio.to_thread

from .._errors import MemoriesError

__all__ = ["STATES", "FileRow", "Journal", "JournalError", "Record", "State"]

State = Literal["pending", "uploading", "uploaded", "parsed", "failed"]
STATES: tuple[State, ...] = ("pending", "uploading", "uploaded", "parsed", "failed")
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('pending', 'uploading', 'uploaded', 'parsed', 'failed')),
    remote_id TEXT,
    task_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    in_doubt INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    attempt_started REAL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    key TEXT NOT NULL
);
"""


class JournalError(MemoriesError):
    """The journal cannot be used: locked by another job, of another server, or unreadable."""


@dataclass
class Record:
    """One source as the journal knows it (see the module docstring for the fields)."""

    key: str
    kind: str
    source: str
    name: str
    bytes: int
    state: State = "pending"
    remote_id: str | None = None
    task_id: str | None = None
    attempts: int = 0
    in_doubt: bool = False
    last_error: str | None = None
    attempt_started: float | None = None
    updated: float = 0.0

    def row(self) -> tuple[Any, ...]:
        """The record as a row of `records`, in column order."""
        return _row_of(self)

    def restore(self, before: Record) -> Record:
        """This record set back to `before` (an attempt that must leave no trace) and returned."""
        for item in fields(Record):
            setattr(self, item.name, getattr(before, item.name))
        return self


_COLUMNS = tuple(f.name for f in fields(Record))
_row_of = operator.attrgetter(*_COLUMNS)


def _record(row: tuple[Any, ...]) -> Record:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["in_doubt"] = bool(values["in_doubt"])
    return Record(**values)


_MAX_VARIABLES = 999
"""SQLite's least limit on the parameters of one statement (raised in 3.32, not everywhere)."""


def _upsert(table: str, columns: tuple[str, ...], rows: int) -> str:
    """One INSERT OR REPLACE of `rows` rows: a transaction of many rows is then a handful of
    statements, and each lets go of the GIL once, not once per row."""
    one = f"({', '.join('?' * len(columns))})"
    return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * rows)}"


def _upsert_all(
    conn: sqlite3.Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    per_statement = _MAX_VARIABLES // len(columns)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        conn.execute(_upsert(table, columns, len(chunk)), [v for row in chunk for v in row])


_FILE_COLUMNS = ("path", "size", "mtime_ns", "key")
FileRow = tuple[str, int, int, str]
"""A row of the `files` cache: path, size, mtime (ns), journal key."""


LINGER = 0.05
"""Seconds rows saved with `wait=False` may wait for an awaited commit to ride with."""


class _Batch:
    """Rows queued for the next commit, and the future each writer awaits."""

    def __init__(self) -> None:
        self.records: list[tuple[Any, ...]] = []
        self.files: list[FileRow] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.awaited = asyncio.Event()  # a writer waits for this commit: it starts now


def _lock_file(path: str) -> IO[bytes] | None:
    """Hold an exclusive lock on `path` for as long as the returned file stays open.

    The OS drops the lock when the process dies (SIGKILL included), so no stale lock survives.
    Without `fcntl` (Windows) there is no lock, and running one job at a time is up to you.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    handle = open(path, "ab")  # noqa: SIM115 - the handle lives as long as the journal
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise JournalError(
            f"the journal {path[:-5]!r} is in use by another ingestion job"
        ) from None
    return handle


class Journal:
    """The SQLite journal of one ingestion job; open it with `await Journal.open(path)`."""

    def __init__(
        self,
        path: str,
        conn: sqlite3.Connection,
        lock: IO[bytes] | None,
        records: dict[str, Record],
        files: dict[str, tuple[int, int, str]],
    ) -> None:
        self.path = path
        self.records = records
        """Every record, by key: the in-memory mirror of the table (read it, never write it)."""
        self._files = files
        self._conn = conn
        self._lock = lock
        self._db_lock = threading.Lock()
        self._pending: _Batch | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._failure: JournalError | None = None
        self._closed = False

    # -- opening -------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, base_url: str, unique_id: str) -> Journal:
        """Open (or create) the journal at `path` for a job against `base_url` / `unique_id`.

        Raises `JournalError` if another job holds it, if it was written for another server or
        `unique_id` (its records would be meaningless there), or if it is not a journal.
        """
        return await anyio.to_thread.run_sync(cls._open_sync, os.fspath(path), base_url, unique_id)

    @classmethod
    def _open_sync(cls, path: str, base_url: str, unique_id: str) -> Journal:
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        lock = _lock_file(path + ".lock")
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            try:
                records, files = cls._prepare(conn, path, base_url, unique_id)
            except BaseException:
                conn.close()
                raise
        except sqlite3.DatabaseError as exc:
            if lock is not None:
                lock.close()
            raise JournalError(f"cannot use {path!r} as a journal: {exc}") from None
        except BaseException:
            if lock is not None:
                lock.close()
            raise
        return cls(path, conn, lock, records, files)

    @staticmethod
    def _prepare(
        conn: sqlite3.Connection, path: str, base_url: str, unique_id: str
    ) -> tuple[dict[str, Record], dict[str, tuple[int, int, str]]]:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.executescript(_SCHEMA)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        wanted = {"schema": SCHEMA_VERSION, "base_url": base_url, "unique_id": unique_id}
        if not meta:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())
            conn.execute("COMMIT")
        else:
            for name, value in wanted.items():
                if meta.get(name) != value:
                    raise JournalError(
                        f"the journal {path!r} belongs to {name} {meta.get(name)!r}, "
                        f"not {value!r}; use another journal file"
                    )
        records = {
            row[0]: _record(row)
            for row in conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM records")
        }
        files = {
            path: (size, mtime, key)
            for path, size, mtime, key in conn.execute(
                "SELECT path, size, mtime_ns, key FROM files"
            )
        }
        return records, files

    # -- reading -------------------------------------------------------------------------

    def cached_key(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The content key hashed earlier for this file, if its size and mtime are unchanged."""
        known = self._files.get(path)
        if known is not None and known[0] == size and known[1] == mtime_ns:
            return known[2]
        return None

    def claimed_ids(self) -> set[str]:
        """Every server id some record holds."""
        return {r.remote_id for r in self.records.values() if r.remote_id}

    # -- writing -------------------------------------------------------------------------

    async def save(
        self, records: Iterable[Record] = (), *, files: Iterable[FileRow] = (), wait: bool = True
    ) -> None:
        """Write records (their current values) and file-cache rows; return once committed.

        With `wait=False` the rows are queued for the next commit and the call returns at once:
        for changes whose loss in a crash is harmless (they are recovered by reconciliation).
        A failed background commit is raised by the next `save` or by `aclose`.
        """
        if not wait:
            self._queue(records, files)
            return
        # The commit goes on if this writer is cancelled: others share the transaction.
        await asyncio.shield(self.commit_soon(records, files=files))

    def commit_soon(
        self, records: Iterable[Record] = (), *, files: Iterable[FileRow] = ()
    ) -> asyncio.Future[None]:
        """Queue the rows for a commit that starts at once, and return the future it completes
        when it lands (await it through `asyncio.shield`: other writers share it)."""
        batch = self._queue(records, files)
        batch.awaited.set()
        return batch.done

    def _queue(self, records: Iterable[Record], files: Iterable[FileRow]) -> _Batch:
        if self._closed:
            raise JournalError("the journal is closed")
        if self._failure is not None:
            raise self._failure
        batch = self._pending
        if batch is None:
            batch = self._pending = _Batch()
        now = time.time()
        for record in records:
            record.updated = now
            self.records[record.key] = record
            batch.records.append(record.row())
        for row in files:
            self._files[row[0]] = row[1:]
            batch.files.append(row)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        return batch

    async def _flush(self) -> None:
        while self._pending is not None:
            if not self._pending.awaited.is_set():
                # Nobody waits for these rows: they ride with the next awaited commit, or go
                # on their own after LINGER, so a stream of them costs few transactions.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._pending.awaited.wait(), LINGER)
            batch, self._pending = self._pending, None
            try:
                await anyio.to_thread.run_sync(self._commit, batch.records, batch.files)
            except BaseException as exc:
                self._failure = JournalError(f"writing the journal failed: {exc!r}")
                batch.done.set_exception(self._failure)
                batch.done.exception()  # marked as retrieved: a writer may not be waiting
                if not isinstance(exc, Exception):
                    raise
            else:
                batch.done.set_result(None)

    def _commit(self, records: list[tuple[Any, ...]], files: list[FileRow]) -> None:
        with self._db_lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                _upsert_all(conn, "files", _FILE_COLUMNS, files)
                _upsert_all(conn, "records", _COLUMNS, records)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- closing -------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Wait for queued writes, then close the database and release the lock.

        Shielded from cancellation: a cancelled job still lands what it queued and unlocks the
        journal for the next run.
        """
        if self._closed:
            return
        with anyio.CancelScope(shield=True):
            if self._pending is not None:
                self._pending.awaited.set()
            if self._flusher is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._flusher)
            self._closed = True
            await anyio.to_thread.run_sync(self._close_sync)
        if self._failure is not None:
            raise self._failure

    def _close_sync(self) -> None:
        with self._db_lock:
            self._conn.close()
        if self._lock is not None:
            self._lock.close()


def read_journal(path: str | os.PathLike[str]) -> list[Record]:
    """Every record of a journal file, read-only (for reports and tests; takes no lock)."""
    conn = sqlite3.connect(f"file:{os.fspath(path)}?mode=ro", uri=True)
    try:
        return [
            _record(row)
            for row in conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM records ORDER BY source")
        ]
    finally:
        conn.close()
