"""The example app on real sockets, as a browser reaches it: a browser that leaves mid-answer
closes the vendor's stream at once, and 100 answers streamed at the same moment all complete
and give every connection back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from examples.fastapi_app.app import create_app
from memories_async.emulator import Emulator, ServerThread, serve
from tests._support import checked_out_connections
from tests.integrations._support import KEY, sse_frames

RACE = "VI606099815446712320"


@pytest.fixture
def slow_emulator() -> Iterator[tuple[Emulator, str]]:
    emu = Emulator(rate_limits=False, parse_delay=0, stream_interval=0.4)  # a slow answer
    with serve(emu) as base_url:
        yield emu, base_url
    emu.close()


def test_a_browser_that_leaves_mid_answer_closes_the_vendor_stream_within_a_second(
    slow_emulator: tuple[Emulator, str],
) -> None:
    emu, base_url = slow_emulator
    server = ServerThread(create_app(base_url=base_url, api_key=KEY, rate_limits=False))
    app_url = server.start()
    try:
        params = {"q": "Who wins the 400m final?", "video_nos": RACE}
        with httpx.stream("GET", f"{app_url}/chat", params=params, timeout=30) as response:
            for line in response.iter_lines():
                if line.startswith("event: thinking"):
                    break  # the person saw the first step, then closed the tab
        left = time.monotonic()
        deadline = left + 5  # a hang guard; the bound checked is below
        record = None
        while time.monotonic() < deadline:
            records = [r for r in emu.requests if r.endpoint == "chat_stream"]
            if records and records[0].ended is not None:
                record = records[0]
                break
            time.sleep(0.01)
        closed_after = time.monotonic() - left
    finally:
        server.stop()
    assert record is not None, "the vendor stream was never closed"
    assert not record.complete, "the answer ran to its end: nobody closed it"
    assert closed_after < 1.0, f"the vendor stream stayed open {closed_after:.2f}s"


def test_a_hundred_answers_at_once_complete_and_give_back_every_connection() -> None:
    emu = Emulator(rate_limits=False, parse_delay=0, stream_interval=0.01)
    app = create_app(api_key=KEY, rate_limits=False, base_url=None)
    with serve(emu) as base_url:
        app = create_app(base_url=base_url, api_key=KEY, rate_limits=False)
        server = ServerThread(app)
        app_url = server.start()
        try:

            async def one(http: httpx.AsyncClient, index: int) -> list[tuple[str, str]]:
                params = {"q": f"Who wins the final? ({index})", "video_nos": RACE}
                response = await http.get(f"{app_url}/chat", params=params)
                return sse_frames(response.text)

            async def all_at_once() -> list[list[tuple[str, str]]]:
                limits = httpx.Limits(max_connections=200)
                async with httpx.AsyncClient(timeout=60, limits=limits) as http:
                    return await asyncio.gather(*(one(http, i) for i in range(100)))

            answers = asyncio.run(all_at_once())
            pool_busy = checked_out_connections(app.state.client.http_client)
        finally:
            server.stop()
    emu.close()
    assert [frames[-1][0] for frames in answers] == ["done"] * 100
    chats = [r for r in emu.requests if r.endpoint == "chat_stream"]
    assert len(chats) == 100 and all(r.complete and r.ended is not None for r in chats)
    assert pool_busy == 0
