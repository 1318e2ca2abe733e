"""`AsyncMemories`: configuration, connection-pool lifecycle and the resource namespaces."""

from __future__ import annotations

import ipaddress
import os
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import httpx

from ._errors import ClientClosedError, InvalidArgumentError
from ._lifecycle import PoolLifecycle, open_pools, transport_settings
from ._limits import RateLimiter, RateLimits, SharedRateLimiter, build_rate_limiter
from ._pipeline import CallLimits, HostConfig, Pipeline
from ._retry import RetryPolicy

if TYPE_CHECKING:
    from ._raw import RawResponseClient
    from .resources.agents import AsyncAgents
    from .resources.caption import AsyncCaption
    from .resources.chat import AsyncChat, AsyncMarketer, AsyncPersonal
    from .resources.edits import AsyncEdits
    from .resources.images import AsyncImages
    from .resources.public import AsyncPublic
    from .resources.search import AsyncSearch
    from .resources.sessions import AsyncSessions
    from .resources.tasks import AsyncTasks
    from .resources.videos import AsyncVideos
    from .resources.vision import AsyncVision

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CAPTION_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "AsyncMemories",
    "check_api_key",
]

DEFAULT_BASE_URL = "https://api.memories.ai"
DEFAULT_CAPTION_BASE_URL = "https://security.memories.ai"
DEFAULT_VLM_BASE_URL = "https://mavi-backend.memories.ai/serve/api/v2"
"""The v2 host of the vendor's example agents: Visual Intelligence completions and edit tasks."""
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
"""A minute to answer, ten seconds to connect; uploads and streams pass their own."""
DEFAULT_LIMITS = CallLimits()
"""32 MiB per JSON answer, 1 MiB per stream line, 5 minutes per call and per silent stream."""


class _Unchanged:
    """`with_options`' default for options where `None` is itself a value (no limit)."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def check_api_key(
    field: str, key: str | None, env: str | None = None, *, spaces: bool = False
) -> str:
    """The key, stripped, if it can be sent as a header; never quoted in the error.

    A key with a line break, a NUL or other control character would be refused by the HTTP
    library later, with the key in its message; a non-ASCII one fails to encode. Both are
    refused here, naming only the field and what is wrong. `spaces` allows inner spaces (an
    OAuth token given with its scheme).
    """
    if key is None or not isinstance(key, str) or not key.strip():
        if key is not None and not isinstance(key, str):
            raise InvalidArgumentError(field, f"must be a string, got {type(key).__name__}")
        if env is None:
            raise InvalidArgumentError(field, "must not be empty")
        raise InvalidArgumentError(field, f"no API key: pass {field}=... or set {env}")
    stripped = key.strip()
    for index, char in enumerate(stripped):
        if not "!" <= char <= "~" and not (spaces and char == " "):
            what = "white space" if char.isspace() else "a non-printable or non-ASCII character"
            raise InvalidArgumentError(
                field, f"holds {what} at position {index}: a key is printable ASCII without spaces"
            )
    return stripped


def check_limits(
    max_response_bytes: int | None,
    max_event_bytes: int | None,
    total_timeout: float | None,
    stream_idle_timeout: float | None,
    max_rate_wait: float | None = None,
) -> CallLimits:
    """The client's limit arguments as the pipeline takes them, each checked by name."""
    for name, size in (
        ("max_response_bytes", max_response_bytes),
        ("max_event_bytes", max_event_bytes),
    ):
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise InvalidArgumentError(name, f"must be a positive int or None, got {size!r}")
    for name, seconds in (
        ("total_timeout", total_timeout),
        ("stream_idle_timeout", stream_idle_timeout),
    ):
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0
        ):
            raise InvalidArgumentError(name, f"must be a positive number or None, got {seconds!r}")
    if max_rate_wait is not None and (
        isinstance(max_rate_wait, bool)
        or not isinstance(max_rate_wait, int | float)
        or not max_rate_wait >= 0
    ):
        raise InvalidArgumentError(
            "max_rate_wait",
            f"must be a number of seconds (0 or more) or None, got {max_rate_wait!r}",
        )
    return CallLimits(
        max_response_bytes, max_event_bytes, total_timeout, stream_idle_timeout, max_rate_wait
    )


