"""The vendor's rate-limit table, read independently of the SDK, enforced per API key.

Each (key, bucket) pair keeps the arrival times of the requests it accepted; a request is
accepted when fewer than `count` of them lie in the window `(now - per, now]`. That is a true
sliding window: no interval of length `per` ever holds more than `count` accepted requests.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["RATE_LIMITS", "Limit", "RateLimiter"]


@dataclass(frozen=True)
class Limit:
    """At most `count` requests in any window of `per` seconds."""

    count: int
    per: float


RATE_LIMITS: Mapping[str, Limit] = MappingProxyType(
    {
        "upload": Limit(1, 1.0),  # upload from local file / streaming url
        "platform": Limit(1, 60.0),  # upload from platform / creator url
        "search": Limit(10, 1.0),
        "chat": Limit(1, 1.0),
        "marketer": Limit(1, 1.0),
        "video_transcription": Limit(5, 1.0),
        "audio_transcription": Limit(5, 1.0),
        "summary": Limit(5, 1.0),
        "list_videos": Limit(5, 1.0),
        "list_sessions": Limit(5, 1.0),
        "delete_videos": Limit(5, 1.0),
        "download": Limit(12, 60.0),
        "caption_video": Limit(1, 1.0),
        "caption_image": Limit(5, 1.0),
        "reid": Limit(1, 1.0),
        "update_transcription": Limit(5, 1.0),  # from the pricing page
        "task_status": Limit(1, 1.0),  # inferred: not in the vendor's table
        "vision": Limit(1, 1.0),  # the v2 host publishes no limits: the SDK's guesses
        "edit": Limit(1, 1.0),
        "agent": Limit(1, 1.0),
    }
)
"""Bucket name -> limit, from the vendor's Rate Limits and Pricing pages."""


class RateLimiter:
    """Sliding-window limits per (API key, bucket), with counters of what was refused.

    `scale` multiplies every allowance (2.0 lets twice as many through), `window_scale` every
    window (0.01 turns a one-minute window into 0.6 s); both exist so tests can exercise the
    limits quickly. Thread-safe: the emulator may serve a socket thread and in-process callers.
    """

    def __init__(
        self,
        limits: Mapping[str, Limit] = RATE_LIMITS,
        *,
        enabled: bool = True,
        scale: float = 1.0,
        window_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if scale <= 0 or window_scale <= 0:
            raise ValueError("scale and window_scale must be positive")
        self._limits = dict(limits)
        self.enabled = enabled
        self.scale = scale
        self.window_scale = window_scale
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._accepted: Counter[str] = Counter()
        self._rejected: Counter[str] = Counter()

    @property
    def buckets(self) -> Mapping[str, Limit]:
        """The limits as configured, before scaling."""
        return MappingProxyType(dict(self._limits))

    def effective(self, bucket: str) -> Limit:
        """The limit of `bucket` after `scale` and `window_scale` are applied."""
        base = self._limits[bucket]
        return Limit(max(1, round(base.count * self.scale)), base.per * self.window_scale)

    def set_limit(self, bucket: str, count: int, per: float) -> None:
        """Replace one bucket's limit (a new bucket name is allowed) and forget its history."""
        if count < 1 or per <= 0:
            raise ValueError("count must be >= 1 and per > 0")
        with self._lock:
            self._limits[bucket] = Limit(count, per)
            for key in [k for k in self._windows if k[1] == bucket]:
                del self._windows[key]

    def hit(self, key: str, bucket: str) -> bool:
        """Count one arrival of `key` in `bucket`; False means it must be answered 0429."""
        if bucket not in self._limits:
            raise KeyError(f"unknown rate bucket {bucket!r}")
        if not self.enabled:
            with self._lock:
                self._accepted[bucket] += 1
            return True
        limit = self.effective(bucket)
        with self._lock:
            now = self._clock()
            window = self._windows.setdefault((key, bucket), deque())
            while window and window[0] <= now - limit.per:
                window.popleft()
            if len(window) >= limit.count:
                self._rejected[bucket] += 1
                return False
            window.append(now)
            self._accepted[bucket] += 1
            return True

    @property
    def rejected(self) -> dict[str, int]:
        """How many 0429 answers each bucket has sent (buckets with none are absent)."""
        with self._lock:
            return dict(self._rejected)

    @property
    def accepted(self) -> dict[str, int]:
        """How many requests each bucket let through."""
        with self._lock:
            return dict(self._accepted)

    def reset(self) -> None:
        """Forget every window and zero the counters."""
        with self._lock:
            self._windows.clear()
            self._accepted.clear()
            self._rejected.clear()
