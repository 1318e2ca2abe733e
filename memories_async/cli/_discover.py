"""`memories discover "query"`: the vendor's search agent over the public platforms, its steps
shown as they arrive (`client.agents.search` on the v2 host)."""

from __future__ import annotations

import argparse
import json

from ..models.agents import (
    AGENT_EVENTS,
    AgentComplete,
    AgentError,
    AgentEvent,
    AgentProgress,
    AgentRawEvent,
    AgentStarted,
    AgentToolCall,
    AgentToolResult,
)
from ..resources.agents import PLATFORMS, TIME_FRAMES
from ._common import Commands, Console, make_client

__all__ = ["add_parser", "run"]


def add_parser(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Register `discover`."""
    parser = commands.add_parser(
        "discover",
        parents=[common],
        help="let the search agent find public videos",
        description="Run the vendor's search agent on QUERY over the public platforms, showing "
        "each step as it arrives (the v2 host; $MEMORIES_VLM_BASE_URL points elsewhere). With "
        "--json, one JSON object per event, one per line.",
    )
    parser.add_argument("query", help="what to look for")
    parser.add_argument(
        "--platform",
        dest="platforms",
        action="append",
        choices=PLATFORMS,
        default=None,
        help="a platform to search (repeatable; default: the agent's choice)",
    )
    parser.add_argument(
        "--max-results", type=int, default=5, help="videos to find at most (%(default)s)"
    )
    parser.add_argument("--time-frame", choices=TIME_FRAMES, default=None, help="how recent")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, console: Console) -> int:
    """Show the run's events as they arrive, then the videos found."""
    async with make_client(args) as client:
        run = client.agents.search(
            args.query,
            platforms=args.platforms,
            max_results=args.max_results,
            time_frame=args.time_frame,
        )
        async with run:
            async for event in run:
                if args.json:
                    console.write(_json_line(event))
                else:
                    _show(console, event)
    return 0


_NAMES = {model: name for name, model in AGENT_EVENTS.items()}


def _json_line(event: AgentEvent) -> str:
    """The event as the wire named it, with its fields (an unknown one keeps its own name)."""
    fields = event.model_dump(mode="json")
    name = fields.pop("event") if isinstance(event, AgentRawEvent) else _NAMES[type(event)]
    return json.dumps({"event": name, **fields}, ensure_ascii=False) + "\n"


def _show(console: Console, event: AgentEvent) -> None:
    if isinstance(event, AgentStarted):
        console.line(console.dim(f"started {event.session_id or ''}".rstrip()))
    elif isinstance(event, AgentProgress):
        step = f"[{event.step}/{event.max_steps}] " if event.step is not None else ""
        console.line(f"{step}{event.message or ''}")
    elif isinstance(event, AgentToolCall):
        arguments = ", ".join(f"{k}={v!r}" for k, v in event.arguments.items() if v is not None)
        console.line(console.dim(f"  → {event.tool}({arguments})"))
    elif isinstance(event, AgentToolResult):
        mark = console.good("✓") if event.success is not False else console.bad("✗")
        console.line(f"  {mark} {event.summary or event.tool or ''}")
    elif isinstance(event, AgentError):
        console.line(console.bad(f"error: {event.message}"))
    elif isinstance(event, AgentComplete):
        _show_found(console, event)
    else:
        console.line(console.dim(f"({event.event} event)"))


def _show_found(console: Console, found: AgentComplete) -> None:
    confidence = (
        f" (confidence {found.confidence_score:.0%})" if found.confidence_score is not None else ""
    )
    console.line(console.bold(f"found {len(found.video_references)} video(s){confidence}"))
    for number, video in enumerate(found.video_references, 1):
        where = f" [{video.platform}]" if video.platform else ""
        console.line(f"{number:>3}. {video.title or video.video_no or '?'}{where}")
        if video.url:
            console.line(console.dim(f"     {video.url}"))
