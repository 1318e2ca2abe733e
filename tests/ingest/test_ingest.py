"""`ingest()` against the in-process emulator: exactly once, resumable, honest about failures."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from memories_async import AsyncMemories, InvalidArgumentError
from memories_async.emulator import Emulator, Fault
from memories_async.ingest import (
    Failed,
    IngestEvent,
    Journal,
    JournalError,
    Parsed,
    Planned,
    Progress,
    Skipped,
    Started,
    Uploaded,
    ingest,
    read_journal,
)
from memories_async.ingest import _files as ingest_files
from tests.ingest.conftest import KEY


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def videos_on_server(emu: Emulator) -> dict[str, str]:
    """sha256 -> video number of every uploaded video (fails on a duplicate)."""
    found: dict[str, str] = {}
    for video in emu.state.scope(KEY, "default").videos.values():
        assert video.blob is not None
        assert video.blob.sha256 not in found, f"duplicate upload of {video.name}"
        found[video.blob.sha256] = video.video_no
    return found


def upload_requests(emu: Emulator) -> int:
    return sum(1 for r in emu.requests if r.endpoint in ("upload", "upload_img", "upload_url"))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_uploads_videos_and_images_of_a_tree_once_each(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    write(media / "a.mp4", b"video a" * 100)
    write(media / "deep" / "er" / "b.MOV", b"video b" * 100)
    write(media / "photo.jpg", b"\xff\xd8\xff" + b"jpeg" * 50)
    write(media / "notes.txt", b"not media")
    write(media / ".hidden" / "c.mp4", b"hidden video")
    write(media / ".d.mp4", b"hidden file")
    events: list[IngestEvent] = []

    summary = await ingest(
        client, [media], journal=tmp_path / "j.sqlite", concurrency=2, on_event=events.append
    )

    assert summary.ok and summary.uploaded == 3 and summary.failures == []
    assert summary.counts == {"pending": 0, "uploading": 0, "uploaded": 3, "parsed": 0, "failed": 0}
    assert summary.bytes_sent == 700 + 700 + 203
    assert set(videos_on_server(emu)) == {sha(b"video a" * 100), sha(b"video b" * 100)}
    assert len(emu.state.scope(KEY, "default").images) == 1
    assert events[0] == Planned(3, 1603)
    for source in (media / "a.mp4", media / "deep" / "er" / "b.MOV", media / "photo.jpg"):
        mine = [e for e in events if getattr(e, "source", None) == str(source)]
        assert isinstance(mine[0], Started) and isinstance(mine[-1], Uploaded)
        assert any(isinstance(e, Progress) for e in mine)
    records = {r.source: r for r in read_journal(tmp_path / "j.sqlite")}
    assert records[str(media / "a.mp4")].remote_id == videos_on_server(emu)[sha(b"video a" * 100)]
    assert records[str(media / "photo.jpg")].kind == "image"
    assert all(r.attempts == 1 and r.last_error is None for r in records.values())


async def test_a_rerun_sends_nothing_and_a_renamed_or_moved_file_is_recognised(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    write(media / "one.mp4", b"first" * 200)
    write(media / "two.mp4", b"second" * 200)
    journal = tmp_path / "j.sqlite"
    await ingest(client, [media], journal=journal)
    sent = upload_requests(emu)
    assert sent == 2

    os.rename(media / "one.mp4", media / "renamed.mp4")
    (media / "moved").mkdir()
    os.rename(media / "two.mp4", media / "moved" / "two-again.mp4")
    events: list[IngestEvent] = []
    summary = await ingest(client, [media], journal=journal, on_event=events.append)

    assert upload_requests(emu) == sent
    assert summary.uploaded == 0 and summary.skipped == 2 and summary.ok
    skipped = [e for e in events if isinstance(e, Skipped)]
    assert {e.reason for e in skipped} == {"already uploaded"}
    assert {e.remote_id for e in skipped} == set(videos_on_server(emu).values())
    # The journal follows the file to its new place.
    assert {r.source for r in read_journal(journal)} == {
        str(media / "renamed.mp4"),
        str(media / "moved" / "two-again.mp4"),
    }


async def test_a_resumed_job_reports_its_finished_files_without_waiting_for_a_worker(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    for name in ("b.mp4", "c.mp4", "d.mp4"):
        write(media / name, name.encode() * 100)
    journal = tmp_path / "j.sqlite"
    await ingest(client, [media], journal=journal)
    write(media / "a.mp4", b"new" * 100)  # listed first: the only worker is busy with it
    emu.faults.add("upload", Fault.delay(0.5), times=1)
    events: list[IngestEvent] = []
    summary = await ingest(client, [media], journal=journal, concurrency=1, on_event=events.append)

    assert summary.uploaded == 1 and summary.skipped == 3 and upload_requests(emu) == 4
    names = [
        (type(e).__name__, os.path.basename(e.source))
        for e in events
        if isinstance(e, Skipped | Uploaded)
    ]
    # Known by their unchanged size and mtime, the finished files are reported as the job
    # reaches them, not after the slow upload in front of them.
    assert names == [
        ("Skipped", "b.mp4"),
        ("Skipped", "c.mp4"),
        ("Skipped", "d.mp4"),
        ("Uploaded", "a.mp4"),
    ]


async def test_two_paths_with_the_same_content_are_uploaded_once(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    write(tmp_path / "x" / "clip.mp4", b"same bytes" * 30)
    write(tmp_path / "y" / "copy.mp4", b"same bytes" * 30)
    events: list[IngestEvent] = []
    summary = await ingest(
        client,
        [tmp_path / "x", tmp_path / "y"],
        journal=tmp_path / "j.sqlite",
        on_event=events.append,
    )
    assert len(videos_on_server(emu)) == 1
    assert summary.uploaded == 1 and summary.skipped == 1
    (skip,) = [e for e in events if isinstance(e, Skipped)]
    assert skip.reason.startswith("same content as ")


async def test_uploading_is_committed_before_the_request_is_sent(
    client: AsyncMemories, tmp_path: Path
) -> None:
    path = write(tmp_path / "clip.mp4", b"durable" * 100)
    journal = tmp_path / "j.sqlite"
    seen: list[tuple[str, str, str | None]] = []

    def look(event: IngestEvent) -> None:
        if isinstance(event, Started | Uploaded):
            (record,) = read_journal(journal)  # another connection: only committed data
            seen.append((event.type, record.state, record.remote_id))

    await ingest(client, [path], journal=journal, on_event=look)
    assert seen[0] == ("started", "uploading", None)
    # `uploaded` is queued for the next commit without holding up the next upload (a crash
    # before it lands leaves `uploading`, which reconciliation settles): committed by the end.
    (record,) = read_journal(journal)
    assert record.state == "uploaded" and record.remote_id


async def test_a_definite_failure_is_retried_by_later_runs_up_to_max_attempts(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    path = write(tmp_path / "bad.mp4", b"rejected" * 10)
    journal = tmp_path / "j.sqlite"
    emu.faults.add("upload", Fault.error("0003", "bad parameter"), times=2)

    first = await ingest(client, [path], journal=journal, max_attempts=2)
    assert not first.ok and first.counts["failed"] == 1
    assert "bad parameter" in first.failures[0].error
    (record,) = read_journal(journal)
    assert record.state == "failed" and not record.in_doubt and record.attempts == 1

    second = await ingest(client, [path], journal=journal, max_attempts=2)
    assert second.counts["failed"] == 1 and upload_requests(emu) == 2
    third = await ingest(client, [path], journal=journal, max_attempts=2)
    assert upload_requests(emu) == 2  # gave up: nothing sent
    assert "gave up after 2 attempt(s)" in third.failures[0].error

    fourth = await ingest(client, [path], journal=journal, max_attempts=3)
    assert fourth.ok and len(videos_on_server(emu)) == 1


async def test_a_crash_after_the_server_stored_the_upload_is_reconciled_not_resent(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    # What a SIGKILL between the answer and its commit leaves: the server has the video, the
    # journal says `uploading`.
    path = write(tmp_path / "clip.mp4", b"stored but unrecorded" * 50)
    journal = tmp_path / "j.sqlite"
    other = write(tmp_path / "elsewhere" / "clip.mp4", b"x" * (21 * 50))  # same name and size
    claimed = (await client.videos.upload(other)).video_no
    uploaded = (await client.videos.upload(path)).video_no
    book = await Journal.open(journal, base_url=client.base_url, unique_id="default")
    from memories_async.ingest import Record

    record = Record(f"sha256:{sha(path.read_bytes())}", "video", str(path), "clip.mp4", 1050)
    record.state, record.attempts, record.attempt_started = "uploading", 1, 0.0
    done = Record(f"sha256:{sha(other.read_bytes())}", "video", str(other), "clip.mp4", 1050)
    done.state, done.remote_id, done.attempts = "uploaded", claimed, 1
    await book.save([record, done])
    await book.aclose()
    record.attempt_started = None
    before = upload_requests(emu)

    events: list[IngestEvent] = []
    summary = await ingest(client, [path], journal=journal, on_event=events.append)

    assert upload_requests(emu) == before
    assert summary.reconciled == 1 and summary.ok
    assert Uploaded(str(path), uploaded, 1050, reconciled=True) in events
    states = {r.source: (r.state, r.remote_id) for r in read_journal(journal)}
    assert states[str(path)] == ("uploaded", uploaded)


async def test_an_answer_lost_after_the_server_stored_the_upload_is_not_resent(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    path = write(tmp_path / "clip.mp4", b"answer lost" * 40)
    journal = tmp_path / "j.sqlite"
    emu.faults.add("upload", Fault.http_status(500), times=1)
    emu.faults.add("upload", Fault.drop_mid_body(5), times=1, skip=1)
    # 1st run: a 500 (in doubt; nothing stored). 2nd: stored, but the answer never arrives.
    first = await ingest(client, [path], journal=journal)
    (record,) = read_journal(journal)
    assert record.state == "failed" and record.in_doubt and not videos_on_server(emu)
    assert isinstance(first.failures[0].error, str)

    second = await ingest(client, [path], journal=journal)
    assert second.reconciled == 0 and not second.ok
    assert len(videos_on_server(emu)) == 1
    (record,) = read_journal(journal)
    assert record.in_doubt and record.attempts == 2

    third = await ingest(client, [path], journal=journal)
    assert third.reconciled == 1 and third.ok and upload_requests(emu) == 2
    assert len(videos_on_server(emu)) == 1


async def test_while_an_upload_is_in_doubt_one_of_the_same_name_and_size_waits(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    a = write(tmp_path / "a" / "clip.mp4", b"A" * 500)
    b = write(tmp_path / "b" / "clip.mp4", b"B" * 500)
    journal = tmp_path / "j.sqlite"
    emu.faults.add("upload", Fault.http_status(500), times=1)
    events: list[IngestEvent] = []
    first = await ingest(client, [a, b], journal=journal, concurrency=2, on_event=events.append)
    assert upload_requests(emu) == 1
    # Which of the two is hashed first, and so sent first, is up to the worker threads.
    (failed,) = [e for e in events if isinstance(e, Failed)]
    (deferred,) = [e for e in events if isinstance(e, Skipped)]
    assert failed.in_doubt and {failed.source, deferred.source} == {str(a), str(b)}
    assert "deferred" in deferred.reason
    assert first.counts["failed"] == 1 and first.counts["pending"] == 1 and not first.ok

    second = await ingest(client, [a, b], journal=journal, concurrency=2)
    assert second.ok
    assert set(videos_on_server(emu)) == {sha(b"A" * 500), sha(b"B" * 500)}


async def test_wait_for_parse_follows_videos_to_parsed_or_failed(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    emu.config = dataclasses.replace(emu.config, parse_delay=0.2)
    good = write(tmp_path / "good.mp4", b"good" * 100)
    bad = write(tmp_path / "bad.mp4", b"bad" * 100)
    photo = write(tmp_path / "p.png", b"\x89PNG" + b"0" * 40)
    journal = tmp_path / "j.sqlite"
    events: list[IngestEvent] = []

    def spoil(event: IngestEvent) -> None:
        events.append(event)
        if isinstance(event, Uploaded) and event.source == str(bad):
            emu.set_video_status(KEY, event.remote_id, "FAIL")

    summary = await ingest(
        client,
        [good, bad, photo],
        journal=journal,
        wait_for_parse=True,
        on_event=spoil,
        poll_interval=0.02,
    )
    assert summary.counts == {"pending": 0, "uploading": 0, "uploaded": 1, "parsed": 1, "failed": 1}
    assert [e.source for e in events if isinstance(e, Parsed)] == [str(good)]
    (failure,) = summary.failures
    assert failure.source == str(bad) and "could not parse it (FAIL" in failure.error
    sent = upload_requests(emu)

    again = await ingest(client, [good, bad, photo], journal=journal, wait_for_parse=True)
    assert upload_requests(emu) == sent  # a video the server failed is not uploaded again
    assert "server failed to process it" in again.failures[0].error


async def test_urls_go_to_upload_url_and_platform_urls_to_one_scrape(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    urls = [
        "https://cdn.example.com/media/boats.mp4",
        "https://www.tiktok.com/@someone/video/7000000000000000001",
        "https://www.tiktok.com/@someone/video/7000000000000000002",
    ]
    journal = tmp_path / "j.sqlite"
    summary = await ingest(client, urls, journal=journal, wait_for_parse=True, poll_interval=0.01)
    assert summary.ok and summary.counts["parsed"] == 3
    scrapes = [r for r in emu.requests if r.endpoint == "scraper_url"]
    assert len(scrapes) == 1 and upload_requests(emu) == 1
    records = {r.source: r for r in read_journal(journal)}
    assert records[urls[0]].kind == "url" and records[urls[1]].kind == "scrape"
    assert records[urls[1]].task_id and records[urls[1]].remote_id
    videos = emu.state.scope(KEY, "default").videos
    assert {v.source_url for v in videos.values()} == set(urls)
    assert videos[records[urls[2]].remote_id or ""].source_url == urls[2]

    again = await ingest(client, urls, journal=journal)
    assert again.uploaded == 0 and again.skipped == 3 and upload_requests(emu) == 1
    assert len([r for r in emu.requests if r.endpoint == "scraper_url"]) == 1


async def test_uploads_in_flight_never_exceed_concurrency(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    for i in range(9):
        write(tmp_path / "m" / f"{i}.mp4", bytes([i]) * 300)
    emu.faults.add("upload", Fault.delay(0.02), times=None)
    in_flight, peak = 0, 0

    def count(event: IngestEvent) -> None:
        nonlocal in_flight, peak
        if isinstance(event, Started):
            in_flight += 1
            peak = max(peak, in_flight)
        elif isinstance(event, Uploaded | Failed):
            in_flight -= 1

    summary = await ingest(
        client, [tmp_path / "m"], journal=tmp_path / "j", concurrency=3, on_event=count
    )
    assert summary.uploaded == 9 and peak == 3


async def test_a_file_larger_than_small_file_is_hashed_in_chunks_and_streamed(
    client: AsyncMemories, emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_files, "SMALL_FILE", 1000)
    big = write(tmp_path / "big.mp4", bytes(range(256)) * 20)
    small = write(tmp_path / "small.mp4", b"s" * 999)
    summary = await ingest(client, [big, small], journal=tmp_path / "j")
    assert summary.ok
    assert set(videos_on_server(emu)) == {sha(big.read_bytes()), sha(small.read_bytes())}
    names = {v.name for v in emu.state.scope(KEY, "default").videos.values()}
    assert names == {"big", "small"}


async def test_a_resumed_job_reuses_hashes_of_unchanged_files(
    client: AsyncMemories, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "m" / "a.mp4", b"a" * 100)
    write(tmp_path / "m" / "b.mp4", b"b" * 100)
    hashed: list[str] = []
    real = ingest_files.read_small

    def counting(path: str, size: int) -> tuple[str, bytes | None]:
        hashed.append(path)
        return real(path, size)

    monkeypatch.setattr(ingest_files, "read_small", counting)
    await ingest(client, [tmp_path / "m"], journal=tmp_path / "j")
    assert len(hashed) == 2
    write(tmp_path / "m" / "b.mp4", b"B" * 101)  # changed: hashed again, and uploaded
    summary = await ingest(client, [tmp_path / "m"], journal=tmp_path / "j")
    assert hashed[2:] == [str(tmp_path / "m" / "b.mp4")]
    assert summary.uploaded == 1


async def test_a_file_changed_in_place_is_hashed_and_sent_again_and_an_unchanged_one_is_not_read(
    client: AsyncMemories, emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = write(tmp_path / "m" / "a.mp4", b"a" * 100)
    write(tmp_path / "m" / "b.mp4", b"b" * 100)
    touched = write(tmp_path / "m" / "c.mp4", b"c" * 100)
    hashed: list[str] = []
    real = ingest_files.read_small

    def counting(path: str, size: int) -> tuple[str, bytes | None]:
        hashed.append(os.path.basename(path))
        return real(path, size)

    monkeypatch.setattr(ingest_files, "read_small", counting)
    await ingest(client, [tmp_path / "m"], journal=tmp_path / "j")
    assert sorted(hashed) == ["a.mp4", "b.mp4", "c.mp4"] and upload_requests(emu) == 3
    hashed.clear()
    before = changed.stat()
    changed.write_bytes(b"A" * 100)  # new bytes, the same size, in place
    os.utime(changed, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    stamp = touched.stat()  # the same bytes, a new mtime: read again, not sent again
    os.utime(touched, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
    summary = await ingest(client, [tmp_path / "m"], journal=tmp_path / "j")
    assert sorted(hashed) == ["a.mp4", "c.mp4"]  # b.mp4, unchanged, was not read at all
    assert summary.uploaded == 1 and upload_requests(emu) == 4
    assert sha(b"A" * 100) in videos_on_server(emu)  # what was sent is the new bytes


async def test_a_journal_is_used_by_one_job_at_a_time(
    client: AsyncMemories, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.mp4", b"a" * 10)
    book = await Journal.open(tmp_path / "j", base_url=client.base_url, unique_id="default")
    try:
        with pytest.raises(JournalError, match="in use by another ingestion job"):
            await ingest(client, [path], journal=tmp_path / "j")
    finally:
        await book.aclose()
    assert (await ingest(client, [path], journal=tmp_path / "j")).ok


async def test_a_journal_of_another_server_or_scope_is_refused(
    client: AsyncMemories, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.mp4", b"a" * 10)
    await ingest(client, [path], journal=tmp_path / "j")
    with pytest.raises(JournalError, match="belongs to unique_id 'default'"):
        await ingest(client, [path], journal=tmp_path / "j", unique_id="someone-else")
    (tmp_path / "junk").write_bytes(b"this is not a database, not at all" * 10)
    with pytest.raises(JournalError, match="cannot use"):
        await ingest(client, [path], journal=tmp_path / "junk")


@pytest.mark.parametrize(
    ("sources", "kwargs", "message"),
    [
        (["missing.mp4"], {}, "no such file or directory"),
        (["notes.txt"], {}, "neither a video"),
        (["empty.mp4"], {}, "is empty"),
        (["a.mp4"], {"concurrency": 0}, "concurrency"),
        (["a.mp4"], {"max_attempts": 0}, "max_attempts"),
    ],
)
async def test_bad_arguments_are_refused_before_anything_is_sent(
    client: AsyncMemories,
    emu: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sources: list[str],
    kwargs: dict[str, int],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "notes.txt", b"text")
    write(tmp_path / "empty.mp4", b"")
    write(tmp_path / "a.mp4", b"a")
    with pytest.raises(InvalidArgumentError, match=message):
        await ingest(client, sources, journal=tmp_path / "j", **kwargs)  # type: ignore[arg-type]
    assert upload_requests(emu) == 0


async def test_a_crash_right_after_an_upload_resends_no_image(
    client: AsyncMemories, emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every save the job does not wait for is lost, as in a SIGKILL before the next commit.
    # Videos are found again in the listing; an image cannot be, so its confirmation must be
    # one the job waited for.
    media = tmp_path / "m"
    write(media / "p.jpg", b"\xff\xd8\xff" + b"x" * 500)
    write(media / "v.mp4", b"video" * 100)
    journal = tmp_path / "j.sqlite"
    keep = Journal.save

    async def lose_unwaited(self: Journal, *args: Any, wait: bool = True, **kw: Any) -> None:
        if wait:
            await keep(self, *args, wait=wait, **kw)

    monkeypatch.setattr(Journal, "save", lose_unwaited)
    await ingest(client, [media], journal=journal)
    monkeypatch.setattr(Journal, "save", keep)

    second = await ingest(client, [media], journal=journal)
    assert second.ok and second.uploaded == 0
    assert len(emu.state.scope(KEY, "default").images) == 1
    assert len(videos_on_server(emu)) == 1


async def test_a_file_changed_while_it_uploads_is_journaled_as_what_was_sent(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    # Past SMALL_FILE, a file is hashed first and read again to be sent; here it is rewritten in
    # between (same size, other bytes), as a camera or an editor might.
    size = ingest_files.SMALL_FILE + 4096
    path = write(tmp_path / "growing.mp4", b"A" * size)
    journal = tmp_path / "j.sqlite"

    def rewrite(event: IngestEvent) -> None:
        if isinstance(event, Started):
            path.write_bytes(b"B" * size)

    first = await ingest(client, [path], journal=journal, on_event=rewrite)
    assert first.ok and first.uploaded == 1
    assert set(videos_on_server(emu)) == {sha(b"B" * size)}  # what the server got
    records = {r.key: r for r in read_journal(journal)}
    sent = records["sha256:" + sha(b"B" * size)]
    assert sent.state == "uploaded" and sent.remote_id == videos_on_server(emu)[sha(b"B" * size)]
    old = records.get("sha256:" + sha(b"A" * size))
    assert old is None or old.state == "pending"

    again = await ingest(client, [path], journal=journal)
    assert again.ok and again.uploaded == 0 and again.skipped == 1
    assert upload_requests(emu) == 1, "what was sent must not be sent again"


async def test_small_files_are_read_ahead_a_batch_per_thread_hop_and_held_bounded(
    client: AsyncMemories, emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memories_async.ingest import _ingest

    for index in range(70):
        write(tmp_path / "m" / f"{index:02d}.mp4", f"clip {index}".encode() * 20)
    write(tmp_path / "m" / "big.mp4", b"z" * (ingest_files.READ_AHEAD_FILE + 1))
    batches: list[list[str]] = []
    real_many = ingest_files.read_many

    def recording(files: list[tuple[str, int]]) -> list[Any]:
        batches.append([os.path.basename(path) for path, _ in files])
        return real_many(files)

    held: list[int] = []
    real_ahead = _ingest.Job.identify_ahead

    async def measuring(self: Any, batch: list[Any]) -> None:
        await real_ahead(self, batch)
        held.append(len(self.contents))

    monkeypatch.setattr(ingest_files, "read_many", recording)
    monkeypatch.setattr(_ingest.Job, "identify_ahead", measuring)
    summary = await ingest(client, [tmp_path / "m"], journal=tmp_path / "j", concurrency=4)
    assert summary.uploaded == 71 and upload_requests(emu) == 71
    assert [len(b) for b in batches] == [32, 32, 6]  # the large file is read by its worker
    assert "big.mp4" not in {name for b in batches for name in b}
    # Read but not yet sent: the batch just read, the one being handed out, the queue to the
    # workers, and the workers' own.
    assert max(held) <= 2 * _ingest.READ_AHEAD_BATCH + 2 * 4


async def test_a_file_that_cannot_be_read_ahead_fails_alone(
    client: AsyncMemories, emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "b", "c"):
        write(tmp_path / "m" / f"{name}.mp4", name.encode() * 50)
    real = ingest_files.read_small

    def failing(path: str, size: int) -> tuple[str, bytes | None]:
        if path.endswith("b.mp4"):
            raise PermissionError(13, "Permission denied")
        return real(path, size)

    monkeypatch.setattr(ingest_files, "read_small", failing)
    events: list[IngestEvent] = []
    summary = await ingest(client, [tmp_path / "m"], journal=tmp_path / "j", on_event=events.append)
    assert summary.uploaded == 2 and upload_requests(emu) == 2
    [failed] = [e for e in events if isinstance(e, Failed)]
    assert failed.source.endswith("b.mp4") and "cannot read the file" in failed.error
