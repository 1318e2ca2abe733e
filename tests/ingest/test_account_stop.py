"""A refused account stops the whole job at once and costs no file an attempt; files that used up
their attempts get a fresh count with `retry_failed`; the summary's counts agree with the events."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from memories_async import AsyncMemories, AuthenticationError, InsufficientCreditError
from memories_async.emulator import Emulator, Fault
from memories_async.ingest import (
    Failed,
    IngestEvent,
    IngestStoppedError,
    Skipped,
    Started,
    Uploaded,
    ingest,
    read_journal,
)
from tests.ingest.conftest import KEY
from tests.ingest.test_ingest import upload_requests, videos_on_server, write

WRONG_KEY = "sk-ingest-tests-wrong-9999"


@pytest.fixture
async def guarded() -> AsyncIterator[Emulator]:
    """An emulator that accepts only `KEY`."""
    emulator = Emulator(seed=False, rate_limits=False, api_keys=[KEY])
    yield emulator
    await emulator.aclose()


def client_for(emu: Emulator, http: httpx.AsyncClient, key: str) -> AsyncMemories:
    return AsyncMemories(
        key, base_url="http://127.0.0.1", http_client=http, rate_limits=False, max_retries=0
    )


def folder_of(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "media"
    for i in range(count):
        write(folder / f"clip_{i:02d}.mp4", f"clip number {i}".encode() * 40)
    return folder


async def test_a_wrong_key_sends_one_upload_stops_and_burns_no_attempt(
    guarded: Emulator, tmp_path: Path
) -> None:
    folder = folder_of(tmp_path, 6)
    journal = tmp_path / "j.sqlite"
    async with httpx.AsyncClient(transport=guarded.transport()) as http:
        for run in range(3):  # more bad runs than max_attempts
            events: list[IngestEvent] = []
            with pytest.raises(IngestStoppedError) as caught:
                await ingest(
                    client_for(guarded, http, WRONG_KEY),
                    [folder],
                    journal=journal,
                    concurrency=4,
                    max_attempts=2,
                    on_event=events.append,
                )
            assert isinstance(caught.value.error, AuthenticationError)
            assert upload_requests(guarded) == run + 1, "a wrong key costs one request per run"
            assert sum(isinstance(e, Started) for e in events) == 1
            assert not any(isinstance(e, Uploaded | Failed) for e in events)
            assert caught.value.summary.failures == []
            assert WRONG_KEY not in str(caught.value)
            records = read_journal(journal)
            assert records and all(r.attempts == 0 and r.state == "pending" for r in records)
            assert all(not r.in_doubt and r.last_error is None for r in records)

        summary = await ingest(
            client_for(guarded, http, KEY), [folder], journal=journal, max_attempts=2
        )
    assert summary.ok and summary.uploaded == 6 and summary.failures == []
    assert len(videos_on_server(guarded)) == 6
    assert all(r.attempts == 1 for r in read_journal(journal))


async def test_credit_running_out_mid_job_stops_it_and_the_next_run_finishes(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    folder = folder_of(tmp_path, 8)
    journal = tmp_path / "j.sqlite"
    first = await ingest(client, [folder / "clip_00.mp4", folder / "clip_01.mp4"], journal=journal)
    assert first.ok
    emu.faults.add("upload", Fault.error("0402", "not enough credit"), times=1)
    sent_before = upload_requests(emu)

    with pytest.raises(IngestStoppedError) as caught:
        await ingest(client, [folder], journal=journal, concurrency=1)
    assert isinstance(caught.value.error, InsufficientCreditError)
    assert upload_requests(emu) == sent_before + 1, "nothing was sent after the refusal"
    assert caught.value.summary.skipped == 2  # the two uploaded by the first job
    by_state = {r.state for r in read_journal(journal) if r.attempts == 0}
    assert by_state <= {"pending"}

    again = await ingest(client, [folder], journal=journal, concurrency=3)
    assert again.ok and again.uploaded == 6 and len(videos_on_server(emu)) == 8


def test_the_stop_error_pickles_with_its_cause_and_summary(tmp_path: Path) -> None:
    from memories_async.ingest import IngestSummary

    error = AuthenticationError("invalid API key", code="0401", status_code=200)
    summary = IngestSummary(counts={"pending": 3}, uploaded=0, skipped=0, bytes_sent=0, elapsed=1)
    copy = pickle.loads(pickle.dumps(IngestStoppedError(error, summary)))
    assert isinstance(copy.error, AuthenticationError) and copy.error.code == "0401"
    assert copy.summary == summary and "invalid API key" in str(copy)


async def test_sources_that_gave_up_are_failures_and_retry_failed_tries_them_again(
    client: AsyncMemories, emu: Emulator, tmp_path: Path
) -> None:
    bad = write(tmp_path / "bad.mp4", b"rejected" * 10)
    good = write(tmp_path / "good.mp4", b"accepted" * 10)
    journal = tmp_path / "j.sqlite"
    emu.faults.add("upload", Fault.error("0003", "bad parameter"), times=1)
    first = await ingest(client, [bad], journal=journal, max_attempts=1)
    assert not first.ok and first.gave_up == 0 and len(first.failures) == 1

    events: list[IngestEvent] = []
    second = await ingest(
        client, [bad, good], journal=journal, max_attempts=1, on_event=events.append
    )
    (failed,) = [e for e in events if isinstance(e, Failed)]
    assert failed.gave_up and "gave up after 1 attempt(s): bad parameter" in failed.error
    assert not any(isinstance(e, Skipped) for e in events)
    # The summary says what the events said: one uploaded, none skipped, one failed (gave up).
    assert (second.uploaded, second.skipped, len(second.failures), second.gave_up) == (1, 0, 1, 1)
    assert second.counts["failed"] == 1 and upload_requests(emu) == 2

    third = await ingest(client, [bad, good], journal=journal, max_attempts=1, retry_failed=True)
    assert third.ok and third.uploaded == 1 and third.skipped == 1
    assert upload_requests(emu) == 3 and len(videos_on_server(emu)) == 2