def redact_key(api_key: str) -> str:
    """Show at most the last 4 characters of a secret, and none of a short one."""
    return f"…{api_key[-4:]}" if len(api_key) >= 12 else "…"


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(field: str, url: str) -> str:
    """Refuse anything but https, except plain http to this machine (emulators, proxies)."""
    parsed = httpx.URL(url)
    if parsed.scheme == "https":
        return str(parsed).rstrip("/")
    if parsed.scheme == "http":
        if _is_loopback(parsed.host):
            return str(parsed).rstrip("/")
        raise InvalidArgumentError(
            field, f"plain http is only allowed to loopback hosts, got {parsed.host!r}; use https"
        )
    raise InvalidArgumentError(field, f"must be an http(s) URL, got {url!r}")


class AsyncMemories(PoolLifecycle):
    """The async client of the Memories.ai API.

    ```python
    async with AsyncMemories() as client:          # reads MEMORIES_API_KEY
        clips = await client.search.videos("a dog catching a frisbee")
    ```

    One client holds one connection pool; close it with `async with` or `await client.aclose()`.
    Rate buckets belong to the API key, not to the client: many clients of one key in one process
    share them, so creating a client per web request is safe.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        caption_base_url: str | None = None,
        caption_api_key: str | None = None,
        vlm_base_url: str | None = None,
        unique_id: str = "default",
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int | RetryPolicy | None = None,
        rate_limits: RateLimits | RateLimiter | SharedRateLimiter | Literal[False] | None = None,
        http_client: httpx.AsyncClient | None = None,
        max_response_bytes: int | None = DEFAULT_LIMITS.max_response_bytes,
        max_event_bytes: int | None = DEFAULT_LIMITS.max_event_bytes,
        total_timeout: float | None = DEFAULT_LIMITS.total_timeout,
        stream_idle_timeout: float | None = DEFAULT_LIMITS.stream_idle_timeout,
        max_rate_wait: float | None = None,
    ) -> None:
        """Configure a client; no connection is opened until the first request.

        `api_key` falls back to `MEMORIES_API_KEY`, `base_url` to `MEMORIES_BASE_URL`.
        `caption_api_key` is the caption host's own key (it defaults to `api_key`).
        `vlm_base_url` is the v2 host of `vision`, `agents` and `edits`
        (`MEMORIES_VLM_BASE_URL`, else `DEFAULT_VLM_BASE_URL`), reached with the same key.
        `max_retries` bounds retries of every kind (default: 3 for rate-limit answers, 2 for
        server and connection errors), or takes a whole `RetryPolicy`. `rate_limits` overrides
        buckets of the vendor's table (`{"search": Rate(5)}`), turns limiting off (`False`), or
        supplies a limiter shared by other processes and machines (`RedisRateLimiter`, also the
        default when `MEMORIES_REDIS_URL` is set). A caller-supplied `http_client` is used as it
        is and left open on `aclose()`.

        What a server can make one call hold or wait for is bounded (`None` lifts a bound):
        `max_response_bytes` per decoded JSON answer (32 MiB), `max_event_bytes` per line or
        event of a stream (1 MiB), `total_timeout` seconds per call with the server, retries
        included but not the wait for a rate slot or the sending of an upload (300), and
        `stream_idle_timeout` seconds a stream may go without an event (300).

        `max_rate_wait` sheds load: a call whose rate slot is further away than that many
        seconds raises `RateLimitError` at once (`local` true, `retry_after` the wait it would
        have had) without taking the slot; `None` (the default) always waits its turn.
        """
        key = api_key if api_key is not None else os.environ.get("MEMORIES_API_KEY")
        self._api_key = check_api_key("api_key", key, "MEMORIES_API_KEY")
        caption_key = (
            self._api_key
            if caption_api_key is None
            else check_api_key("caption_api_key", caption_api_key)
        )
        self.base_url = check_base_url(
            "base_url", base_url or os.environ.get("MEMORIES_BASE_URL") or DEFAULT_BASE_URL
        )
        self.caption_base_url = check_base_url(
            "caption_base_url", caption_base_url or DEFAULT_CAPTION_BASE_URL
        )
        self.vlm_base_url = check_base_url(
            "vlm_base_url",
            vlm_base_url or os.environ.get("MEMORIES_VLM_BASE_URL") or DEFAULT_VLM_BASE_URL,
        )
        if not isinstance(unique_id, str) or not unique_id:
            raise InvalidArgumentError("unique_id", "must be a non-empty string")
        self.unique_id = unique_id
        self.timeout, self.retry = transport_settings(timeout, max_retries)
        self.limits = check_limits(
            max_response_bytes, max_event_bytes, total_timeout, stream_idle_timeout, max_rate_wait
        )
        self._rate_limits = rate_limits
        limiter = build_rate_limiter(self._api_key, rate_limits)
        caption_limiter = (
            limiter
            if caption_key == self._api_key
            else build_rate_limiter(caption_key, rate_limits)
        )
        if max_rate_wait is not None and not hasattr(limiter, "acquire_within"):
            raise InvalidArgumentError(
                "max_rate_wait",
                f"needs a rate limiter that can refuse a far slot (`acquire_within`); "
                f"{type(limiter).__name__} has none",
            )
        self._pools = open_pools(http_client, self.timeout)
        self._owns_http = self._pools.owned
        self._closes_caller_http = getattr(http_client, "closes_with_its_client", False) is True
        self._pipeline = Pipeline(
            pools=self._pools,
            hosts={
                "api": HostConfig(self.base_url, {"Authorization": self._api_key}, limiter),
                "caption": HostConfig(
                    self.caption_base_url, {"Authorization": caption_key}, caption_limiter
                ),
                "vlm": HostConfig(self.vlm_base_url, {"Authorization": self._api_key}, limiter),
            },
            retry=self.retry,
            timeout=self.timeout,
            limits=self.limits,
        )

    # -- resources (imported on first use, to keep `import memories_async` light) -----------

    @cached_property
    def search(self) -> AsyncSearch:
        """Search: `videos`, `images`, `public`, `audio_transcripts`, `similar_images`."""
        from .resources.search import AsyncSearch

        return AsyncSearch(self)

    @cached_property
    def vision(self) -> AsyncVision:
        """Visual Intelligence on the v2 host: `complete` (a vision-language model's answer)."""
        from .resources.vision import AsyncVision

        return AsyncVision(self)

    @cached_property
    def agents(self) -> AsyncAgents:
        """Visual Agents on the v2 host: `search` (the search agent's run, streamed)."""
        from .resources.agents import AsyncAgents

        return AsyncAgents(self)

    @cached_property
    def edits(self) -> AsyncEdits:
        """Video-editing tasks on the v2 host: `clip`, `split`, `edit`."""
        from .resources.edits import AsyncEdits

        return AsyncEdits(self)

    @cached_property
    def videos(self) -> AsyncVideos:
        """Your video library: uploads, scrapers, listing, waiting, download, deletion, text."""
        from .resources.videos import AsyncVideos

        return AsyncVideos(self)

    @cached_property
    def images(self) -> AsyncImages:
        """Your image library: `upload`."""
        from .resources.images import AsyncImages

        return AsyncImages(self)

    @cached_property
    def public(self) -> AsyncPublic:
        """The public video library: `video`, `audio_transcription`."""
        from .resources.public import AsyncPublic

        return AsyncPublic(self)

    @cached_property
    def sessions(self) -> AsyncSessions:
        """Your chat sessions: `list`, `get`."""
        from .resources.sessions import AsyncSessions

        return AsyncSessions(self)

    @cached_property
    def tasks(self) -> AsyncTasks:
        """Scraping tasks: `get`."""
        from .resources.tasks import AsyncTasks

        return AsyncTasks(self)

    @cached_property
    def caption(self) -> AsyncCaption:
        """Video and image captions on the caption host: `video`, `image`."""
        from .resources.caption import AsyncCaption

        return AsyncCaption(self)

    @cached_property
    def chat(self) -> AsyncChat:
        """Video chat about chosen videos: `send`, `stream`, `session`."""
        from .resources.chat import AsyncChat

        return AsyncChat(self)

    @cached_property
    def marketer(self) -> AsyncMarketer:
        """The Video Marketer over the public library: `send`, `stream`, `session`."""
        from .resources.chat import AsyncMarketer

        return AsyncMarketer(self)

    @cached_property
    def personal(self) -> AsyncPersonal:
        """Personal chat over all of a user's media: `send`, `stream`, `session`."""
        from .resources.chat import AsyncPersonal

        return AsyncPersonal(self)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The underlying httpx client (shared by every request of this client)."""
        if self._closed:
            raise ClientClosedError("this AsyncMemories client is closed")
        return self._pools.current()

    @property
    def with_raw_response(self) -> RawResponseClient:
        """The same calls, each returning a `RawResponse`: the parsed result with the answer's
        status, headers and request id (`await client.with_raw_response.search.videos(q)`)."""
        from ._raw import RawResponseClient

        return RawResponseClient(self)

    def with_options(
        self,
        *,
        unique_id: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | RetryPolicy | None = None,
        max_response_bytes: int | None = UNCHANGED,
        max_event_bytes: int | None = UNCHANGED,
        total_timeout: float | None = UNCHANGED,
        stream_idle_timeout: float | None = UNCHANGED,
        max_rate_wait: float | None = UNCHANGED,
    ) -> AsyncMemories:
        """A client that shares this one's connection pool and buckets, with some options changed.

        Handy for one `unique_id` per user of a web app. Closing the copy leaves the pool open.
        A limit given as `None` is lifted; one not given stays as it is.
        """
        limits = self.limits
        copy = AsyncMemories(
            self._api_key,
            base_url=self.base_url,
            caption_base_url=self.caption_base_url,
            vlm_base_url=self.vlm_base_url,
            caption_api_key=self._pipeline.hosts["caption"].auth_headers["Authorization"],
            unique_id=self.unique_id if unique_id is None else unique_id,
            timeout=self.timeout if timeout is None else timeout,
            max_retries=self.retry if max_retries is None else max_retries,
            rate_limits=self._rate_limits,
            max_response_bytes=_pick(max_response_bytes, limits.max_response_bytes),
            max_event_bytes=_pick(max_event_bytes, limits.max_event_bytes),
            total_timeout=_pick(total_timeout, limits.total_timeout),
            stream_idle_timeout=_pick(stream_idle_timeout, limits.stream_idle_timeout),
            max_rate_wait=_pick(max_rate_wait, limits.max_rate_wait),
        )
        # The copy made pools of its own only on paper (they open on first use): it borrows ours.
        copy._pools = copy._pipeline.pools = self._pools
        copy._owns_http = False
        return copy

    def __repr__(self) -> str:
        return (
            f"AsyncMemories(base_url={self.base_url!r}, unique_id={self.unique_id!r}, "
            f"api_key={redact_key(self._api_key)!r}{', closed' if self.is_closed else ''})"
        )

    def __getstate__(self) -> Any:
        raise TypeError("AsyncMemories cannot be pickled: it holds a live connection pool")


def _pick(value: Any, current: Any) -> Any:
    return current if value is UNCHANGED else value
