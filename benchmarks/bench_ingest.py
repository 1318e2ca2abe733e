"""Bulk ingest: files per second of `ingest()` vs a hand-written loop of raw httpx multipart posts.

Both upload the same small files with the same concurrency to the same emulator (limits off)
over the same in-process transport. Ours also hashes each file off the loop, commits its journal
record before and after each upload (SQLite WAL, fsync: the `uploading` records a batch at a time
ahead of the uploads, the `uploaded` ones riding along) and reports events; the raw loop does
none of that, so the ratio is the price of "never loses work".

Two rows more come from a 20,000-file job run by a process of its own against the emulator on a
loopback socket (`_ingest_child`): the ingester's peak memory, and how long a re-run of the
finished job takes (it must read and send nothing).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio.to_thread
import httpx

from benchmarks._common import ROOT, Row, Stopwatch, child_env
from memories_async import AsyncMemories
from memories_async.emulator import Emulator, serve
from memories_async.ingest import ingest

KEY = "sk-bench-ingest-0000"
CONCURRENCY = 16
BULK_GOAL = 0.9
MiB = 1 << 20
URL = "http://127.0.0.1/serve/api/v1/upload"


def make_files(directory: Path, count: int) -> list[Path]:
    """`count` distinct small video files (1-4 KiB)."""
    paths = []
    for i in range(count):
        path = directory / f"clip_{i:05d}.mp4"
        path.write_bytes(i.to_bytes(4, "big") * (256 + i % 768))
        paths.append(path)
    return paths


async def ours(emu: Emulator, http: httpx.AsyncClient, folder: Path, work: Path) -> float:
    """Seconds for `ingest()` of the folder, from an empty server and a fresh journal."""
    emu.reset()
    journal = work / f"journal-{os.urandom(4).hex()}.sqlite"
    client = AsyncMemories(KEY, base_url="http://127.0.0.1", http_client=http, rate_limits=False)
    with Stopwatch() as sw:
        summary = await ingest(client, [folder], journal=journal, concurrency=CONCURRENCY)
    if not summary.ok:
        raise RuntimeError(f"ingest failed: {summary.failures[:3]}")
    return sw.seconds


async def raw(emu: Emulator, http: httpx.AsyncClient, paths: list[Path]) -> float:
    """Seconds for `CONCURRENCY` workers posting each file as multipart with httpx."""
    emu.reset()
    todo = iter(paths)

    async def worker() -> None:
        for path in todo:
            with path.open("rb") as fp:
                response = await http.post(
                    URL,
                    files={"file": (path.name, fp, "video/mp4")},
                    data={"unique_id": "default"},
                    headers={"Authorization": KEY},
                )
            if json.loads(response.content)["code"] != "0000":
                raise RuntimeError(response.text)

    with Stopwatch() as sw:
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return sw.seconds


LARGE_FILES = 20_000
RERUN_GOAL_S = 1.0
LARGE_RSS_GOAL_MIB = 256.0


def _ingest_in_child(base_url: str, folder: Path, journal: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks._ingest_child", base_url, str(folder)]
    done = subprocess.run(
        [*command, str(journal)],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ingest child failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def large_job_rows(smoke: bool = False) -> list[Row]:
    """A 20,000-file job in a process of its own, against the emulator on a loopback socket:
    the ingester's peak memory while it runs, and the time a re-run of the finished job takes
    (every file known by its size and mtime, so none is read again and nothing is sent)."""
    count = 200 if smoke else LARGE_FILES
    emu = Emulator(seed=False, rate_limits=False, max_records=100)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-large-") as tmp, serve(emu) as url:
            folder = Path(tmp) / "media"
            folder.mkdir()
            make_files(folder, count)
            journal = Path(tmp) / "journal.sqlite"
            first = _ingest_in_child(url, folder, journal)
            again = _ingest_in_child(url, folder, journal)
    finally:
        emu.close()
    if first["uploaded"] != count or again["uploaded"] or again["bytes_sent"]:
        raise RuntimeError(f"unexpected summaries: {first} then {again}")
    peak_mib, idle_mib = first["peak_rss"] / MiB, first["idle_rss"] / MiB
    return [
        Row(
            f"bulk ingest, {count} files, ingester's peak RSS",
            peak_mib,
            idle_mib,
            "MiB",
            f"<= {LARGE_RSS_GOAL_MIB:.0f} MiB",
            peak_mib <= LARGE_RSS_GOAL_MIB,
            note="vs the same process before ingest(); first run, 16-way, loopback socket",
        ),
        Row(
            f"bulk ingest, {count} files, re-run of the finished job",
            again["seconds"],
            first["seconds"],
            "s",
            f"<= {RERUN_GOAL_S:g} s",
            again["seconds"] <= RERUN_GOAL_S,
            note="vs the first run; nothing read or sent again",
        ),
    ]


async def run(smoke: bool = False) -> list[Row]:
    return [*await bulk_rows(smoke), *await anyio.to_thread.run_sync(large_job_rows, smoke)]


async def bulk_rows(smoke: bool = False) -> list[Row]:
    count, repeats = (20, 1) if smoke else (2000, 5)
    emu = Emulator(seed=False, rate_limits=False, max_records=100)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            folder = Path(tmp) / "media"
            folder.mkdir()
            paths = make_files(folder, count)
            async with httpx.AsyncClient(transport=emu.transport(), timeout=60) as http:
                # Alternated, after one warm-up each, so both see the same machine load.
                await ours(emu, http, folder, Path(tmp))
                await raw(emu, http, paths)
                ours_runs, raw_runs = [], []
                for _ in range(repeats):
                    ours_runs.append(await ours(emu, http, folder, Path(tmp)))
                    raw_runs.append(await raw(emu, http, paths))
                ours_s, raw_s = statistics.median(ours_runs), statistics.median(raw_runs)
    finally:
        await emu.aclose()
    ours_rate, raw_rate = count / ours_s, count / raw_s
    # The table's ratio is ours / baseline; for a rate, higher is better.
    return [
        Row(
            f"bulk ingest, {count} files, {CONCURRENCY}-way",
            ours_rate,
            raw_rate,
            "files/s",
            f">= {BULK_GOAL}x the raw loop",
            ours_rate / raw_rate >= BULK_GOAL,
            note="ours also hashes every file (read ahead, a batch of small files per thread"
            " hop) and commits its journal record, fsync'd, before and after each upload"
            " (a batch's intents in one transaction, ahead of its uploads)",
        )
    ]


if __name__ == "__main__":
    for row in asyncio.run(run()):
        print(row)
