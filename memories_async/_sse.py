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

__all__ = ["DONE_PAYLOAD", "EventTooLarge", "SSEParser"]

DONE_PAYLOAD = b"[DONE]"
"""What a bare end line (`done`, `[done]`, any case, without `data:`) is reported as."""

_BARE_DONE = frozenset({b"done", b"[done]"})


class EventTooLarge(ValueError):
    """A line, or the data of one event, grew past the parser's `max_bytes`."""


class SSEParser:
    """Feed it the body's chunks as they arrive; it returns each complete event's data.

    Lines end in LF, CRLF or CR, also when the CR and LF arrive in different chunks. `data:`
    lines are joined with LF (the standard's rule), a blank line dispatches the event, lines
    starting with `:` (comments, keep-alives) and other fields (`event:`, `id:`, `retry:`) are
    ignored. `close()` dispatches what an unterminated body left behind.

    One departure from the standard, the vendor's missing blank lines (handled here and nowhere
    else): a `data:` line that holds a whole JSON object (`{...}`), a JSON string (`"..."`) or
    `[DONE]` is an event by itself, dispatched at once (after the data lines before it, which
    form an event of their own). The vendor writes one event per line and documents streams
    with no blank lines between them; waiting for a blank line there would hold every piece
    back until the body ends, and join separate events into one. Where blank lines do come,
    nothing changes.

    A line that runs past `max_bytes` without its end, or an event whose data does, raises
    `EventTooLarge` as soon as it does: a server cannot make the parser hold more than that.
    """

    __slots__ = ("_cr", "_data", "_data_size", "_max", "_tail", "_tail_size")

    def __init__(self, max_bytes: int | None = None) -> None:
        self._tail: list[bytes] = []  # the current line, still without its end
        self._tail_size = 0
        self._data: list[bytes] = []  # data lines of the event being built
        self._data_size = 0
        self._cr = False  # the last chunk ended in CR: a LF starting the next one belongs to it
        self._max = max_bytes

    def feed(self, chunk: bytes) -> list[bytes]:
        """Take the next piece of the body; return the data of every event it completed."""
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
        self._tail = []
        self._tail_size = 0
        self._cr = False
        lines.append(b"")
        return self._lines(lines)

    def _lines(self, lines: list[bytes]) -> list[bytes]:
        out: list[bytes] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    out.append(data[0] if len(data) == 1 else b"\n".join(data))
                    data = self._data = []
                    self._data_size = 0
            elif line.startswith(b"data:"):
                value = line[5:]
                if value[:1] == b" ":
                    value = value[1:]
                if self._max is not None and len(line) > self._max:
                    raise EventTooLarge(f"a line is longer than {self._max} bytes")
                if _whole(value):
                    if data:
                        out.append(data[0] if len(data) == 1 else b"\n".join(data))
                        data = self._data = []
                        self._data_size = 0
                    out.append(value)
                else:
                    data.append(value)
                    self._data_size += len(value) + 1
                    if self._max is not None and self._data_size > self._max:
                        raise EventTooLarge(f"an event's data grew past {self._max} bytes")
            elif line[:1] == b":" or b":" in line:
                continue  # a comment or keep-alive, or a field we do not use
            elif line.strip().lower() in _BARE_DONE:
                if data:
                    out.append(b"\n".join(data))
                    data = self._data = []
                    self._data_size = 0
                out.append(DONE_PAYLOAD)
        return out


def _whole(value: bytes) -> bool:
    """Whether one data line is an event by itself: a JSON object or string, or `[DONE]`."""
    stripped = value.strip()
    first, last = stripped[:1], stripped[-1:]
    return (
        (first == b"{" and last == b"}")
        or (first == b'"' and last == b'"' and len(stripped) > 1)
        or stripped.upper() == DONE_PAYLOAD
    )
