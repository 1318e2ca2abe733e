"""Nothing escapes untyped, nothing lands outside its place, no key in the exception graph."""

from __future__ import annotations

import contextlib
import pickle
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from memories_async import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    AsyncMemories,
    AuthenticationError,
    InvalidArgumentError,
    MemoriesError,
    RateLimitError,
    StreamError,
)
from memories_async.personal_ai import AsyncPersonalAI
from tests.faults._hostile import answer, cut_after, gzip_answer, hostile_server

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-faults-escape-key-0004"


def client_for(base_url: str, key: str = KEY) -> AsyncMemories:
    return AsyncMemories(key, base_url=base_url, rate_limits=False, max_retries=0)


async def test_a_corrupt_gzip_download_is_a_typed_error_and_leaves_nothing(tmp_path: Path) -> None:
    corrupt = gzip_answer(
        b"\x1f\x8b\x08\x00garbage that is not deflate", "application/octet-stream"
    )
    with hostile_server({"download": corrupt}) as server:
        async with client_for(server.base_url) as client:
            with pytest.raises(APIResponseValidationError) as caught:
                await client.videos.download("VI1", tmp_path)
    assert "could not be decoded" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


async def test_a_corrupt_gzip_json_answer_is_a_typed_error() -> None:
    corrupt = gzip_answer(b"\x1f\x8b\x08\x00not deflate at all")
    with hostile_server({"list_videos": corrupt}) as server:
        async with client_for(server.base_url) as client:
            with pytest.raises(APIResponseValidationError):
                await client.videos.list()


@pytest.mark.parametrize("video_no", ["../../escape", "..", "a/../../b", "/etc/passwd", ".hidden"])
async def test_a_download_lands_inside_its_folder_whatever_the_video_number(
    tmp_path: Path, video_no: str
) -> None:
    dest = tmp_path / "downloads"
    dest.mkdir()
    with hostile_server({"download": answer("200 OK", b"bytes", "video/mp4")}) as server:
        async with client_for(server.base_url) as client:
            written = await client.videos.download(video_no, dest)
    assert written.parent == dest and written.read_bytes() == b"bytes"
    assert not written.name.startswith(".")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads"]


async def test_a_broken_download_reports_the_bytes_that_arrived(tmp_path: Path) -> None:
    with hostile_server({"download": cut_after(total=1 << 20, sent=100_000)}) as server:
        async with client_for(server.base_url) as client:
            with pytest.raises(APIConnectionError) as caught:
                await client.videos.download("VI1", tmp_path)
    assert "after 100000 bytes" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


async def test_an_answer_without_its_envelope_is_not_an_empty_page() -> None:
    body = b'{"data": {"videos": [{"video_no": "VI1", "video_name": "a"}], "total_count": 1}}'
    with hostile_server({"list_videos": answer("200 OK", body)}) as server:
        async with client_for(server.base_url) as client:
            with pytest.raises(APIResponseValidationError) as caught:
                await client.videos.list()
    assert "no envelope" in str(caught.value)


async def test_a_redirect_says_it_is_one() -> None:
    redirect = answer("302 Found", b"", "text/plain", location="https://elsewhere.example/x")
    with hostile_server({"list_videos": redirect}) as server:
        async with client_for(server.base_url) as client:
            with pytest.raises(APIResponseValidationError) as caught:
                await client.videos.list()
    message = str(caught.value)
    assert "redirect (HTTP 302 to elsewhere.example)" in message and "not follow" in message


def _raise_in_worker(kind: str) -> None:
    if kind == "rate":
        raise RateLimitError("slow down", code="0429", status_code=200, retry_after=2.0)
    if kind == "stream":
        raise StreamError("cut", reason="disconnected", partial_text="so far", endpoint="chat")
    if kind == "argument":
        raise InvalidArgumentError("top_k", "must be at least 1")
    raise AuthenticationError("invalid API key", code="0401", status_code=200, request_id="r1")


@pytest.mark.parametrize("kind", ["rate", "stream", "argument", "auth"])
def test_errors_survive_a_process_pool(kind: str) -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_raise_in_worker, kind)
        with pytest.raises(MemoriesError) as caught:
            future.result(timeout=60)
        assert pool.submit(len, "still works").result(timeout=60) == 11  # the pool is not broken
    error = caught.value
    if kind == "rate":
        assert isinstance(error, RateLimitError) and error.retry_after == 2.0
        assert error.code == "0429" and str(error) == "slow down (HTTP 200, code 0429)"
    elif kind == "stream":
        assert isinstance(error, StreamError) and error.partial_text == "so far"
    elif kind == "argument":
        assert isinstance(error, InvalidArgumentError) and error.field == "top_k"
    else:
        assert isinstance(error, AuthenticationError) and error.request_id == "r1"
    assert pickle.loads(pickle.dumps(error)).__dict__ == error.__dict__


