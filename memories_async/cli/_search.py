"""`memories search QUERY`: the moments of your videos that match, best first."""

from __future__ import annotations

import argparse

from ._common import Commands, Console, make_client, timestamp

__all__ = ["add_parser", "run"]


def add_parser(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Register `search`."""
    parser = commands.add_parser(
        "search", parents=[common], help="search your videos", description="Search your videos."
    )
    parser.add_argument("query", help="what to look for, in words")
    parser.add_argument("--top-k", type=int, default=None, help="at most this many clips")
    parser.add_argument(
        "--audio", action="store_true", help="match what is said rather than what is shown"
    )
    parser.add_argument(
        "--video",
        action="append",
        dest="video_nos",
        metavar="VIDEO_NO",
        help="search only this video (repeat for several)",
    )
    parser.add_argument("--tag", help="search only videos uploaded with this tag")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, console: Console) -> int:
    """Print the clips (or `--json` them)."""
    async with make_client(args) as client:
        clips = await client.search.videos(
            args.query,
            search_type="BY_AUDIO" if args.audio else "BY_VIDEO",
            top_k=args.top_k,
            video_nos=args.video_nos,
            tag=args.tag,
        )
    if args.json:
        console.json([clip.model_dump(mode="json") for clip in clips])
        return 0
    if not clips:
        console.line("no matches")
        return 0
    for clip in clips:
        score = f"{clip.score:.2f}" if clip.score is not None else "   -"
        span = f"{timestamp(clip.start_time)}-{timestamp(clip.end_time)}"
        console.line(f"{score}  {clip.video_no}  {span:>11}  {clip.video_name or ''}".rstrip())
    return 0
