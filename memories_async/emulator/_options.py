"""The emulator's command-line flags, shared by `python -m memories_async.emulator` and
`memories emulator` so that both take the same flags with the same meaning.

Only argparse is imported here: `memories --help` builds these flags without the emulator's
extra installed.
"""

from __future__ import annotations

import argparse
import ipaddress
from typing import Any

__all__ = ["add_arguments", "config_options", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (`localhost`, 127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add every flag of the emulator's command line to `parser`."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (127.0.0.1); any other needs --api-key",
    )
    parser.add_argument("--port", type=int, default=8787, help="port (8787; 0 = any free one)")
    parser.add_argument(
        "--parse-delay", type=float, default=0.0, help="seconds from UNPARSE to PARSE (0)"
    )
    parser.add_argument("--scraper-delay", type=float, default=0.0, help="seconds per scrape (0)")
    parser.add_argument("--caption-delay", type=float, default=0.0, help="seconds per caption (0)")
    parser.add_argument(
        "--edit-delay", type=float, default=0.0, help="seconds per v2 edit task (0)"
    )
    parser.add_argument(
        "--edit-webhook",
        default=None,
        metavar="URL",
        help="the account's webhook for v2 edit tasks (a loopback URL; default: none)",
    )
    parser.add_argument("--no-rate-limits", action="store_true", help="turn rate limits off")
    parser.add_argument(
        "--rate-limit-status", type=int, default=200, help="HTTP status of 0429 answers (200)"
    )
    parser.add_argument(
        "--api-key",
        dest="emulator_api_keys",
        action="append",
        default=None,
        metavar="KEY",
        help="accept only this key (repeatable; default: any key)",
    )
    parser.add_argument("--no-seed", action="store_true", help="start with an empty library")
    parser.add_argument("--log-level", default="info", help="uvicorn log level (info)")


def config_options(args: argparse.Namespace) -> dict[str, Any]:
    """The `EmulatorConfig` fields the parsed flags set."""
    return {
        "api_keys": args.emulator_api_keys,
        "parse_delay": args.parse_delay,
        "scraper_delay": args.scraper_delay,
        "caption_delay": args.caption_delay,
        "edit_delay": args.edit_delay,
        "edit_webhook": args.edit_webhook,
        "rate_limits": not args.no_rate_limits,
        "rate_limit_status": args.rate_limit_status,
        "seed": not args.no_seed,
    }
