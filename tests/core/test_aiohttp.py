"""`DefaultAioHttpClient`: the SDK over aiohttp's connection pool. The transport-facing suites run
over it too (the `runtime` fixture); here is what belongs to this transport alone: failures
mapped for the resend rule, asyncio only, closed with its client, bodies decoded by the SDK."""

from __future__ import annotations

import asyncio
import gzip
import socket
from pathlib import Path

import anyio
import pytest

from memories_async import (
    APIConnectionError,
    APITimeoutError,
    AsyncMemories,
    DefaultAioHttpClient,
    Memories,
    MemoriesError,
    RetryPolicy,
)
from memories_async._aiohttp import _Transport
from memories_async.emulator import Emulator, serve
from tests.faults._hostile import Request, answer, hostile_server

KEY = "sk-test-aiohttp-0001"
OK_SEARCH = b'{"code": "0000", "msg": "success", "data": []}'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_calls_go_through_aiohttp_and_the_pool_closes_with_the_client() -> None:
    http = DefaultAioHttpClient()
    with Emulator(parse_delay=0, rate_limits=False) as emu, serve(emu) as url:
        async with AsyncMemories(KEY, base_url=url, http_client=http) as client:
            assert await client.search.videos("boat")
            transport = client.http_client._transport  # type: ignore[attr-defined]
            assert isinstance(transport, _Transport)
            session = transport.client
            assert session is not None and not session.closed
            copy = client.with_options(unique_id="other")
            await copy.aclose()  # a copy borrows the pool: closing it leaves the pool open
            assert not http.is_closed
        assert http.is_closed and session.closed
    assert [r.endpoint for r in emu.requests] == ["search"]


def test_the_blocking_client_takes_it_and_closes_it() -> None:
    http = DefaultAioHttpClient()
    with Emulator(parse_delay=0, rate_limits=False) as emu, serve(emu) as url:
        with Memories(KEY, base_url=url, http_client=http) as client:
            assert client.search.videos("boat")
    assert http.is_closed


def test_under_trio_a_call_says_aiohttp_needs_asyncio() -> None:
    async def main() -> None:
        async with AsyncMemories(KEY, http_client=DefaultAioHttpClient(), max_retries=0) as c:
            await c.search.videos("boat")

    with pytest.raises(MemoriesError, match="asyncio only"):
        anyio.run(main, backend="trio")


async def test_a_refused_connection_is_before_send_and_a_timeout_is_not() -> None:
    port = free_port()  # nothing listens there
    async with AsyncMemories(
        KEY, base_url=f"http://127.0.0.1:{port}", http_client=DefaultAioHttpClient(), max_retries=0
    ) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.search.videos("boat")
    assert caught.value.before_send

    async def silent(request: Request, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    with hostile_server({"search": silent}) as server:
        async with AsyncMemories(
            KEY,
            base_url=server.base_url,
            http_client=DefaultAioHttpClient(),
            max_retries=RetryPolicy(max_retries=1, initial_delay=0.001, max_delay=0.002),
            timeout=0.3,
        ) as client:
            with pytest.raises(APITimeoutError) as timed_out:
                await client.search.videos("boat")
        assert not timed_out.value.before_send
        assert server.arrivals["search"] == 2  # a read may be repeated: tried once more


async def test_a_compressed_answer_is_inflated_by_the_sdk_within_its_limit() -> None:
    packed = gzip.compress(OK_SEARCH)
    with hostile_server(
        {"search": answer("200 OK", packed, **{"content-encoding": "gzip"})}
    ) as server:
        async with AsyncMemories(
            KEY, base_url=server.base_url, http_client=DefaultAioHttpClient()
        ) as client:
            assert await client.search.videos("boat") == []


def test_the_cli_takes_transport_aiohttp(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from memories_async.cli import main

    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "harbour_boats.mp4").write_bytes(b"boats" * 300)
    with Emulator(parse_delay=0, rate_limits=False) as emu, serve(emu) as url:
        common = ["--api-key", KEY, "--base-url", url, "--transport", "aiohttp"]
        journal = str(tmp_path / "j.sqlite")
        assert main([*common, "ingest", str(folder), "--journal", journal]) == 0
        assert main([*common, "--json", "search", "boats"]) == 0
    assert "harbour_boats" in capsys.readouterr().out
    assert [r.endpoint for r in emu.requests if r.endpoint in ("upload", "search")] == [
        "upload",
        "search",
    ]
