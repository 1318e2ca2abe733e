"""`memories demo`: a tour of the SDK on an embedded emulator, with no API key and no network.

It serves the emulator on a loopback port, ingests a few generated sample videos with the live
progress display (paced by the real 1-upload-per-second bucket), waits until they are parsed,
searches them, and streams a chat answer with its reasoning and references.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

from .._client import AsyncMemories
from ._chat import stream_answer
from ._common import CliError, Commands, Console, duration, timestamp
from ._progress import IngestProgress

__all__ = ["SAMPLES", "add_parser", "run", "write_samples"]

SAMPLES = ("beach_sunset_surfers.mp4", "city_night_traffic.mp4", "kitchen_pasta_cooking.mp4")
QUERY = "surfers at the beach"
PROMPT = "What happens at the beach, and when?"
_DEMO_KEY = "demo-key-local-emulator"
_FTYP = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def add_parser(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Register `demo`."""
    parser = commands.add_parser(
        "demo", parents=[common], help="a few-seconds tour on a local emulator", description=__doc__
    )
    parser.add_argument(
        "--parse-delay",
        type=float,
        default=1.5,
        help="the emulator's seconds to parse (%(default)s)",
    )
    parser.set_defaults(handler=run)


def write_samples(directory: Path, size: int = 48_000) -> list[Path]:
    """Small stand-in video files (an MP4 header, then deterministic bytes), one per sample."""
    paths = []
    for name in SAMPLES:
        block = hashlib.sha256(name.encode()).digest()
        body = (block * (size // len(block) + 1))[: size - len(_FTYP)]
        path = directory / name
        path.write_bytes(_FTYP + body)
        paths.append(path)
    return paths


async def run(args: argparse.Namespace, console: Console) -> int:
    """The tour; every step prints what it does and what came back."""
    try:
        from ..emulator import Emulator, ServerThread
    except ImportError:
        raise CliError(
            "the demo needs the emulator: pip install 'memories-async[emulator]'"
        ) from None
    from ..ingest import ingest

    c = console
    began = time.monotonic()
    step = _Steps(c, 4)
    emulator = Emulator(seed=False, parse_delay=args.parse_delay, stream_interval=0.02)
    server = ServerThread(emulator.app, "127.0.0.1", 0)
    try:
        base_url = await server.astart()
        step(f"emulator listening on {base_url} (nothing leaves this machine)")
        with tempfile.TemporaryDirectory(prefix="memories-demo-") as tmp:
            samples = write_samples(Path(tmp))
            async with AsyncMemories(_DEMO_KEY, base_url=base_url) as client:
                step(f"ingesting {len(samples)} sample videos (1 upload/s, the vendor's limit)")
                progress = None if args.json else IngestProgress(c)
                try:
                    summary = await ingest(
                        client,
                        [tmp],
                        journal=os.path.join(tmp, "journal.sqlite"),
                        concurrency=3,
                        wait_for_parse=True,
                        on_event=progress,
                        poll_interval=0.25,
                        parse_timeout=60.0,
                    )
                finally:
                    if progress is not None:
                        progress.close()
                if not summary.ok:
                    raise CliError(f"the demo's ingest did not complete: {summary.failures}")
                videos = [v async for v in client.videos.iter()]
                step(f"all {len(videos)} videos parsed; searching for {QUERY!r}")
                clips = await client.search.videos(QUERY, top_k=5)
                if not args.json:
                    for clip in clips:
                        score = f"{clip.score:.2f}" if clip.score is not None else "-"
                        span = f"{timestamp(clip.start_time)}-{timestamp(clip.end_time)}"
                        c.line(f"  {score}  {clip.video_name}  {span}  {c.dim(clip.video_no)}")
                numbers = [v.video_no for v in videos]
                step(f"asking the videos: {PROMPT!r}")
                stream = client.chat.stream(numbers, PROMPT)
                if args.json:
                    async with stream:
                        answer = await stream.final()
                else:
                    await stream_answer(c, stream)
    finally:
        await server.astop()
        emulator.close()
    if args.json:
        c.json(
            {
                "base_url": base_url,
                "ingest": summary.as_dict(),
                "search": [clip.model_dump(mode="json") for clip in clips],
                "answer": answer.model_dump(mode="json"),
            }
        )
        return 0
    c.line()
    c.line(c.good(f"tour complete in {duration(time.monotonic() - began)}."))
    c.line(
        "next: `memories emulator` serves it on port 8787; set MEMORIES_BASE_URL="
        "http://127.0.0.1:8787 and any MEMORIES_API_KEY to try the SDK and the other commands."
    )
    return 0


class _Steps:
    """Numbered headings: `[2/5] what happens now`."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self.done = 0

    def __call__(self, text: str) -> None:
        self.done += 1
        if not self.console.json_mode:
            self.console.line(self.console.bold(f"[{self.done}/{self.total}] {text}"))
