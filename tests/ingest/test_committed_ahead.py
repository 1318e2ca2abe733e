"""Intents committed ahead of the workers: a batch's `uploading` records are durable before its
first request leaves, never two of the same name and size at once, and withdrawn when the job
ends before sending them."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from memories_async import AsyncMemories, RetryPolicy
from memories_async.emulator import Emulator
from memories_async.ingest import Record, ingest, read_journal
from memories_async.ingest import _files as ingest_files
from memories_async.ingest._ingest import READ_AHEAD_BATCH
from memories_async.ingest._journal import Journal
from tests.ingest.conftest import KEY


class Watching(httpx.AsyncBaseTransport):
    """The emulator's transport, calling `before_upload` as each upload request arrives."""

    def __init__(self, emu: Emulator, before_upload: Callable[[], object]) -> None:
        self.inner = emu.transport()
        self.before_upload = before_upload

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/upload"):
            waited = self.before_upload()
            if waited is not None:
                await waited  # type: ignore[misc]
        return await self.inner.handle_async_request(request)


def client_over(transport: httpx.AsyncBaseTransport) -> tuple[AsyncMemories, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=transport)
    client = AsyncMemories(
        KEY,
        base_url="http://127.0.0.1",
        http_client=http,
        rate_limits=False,
        max_retries=RetryPolicy(max_retries=0),
    )
    return client, http


def write_clips(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"clip_{index:02d}.mp4").write_bytes(f"clip {index:02d}".encode() * 40)


def uploading(journal: Path) -> list[Record]:
    """The records committed as `uploading` (read by another connection: committed data)."""
    if not journal.exists():
        return []
    return [r for r in read_journal(journal) if r.state == "uploading"]


async def test_a_batchs_intents_are_committed_before_its_first_request(
    emu: Emulator, tmp_path: Path
) -> None:
    write_clips(tmp_path / "m", 40)
    journal = tmp_path / "j.sqlite"
    at_first: list[int] = []

    def look() -> None:
        if not at_first:
            at_first.append(len(uploading(journal)))

    client, http = client_over(Watching(emu, look))
    async with http:
        summary = await ingest(client, [tmp_path / "m"], journal=journal, concurrency=4)
    assert summary.ok and summary.uploaded == 40
    # The first request is one at a time (the account is not known to be good yet), yet the
    # whole first batch is already durable as `uploading`: no worker waits for a commit.
    assert at_first[0] >= READ_AHEAD_BATCH
    assert not uploading(journal)


async def test_never_two_of_one_name_and_size_are_uploading_at_once(
    emu: Emulator, tmp_path: Path
) -> None:
    # Same name, same size, other contents: reconciliation could not tell them apart.
    for folder in ("a", "b", "c"):
        (tmp_path / "m" / folder).mkdir(parents=True)
        (tmp_path / "m" / folder / "clip.mp4").write_bytes(folder.encode() * 500)
    write_clips(tmp_path / "m" / "d", 20)
    journal = tmp_path / "j.sqlite"
    worst: list[int] = []

    def look() -> None:
        same = collections.Counter((r.name, r.bytes) for r in uploading(journal))
        worst.append(max(same.values(), default=0))

    client, http = client_over(Watching(emu, look))
    async with http:
        summary = await ingest(client, [tmp_path / "m"], journal=journal, concurrency=4)
    assert summary.ok and summary.uploaded == 23
    assert len(worst) == 23 and max(worst) == 1


async def test_a_cancelled_job_withdraws_the_intents_it_never_sent(
    emu: Emulator, tmp_path: Path
) -> None:
    write_clips(tmp_path / "m", 40)
    journal = tmp_path / "j.sqlite"
    requests = 0
    blocked = anyio.Event()
    never = anyio.Event()

    def hold_from_the_third() -> object:
        nonlocal requests
        requests += 1
        if requests < 3:
            return None
        if requests == 4:  # both workers hold a request the server never answers
            blocked.set()
        return never.wait()

    client, http = client_over(Watching(emu, hold_from_the_third))
    async with http, anyio.create_task_group() as tg:

        async def run() -> None:
            await ingest(client, [tmp_path / "m"], journal=journal, concurrency=2)

        tg.start_soon(run)
        await blocked.wait()
        tg.cancel_scope.cancel()

    states = collections.Counter(r.state for r in read_journal(journal))
    # The two answered uploads are kept; the two requests left unanswered stay in doubt
    # (`uploading`, for reconciliation); every intent committed ahead and never sent is back
    # to how it was.
    assert states == {"uploaded": 2, "uploading": 2, "pending": 36}
    assert all(r.attempts == 0 for r in read_journal(journal) if r.state == "pending")

    # The journal was closed and unlocked: the next run settles and sends the rest.
    client, http = client_over(emu.transport())
    async with http:
        again = await ingest(client, [tmp_path / "m"], journal=journal, concurrency=2)
    assert again.ok and again.uploaded == 38


async def test_the_next_batch_is_read_while_intents_commit_and_none_is_sent_before(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_clips(tmp_path / "m", 70)
    order: list[str] = []
    release = threading.Event()
    real_commit, real_many = Journal._commit, ingest_files.read_many

    def commit(self: Journal, records: list[tuple[Any, ...]], files: list[Any]) -> None:
        first = not any(step.startswith("committed") for step in order)
        if first and any(row[5] == "uploading" for row in records):
            release.wait(10)  # held until the next batch is read (or the test gives up)
        real_commit(self, records, files)
        order.append(f"committed {len(records)}")

    def read_many(files: list[tuple[str, int]]) -> list[Any]:
        order.append(f"read {len(files)}")
        if len(order) == 2:
            release.set()
        return real_many(files)

    monkeypatch.setattr(Journal, "_commit", commit)
    monkeypatch.setattr(ingest_files, "read_many", read_many)
    client, http = client_over(Watching(emu, lambda: order.append("request")))
    async with http:
        summary = await ingest(client, [tmp_path / "m"], journal=tmp_path / "j", concurrency=4)
    assert summary.ok and summary.uploaded == 70
    # The second batch was read while the first batch's intents were committing, and no
    # request left before they landed.
    assert order[:3] == ["read 32", "read 32", f"committed {READ_AHEAD_BATCH}"]
    assert order.index("request") > 2
