"""The journal's writes: many rows per statement with the last write of a key winning, and rows
nobody waits for riding with the next awaited commit."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from memories_async.ingest import _journal
from memories_async.ingest._journal import Journal, Record, read_journal


async def open_journal(path: Path) -> Journal:
    return await Journal.open(path, base_url="http://127.0.0.1", unique_id="default")


def record(index: int, state: _journal.State = "pending") -> Record:
    return Record(f"sha256:{index:064x}", "video", f"/m/{index}.mp4", f"{index}.mp4", index, state)


async def test_one_commit_of_many_rows_keeps_each_keys_last_write(tmp_path: Path) -> None:
    journal = await open_journal(tmp_path / "j.sqlite")
    try:
        rows = [record(i) for i in range(200)]  # more rows than one statement may carry
        files = [(f"/m/{i}.mp4", i, i * 10, f"sha256:{i}") for i in range(300)]
        await journal.save(rows, files=files, wait=False)
        # The same keys again in the same transaction, later: these values must win.
        again = [record(i, "uploaded") for i in range(0, 200, 2)]
        await journal.save(again)
    finally:
        await journal.aclose()
    stored = {r.key: r.state for r in read_journal(tmp_path / "j.sqlite")}
    assert len(stored) == 200
    assert all(
        stored[record(i).key] == ("uploaded" if i % 2 == 0 else "pending") for i in range(200)
    )
    reopened = await open_journal(tmp_path / "j.sqlite")
    try:
        assert all(
            reopened.cached_key(f"/m/{i}.mp4", i, i * 10) == f"sha256:{i}" for i in range(300)
        )
    finally:
        await reopened.aclose()


async def test_rows_nobody_waits_for_ride_with_the_next_awaited_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_journal, "LINGER", 3600.0)
    commits: list[int] = []
    real = Journal._commit

    def counting(
        self: Journal, records: list[tuple[object, ...]], files: list[_journal.FileRow]
    ) -> None:
        commits.append(len(records))
        real(self, records, files)

    monkeypatch.setattr(Journal, "_commit", counting)
    journal = await open_journal(tmp_path / "j.sqlite")
    try:
        for index in range(5):
            await journal.save([record(index, "uploaded")], wait=False)
        await anyio.sleep(0.05)
        assert commits == []  # lingering: nobody waits for them
        await journal.save([record(5)])
        assert commits == [6]  # one transaction carried all six
        assert len(read_journal(tmp_path / "j.sqlite")) == 6
    finally:
        await journal.aclose()


async def test_rows_nobody_waits_for_are_committed_on_their_own_after_a_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_journal, "LINGER", 0.01)
    journal = await open_journal(tmp_path / "j.sqlite")
    try:
        await journal.save([record(1, "uploaded")], wait=False)
        with anyio.fail_after(10):  # no further save and no close: the linger alone lands it
            while not read_journal(tmp_path / "j.sqlite"):
                await anyio.sleep(0.01)
    finally:
        await journal.aclose()


async def test_a_close_inside_a_cancelled_scope_lands_queued_rows_and_unlocks(
    tmp_path: Path,
) -> None:
    journal = await open_journal(tmp_path / "j.sqlite")
    with anyio.CancelScope() as scope:
        await journal.save([record(1, "uploaded")], wait=False)
        scope.cancel()
        await journal.aclose()
    assert [r.state for r in read_journal(tmp_path / "j.sqlite")] == ["uploaded"]
    again = await open_journal(tmp_path / "j.sqlite")  # the lock was released
    await again.aclose()
