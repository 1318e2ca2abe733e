"""What every command shares: the console (plain or ANSI), the client, and number formatting."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, TextIO, TypeAlias

from .._client import AsyncMemories
from .._errors import MemoriesError

__all__ = ["Commands", "Console", "CliError", "duration", "human_bytes", "make_client", "timestamp"]


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What `add_subparsers()` returns: each command module registers itself on it."""


class CliError(MemoriesError):
    """A mistake in how the command was called, reported as one line."""


def _wants_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") is not None or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Console:
    """Where a command writes: `out` for results, `err` for errors; ANSI only on a terminal."""

    def __init__(
        self, out: TextIO, err: TextIO, *, color: bool | None = None, json_mode: bool = False
    ) -> None:
        self.out = out
        self.err = err
        self.json_mode = json_mode
        self.color = (_wants_color(out) if color is None else color) and not json_mode

    def style(self, text: str, code: str) -> str:
        """`text` in an ANSI style (`2` dim, `1` bold, `32` green, `31` red), or plain."""
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def dim(self, text: str) -> str:
        return self.style(text, "2")

    def bold(self, text: str) -> str:
        return self.style(text, "1")

    def good(self, text: str) -> str:
        return self.style(text, "32")

    def bad(self, text: str) -> str:
        return self.style(text, "31")

    def line(self, text: str = "") -> None:
        """One line of output, flushed at once (progress must show as it happens)."""
        self.out.write(text + "\n")
        self.out.flush()

    def write(self, text: str) -> None:
        """Text without a line break, flushed (streamed answers)."""
        self.out.write(text)
        self.out.flush()

    def json(self, data: Any) -> None:
        """Machine output: one JSON document."""
        self.line(json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def error(self, message: str) -> None:
        """One line on stderr."""
        self.err.write(f"memories: error: {message}\n")
        self.err.flush()


def make_client(args: argparse.Namespace) -> AsyncMemories:
    """The client the global options describe (`--api-key`, `--base-url`, `--redis-url`,
    `--transport`, else the environment)."""
    key = args.api_key or os.environ.get("MEMORIES_API_KEY")
    if not key or not key.strip():
        raise CliError("no API key: pass --api-key or set MEMORIES_API_KEY")
    options: dict[str, Any] = {"base_url": args.base_url or None}
    redis_url = getattr(args, "redis_url", None)
    if redis_url:
        from ..redis import default_limiter

        options["rate_limits"] = default_limiter(redis_url)
    if getattr(args, "transport", "httpx") == "aiohttp":
        try:
            from .._aiohttp import DefaultAioHttpClient
        except ImportError as exc:
            raise CliError(str(exc)) from None
        options["http_client"] = DefaultAioHttpClient()  # closed with the client
    return AsyncMemories(key, **options)


def human_bytes(count: float) -> str:
    """1536 -> '1.5 KB' (powers of 1024)."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def duration(seconds: float) -> str:
    """Seconds as h:mm:ss or m:ss."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def timestamp(seconds: float | None) -> str:
    """A position in a video, as m:ss (or '?')."""
    return "?" if seconds is None else duration(seconds)
