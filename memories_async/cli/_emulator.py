"""`memories emulator`: serve the local emulator on a loopback port until Ctrl+C.

It takes exactly the flags of `python -m memories_async.emulator` (`--api-key` here restricts the
keys the emulator accepts; it is not the client's key).
"""

from __future__ import annotations

import argparse

from ..emulator._options import add_arguments
from ._common import CliError, Commands, Console

__all__ = ["add_parser", "run"]

_NEEDS_EXTRA = "the emulator needs its extra: pip install 'memories-async[emulator]'"


def add_parser(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Register `emulator`; `common` must not hold `--api-key`, which means something else here."""
    parser = commands.add_parser(
        "emulator",
        parents=[common],
        help="run a local Memories.ai emulator",
        description="Serve the emulator; point the SDK at it with --base-url or MEMORIES_BASE_URL.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=run, sync=True)


def run(args: argparse.Namespace, console: Console) -> int:
    """Run the server in the foreground (blocking)."""
    try:
        from ..emulator.__main__ import serve_forever
    except ImportError:
        raise CliError(_NEEDS_EXTRA) from None
    if args.debug and args.log_level == "info":
        args.log_level = "debug"
    return serve_forever(args)
