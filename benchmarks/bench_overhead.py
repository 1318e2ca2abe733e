"""Per-call overhead: `client.search.videos` vs a raw httpx POST + `json.loads` of the same answer.

Both run over the same in-process transport with rate limiting off, so what is measured is the
SDK's own work per call: building the request, the pipeline, and validating the typed model.
openai-python's per-call cost over a mock transport is printed beside it as the peer anchor.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from benchmarks._common import Paired, Row, Stopwatch, amedian_of, apaired
from memories_async import AsyncMemories

URL = "https://api.memories.ai/serve/api/v1/search"
ANSWER = json.dumps(
    {
        "code": "0000",
        "msg": "success",
        "data": [
            {
                "videoNo": f"VI57692560780860211{i}",
                "videoName": "1920447021987282945",
                "startTime": "13",
                "endTime": "18",
                "score": 0.52,
            }
            for i in range(5)
        ],
    }
).encode()
Call = Callable[[], Awaitable[None]]
OPENAI_ANSWER = json.dumps(
    {"id": "gpt-4o-mini", "object": "model", "created": 1686935002, "owned_by": "openai"}
).encode()


def transport(body: bytes) -> httpx.MockTransport:
    headers = {"content-type": "application/json"}
    return httpx.MockTransport(lambda request: httpx.Response(200, content=body, headers=headers))


async def _spread(calls: int, concurrency: int, one: Any) -> float:
    per_task = calls // concurrency

    async def worker() -> None:
        for _ in range(per_task):
            await one()

    with Stopwatch() as sw:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sw.seconds / (per_task * concurrency) * 1e6


def sides(http: httpx.AsyncClient) -> tuple[Call, Call]:
    """One call of each side over `http`: ours (`client.search.videos`) and raw httpx (the same
    POST and a `json.loads` of its answer)."""
    client = AsyncMemories("sk-bench-overhead-0000", http_client=http, rate_limits=False)

    async def ours() -> None:
        await client.search.videos("boat in the ocean", top_k=5)

    async def raw() -> None:
        response = await http.post(
            URL,
            json={"search_param": "boat in the ocean", "search_type": "BY_VIDEO", "top_k": 5},
            headers={"Authorization": "sk-bench-overhead-0000"},
        )
        payload = json.loads(response.content)
        if payload["code"] != "0000":
            raise RuntimeError(payload)

    return ours, raw


async def measure(calls: int, concurrency: int, repeats: int) -> Paired:
    """Microseconds per call, ours and raw httpx, measured in alternating pairs."""
    async with httpx.AsyncClient(transport=transport(ANSWER)) as http:
        ours, raw = sides(http)
        return await apaired(
            repeats,
            lambda: _spread(calls, concurrency, ours),
            lambda: _spread(calls, concurrency, raw),
        )


async def measure_openai(calls: int, repeats: int) -> float | None:
    """openai-python's microseconds per non-streaming call over a mock transport, if installed."""
    try:
        import openai
    except ImportError:
        return None
    async with httpx.AsyncClient(transport=transport(OPENAI_ANSWER)) as http:
        client = openai.AsyncOpenAI(api_key="sk-bench", http_client=http, max_retries=0)

        async def one() -> None:
            await client.models.retrieve("gpt-4o-mini")

        return await amedian_of(repeats, lambda: _spread(calls, 1, one))


async def run(smoke: bool = False) -> list[Row]:
    calls, repeats = (64, 1) if smoke else (2000, 9)
    rows = []
    for concurrency in (1, 64):
        pair = await measure(calls, concurrency, repeats)
        rows.append(
            Row(
                f"per-call overhead, {concurrency}-way",
                pair.ours,
                pair.baseline,
                "µs/call",
                "<= 1.1x raw httpx",
                pair.ratio <= 1.1,
                note="median of 9 paired ratios" if not smoke else "",
                paired_ratio=pair.ratio,
            )
        )
    if not smoke:
        rows.extend(instruction_rows())
    peer = await measure_openai(calls // 4 if not smoke else 16, repeats)
    if peer is not None:
        ours = rows[0].ours
        rows.append(
            Row(
                "per-call, openai-python (peer anchor)",
                peer,
                rows[0].baseline,
                "µs/call",
                "-",
                None,
                note=f"ours {ours:.0f} µs",
            )
        )
    return rows


def instruction_rows() -> list[Row]:
    """The 1-way row again in instructions per call (callgrind), where valgrind is installed:
    a figure the machine's load cannot move, so a change of a few percent is a real one."""
    from concurrent.futures import ThreadPoolExecutor

    from benchmarks._icount import instructions_per_call

    with ThreadPoolExecutor(2) as pool:  # the two sides at once, one per core
        ours, raw = pool.map(instructions_per_call, ("ours", "raw"))
    if ours is None or raw is None:
        return []
    return [
        Row(
            "per-call instructions, 1-way (callgrind)",
            ours / 1000,
            raw / 1000,
            "k instr",
            "<= 1.1x raw httpx",
            ours / raw <= 1.1,
        )
    ]


if __name__ == "__main__":
    for row in asyncio.run(run()):
        print(row)
