"""`EmulatorConfig`: every knob of the emulator in one frozen dataclass."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ._callbacks import is_loopback_url

__all__ = ["EmulatorConfig"]


def _keys(value: Collection[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


@dataclass(frozen=True)
class EmulatorConfig:
    """How the emulator behaves. Defaults suit tests: no delays, real limits, demo library.

    Key policy: `None` accepts any non-empty key; a collection accepts only those (others get
    0401). `api_keys` guards api.memories.ai, `caption_keys` the caption host, `access_tokens`
    the legacy v1.0 chat, `personal_keys` Personal.ai. Delays are in seconds: `parse_delay`
    (UNPARSE -> PARSE), `scraper_delay` (scraper task -> videos), `caption_delay` (caption
    task -> callback). `rate_limit_scale` multiplies allowances and `rate_limit_window_scale`
    windows; `rate_limit_status` is the HTTP status of 0429 answers (200 as the docs imply, or
    429). Uploads up to `memory_limit` bytes stay in memory, larger ones go to a temporary
    directory under `storage_dir` (default: the system's) that `close()` removes.
    `stream_interval` spaces SSE events; `max_records` bounds the request log.
    `edit_webhook` is the URL the account registered for the v2 host's clip, split and edit
    tasks (on loopback): each task POSTs its result there `edit_delay` seconds after it starts.
    """

    api_keys: Collection[str] | None = None
    caption_keys: Collection[str] | None = None
    access_tokens: Collection[str] | None = None
    personal_keys: Collection[str] | None = None
    parse_delay: float = 0.0
    scraper_delay: float = 0.0
    caption_delay: float = 0.0
    edit_delay: float = 0.0
    edit_webhook: str | None = None
    rate_limits: bool = True
    rate_limit_scale: float = 1.0
    rate_limit_window_scale: float = 1.0
    rate_limit_status: int = 200
    seed: bool = True
    memory_limit: int = 1 << 20
    storage_dir: str | None = None
    stream_interval: float = 0.0
    callback_timeout: float = 5.0
    max_records: int = 10_000
    caption_max_video_bytes: int = 20 * 1024 * 1024
    caption_max_persons: int = 5

    def __post_init__(self) -> None:
        for name in ("api_keys", "caption_keys", "access_tokens", "personal_keys"):
            object.__setattr__(self, name, _keys(getattr(self, name)))
        for name in (
            "parse_delay",
            "scraper_delay",
            "caption_delay",
            "edit_delay",
            "stream_interval",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.edit_webhook is not None and not is_loopback_url(self.edit_webhook):
            raise ValueError("edit_webhook must be a loopback URL: the emulator calls no one else")
        if self.rate_limit_scale <= 0 or self.rate_limit_window_scale <= 0:
            raise ValueError("rate limit scales must be > 0")
        if not 200 <= self.rate_limit_status <= 599:
            raise ValueError("rate_limit_status must be an HTTP status")
        if self.memory_limit < 0 or self.max_records < 1:
            raise ValueError("memory_limit must be >= 0 and max_records >= 1")
