"""`memories emulator`: serve the local emulator on a loopback port until Ctrl+C."""

from __future__ import annotations

import argparse

from ._common import CliError, Commands, Console

__all__ = ["add_parser", "run"]

_NEEDS_EXTRA = "the emulator needs its extra: pip install 'memories-async[emulator]'"


def add_parser(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Register `emulator`."""
    parser = commands.add_parser(
        "emulator",
        parents=[common],
        help="run a local Memories.ai emulator",
        description="Serve the emulator; point the SDK at it with --base-url or MEMORIES_BASE_URL.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (%(default)s)")
    parser.add_argument(
        "--port", type=int, default=8787, help="port; 0 = any free one (%(default)s)"
    )
    parser.add_argument("--parse-delay", type=float, default=0.0, help="seconds until PARSE (0)")
    parser.add_argument("--no-rate-limits", action="store_true", help="turn rate limits off")
    parser.add_argument("--no-seed", action="store_true", help="start with an empty library")
    parser.set_defaults(handler=run, sync=True)


def run(args: argparse.Namespace, console: Console) -> int:
    """Run the server in the foreground (blocking)."""
    try:
        from ..emulator.__main__ import main as serve_main
    except ImportError:
        raise CliError(_NEEDS_EXTRA) from None
    argv = ["--host", args.host, "--port", str(args.port), "--parse-delay", str(args.parse_delay)]
    argv += ["--log-level", "debug" if args.debug else "warning"]
    if args.no_rate_limits:
        argv.append("--no-rate-limits")
    if args.no_seed:
        argv.append("--no-seed")
    return serve_main(argv)
