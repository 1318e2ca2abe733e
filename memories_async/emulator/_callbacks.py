"""Callbacks to the user's server. The emulator is offline: only loopback URLs are POSTed to."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["is_loopback_url", "post_callback"]

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback_url(url: str) -> bool:
    """True for http(s) URLs to 127.0.0.0/8, ::1 or localhost."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def post_callback(url: str, body: dict[str, Any], timeout: float) -> tuple[int | None, str]:
    """POST `body` as JSON; returns (HTTP status or None, error text or "")."""
    if not is_loopback_url(url):
        return None, "not sent: the emulator only calls loopback URLs"
    try:
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            response = await client.post(url, json=body)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return response.status_code, ""
