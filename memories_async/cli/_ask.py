"""`memories ask URL "prompt"`: a vision-language model's answer about a video or an image
(`client.vision.complete` on the v2 host)."""

from __future__ import annotations

import argparse
import mimetypes

from ..resources.vision import DEFAULT_MODEL
from ._common import Commands, Console, make_client

__all__ = ["add_parser", "run"]


def add_parser(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Register `ask`."""
    parser = commands.add_parser(
        "ask",
        parents=[common],
        help="ask a vision model about a video or image URL",
        description="Ask a vision-language model about the video or image at URL (the v2 "
        "host's Visual Intelligence; $MEMORIES_VLM_BASE_URL points elsewhere).",
    )
    parser.add_argument("url", help="a video or image URL the vendor can fetch")
    parser.add_argument("prompt", help="the question")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="provider:model (%(default)s)")
    parser.add_argument("--system", default=None, help="a system prompt")
    parser.add_argument(
        "--as-json", action="store_true", help="ask the model for JSON and print it parsed"
    )
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, console: Console) -> int:
    """Print the answer's text (or, with `--json`, the whole completion)."""
    kind = (mimetypes.guess_type(args.url.split("?", 1)[0])[0] or "").split("/", 1)[0]
    where = {"image_url": args.url} if kind == "image" else {"video_url": args.url}
    async with make_client(args) as client:
        answer = await client.vision.complete(
            args.prompt,
            model=args.model,
            system=args.system,
            response_format="json" if args.as_json else "text",
            **where,
        )
    if args.json:
        console.json(answer.model_dump(mode="json"))
    elif args.as_json:
        console.json(answer.json())
    else:
        console.line(answer.text)
    return 0
