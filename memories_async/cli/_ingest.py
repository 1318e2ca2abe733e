"""`memories ingest PATH...`: resumable bulk upload with a live progress display.

Exit status: 0 when every source is uploaded, 1 when some failed, 3 when the account itself was
refused (wrong key, no credit) and the job stopped before sending more.
"""

from __future__ import annotations

import argparse
import contextlib
from contextlib import AbstractAsyncContextManager

from ..ingest import DEFAULT_MAX_ATTEMPTS, IngestStoppedError, IngestSummary, ingest
from ._common import Commands, Console, make_client
from ._progress import IngestProgress, print_summary

__all__ = ["EXIT_ACCOUNT_REFUSED", "add_parser", "run"]

EXIT_ACCOUNT_REFUSED = 3
"""The exit status of a job stopped because the account was refused (not a file's failure)."""


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
        "--retry-failed",
        action="store_true",
        help="give sources that used up their attempts a fresh count",
    )
    parser.add_argument(
        "--tag",
        action="append",
        dest="tags",
        metavar="TAG",
        help="label every uploaded video with TAG (repeat for several)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=5.0,
        help="seconds between parse checks (%(default)s)",
    )
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, console: Console) -> int:
    """Ingest, show progress, print the summary; the exit status says how it ended."""
    progress = None if args.json else IngestProgress(console)
    stopped: IngestStoppedError | None = None
    async with make_client(args) as client, _ticking(progress):
        try:
            summary = await ingest(
                client,
                args.paths,
                journal=args.journal,
                concurrency=args.concurrency,
                wait_for_parse=args.wait,
                on_event=progress,
                max_attempts=args.max_attempts,
                retry_failed=args.retry_failed,
                poll_interval=args.poll_interval,
                tags=args.tags,
            )
        except IngestStoppedError as exc:
            stopped, summary = exc, exc.summary
        finally:
            if progress is not None:
                progress.close()
    return _report(console, args, summary, stopped)


def _ticking(progress: IngestProgress | None) -> AbstractAsyncContextManager[object]:
    return contextlib.nullcontext() if progress is None else progress.ticking()


def _report(
    console: Console,
    args: argparse.Namespace,
    summary: IngestSummary,
    stopped: IngestStoppedError | None,
) -> int:
    if args.json:
        data = summary.as_dict()
        data["stopped"] = None if stopped is None else str(stopped.error)
        console.json(data)
    elif stopped is None:
        print_summary(console, summary)
    else:
        console.error(
            f"stopped: the account was refused ({stopped.error}). Nothing more was sent and the"
            " refused attempt does not count against its file; fix the key or the account and"
            " run the same command again to resume."
        )
    if stopped is not None:
        return EXIT_ACCOUNT_REFUSED
    return 0 if summary.ok else 1
