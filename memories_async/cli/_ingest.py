"""`memories ingest PATH...`: resumable bulk upload with a live progress display."""

from __future__ import annotations

import argparse

from ..ingest import DEFAULT_MAX_ATTEMPTS, ingest
from ._common import Commands, Console, make_client
from ._progress import IngestProgress, print_summary

__all__ = ["add_parser", "run"]


def add_parser(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Register `ingest`."""
    parser = commands.add_parser(
        "ingest",
        parents=[common],
        help="upload files, folders and URLs, resumably",
        description="Upload videos and images (folders are walked recursively) and video URLs. "
        "Re-run the same command to resume: nothing already uploaded is sent again.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file, folder or URL")
    parser.add_argument(
        "--journal", default="memories-ingest.sqlite", help="the job's journal file (%(default)s)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help="uploads in flight at once (%(default)s)"
    )
    parser.add_argument("--wait", action="store_true", help="wait until the videos are parsed")
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=DEFAULT_MAX_ATTEMPTS,
        help="attempts per source over all runs (%(default)s)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=5.0,
        help="seconds between parse checks (%(default)s)",
    )
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, console: Console) -> int:
    """Ingest, show progress, print the summary; exit 1 unless every source is uploaded."""
    progress = None if args.json else IngestProgress(console)
    async with make_client(args) as client:
        try:
            summary = await ingest(
                client,
                args.paths,
                journal=args.journal,
                concurrency=args.concurrency,
                wait_for_parse=args.wait,
                on_event=progress,
                max_attempts=args.max_attempts,
                poll_interval=args.poll_interval,
            )
        finally:
            if progress is not None:
                progress.close()
    if args.json:
        console.json(summary.as_dict())
    else:
        print_summary(console, summary)
    return 0 if summary.ok else 1
