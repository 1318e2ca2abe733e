"""OpenTelemetry spans of calls, when `opentelemetry-api` is installed (`memories-async[otel]`).

One span per call, `memories.<endpoint>`, of kind CLIENT, around its attempts: the endpoint, its
rate bucket, the time queued for the slot, the attempts, the HTTP status, the vendor's code and
the request id as attributes; each retry an event. A chat stream's span lasts until the stream
is closed and counts its events. Never the key, a body or a prompt. Without the package nothing
is imported and a call pays one check of a module flag; with it but no tracer provider set up,
one check of the global provider.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    import httpx

    from ._endpoint import Endpoint

__all__ = ["CallSpan", "start_call"]

SPAN_KEY = "memories_span"
"""Where a stream's span rides along in its response's `extensions`, until the stream closes."""

_tracer: Any = None
_available: bool | None = None
_provider: Any = None  # opentelemetry.trace.get_tracer_provider, once imported
_idle: tuple[type, ...] = ()  # the providers that record nothing: no span need be started


def _get_tracer() -> Any:
    global _tracer, _available, _provider, _idle
    if _available is None:
        _available = False
        if importlib.util.find_spec("opentelemetry") is not None:
            try:  # a leftover namespace directory is found, yet holds no `trace`
                from opentelemetry import trace
            except ImportError:
                pass
            else:
                _tracer = trace.get_tracer("memories_async", __version__)
                _provider = trace.get_tracer_provider
                _idle = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
                _available = True
    return _tracer


class CallSpan:
    """The span of one call, and what the pipeline learns about it as the call goes."""

    __slots__ = ("_ended", "_span", "attempts", "queued")

    def __init__(self, span: Any) -> None:
        self._span = span
        self._ended = False
        self.attempts = 0
        self.queued = 0.0

    def retrying(self, error: BaseException, delay: float) -> None:
        attributes = {
            "memories.attempt": self.attempts,
            "error.type": type(error).__name__,
            "memories.retry_delay_s": delay,
        }
        self._span.add_event("retry", attributes)

    def attempt(
        self,
        retries: int,
        queued: float,
        response: httpx.Response | None,
        request_id: str | None,
    ) -> None:
        """One attempt ended: its number, the time it queued, and what the server said."""
        self.attempts = retries + 1
        self.queued += queued
        if response is not None:
            self._span.set_attribute("http.response.status_code", response.status_code)
        if request_id:
            self._span.set_attribute("memories.request_id", request_id)

    def end(self, error: BaseException | None = None, events: int | None = None) -> None:
        """Close the span (once): the attempts, the time queued, and the error if the call
        failed."""
        if self._ended:
            return
        self._ended = True
        span = self._span
        span.set_attribute("memories.attempts", self.attempts)
        span.set_attribute("memories.queued_ms", round(self.queued * 1000.0, 3))
        if events is not None:
            span.set_attribute("memories.events", events)
        if error is not None:
            from opentelemetry.trace import Status, StatusCode

            code = getattr(error, "code", None)
            if code is not None:
                span.set_attribute("memories.vendor_code", str(code))
            status = getattr(error, "status_code", None)
            if isinstance(status, int):
                span.set_attribute("http.response.status_code", status)
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()


def start_call(endpoint: Endpoint) -> CallSpan | None:
    """A span for a call to `endpoint`, or None when OpenTelemetry is not installed."""
    tracer = _tracer if _available is not None else _get_tracer()
    if tracer is None or isinstance(_provider(), _idle):
        # Installed, but no provider set up (often a dependency of something else): a span
        # would record nothing, and starting one costs more than the rest of a call's checks.
        return None
    from opentelemetry.trace import SpanKind

    attributes: dict[str, Any] = {"memories.endpoint": endpoint.name}
    if endpoint.bucket is not None:
        attributes["memories.bucket"] = endpoint.bucket
    span = tracer.start_span(
        f"memories.{endpoint.name}", kind=SpanKind.CLIENT, attributes=attributes
    )
    if not span.is_recording():  # no provider set up, or sampled out: nothing to add to it
        return None
    return CallSpan(span)
