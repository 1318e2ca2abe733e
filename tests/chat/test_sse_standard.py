"""The event-stream parser against the WHATWG rules: a byte-order mark, fields without a colon,
`event:` names, and the vendor's three departures beside them (tested in test_events.py)."""

from __future__ import annotations

import pytest

from memories_async._sse import DONE_PAYLOAD, ServerSentEvent, SSEParser

BOM = b"\xef\xbb\xbf"


def parse(chunks: list[bytes], **options: bool) -> list[bytes]:
    parser = SSEParser(**options)
    return [p for chunk in chunks for p in parser.feed(chunk)] + parser.close()


def test_a_byte_order_mark_at_the_start_does_not_cost_the_first_event() -> None:
    assert parse([BOM + b"data: first\n\ndata: second\n\n"]) == [b"first", b"second"]


@pytest.mark.parametrize("cut", [1, 2, 3, 4])
def test_a_byte_order_mark_cut_between_chunks_is_still_dropped(cut: int) -> None:
    body = BOM + b"data: first\n\n"
    assert parse([body[:cut], body[cut:]]) == [b"first"]
    assert parse([body[:1], body[1:2], body[2:]]) == [b"first"]


def test_only_a_leading_mark_is_dropped() -> None:
    assert parse([b"data: a\n\n" + b"data: " + BOM + b"b\n\n"]) == [b"a", BOM + b"b"]
    assert parse([BOM]) == []  # a body that is only the mark holds no event


def test_data_without_a_colon_is_an_empty_data_line() -> None:
    assert parse([b"data\n\n"]) == [b""]
    assert parse([b"data: a\ndata\ndata: b\n\n"]) == [b"a\n\nb"]


def test_a_blank_line_without_data_dispatches_nothing() -> None:
    assert parse([b"\n\n: comment\n\nid: 7\nretry: 10\n\n"]) == []


def test_events_keep_their_names() -> None:
    parser = SSEParser(named=True)
    body = (
        b'event: started\ndata: {"session_id": "s"}\n\n'
        b"data: plain\n\n"
        b"event: progress\n\n"  # a name with no data is dropped with its event
        b"event:complete\ndata: a\ndata: b\n\n"
    )
    data = parser.feed(body)
    assert parser.events(data) == [
        ServerSentEvent("started", b'{"session_id": "s"}'),
        ServerSentEvent("message", b"plain"),
        ServerSentEvent("complete", b"a\nb"),
    ]
    assert parser.events(parser.close()) == []


def test_a_name_lasts_only_for_its_own_event() -> None:
    parser = SSEParser(named=True)
    data = parser.feed(b'event: error\ndata: {"message": "x"}\ndata: next\n\n')
    names = [e.event for e in parser.events(data)]
    assert names == ["error", "message"]  # the whole-object line was dispatched with the name


def test_an_unnamed_parser_does_not_keep_names() -> None:
    parser = SSEParser()
    with pytest.raises(RuntimeError, match="named=True"):
        parser.events(parser.feed(b"event: x\ndata: y\n\n"))


def test_the_vendor_departures_still_hold() -> None:
    assert parse([b"data: x\ndone\n"]) == [b"x", DONE_PAYLOAD]  # a bare end line
    assert parse([b"data: tail"]) == [b"tail"]  # an unterminated last event
    assert parse([b'data: {"a": 1}\ndata: {"b": 2}\n']) == [b'{"a": 1}', b'{"b": 2}']
