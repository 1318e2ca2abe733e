"""Faults on demand: error envelopes, HTTP errors, delays, cut connections and broken streams.

A `Fault` says what goes wrong; `FaultRegistry.add(endpoint, fault, times=...)` says where and
how often. Request faults (`error`, `http_status`, `delay`) fire as a request arrives, before
authentication, like trouble in front of the application. Response faults fire only when the
response they spoil is produced: a stream fault when a stream starts, `download_json` when a
download would send bytes, `drop_mid_body` on any response of the endpoint.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import httpx

__all__ = [
    "REQUEST_KINDS",
    "STREAM_KINDS",
    "EmulatedDisconnect",
    "Fault",
    "FaultKind",
    "FaultRegistry",
    "FaultRule",
]

FaultKind = Literal[
    "error",
    "http_status",
    "delay",
    "drop_mid_body",
    "drop_mid_stream",
    "truncate_stream",
    "malformed_stream",
    "error_end",
    "download_json",
]

REQUEST_KINDS: frozenset[str] = frozenset({"error", "http_status", "delay"})
STREAM_KINDS: frozenset[str] = frozenset(
    {"drop_mid_stream", "truncate_stream", "malformed_stream", "error_end"}
)
_ALL_KINDS: frozenset[str] = REQUEST_KINDS | STREAM_KINDS | {"drop_mid_body", "download_json"}


class EmulatedDisconnect(httpx.RemoteProtocolError):
    """The emulator cut the connection on purpose.

    In-process (httpx.ASGITransport) this exception reaches the client as the
    `httpx.RemoteProtocolError` a real cut would cause; the socket server swallows it and lets
    the server close the connection instead.
    """

    def __init__(self, message: str = "peer closed connection (emulated fault)") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Fault:
    """One kind of failure with its parameters; build it with the class methods."""

    kind: FaultKind
    code: str | int | None = None
    msg: str | None = None
    status: int = 200
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    after_bytes: int = 0
    after_events: int = 0
    data: str = "Error"
    content_type: str = "application/json"

    @classmethod
    def error(cls, code: str | int, msg: str = "emulated error", *, status: int = 200) -> Fault:
        """Answer an error envelope `{"code": code, "msg": msg}` (int code: caption style)."""
        return cls("error", code=code, msg=msg, status=status)

    @classmethod
    def rate_limited(cls, *, status: int = 200) -> Fault:
        """Answer the documented 0429 envelope, whatever the bucket says."""
        return cls.error("0429", "Request has exceeded the limit.", status=status)

    @classmethod
    def http_status(
        cls,
        status: int,
        body: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        content_type: str = "text/plain; charset=utf-8",
    ) -> Fault:
        """Answer a bare HTTP error such as 503 (default body: the reason phrase)."""
        return cls(
            "http_status",
            status=status,
            body=body,
            headers=tuple((headers or {}).items()),
            content_type=content_type,
        )

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait `seconds`, then handle the request normally."""
        return cls("delay", seconds=seconds)

    @classmethod
    def drop_mid_body(cls, after_bytes: int = 0) -> Fault:
        """Send the headers and `after_bytes` bytes of the body, then cut the connection.

        The body is never completed: when it is shorter, its last byte is held back.
        """
        return cls("drop_mid_body", after_bytes=after_bytes)

    @classmethod
    def drop_mid_stream(cls, after_events: int = 1) -> Fault:
        """Send `after_events` SSE events, then cut the connection."""
        return cls("drop_mid_stream", after_events=after_events)

    @classmethod
    def truncate_stream(cls, after_events: int = 1) -> Fault:
        """Send `after_events` SSE events and close the stream cleanly, without its end event."""
        return cls("truncate_stream", after_events=after_events)

    @classmethod
    def malformed_stream(cls, after_events: int = 1) -> Fault:
        """After `after_events` events, emit one `data:` line that is not valid JSON."""
        return cls("malformed_stream", after_events=after_events)

    @classmethod
    def error_end(cls, data: str = "Error", code: str = "FAIL") -> Fault:
        """End the stream with `{"code": code, "data": data}` instead of the success end."""
        return cls("error_end", data=data, code=code)

    @classmethod
    def download_json(
        cls,
        code: str = "0001",
        msg: str = "video not found",
        *,
        content_type: str = "application/json",
    ) -> Fault:
        """Answer a download with a JSON envelope instead of bytes (label it as you like)."""
        return cls("download_json", code=code, msg=msg, content_type=content_type)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (the control endpoint's format)."""
        out = asdict(self)
        out["headers"] = dict(self.headers)
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Fault:
        """Build a fault from `to_dict()` output or a subset of it (`{"kind": "delay", ...}`)."""
        if raw.get("kind") not in _ALL_KINDS:
            raise ValueError(f"unknown fault kind {raw.get('kind')!r}")
        known = set(cls.__dataclass_fields__)
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        values = dict(raw)
        if "headers" in values:
            values["headers"] = tuple(dict(values["headers"]).items())
        return cls(**values)


@dataclass
class FaultRule:
    """A fault bound to an endpoint: fires `times` times (None: always) after `skip` chances."""

    endpoint: str
    fault: Fault
    times: int | None
    skip: int = 0
    fired: int = 0
    id: int = 0

    @property
    def exhausted(self) -> bool:
        """True once it has fired `times` times."""
        return self.times is not None and self.fired >= self.times

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {
            "id": self.id,
            "endpoint": self.endpoint,
            "fault": self.fault.to_dict(),
            "times": self.times,
            "skip": self.skip,
            "fired": self.fired,
        }


class FaultRegistry:
    """The faults armed on an emulator, keyed by endpoint name (or `"*"` for every endpoint).

    `stream_endpoints` and `download_endpoints` let `add()` refuse a fault that could never fire
    where it is put, so a typo in a test fails loudly instead of silently passing.
    """

    def __init__(
        self,
        endpoints: Collection[str],
        *,
        stream_endpoints: Collection[str] = (),
        download_endpoints: Collection[str] = (),
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.endpoints = frozenset(endpoints)
        self.stream_endpoints = frozenset(stream_endpoints)
        self.download_endpoints = frozenset(download_endpoints)
        self.aliases = dict(aliases or {})
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._next_id = 1

    def add(
        self, endpoint: str, fault: Fault, *, times: int | None = 1, skip: int = 0
    ) -> FaultRule:
        """Arm `fault` on `endpoint` (a name such as "search", a full path, or "*")."""
        name = self.aliases.get(endpoint, endpoint)
        if name != "*" and name not in self.endpoints:
            raise ValueError(f"unknown endpoint {endpoint!r}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None (always)")
        if skip < 0:
            raise ValueError("skip must be >= 0")
        if name != "*":
            if fault.kind in STREAM_KINDS and name not in self.stream_endpoints:
                raise ValueError(f"{fault.kind} needs a streaming endpoint, not {name!r}")
            if fault.kind == "download_json" and name not in self.download_endpoints:
                raise ValueError(f"download_json needs a download endpoint, not {name!r}")
        with self._lock:
            rule = FaultRule(name, fault, times, skip, id=self._next_id)
            self._next_id += 1
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule | int) -> None:
        """Disarm one rule (by object or id); unknown rules are ignored."""
        rule_id = rule if isinstance(rule, int) else rule.id
        with self._lock:
            self._rules = [r for r in self._rules if r.id != rule_id]

    def clear(self, endpoint: str | None = None) -> None:
        """Disarm every rule, or those of one endpoint."""
        name = self.aliases.get(endpoint, endpoint) if endpoint is not None else None
        with self._lock:
            self._rules = [] if name is None else [r for r in self._rules if r.endpoint != name]

    @property
    def rules(self) -> list[FaultRule]:
        """The armed rules, in the order they are tried."""
        with self._lock:
            return list(self._rules)

    def take(self, endpoint: str, kinds: Iterable[str]) -> Fault | None:
        """Consume one firing of the first live rule of `endpoint` whose kind is in `kinds`."""
        wanted = set(kinds)
        with self._lock:
            for rule in self._rules:
                if rule.endpoint not in (endpoint, "*") or rule.fault.kind not in wanted:
                    continue
                if rule.exhausted:
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                rule.fired += 1
                return rule.fault
        return None


def fault_payload(fault: Fault) -> bytes:
    """The JSON body of an `error` or `download_json` fault."""
    if isinstance(fault.code, int):
        body: dict[str, Any] = {"code": fault.code, "msg": fault.msg, "data": None}
    else:
        body = {
            "code": fault.code,
            "msg": fault.msg,
            "data": None,
            "success": False,
            "failed": True,
        }
    return json.dumps(body).encode()
