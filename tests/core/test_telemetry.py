"""OpenTelemetry: one span per call named `memories.<endpoint>` with what an operator needs and
nothing secret; retries as events; a chat stream's span lasts until the stream closes. Without
OpenTelemetry nothing of it is imported."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import httpx
import pytest

pytest.importorskip("opentelemetry.sdk", reason="opentelemetry-sdk is in the test extra")

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import StatusCode

from memories_async import AsyncMemories, BadRequestError, RetryPolicy
from memories_async.emulator import Emulator, serve
from tests._support import load_fixture
from tests.chat._support import RACE

KEY = "sk-test-telemetry-secret-0001"
SEARCH_OK = load_fixture("core/search_by_video.json")
EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def provider() -> None:
    # The global provider can be set once per process; the exporter is cleared per test.
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    else:  # pragma: no cover - another module set one: add our exporter to it
        current.add_span_processor(SimpleSpanProcessor(EXPORTER))


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    EXPORTER.clear()
    yield
    EXPORTER.clear()


def spans(name: str) -> list[ReadableSpan]:
    return [s for s in EXPORTER.get_finished_spans() if s.name == name]


def no_secret(span: ReadableSpan) -> None:
    text = span.to_json()
    assert KEY not in text and "boat in the harbour" not in text  # no key, no query


def vendor(*answers: httpx.Response) -> httpx.AsyncClient:
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


async def test_a_call_is_one_span_with_what_an_operator_needs() -> None:
    ok = httpx.Response(200, json=SEARCH_OK, headers={"x-request-id": "req-42"})
    async with vendor(ok) as http, AsyncMemories(KEY, http_client=http) as client:
        await client.search.videos("boat in the harbour")
    (span,) = spans("memories.search")
    attributes = dict(span.attributes or {})
    assert span.kind is trace.SpanKind.CLIENT
    assert attributes["memories.endpoint"] == "search"
    assert attributes["memories.bucket"] == "search"
    assert attributes["memories.attempts"] == 1
    assert attributes["http.response.status_code"] == 200
    assert attributes["memories.request_id"] == "req-42"
    assert isinstance(attributes["memories.queued_ms"], float)
    assert span.status.status_code is not StatusCode.ERROR
    no_secret(span)


async def test_retries_are_events_and_a_failure_is_an_error_with_the_vendors_code() -> None:
    limited = httpx.Response(200, json={"code": "0429", "msg": "too many requests"})
    ok = httpx.Response(200, json=SEARCH_OK)
    fast = RetryPolicy(initial_delay=0.001, max_delay=0.002)
    async with (
        vendor(limited, ok) as http,
        AsyncMemories(KEY, http_client=http, max_retries=fast, rate_limits=False) as client,
    ):
        await client.search.videos("boat in the harbour")
    (span,) = spans("memories.search")
    assert dict(span.attributes or {})["memories.attempts"] == 2
    assert [e.name for e in span.events] == ["retry"]
    assert dict(span.events[0].attributes or {})["error.type"] == "RateLimitError"

    EXPORTER.clear()
    bad = httpx.Response(200, json={"code": "0001", "msg": "bad parameter"})
    async with vendor(bad) as http, AsyncMemories(KEY, http_client=http) as client:
        with pytest.raises(BadRequestError):
            await client.search.videos("boat in the harbour")
    (span,) = spans("memories.search")
    attributes = dict(span.attributes or {})
    assert span.status.status_code is StatusCode.ERROR
    assert attributes["memories.vendor_code"] == "0001"
    assert attributes["error.type"] == "BadRequestError"
    no_secret(span)


async def test_a_chat_streams_span_lasts_until_it_closes_and_counts_its_events() -> None:
    with Emulator(parse_delay=0, rate_limits=False, stream_interval=0) as emu, serve(emu) as url:
        async with AsyncMemories(KEY, base_url=url, rate_limits=False) as client:
            stream = client.chat.stream([RACE], "boat in the harbour")
            async with stream:
                first = await stream.__anext__()
                assert first is not None
                assert spans("memories.chat_stream") == []  # still open
                rest = [event async for event in stream]
    (span,) = spans("memories.chat_stream")
    assert dict(span.attributes or {})["memories.events"] == 1 + len(rest)
    no_secret(span)


def test_without_opentelemetry_nothing_of_it_is_imported() -> None:
    code = textwrap.dedent(
        """
        import asyncio, json, sys
        sys.modules["opentelemetry"] = None  # as if not installed
        import httpx
        from memories_async import AsyncMemories

        async def main():
            answer = httpx.Response(200, json={"code": "0000", "msg": "ok", "data": []})
            http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: answer))
            async with http, AsyncMemories("sk-no-otel-0001", http_client=http) as client:
                return await client.search.videos("boat")

        print(json.dumps(asyncio.run(main())))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_importing_the_package_does_not_import_opentelemetry() -> None:
    code = "import sys, memories_async; print('opentelemetry' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_an_opentelemetry_without_its_trace_module_is_as_good_as_none() -> None:
    # A package uninstalled by pip can leave an empty `opentelemetry` directory behind: found,
    # yet nothing to import from it.
    code = textwrap.dedent(
        """
        import asyncio, json, sys
        sys.modules["opentelemetry.trace"] = None
        import httpx
        from memories_async import AsyncMemories

        async def main():
            answer = httpx.Response(200, json={"code": "0000", "msg": "ok", "data": []})
            http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: answer))
            async with http, AsyncMemories("sk-no-otel-0002", http_client=http) as client:
                return await client.search.videos("boat")

        print(json.dumps(asyncio.run(main())))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_without_a_tracer_provider_no_span_is_started() -> None:
    # opentelemetry-api is often installed as someone else's dependency, with no provider set
    # up: a call must not pay for starting a span nobody records. A fresh process, since a
    # provider can be set only once per process and this module's fixture sets one.
    import subprocess
    import sys

    script = (
        "from unittest import mock\n"
        "from opentelemetry import trace\n"
        "from memories_async._telemetry import start_call\n"
        "from memories_async.resources.search import SEARCH\n"
        "with mock.patch.object(trace.ProxyTracer, 'start_span') as start:\n"
        "    assert start_call(SEARCH) is None\n"
        "assert not start.called, 'a span was started'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
