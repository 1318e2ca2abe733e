"""Chat stream throughput: `ChatStream` (typed pydantic events) vs raw httpx-sse + `json.loads`.

Both read the same body of chat events (mostly text pieces, as an answer is) delivered in 4 KiB
chunks by an in-process transport, so what is measured is the work per event: SSE parsing,
JSON decoding and, for ours, building typed models and the answer's running text. openai-python's
own stream decoder over the same bytes is printed beside it as the peer anchor. The figure is
the cost per event (lower is better); events per second are in the note.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import httpx_sse

from benchmarks._common import Row, Stopwatch, amedian_of
from memories_async import AsyncMemories

URL = "https://api.memories.ai/serve/api/v1/chat_stream"
CHUNK = 4096
KEY = "sk-bench-stream-0000"
SESSION = "606122521255088128"
_WORDS = ("The runner ", "crosses the ", "line in 43.03 ", "seconds — a ", "new world ", "record! ")


def body(events: int) -> bytes:
    """`events` SSE events: two thinking steps, one ref, text pieces, then the end marker."""
    out = [
        {"type": "thinking", "title": "Plan", "content": "Look at the race.", "sessionId": SESSION},
        {
            "type": "thinking",
            "title": "Match",
            "content": "Found 3 segments.",
            "sessionId": SESSION,
        },
        {
            "type": "ref",
            "sessionId": SESSION,
            "ref": [
                {
                    "video": {"duration": "401", "video_no": "VI1", "video_name": "race"},
                    "refItems": [
                        {"videoNo": "VI1", "startTime": 185, "type": "keyframe"},
                        {"videoNo": "VI1", "startTime": 185, "endTime": 199, "type": "visual_ts"},
                    ],
                }
            ],
        },
    ]
    for i in range(events - len(out) - 1):
        piece = _WORDS[i % len(_WORDS)]
        out.append({"type": "content", "role": "assistant", "content": piece, "sessionId": SESSION})
    out.append({"code": "SUCCESS", "data": "Done"})
    return b"".join(b"data: " + json.dumps(e, ensure_ascii=False).encode() + b"\n\n" for e in out)


class _Chunked(httpx.AsyncByteStream):
    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        data = self._data
        for start in range(0, len(data), CHUNK):
            yield data[start : start + CHUNK]


def transport(data: bytes) -> httpx.MockTransport:
    headers = {"content-type": "text/event-stream"}

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, stream=_Chunked(data))

    return httpx.MockTransport(handler)


async def _timed(read: Callable[[], Awaitable[int]], expected: int) -> float:
    with Stopwatch() as sw:
        count = await read()
    if count != expected:
        raise RuntimeError(f"read {count} events, expected {expected}")
    return sw.seconds


async def measure(events: int, repeats: int) -> dict[str, float]:
    """Seconds to read the whole stream, median of `repeats`: ours, raw, and openai's."""
    data = body(events)
    async with httpx.AsyncClient(transport=transport(data)) as http:
        client = AsyncMemories(KEY, http_client=http, rate_limits=False)

        async def ours() -> int:
            count = 0
            async with client.chat.stream(["VI1"], "Who won?") as stream:
                async for _ in stream:
                    count += 1
            return count

        async def raw() -> int:
            count = 0
            payload = {"video_nos": ["VI1"], "prompt": "Who won?"}
            async with httpx_sse.aconnect_sse(
                http, "POST", URL, json=payload, headers={"Authorization": KEY}
            ) as source:
                async for sse in source.aiter_sse():
                    value: Any = json.loads(sse.data)
                    count += 1
                    if value.get("data") == "Done":
                        break
            return count

        results = {
            "ours": await amedian_of(repeats, lambda: _timed(ours, events)),
            "raw": await amedian_of(repeats, lambda: _timed(raw, events)),
        }
        peer = _openai_reader(http)
        if peer is not None:
            results["openai"] = await amedian_of(repeats, lambda: _timed(peer, events))
    return results


def _openai_reader(http: httpx.AsyncClient) -> Callable[[], Awaitable[int]] | None:
    """openai-python's SSE decoder + its `sse.json()`, as its `AsyncStream` uses them."""
    try:
        from openai._streaming import SSEDecoder
    except ImportError:
        return None

    async def read() -> int:
        count = 0
        async with http.stream("POST", URL, json={}) as response:
            async for sse in SSEDecoder().aiter_bytes(response.aiter_bytes()):
                value: Any = sse.json()
                count += 1
                if value.get("data") == "Done":
                    break
        return count

    return read


def _rate(seconds: float, events: int) -> str:
    return f"{events / seconds / 1e3:,.0f}k ev/s"


async def run(smoke: bool = False) -> list[Row]:
    events, repeats = (300, 1) if smoke else (200_000, 5)
    seconds = await measure(events, repeats)
    ours, raw = seconds["ours"] / events * 1e9, seconds["raw"] / events * 1e9
    rows = [
        Row(
            "stream: typed events vs httpx-sse+json",
            ours,
            raw,
            "ns/event",
            "<= 1.0x raw",
            ours <= raw,
            note=f"ours {_rate(seconds['ours'], events)}, raw {_rate(seconds['raw'], events)}",
            extra={"events": events, "chunk": CHUNK, "seconds": seconds},
        )
    ]
    if "openai" in seconds:
        peer = seconds["openai"] / events * 1e9
        rows.append(
            Row(
                "stream: openai-python SSEDecoder (peer anchor)",
                peer,
                raw,
                "ns/event",
                "-",
                None,
                note=f"{_rate(seconds['openai'], events)}; ours {ours:.0f} ns/event",
            )
        )
    return rows


if __name__ == "__main__":
    for row in asyncio.run(run()):
        print(row)
