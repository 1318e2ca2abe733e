"""`memories videos list|delete|download`: your video library."""

from __future__ import annotations

import argparse

from .._client import AsyncMemories
from ._common import Commands, Console, duration, human_bytes, make_client

__all__ = ["add_parser"]


def add_parser(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Register `videos` and its subcommands."""
    parser = commands.add_parser(
        "videos", parents=[common], help="list, delete or download videos", description=__doc__
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[common], help="list your videos")
    listing.add_argument("--name", help="only names containing this")
    listing.add_argument("--status", help="only this status (UNPARSE, PARSE, FAIL...)")
    listing.add_argument("--page", type=int, default=1, help="page number (%(default)s)")
    listing.add_argument("--size", type=int, default=20, help="videos per page (%(default)s)")
    listing.add_argument("--all", action="store_true", help="every page")
    listing.set_defaults(handler=run_list)
    delete = actions.add_parser("delete", parents=[common], help="delete videos for good")
    delete.add_argument("video_nos", nargs="+", metavar="VIDEO_NO")
    delete.set_defaults(handler=run_delete)
    download = actions.add_parser("download", parents=[common], help="download a video file")
    download.add_argument("video_no", metavar="VIDEO_NO")
    download.add_argument(
        "--output", "-o", default=".", help="file or folder to write (%(default)s)"
    )
    download.set_defaults(handler=run_download)


async def run_list(args: argparse.Namespace, console: Console) -> int:
    """One page (or `--all`) of videos."""
    async with make_client(args) as client:
        if args.all:
            videos = [
                v
                async for v in client.videos.iter(
                    size=100, video_name=args.name, status=args.status
                )
            ]
            total = len(videos)
        else:
            page = await client.videos.list(
                page=args.page, size=args.size, video_name=args.name, status=args.status
            )
            videos, total = page.videos, page.total_count
    if args.json:
        console.json({"total": total, "videos": [v.model_dump(mode="json") for v in videos]})
        return 0
    for v in videos:
        length = duration(v.duration) if v.duration is not None else "-"
        size = human_bytes(v.size) if v.size is not None else "-"
        console.line(
            f"{v.video_no}  {v.status or '-':<8} {length:>7} {size:>9}  {v.video_name or ''}"
        )
    console.line(console.dim(f"{len(videos)} of {total} video(s)"))
    return 0


async def run_delete(args: argparse.Namespace, console: Console) -> int:
    """Delete the given videos that exist; exit 1 if some did not.

    The server answers a deletion with success whether or not a number existed, so each number
    is looked up first: the report says which videos were deleted and which were not found.
    """
    wanted = list(dict.fromkeys(args.video_nos))
    async with make_client(args) as client:
        found = [number for number in wanted if await _exists(client, number)]
        if found:
            await client.videos.delete(found)
    missing = [number for number in wanted if number not in found]
    if args.json:
        console.json({"deleted": found, "not_found": missing})
    else:
        if found:
            console.line(f"deleted {len(found)} video(s): {' '.join(found)}")
        if missing:
            console.line(console.bad(f"not found: {' '.join(missing)}"))
    return 1 if missing else 0


async def _exists(client: AsyncMemories, video_no: str) -> bool:
    page = await client.videos.list(video_no=video_no, size=1)
    return any(video.video_no == video_no for video in page.videos)


async def run_download(args: argparse.Namespace, console: Console) -> int:
    """Download one video's file."""
    async with make_client(args) as client:
        path = await client.videos.download(args.video_no, args.output)
    if args.json:
        console.json({"video_no": args.video_no, "path": str(path)})
    else:
        console.line(f"saved {path}")
    return 0
