"""An incremental Server-Sent Events parser that works on bytes, not text.

Why not httpx-sse: it reads `Response.aiter_text()` and is otherwise sound (CRLF, `data:` without
a space, split UTF-8 all work), but it drops the vendor's bare end lines (`done`, `[done]` with
no `data:` field, which the vendor's own sample client honours), discards an event that lacks the
final blank line at the end of the body, and decodes every byte to text and back before JSON
parsing. Splitting bytes on CR/LF is safe for UTF-8 (neither byte occurs inside a multi-byte
character), so a character cut between two network chunks is simply joined with the rest of its
line; each event's data then goes to the JSON validator as bytes, undecoded.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DONE_PAYLOAD", "EventTooLarge", "SSEParser", "ServerSentEvent"]

DONE_PAYLOAD = b"[DONE]"
"""What a bare end line (`done`, `[done]`, any case, without `data:`) is reported as."""

_BARE_DONE = frozenset({b"done", b"[done]"})
_BOM = b"\xef\xbb\xbf"


class EventTooLarge(ValueError):
    """A line, or the data of one event, grew past the parser's `max_bytes`."""


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: its `event:` name (`"message"` when it named none) and its data."""

    event: str
    data: bytes


class SSEParser:
    """Feed it the body's chunks as they arrive; it returns each complete event's data.

    It follows the WHATWG event-stream rules: a byte-order mark at the start of the body is
    dropped; lines end in LF, CRLF or CR (also when the CR and LF arrive in different chunks);
    a line is `field: value` (one space after the colon dropped) or a field name alone with an
    empty value, so `data` alone adds an empty data line; `data` lines are joined with LF, a
    blank line dispatches the event (none when it has no data line), lines starting with `:`
    (comments, keep-alives) and unknown fields are ignored. With `named=True`, `events()` gives
    each event with the name its `event:` line gave it, which some streams need to be read.

    The vendor's own departures, each kept here and nowhere else:
    - Missing blank lines: a `data:` line that holds a whole JSON object (`{...}`), a JSON
      string (`"..."`) or `[DONE]` is an event by itself, dispatched at once (after the data
      lines before it, which form an event of their own). The vendor writes one event per line
      and documents streams with no blank lines between them; waiting for a blank line there
      would hold every piece back until the body ends, and join separate events into one.
      Where blank lines do come, nothing changes.
    - A bare end line (`done` or `[done]`, any case, no colon) ends the stream as `[DONE]`, as
      the vendor's sample client reads it; the standard would ignore it as an unknown field.
    - `close()` dispatches what an unterminated body left behind: the vendor's streams may end
      without the final blank line, and the standard would drop that last event.

    A line that runs past `max_bytes` without its end, or an event whose data does, raises
    `EventTooLarge` as soon as it does: a server cannot make the parser hold more than that.
    """

    __slots__ = (
        "_cr",
        "_data",
        "_data_size",
        "_event",
        "_max",
        "_names",
        "_started",
        "_tail",
        "_tail_size",
    )

    def __init__(self, max_bytes: int | None = None, *, named: bool = False) -> None:
        self._tail: list[bytes] = []  # the current line, still without its end
        self._tail_size = 0
        self._data: list[bytes] = []  # data lines of the event being built
        self._data_size = 0
        self._cr = False  # the last chunk ended in CR: a LF starting the next one belongs to it
        self._max = max_bytes
        self._started = False  # past the first bytes, where a byte-order mark may stand
        self._event = b""  # the `event:` name of the event being built
        # With `named`, the name of each dispatched event, in step with the data returned.
        self._names: list[bytes] | None = [] if named else None

    def feed(self, chunk: bytes) -> list[bytes]:
        """Take the next piece of the body; return the data of every event it completed."""
        if not self._started:
            if self._tail:  # the start of a byte-order mark, cut short by the last chunk
                chunk = b"".join(self._tail) + chunk
                self._tail = []
                self._tail_size = 0
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                if chunk:  # still no more than the mark's start: wait for the rest
                    self._tail = [chunk]
                    self._tail_size = len(chunk)
                return []
            self._started = True
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
        if self._cr:
            self._cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            self._cr = chunk[-1:] == b"\r"
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in chunk:
            if chunk:
                self._tail.append(chunk)
                self._tail_size += len(chunk)
                if self._max is not None and self._tail_size > self._max:
                    raise EventTooLarge(f"a line grew past {self._max} bytes without its end")
            return []
        if self._tail:
            self._tail.append(chunk)
            chunk = b"".join(self._tail)
            self._tail = []
            self._tail_size = 0
        lines = chunk.split(b"\n")
        last = lines.pop()
        if last:
            self._tail.append(last)
            self._tail_size = len(last)
            if self._max is not None and self._tail_size > self._max:
                raise EventTooLarge(f"a line grew past {self._max} bytes without its end")
        return self._lines(lines)

    def close(self) -> list[bytes]:
        """The body ended: dispatch a last line and event that were never terminated."""
        lines = [b"".join(self._tail)] if self._tail else []
        if not self._started and lines and lines[0].startswith(_BOM):
            lines[0] = lines[0][len(_BOM) :]
        self._started = True
        self._tail = []
        self._tail_size = 0
        self._cr = False
        lines.append(b"")
        return self._lines(lines)

    def events(self, data: list[bytes]) -> list[ServerSentEvent]:
        """The events whose data `feed` or `close` just returned, with their names (the parser
        must be made with `named=True`)."""
        names = self._names
        if names is None:
            raise RuntimeError("SSEParser(named=True) keeps event names; this one does not")
        events = [
            ServerSentEvent(name.decode("utf-8", "replace") or "message", payload)
            for name, payload in zip(names, data, strict=True)
        ]
        names.clear()
        return events

    def _dispatch(self, out: list[bytes], payload: bytes) -> None:
        out.append(payload)
        if self._names is not None:
            self._names.append(self._event)
        self._event = b""

    def _lines(self, lines: list[bytes]) -> list[bytes]:
        out: list[bytes] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    self._dispatch(out, data[0] if len(data) == 1 else b"\n".join(data))
                    data = self._data = []
                    self._data_size = 0
                else:
                    self._event = b""  # no data: nothing is dispatched, the name is dropped
            elif line.startswith(b"data:"):
                value = line[5:]
                if value[:1] == b" ":
                    value = value[1:]
                if self._max is not None and len(line) > self._max:
                    raise EventTooLarge(f"a line is longer than {self._max} bytes")
                if _whole(value):
                    if data:
                        self._dispatch(out, data[0] if len(data) == 1 else b"\n".join(data))
                        data = self._data = []
                        self._data_size = 0
                    self._dispatch(out, value)
                else:
                    self._add(data, value)
            elif line[:1] == b":":
                continue  # a comment or keep-alive
            elif line.startswith(b"event:"):
                value = line[6:]
                self._event = value[1:] if value[:1] == b" " else value
            elif b":" in line:
                continue  # `id:`, `retry:`, fields the standard does not define
            elif line == b"data":
                self._add(data, b"")
            elif line == b"event":
                self._event = b""
            elif line.strip().lower() in _BARE_DONE:
                if data:
                    self._dispatch(out, b"\n".join(data))
                    data = self._data = []
                    self._data_size = 0
                self._dispatch(out, DONE_PAYLOAD)
        return out

    def _add(self, data: list[bytes], value: bytes) -> None:
        data.append(value)
        self._data_size += len(value) + 1
        if self._max is not None and self._data_size > self._max:
            raise EventTooLarge(f"an event's data grew past {self._max} bytes")


def _whole(value: bytes) -> bool:
    """Whether one data line is an event by itself: a JSON object or string, or `[DONE]`."""
    stripped = value.strip()
    first, last = stripped[:1], stripped[-1:]
    return (
        (first == b"{" and last == b"}")
        or (first == b'"' and last == b'"' and len(stripped) > 1)
        or stripped.upper() == DONE_PAYLOAD
    )
