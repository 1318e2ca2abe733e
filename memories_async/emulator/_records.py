"""What the emulator saw on the wire, so tests can assert on requests and callbacks.

Secrets never enter a record: the values of `Authorization` and `x-api-key` are replaced by
`REDACTED`, and uploaded files are described by name and size, never by content.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, overload

__all__ = [
    "REDACTED",
    "CallbackLog",
    "CallbackRecord",
    "FileInfo",
    "RequestLog",
    "RequestRecord",
    "redact_headers",
]

REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "cookie", "proxy-authorization"})


def redact_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-cased header names to values, repeated headers joined, secrets redacted."""
    out: dict[str, str] = {}
    for name_b, value_b in raw:
        name = name_b.decode("latin-1").lower()
        value = REDACTED if name in SECRET_HEADERS else value_b.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


@dataclass(frozen=True)
class FileInfo:
    """One uploaded file part: its form field, file name, size in bytes and declared type."""

    field: str
    filename: str
    size: int
    content_type: str | None


@dataclass
class RequestRecord:
    """One request as received, and how it was answered.

    `json` is the parsed JSON body, `form` the non-file form fields (the last value of each;
    `form_lists` has every value of a repeated field), `files` the file parts.
    `status` is the HTTP status sent, `code` the envelope code (None for bytes and streams),
    `fault` the kind of fault that was applied, if any. `ended` is when the exchange was over
    (the app returned), and `complete` whether the whole body was sent: a stream the client
    hung up on ends with `complete` false.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    time: float
    endpoint: str | None = None
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    form_lists: dict[str, list[str]] = field(default_factory=dict)
    files: list[FileInfo] = field(default_factory=list)
    status: int | None = None
    code: str | int | None = None
    fault: str | None = None
    ended: float | None = None
    complete: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)


class RequestLog:
    """A bounded, thread-safe list of `RequestRecord`s, oldest first."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._items: list[RequestRecord] = []
        self._lock = threading.Lock()

    def append(self, record: RequestRecord) -> None:
        """Add a record, dropping the oldest beyond `limit`."""
        with self._lock:
            self._items.append(record)
            if len(self._items) > self.limit:
                del self._items[: len(self._items) - self.limit]

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[RequestRecord]:
        """A copy of the list as it is now."""
        with self._lock:
            return list(self._items)

    def filter(
        self,
        path: str | None = None,
        *,
        endpoint: str | None = None,
        method: str | None = None,
    ) -> list[RequestRecord]:
        """Records matching every given criterion.

        `path` is an exact request path ("/serve/api/v1/search") or, without a leading slash,
        the last segments of one ("search", "understand/upload").
        """

        def keep(r: RequestRecord) -> bool:
            if path is not None:
                if path.startswith("/"):
                    if r.path != path:
                        return False
                elif not (r.path == path or r.path.endswith("/" + path)):
                    return False
            if endpoint is not None and r.endpoint != endpoint:
                return False
            return method is None or r.method == method.upper()

        return [r for r in self.snapshot() if keep(r)]

    def last(self, path: str | None = None, *, endpoint: str | None = None) -> RequestRecord:
        """The newest record matching; IndexError when there is none."""
        found = self.filter(path, endpoint=endpoint)
        if not found:
            raise IndexError("no matching request recorded")
        return found[-1]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.snapshot())

    @overload
    def __getitem__(self, index: int) -> RequestRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[RequestRecord]: ...

    def __getitem__(self, index: int | slice) -> RequestRecord | list[RequestRecord]:
        with self._lock:
            return self._items[index]

    def __repr__(self) -> str:
        return f"<RequestLog {len(self)} records>"


@dataclass
class CallbackRecord:
    """A callback the emulator produced: sent only to loopback URLs, recorded either way."""

    kind: str
    url: str
    body: dict[str, Any]
    time: float
    delivered: bool = False
    status: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)


class CallbackLog:
    """Thread-safe list of `CallbackRecord`s."""

    def __init__(self) -> None:
        self._items: list[CallbackRecord] = []
        self._lock = threading.Lock()

    def append(self, record: CallbackRecord) -> None:
        """Add a record."""
        with self._lock:
            self._items.append(record)

    def snapshot(self) -> list[CallbackRecord]:
        """A copy of the list as it is now."""
        with self._lock:
            return list(self._items)

    def filter(self, kind: str | None = None) -> list[CallbackRecord]:
        """Records of one kind ("upload", "scraper", "caption", "transcription"), or all."""
        return [r for r in self.snapshot() if kind is None or r.kind == kind]

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[CallbackRecord]:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> CallbackRecord:
        with self._lock:
            return self._items[index]
