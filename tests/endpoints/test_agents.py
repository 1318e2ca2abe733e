"""The search agent (`client.agents.search`, `/queries/stream` on the v2 host): the request as
API.md's last section gives it, every event typed, the ways a run can fail, and the connection
given back however the caller leaves; on the wire (respx) and against the emulator."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx

from memories_async import (
    DEFAULT_VLM_BASE_URL,
    AgentComplete,
    AgentError,
    AgentProgress,
    AgentRawEvent,
    AgentStarted,
    AgentToolCall,
    AgentToolResult,
    AsyncMemories,
    AuthenticationError,
    InvalidArgumentError,
    Memories,
    RetryPolicy,
    StreamError,
)
from memories_async.callbacks import parse_edit_callback
from memories_async.emulator import Emulator, Fault, serve
from tests._support import (
    HTTPX_INNER_GENERATORS,
    checked_out_connections,
    http_client_for,
    on_both_backends,
    on_every_transport,
)
from tests.chat._support import dropped_streams_released, leave_early
from tests.emulator._support import receiver

KEY = "sk-test-agents-0001"
URL = f"{DEFAULT_VLM_BASE_URL}/queries/stream"
FAST = RetryPolicy(initial_delay=0.001)

RUN = [
    ("started", {"session_id": "run_1"}),
    ("progress", {"step": 1, "max_steps": 3, "message": "Planning"}),
    ("tool_call", {"tool": "search_platform_videos", "arguments": {"query": "surf"}}),
    ("tool_result", {"tool": "search_platform_videos", "success": True, "summary": "2 found"}),
    ("thinking_aloud", {"note": "a name this SDK does not know"}),
    (
        "complete",
        {
            "video_references": [
                {"video_no": "PI-1", "title": "Surf", "url": "https://t.example/1", "rank": 1},
                {"video_id": "PI-2", "platform": "tiktok"},
            ],
            "confidence_score": 0.82,
            "answer_markdown": "kept, though not named",
        },
    ),
]


def sse(events: list[tuple[str, Any]], *, end: str = "\n\n") -> bytes:
    body = "".join(
        f"event: {name}\ndata: {json.dumps(data) if not isinstance(data, str) else data}{end}"
        for name, data in events
    )
    return body.encode()


def streamed(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


@pytest.fixture
def client() -> AsyncMemories:
    return AsyncMemories(KEY, rate_limits=False, max_retries=FAST)


@on_both_backends
async def test_the_request_is_the_examples_and_every_event_is_typed(client: AsyncMemories) -> None:
    with respx.mock:
        route = respx.post(URL).mock(return_value=streamed(sse(RUN)))
        async with client.agents.search(
            "surfing in Bali", platforms=["tiktok", "youtube"], time_frame="past_week"
        ) as run:
            events = [event async for event in run]
            found = await run.final()
    request = route.calls.last.request
    assert request.headers["authorization"] == KEY
    assert request.headers["accept"] == "text/event-stream"
    assert json.loads(request.content) == {
        "query": "surfing in Bali",
        "max_results": 5,
        "platforms": ["tiktok", "youtube"],
        "time_frame": "past_week",
    }
    assert [type(e) for e in events] == [
        AgentStarted,
        AgentProgress,
        AgentToolCall,
        AgentToolResult,
        AgentRawEvent,
        AgentComplete,
    ]
    started, progress, call, result, raw, complete = events
    assert isinstance(started, AgentStarted) and started.session_id == "run_1"
    assert isinstance(progress, AgentProgress) and (progress.step, progress.max_steps) == (1, 3)
    assert isinstance(call, AgentToolCall) and call.arguments == {"query": "surf"}
    assert isinstance(result, AgentToolResult) and result.success is True
    assert raw == AgentRawEvent(event="thinking_aloud", data={"note": RUN[4][1]["note"]})
    assert found is complete and found.confidence_score == 0.82
    assert [r.video_no for r in found.video_references] == ["PI-1", "PI-2"]
    assert found.video_references[0].model_extra == {"rank": 1}
    assert found.model_extra == {"answer_markdown": "kept, though not named"}
    assert run.session_id == "run_1" and run.done and len(run.events) == 6


@on_both_backends
async def test_final_alone_reads_the_run_and_options_reach_the_body(
    client: AsyncMemories,
) -> None:
    with respx.mock:
        route = respx.post(URL).mock(return_value=streamed(sse(RUN, end="\n")))
        found = await client.agents.search(
            "x", max_results=2, enable_clarification=True, extra_body={"trace": True}
        ).final()
    assert found.confidence_score == 0.82
    body = json.loads(route.calls.last.request.content)
    assert body == {"query": "x", "max_results": 2, "enable_clarification": True, "trace": True}


@on_both_backends
async def test_an_error_event_is_handed_out_then_raised_with_the_events_before_it(
    client: AsyncMemories,
) -> None:
    failing = [*RUN[:2], ("error", {"message": "search backend down", "code": "E42"})]
    with respx.mock:
        respx.post(URL).mock(return_value=streamed(sse(failing)))
        seen: list[object] = []

        async def read() -> None:
            async for event in client.agents.search("surf"):
                seen.append(event)

        with pytest.raises(StreamError) as caught:
            await read()
    assert isinstance(seen[-1], AgentError) and seen[-1].message == "search backend down"
    error = caught.value
    assert (error.reason, error.msg, error.code) == ("error_end", "search backend down", "E42")
    assert error.events == seen and error.session_id == "run_1"


@on_both_backends
async def test_a_run_that_ends_without_complete_fails_with_what_it_saw(
    client: AsyncMemories,
) -> None:
    with respx.mock:
        respx.post(URL).mock(return_value=streamed(sse(RUN[:3])))
        run = client.agents.search("surf")
        with pytest.raises(StreamError) as caught:
            await run.final()
    assert caught.value.reason == "incomplete"
    assert [type(e) for e in caught.value.events] == [AgentStarted, AgentProgress, AgentToolCall]


@on_both_backends
async def test_a_known_event_whose_data_does_not_fit_is_malformed(client: AsyncMemories) -> None:
    for data in ("{not json", json.dumps([1, 2]), json.dumps({"step": "first"})):
        with respx.mock:
            respx.post(URL).mock(return_value=streamed(sse([RUN[0], ("progress", data)])))
            with pytest.raises(StreamError) as caught:
                await client.agents.search("surf").final()
        assert caught.value.reason == "malformed", data
        assert [type(e) for e in caught.value.events] == [AgentStarted]


@on_both_backends
async def test_an_error_answer_before_the_stream_is_mapped_and_not_resent(
    client: AsyncMemories,
) -> None:
    with respx.mock:
        route = respx.post(URL).respond(200, json={"code": 401, "msg": "bad key", "data": None})
        with pytest.raises(AuthenticationError):
            await client.agents.search("surf").final()
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"query": " "}, "query"),
        ({"query": "q", "max_results": 0}, "max_results"),
        ({"query": "q", "platforms": "tiktok"}, "platforms"),
        ({"query": "q", "platforms": []}, "platforms"),
        ({"query": "q", "platforms": ["TikTok"]}, "platforms"),
        ({"query": "q", "time_frame": ""}, "time_frame"),
        ({"query": "q", "enable_clarification": "yes"}, "enable_clarification"),
    ],
)
def test_bad_arguments_fail_before_any_request(arguments: dict[str, Any], field: str) -> None:
    client = AsyncMemories(KEY, rate_limits=False)
    with respx.mock:
        route = respx.post(URL)
        with pytest.raises(InvalidArgumentError) as caught:
            client.agents.search(**arguments)
    assert caught.value.field == field and route.call_count == 0


def test_the_blocking_twin_iterates_and_closes() -> None:
    with respx.mock, Memories(KEY, rate_limits=False) as client:
        respx.post(URL).mock(return_value=streamed(sse(RUN)))
        with client.agents.search("surf") as run:
            kinds = [type(event).__name__ for event in run]
            assert run.final().confidence_score == 0.82
        assert kinds[0] == "AgentStarted" and kinds[-1] == "AgentComplete"
        assert run.session_id == "run_1" and "AgentStream" in repr(run)


# -- against the emulator ---------------------------------------------------------------------


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(parse_delay=0, rate_limits=False, stream_interval=0) as emulator:
        yield emulator
        assert emulator.internal_errors == []


@pytest.fixture
def base_url(emu: Emulator) -> Iterator[str]:
    with serve(emu) as url:
        yield url


@pytest.fixture
def live(base_url: str, runtime: str) -> AsyncMemories:
    return AsyncMemories(
        KEY,
        base_url=base_url,
        vlm_base_url=base_url + "/serve/api/v2",
        rate_limits=False,
        max_retries=FAST,
        http_client=http_client_for(runtime),
    )


@on_every_transport
async def test_the_emulators_agent_emits_every_event_kind(live: AsyncMemories) -> None:
    async with live.agents.search(
        "timberwolves fans", platforms=["tiktok", "youtube"], enable_clarification=True
    ) as run:
        events = [event async for event in run]
    kinds = {type(event) for event in events}
    assert kinds == {
        AgentStarted,
        AgentProgress,
        AgentToolCall,
        AgentToolResult,
        AgentRawEvent,
        AgentComplete,
    }
    complete = events[-1]
    assert isinstance(complete, AgentComplete) and complete.video_references
    assert complete.video_references[0].platform == "tiktok"
    assert 0 < (complete.confidence_score or 0) <= 1
    with pytest.raises(StreamError) as caught:
        await live.agents.search("fans", platforms=["myspace"]).final()
    assert caught.value.reason == "error_end" and "myspace" in caught.value.msg
    assert isinstance(caught.value.events[-1], AgentError)
    assert checked_out_connections(live.http_client) == 0


@on_every_transport
async def test_faults_mid_run_are_stream_errors_never_resent(
    live: AsyncMemories, emu: Emulator
) -> None:
    for kind, reason in [
        ("drop_mid_stream", "disconnected"),
        ("truncate_stream", "incomplete"),
        ("malformed_stream", "malformed"),
        ("error_end", "error_end"),
    ]:
        fault = (
            Fault.error_end("gave up", "E9")
            if kind == "error_end"
            else getattr(Fault, kind)(after_events=2)
        )
        emu.faults.add("queries_stream", fault)
        with pytest.raises(StreamError) as caught:
            await live.agents.search("fans").final()
        assert caught.value.reason == reason, kind
    assert len(emu.requests.filter(endpoint="queries_stream")) == 4
    assert checked_out_connections(live.http_client) == 0


@pytest.mark.filterwarnings(HTTPX_INNER_GENERATORS)
@on_every_transport
async def test_breaking_out_of_a_run_gives_its_connection_back(live: AsyncMemories) -> None:
    async with live.agents.search("fans") as run:
        async for _ in run:
            break
    assert checked_out_connections(live.http_client) == 0
    async for _ in live.agents.search("fans"):  # no `async with`: the dropped run is closed
        break
    assert await dropped_streams_released(live.http_client)
    with anyio.move_on_after(5) as scope:  # a cancelled reader, too
        async with live.agents.search("fans") as run:
            await run.__anext__()
            scope.cancel()
            await anyio.sleep(1)  # cancelled here, with the run open
    assert scope.cancelled_caught
    assert checked_out_connections(live.http_client) == 0


async def test_edit_tasks_call_the_accounts_webhook() -> None:
    async with receiver() as hook:
        with (
            Emulator(rate_limits=False, edit_webhook=f"{hook.url}/edits") as emu,
            serve(emu) as url,
        ):
            async with AsyncMemories(KEY, vlm_base_url=url + "/serve/api/v2") as client:
                task = await client.edits.split("re_asset_1", segment_seconds=30)
                [(path, body)] = await hook.wait_for(1)
    assert path == "/edits" and [c.kind for c in emu.callbacks] == ["edit_split"]
    result = parse_edit_callback(body)
    assert result.task_id == task.task_id and result.status == "completed"
    assert result.model_extra is not None and result.model_extra["type"] == "split"
    assert result.model_extra["request"] == {"asset_id": "re_asset_1", "segment_seconds": 30}
    with pytest.raises(ValueError, match="loopback"):
        Emulator(edit_webhook="https://hooks.example.com/edits")


def test_the_cli_shows_a_run_as_it_goes_and_as_json_lines(
    emu: Emulator,
    base_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from memories_async.cli import main

    monkeypatch.setenv("MEMORIES_VLM_BASE_URL", base_url + "/serve/api/v2")
    common = ["--api-key", KEY, "--base-url", base_url]
    assert main([*common, "discover", "timberwolves fans", "--platform", "tiktok"]) == 0
    shown = capsys.readouterr().out
    assert "[1/3] Planning a search for 'timberwolves fans'" in shown
    assert "→ search_platform_videos(" in shown and "found 1 video(s)" in shown
    assert "https://www.tiktok.com/player/v1/7434361641896103211" in shown
    assert main([*common, "--json", "discover", "fans", "--max-results", "1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == [
        "started",
        "progress",
        "tool_call",
        "tool_result",
        "progress",
        "complete",
    ]
    assert len(lines[-1]["video_references"]) == 1
    sent = emu.requests.filter(endpoint="queries_stream")[-1].json
    assert sent == {"query": "fans", "max_results": 1}
    assert main([*common, "discover", "fans", "--platform", "myspace"]) == 2  # argparse refuses


@pytest.mark.filterwarnings(HTTPX_INNER_GENERATORS)
@on_every_transport
async def test_three_hundred_runs_left_early_leak_nothing(live: AsyncMemories) -> None:
    http = live.http_client
    for index in range(300):
        mode = ("break", "cancel", "exception")[index % 3]
        managed = index % 2 == 0
        # Passed straight in: once the helper lets go, nothing else holds the run.
        await leave_early(
            live.agents.search("fans", platforms=["tiktok", "youtube"]), mode, managed, index % 9
        )
        if managed:
            assert checked_out_connections(http) == 0, (index, mode)
        elif checked_out_connections(http):
            assert await dropped_streams_released(http), (index, mode)
    gc.collect()
    assert await dropped_streams_released(http)
