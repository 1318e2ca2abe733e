"""`memories_async.callbacks.parse_callback`: the three payloads, from bytes, text or dicts."""

from __future__ import annotations

import json

import pytest

from memories_async import InvalidArgumentError
from memories_async.callbacks import (
    CaptionCallback,
    ScraperCallback,
    UploadCallback,
    parse_callback,
)
from tests.endpoints._wire import payload


@pytest.mark.parametrize("form", ["bytes", "str", "dict"])
def test_upload_callback(form: str) -> None:
    body = payload("upload_callback.json")
    raw = {"bytes": json.dumps(body).encode(), "str": json.dumps(body), "dict": body}[form]
    event = parse_callback(raw)
    assert isinstance(event, UploadCallback)
    assert (event.video_no, event.status, event.is_parsed) == (
        "VI554046065381212160",
        "PARSE",
        True,
    )


def test_upload_failure_callback() -> None:
    event = parse_callback(b'{"videoNo": "VI1", "status": "FAIL"}')
    assert isinstance(event, UploadCallback) and event.is_failed


def test_scraper_callback() -> None:
    event = parse_callback(json.dumps(payload("scraper_callback.json")))
    assert isinstance(event, ScraperCallback)
    assert event.status == "SUCCEEDED" and event.succeeded
    assert event.task_id.startswith("4b2d85ea")


def test_scraper_callback_with_extra_fields() -> None:
    body = {"taskId": "t1", "status": "INDEXING_SUCCEEDED", "message": "ok", "videoId": "PI-1"}
    event = parse_callback(body)
    assert isinstance(event, ScraperCallback)
    assert (event.video_id, event.message, event.succeeded) == ("PI-1", "ok", True)


@pytest.mark.parametrize("name", ["caption_callback.json", "reid_callback.json"])
def test_caption_callbacks(name: str) -> None:
    event = parse_callback(json.dumps(payload(name)).encode())
    assert isinstance(event, CaptionCallback)
    assert event.ok and event.text
    assert event.data is not None and event.data.token is not None
    assert event.data.token.total == event.data.token.input + event.data.token.output  # type: ignore[operator]


def test_caption_failure_callback() -> None:
    event = parse_callback({"status": -1, "task_id": "t9", "data": None})
    assert isinstance(event, CaptionCallback) and not event.ok and event.text is None


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"hello": "world"}', b'{"videoNo": "VI1"}']
)
def test_garbage_is_rejected(body: bytes) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        parse_callback(body)
    assert caught.value.field == "body"
