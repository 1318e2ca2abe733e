"""`memories chat VIDEO_NO... --prompt P`: a streamed answer, its reasoning and references."""

from __future__ import annotations

import argparse

from ..models.chat import ChatRef, ContentEvent, RefEvent, ThinkingEvent, distinct_moments
from ._common import Commands, Console, make_client, timestamp

__all__ = ["add_parser", "print_refs", "run", "stream_answer"]


def add_parser(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Register `chat`."""
    parser = commands.add_parser(
        "chat",
        parents=[common],
        help="ask about videos (streamed)",
        description="Ask a question about parsed videos; the answer streams as it is written.",
    )
    parser.add_argument("video_nos", nargs="+", metavar="VIDEO_NO", help="videos to ask about")
    parser.add_argument("--prompt", "-p", required=True, help="the question")
    parser.set_defaults(handler=run)


def print_refs(console: Console, refs: list[ChatRef]) -> None:
    """References as `video  start-end  text` lines, each moment once (`distinct_moments`)."""
    moments = distinct_moments(refs)
    if not moments:
        return
    console.line(console.bold("references:"))
    for video, item in moments:
        label = (video.video_name or video.video_no or "?") if video else "?"
        number = video.video_no if video and video.video_no else ""
        span = timestamp(item.start)
        if item.end is not None and item.end != item.start:
            span += f"-{timestamp(item.end)}"
        text = f"  {(item.text or '').strip()}" if item.text else ""
        console.line(f"  {label} {console.dim(number)} {span}{text}".rstrip())


async def stream_answer(console: Console, stream: object) -> list[ChatRef]:
    """Print a chat stream as it arrives: thinking dimmed, the answer, then the references."""
    from .._stream import ChatStream

    assert isinstance(stream, ChatStream)
    refs: list[ChatRef] = []
    answering = False
    async with stream:
        async for event in stream:
            if isinstance(event, ThinkingEvent):
                if answering:
                    console.line()
                    answering = False
                title = f"{event.title}: " if event.title else ""
                console.line(console.dim(f"thinking: {title}{(event.content or '').strip()}"))
            elif isinstance(event, ContentEvent):
                answering = True
                console.write(event.text)
            elif isinstance(event, RefEvent):
                refs.extend(event.refs)
    if answering:
        console.line()
    print_refs(console, refs)
    return refs


async def run(args: argparse.Namespace, console: Console) -> int:
    """Stream the answer (or print the whole answer as `--json`)."""
    async with make_client(args) as client:
        stream = client.chat.stream(args.video_nos, args.prompt)
        if args.json:
            async with stream:
                answer = await stream.final()
            console.json(answer.model_dump(mode="json"))
            return 0
        await stream_answer(console, stream)
    return 0
