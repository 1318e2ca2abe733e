"""The `memories` command: ingest, search, chat, videos, emulator and demo.

Output is for people by default (a live display on a terminal, plain lines in a pipe) and JSON
with `--json`. Errors are one line on stderr and a non-zero exit; `--debug` shows tracebacks.
The global options (`--api-key`, `--base-url`, `--json`, `--debug`) go before or after the command;
`memories emulator` takes the emulator's own flags instead of the client's `--api-key`/`--base-url`.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import sys
from collections.abc import Sequence
from typing import cast

from .._errors import MemoriesError
from .._version import __version__
from . import _ask, _chat, _demo, _discover, _emulator, _ingest, _search, _videos
from ._common import Commands, Console

__all__ = ["build_parser", "main"]

_GLOBAL_DEFAULTS = {
    "api_key": None,
    "base_url": None,
    "redis_url": None,
    "transport": "httpx",
    "json": False,
    "debug": False,
}


class _Parser(argparse.ArgumentParser):
    """A parser whose subcommands report unknown arguments with their own usage line."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras and self.prog != _PROG:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


_PROG = "memories"


def _common_options(*, client: bool = True) -> argparse.ArgumentParser:
    # Defaults are SUPPRESSed so that an option given before the command is not overwritten by
    # the subcommand's copy of it; main() fills in what nobody gave.
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("global options")
    if client:
        group.add_argument(
            "--api-key", default=argparse.SUPPRESS, help="API key (default: $MEMORIES_API_KEY)"
        )
        group.add_argument(
            "--base-url",
            default=argparse.SUPPRESS,
            help="API base URL (default: $MEMORIES_BASE_URL)",
        )
        group.add_argument(
            "--redis-url",
            default=argparse.SUPPRESS,
            help="share the account's rate limits with other processes through this Redis"
            " (default: $MEMORIES_REDIS_URL)",
        )
        group.add_argument(
            "--transport",
            choices=("httpx", "aiohttp"),
            default=argparse.SUPPRESS,
            help="the connection pool: httpx's (default) or aiohttp's, for many calls at once"
            " (needs memories-async[aiohttp])",
        )
    group.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    group.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="tracebacks and debug logs"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    common = _common_options()
    parser = _Parser(
        prog=_PROG,
        parents=[common],
        description="Memories.ai from the command line: bulk ingest, search, chat, and a local "
        "emulator. Start with `memories demo`.",
    )
    parser.add_argument("--version", action="version", version=f"memories-async {__version__}")
    commands = cast(
        Commands, parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    )
    for module in (_ingest, _search, _chat, _ask, _discover, _videos, _demo):
        module.add_parser(commands, common)
    _emulator.add_parser(commands, _common_options(client=False))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: `sys.argv[1:]`); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (already printed)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    for name, value in _GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    console = Console(sys.stdout, sys.stderr, json_mode=args.json)
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = args.handler(args, console)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        return int(result)
    except KeyboardInterrupt:
        if args.debug:
            raise
        console.error("interrupted")
        return 130
    except (MemoriesError, OSError) as exc:
        if args.debug:
            raise
        console.error(_describe(exc))
        return 1
    except Exception as exc:
        if args.debug:
            raise
        console.error(f"unexpected {type(exc).__name__}: {exc} (--debug shows the traceback)")
        return 1


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first if isinstance(exc, MemoriesError) else f"{type(exc).__name__}: {first}"
