"""`memories videos list|delete|download`: your video library."""

from __future__ import annotations

import argparse

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
    """Delete the given videos."""
    async with make_client(args) as client:
        await client.videos.delete(args.video_nos)
    if args.json:
        console.json({"deleted": args.video_nos})
    else:
        console.line(f"deleted {len(args.video_nos)} video(s)")
    return 0


async def run_download(args: argparse.Namespace, console: Console) -> int:
    """Download one video's file."""
    async with make_client(args) as client:
        path = await client.videos.download(args.video_no, args.output)
    if args.json:
        console.json({"video_no": args.video_no, "path": str(path)})
    else:
        console.line(f"saved {path}")
    return 0
