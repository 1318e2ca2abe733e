"""What one call is made of, as data: the vendor endpoint it goes to, the host it lives on, the
limits on what a server can make it hold, and a request body produced as it is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ._answers import Envelope
from ._limits import RateLimiter

__all__ = ["CallLimits", "Endpoint", "HostConfig", "StreamingBody"]

_MIB = 1 << 20


@dataclass(frozen=True)
class Endpoint:
    """One vendor endpoint as data: where it lives, how it is limited and how it answers.

    `idempotent` says whether sending the request twice is harmless; a request that is not
    idempotent is only retried when the server certainly did not act on it. `envelope` names the
    answer's wrapper: the api host's `{"code": "0000", "data": ...}`, the caption host's int code,
    `optional` for endpoints that sometimes answer without one, or `none`.
    """

    name: str
    method: Literal["GET", "POST"]
    path: str
    bucket: str | None
    host: str = "api"
    idempotent: bool = True
    envelope: Envelope = "vendor"


@dataclass(frozen=True)
class HostConfig:
    """A host the pipeline can talk to: its base URL, its auth headers and its rate limiter."""

    base_url: str
    auth_headers: Mapping[str, str] = field(repr=False)
    limiter: RateLimiter


@dataclass(frozen=True)
class CallLimits:
    """What a server can make one call hold, or wait for (the client's arguments of these names).

    `max_response_bytes` caps a decoded JSON answer, `max_event_bytes` one line or event of a
    stream, `total_timeout` the time a call spends with the server (`_deadline`), and
    `stream_idle_timeout` the time a stream may go without an event, and `max_rate_wait` how
    far away a rate slot may be before the call gives up at once (load shedding). `None` lifts
    a limit.
    """

    max_response_bytes: int | None = 32 * _MIB
    max_event_bytes: int | None = 1 * _MIB
    total_timeout: float | None = 300.0
    stream_idle_timeout: float | None = 300.0
    max_rate_wait: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_response_bytes", "max_event_bytes"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{name} must be an int or None")
            if value is not None and value < 1:
                raise ValueError(f"{name} must be positive")
        for name in ("total_timeout", "stream_idle_timeout"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive")
        if self.max_rate_wait is not None and not self.max_rate_wait >= 0:
            raise ValueError("max_rate_wait must be zero or more")


class StreamingBody(Protocol):
    """A request body produced as it is sent; `chunks()` starts again from byte 0 on each call."""

    @property
    def content_type(self) -> str: ...

    @property
    def content_length(self) -> int | None: ...

    def chunks(self) -> AsyncIterator[bytes]: ...