@pytest.mark.parametrize(
    "bad",
    [
        "sk-with\r\nheader-injection",
        "sk-with-nul\x00x",
        "sk-with inner space",
        "sk-ключ-123",
        "sk\ttab",
    ],
)
def test_a_key_that_cannot_be_a_header_is_refused_at_construction_without_quoting_it(
    bad: str,
) -> None:
    for make in (
        lambda: AsyncMemories(bad, base_url="http://127.0.0.1:9"),
        lambda: AsyncMemories(KEY, caption_api_key=bad, base_url="http://127.0.0.1:9"),
        lambda: AsyncPersonalAI(bad, domain_name="persona"),
    ):
        with pytest.raises(InvalidArgumentError) as caught:
            make()
        assert bad not in str(caught.value) and "printable ASCII" in str(caught.value)


def _strings_in(obj: Any, seen: set[int]) -> list[str]:
    """Every string reachable from an exception: messages, attributes, causes, contexts, and the
    request (with its headers) that httpx errors carry."""
    if id(obj) in seen or obj is None:
        return []
    seen.add(id(obj))
    found: list[str] = []
    if isinstance(obj, str | bytes):
        return [obj.decode("latin-1") if isinstance(obj, bytes) else obj]
    if isinstance(obj, BaseException):
        found += [str(obj), repr(obj)]
        for item in (*obj.args, obj.__cause__, obj.__context__, *vars(obj).values()):
            found += _strings_in(item, seen)
        if isinstance(obj, httpx.RequestError):
            with contextlib.suppress(RuntimeError):  # an error made without a request
                found += _strings_in(obj.request, seen)
    elif isinstance(obj, httpx.Request):
        found += [repr(obj), str(obj.url)]
        for name, value in obj.headers.raw:
            found += [name.decode("latin-1"), value.decode("latin-1")]
    elif isinstance(obj, dict):
        for key, value in obj.items():
            found += _strings_in(key, seen) + _strings_in(value, seen)
    elif isinstance(obj, list | tuple | set):
        for item in obj:
            found += _strings_in(item, seen)
    return found


async def test_no_key_in_the_exception_graph_of_a_connection_error() -> None:
    async with AsyncMemories(
        KEY, base_url="http://127.0.0.1:9", rate_limits=False, max_retries=0
    ) as c:
        with pytest.raises(APIConnectionError) as caught:
            await c.videos.list()
    strings = _strings_in(caught.value, set())
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert any("<redacted>" in s for s in strings), "the redacted request should be reachable"
    assert not any(KEY in s for s in strings)


async def test_no_key_in_the_exception_graph_of_a_broken_answer() -> None:
    with hostile_server(
        {"list_videos": cut_after(total=1000, sent=10, content_type="application/json")}
    ) as server:
        async with client_for(server.base_url) as client:
            with pytest.raises(APIConnectionError) as caught:
                await client.videos.list()
    assert not caught.value.before_send
    assert not any(KEY in s for s in _strings_in(caught.value, set()))


async def test_bad_arguments_are_invalid_argument_errors_not_type_or_unicode_errors() -> None:
    async with client_for("http://127.0.0.1:9") as client:
        with pytest.raises(InvalidArgumentError, match="video_nos"):
            await client.chat.stream(None, "q").final()  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError, match=r"query: .*lone surrogate"):
            await client.search.videos("bad \udcff query")
        with pytest.raises(InvalidArgumentError, match="prompt"):
            await client.chat.send(["VI1"], "bad \ud800")
        with pytest.raises(InvalidArgumentError, match="video_nos"):
            await client.chat.send(42, "q")  # type: ignore[arg-type]


def test_the_emulator_refuses_a_public_address_without_keys() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "memories_async.emulator", "--host", "0.0.0.0", "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "refusing to listen on '0.0.0.0' without --api-key" in done.stderr
    assert "unauthenticated control API" in done.stderr


def test_every_api_error_subclass_pickles() -> None:
    for cls in APIError.__subclasses__():
        error = cls("m", code="1", status_code=500, request_id="r", endpoint="e")
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is cls and copy.__dict__ == error.__dict__ and str(copy) == str(error)


async def test_no_key_in_the_exception_graph_of_a_broken_stream() -> None:
    from tests.faults._hostile import stream_then

    with hostile_server({"chat_stream": stream_then("break")}) as server:
        async with client_for(server.base_url) as client:
            with pytest.raises(StreamError) as caught:
                await client.chat.stream(["VI1"], "q").final()
    assert caught.value.reason == "disconnected"
    assert not any(KEY in s for s in _strings_in(caught.value, set()))
