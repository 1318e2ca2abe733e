"""What a hostile server can make us hold: each case runs the call in a child process and reads
its peak memory growth there, so nothing else of the test run counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from memories_async import APIResponseValidationError, AsyncMemories, ResponseTooLargeError
from tests.faults._hostile import answer, endless_sse_line, gzip_answer, gzip_bomb, hostile_server

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
BOUND = 100 * MIB


def run_child(kind: str, base_url: str, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults._child", kind, base_url, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_gzip_bomb_stops_at_the_answer_limit_with_memory_bounded() -> None:
    with hostile_server({"list_videos": gzip_answer(gzip_bomb())}) as server:
        result = run_child("json", server.base_url)
    assert result["error"] == "ResponseTooLargeError", result
    assert "max_response_bytes" in result["message"]
    assert result["growth"] < BOUND, f"grew {result['growth'] / MIB:.0f} MiB"


def test_an_endless_sse_line_stops_at_the_event_limit_with_memory_bounded() -> None:
    with hostile_server({"chat_stream": endless_sse_line()}) as server:
        result = run_child("sse", server.base_url)
    assert result["error"] == "StreamError" and result["reason"] == "too_large", result
    assert result["growth"] < BOUND, f"grew {result['growth'] / MIB:.0f} MiB"


def test_a_50_mb_json_answer_is_refused_with_memory_bounded() -> None:
    videos = [{"video_no": f"VI{i:018d}", "video_name": "x" * 400} for i in range(120_000)]
    body = json.dumps({"code": "0000", "data": {"videos": videos}}).encode()
    assert len(body) > 50 * MIB
    with hostile_server({"list_videos": answer("200 OK", body)}) as server:
        result = run_child("json", server.base_url)
    assert result["error"] == "ResponseTooLargeError", result
    assert result["growth"] < BOUND, f"grew {result['growth'] / MIB:.0f} MiB"


def test_a_gzip_bomb_inside_a_stream_is_bounded_too() -> None:
    bomb = gzip_answer(gzip_bomb(), content_type="text/event-stream")
    with hostile_server({"chat_stream": bomb}) as server:
        result = run_child("sse", server.base_url)
    assert result["error"] == "StreamError" and result["reason"] == "too_large", result
    assert result["growth"] < BOUND, f"grew {result['growth'] / MIB:.0f} MiB"


async def test_json_nested_thousands_deep_is_a_validation_error() -> None:
    deep = b'{"code": "0000", "data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    with hostile_server({"list_videos": answer("200 OK", deep)}) as server:
        async with AsyncMemories(
            "sk-faults-key-0001", base_url=server.base_url, rate_limits=False
        ) as client:
            with pytest.raises(APIResponseValidationError) as caught:
                await client.videos.list()
    assert "nested too deeply" in str(caught.value)
    assert not isinstance(caught.value.__context__, RecursionError)


async def test_the_limit_is_a_client_option() -> None:
    body = json.dumps({"code": "0000", "data": {"videos": [], "pad": "x" * 5000}}).encode()
    with hostile_server({"list_videos": answer("200 OK", body)}) as server:
        async with AsyncMemories(
            "sk-faults-key-0001", base_url=server.base_url, rate_limits=False
        ) as client:
            await client.videos.list()  # well inside the default
            small = client.with_options(max_response_bytes=4096)
            with pytest.raises(ResponseTooLargeError) as caught:
                await small.videos.list()
            assert caught.value.limit == 4096
            unlimited = small.with_options(max_response_bytes=None)
            await unlimited.videos.list()
