"""`python -m memories_async.emulator`: serve the emulator on a loopback port until Ctrl+C."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence

import uvicorn

from ._app import Emulator
from ._config import EmulatorConfig
from ._server import SocketApp, listening_socket


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m memories_async.emulator",
        description="Serve a local Memories.ai emulator (all hosts on one port).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port (8787; 0 = any free one)")
    parser.add_argument(
        "--parse-delay", type=float, default=0.0, help="seconds from UNPARSE to PARSE (0)"
    )
    parser.add_argument("--scraper-delay", type=float, default=0.0, help="seconds per scrape (0)")
    parser.add_argument("--caption-delay", type=float, default=0.0, help="seconds per caption (0)")
    parser.add_argument("--no-rate-limits", action="store_true", help="turn rate limits off")
    parser.add_argument(
        "--rate-limit-status", type=int, default=200, help="HTTP status of 0429 answers (200)"
    )
    parser.add_argument(
        "--api-key", action="append", default=None, help="accept only this key (repeatable)"
    )
    parser.add_argument("--no-seed", action="store_true", help="start with an empty library")
    parser.add_argument("--log-level", default="info", help="uvicorn log level (info)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server in the foreground; prints the base URL once connections can queue."""
    args = build_parser().parse_args(argv)
    config = EmulatorConfig(
        api_keys=args.api_key,
        parse_delay=args.parse_delay,
        scraper_delay=args.scraper_delay,
        caption_delay=args.caption_delay,
        rate_limits=not args.no_rate_limits,
        rate_limit_status=args.rate_limit_status,
        seed=not args.no_seed,
    )
    sock = listening_socket(args.host, args.port)  # listening before the URL is printed
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    with Emulator(config) as emu:
        print(f"memories emulator listening on http://{host}:{port}", flush=True)
        server = uvicorn.Server(
            uvicorn.Config(
                SocketApp(emu.app),
                log_level=args.log_level,
                lifespan="on",
                ws="none",
                http="h11",
                loop="asyncio",
                timeout_graceful_shutdown=5,
            )
        )
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the SIGINT it obeyed
            server.run(sockets=[sock])
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
