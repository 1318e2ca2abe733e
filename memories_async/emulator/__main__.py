"""`python -m memories_async.emulator`: serve the emulator on a loopback port until Ctrl+C."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence

import uvicorn

from ._app import Emulator
from ._config import EmulatorConfig
from ._options import add_arguments, config_options, is_loopback
from ._server import SocketApp, listening_socket


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m memories_async.emulator",
        description="Serve a local Memories.ai emulator (all hosts on one port).",
    )
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server in the foreground; prints the base URL once connections can queue."""
    return serve_forever(build_parser().parse_args(argv))


def serve_forever(args: argparse.Namespace) -> int:
    """Serve with the flags of `_options.add_arguments` until Ctrl+C.

    Anything but a loopback address needs `--api-key`: the emulator accepts any key otherwise,
    and its control API (`/_emulator/...`: faults, state, resets) has no authentication at all.
    """
    if not is_loopback(args.host) and not args.emulator_api_keys:
        print(
            f"memories emulator: refusing to listen on {args.host!r} without --api-key: anyone"
            " who can reach it could use it and drive its unauthenticated control API."
            " Bind to 127.0.0.1, or give --api-key KEY (and keep the port private).",
            file=sys.stderr,
        )
        return 2
    if not is_loopback(args.host):
        print(
            f"memories emulator: WARNING: listening on {args.host!r}; its control API"
            " (/_emulator/...) is not authenticated.",
            file=sys.stderr,
        )
    config = EmulatorConfig(**config_options(args))
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
