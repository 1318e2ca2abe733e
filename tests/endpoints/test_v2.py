"""The v2 host: Visual Intelligence completions and edit tasks, on the wire (respx) as API.md's
last section gives them, and end to end against the emulator's v2 routes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from memories_async import (
    DEFAULT_VLM_BASE_URL,
    APIError,
    AsyncMemories,
    AuthenticationError,
    Completion,
    EditTask,
    InvalidArgumentError,
    Memories,
    RateLimitError,
    RetryPolicy,
)
from memories_async.callbacks import parse_edit_callback
from memories_async.emulator import Emulator, serve
from tests._support import collector_held, on_both_backends

KEY = "sk-test-v2-0001"
V2 = DEFAULT_VLM_BASE_URL
COMPLETION = {
    "id": "cmpl-1",
    "model": "gemini:gemini-2.5-flash",
    "status": "completed",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "A race."}}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
}
TASK = {"code": 200, "msg": "success", "data": {"task_id": "re_task_9"}}


@pytest.fixture
def client() -> AsyncMemories:
    return AsyncMemories(KEY, rate_limits=False, max_retries=RetryPolicy(initial_delay=0.001))


def sent(route: respx.Route) -> Any:
    request = route.calls.last.request
    assert request.headers["authorization"] == KEY
    return json.loads(request.content)


@on_both_backends
async def test_a_completion_sends_the_examples_body_and_reads_the_message_shape(
    client: AsyncMemories,
) -> None:
    with respx.mock:
        route = respx.post(f"{V2}/vu/chat/completions").respond(json=COMPLETION)
        answer = await client.vision.complete(
            "Who wins?",
            video_url="https://cdn.example.com/race.mp4",
            system="You watch races.",
            temperature=0.2,
            max_tokens=100,
        )
    assert sent(route) == {
        "model": "gemini:gemini-2.5-flash",
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": "You watch races."}]},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Who wins?"},
                    {
                        "type": "input_file",
                        "file_uri": "https://cdn.example.com/race.mp4",
                        "mime_type": "video/mp4",
                    },
                ],
            },
        ],
        "temperature": 0.2,
        "max_tokens": 100,
    }
    assert isinstance(answer, Completion) and answer.text == "A race."
    assert answer.usage is not None and answer.usage.total_tokens == 12


@on_both_backends
async def test_the_text_shape_json_format_and_fenced_json(client: AsyncMemories) -> None:
    fenced = '```json\n{"winner": "Bolt"}\n```'
    with respx.mock:
        route = respx.post(f"{V2}/vu/chat/completions").respond(
            json={"choices": [{"text": fenced}], "status": "completed"}
        )
        answer = await client.vision.complete(
            "Who?",
            model="qwen:qwen-vl",
            image_url="https://cdn.example.com/finish.png",
            response_format="json",
        )
    body = sent(route)
    assert body["extra_body"] == {"metadata": {"response_mime_type": "application/json"}}
    assert body["messages"][0]["content"][1]["mime_type"] == "image/png"
    assert answer.text == fenced and answer.json() == {"winner": "Bolt"}
    with pytest.raises(ValueError, match="not JSON"):
        Completion.model_validate({"choices": [{"text": "no"}]}).json()


@on_both_backends
async def test_an_errored_completion_raises_the_vendors_code_and_message(
    client: AsyncMemories,
) -> None:
    errored = {"status": "errored", "error": {"code": "model_overloaded", "message": "busy"}}
    with respx.mock:
        route = respx.post(f"{V2}/vu/chat/completions").respond(json=errored)
        with pytest.raises(APIError) as caught:
            await client.vision.complete("x", video_url="https://cdn.example.com/a.mp4")
    assert caught.value.code == "model_overloaded" and caught.value.msg == "busy"
    assert route.call_count == 1  # a completion costs credits: an error after it is not resent


@pytest.mark.parametrize(
    ("call", "path", "body"),
    [
        (lambda c: c.edits.clip("re_1"), "/video/clip", {"asset_id": "re_1"}),
        (
            lambda c: c.edits.split("re_1"),
            "/video/split",
            {"asset_id": "re_1", "segment_seconds": 60},
        ),
        (
            lambda c: c.edits.edit(["re_1", "re_2"], "Best moments", orientation="portrait"),
            "/video/edit",
            {
                "asset_ids": ["re_1", "re_2"],
                "orientation": "portrait",
                "user_prompt": "Best moments",
            },
        ),
    ],
)
@on_both_backends
async def test_edit_tasks_send_their_bodies_and_answer_a_task_id(
    client: AsyncMemories, call: Any, path: str, body: dict[str, Any]
) -> None:
    with respx.mock:
        route = respx.post(V2 + path).respond(json=TASK)
        task = await call(client)
    assert sent(route) == body
    assert task == EditTask(task_id="re_task_9")


@on_both_backends
async def test_int_codes_of_the_task_endpoints_map_to_error_classes(client: AsyncMemories) -> None:
    with respx.mock:
        respx.post(f"{V2}/video/clip").respond(
            json={"code": 401, "msg": "invalid API key", "data": None}
        )
        with pytest.raises(AuthenticationError):
            await client.edits.clip("re_1")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.vision.complete(), "prompt"),
        (lambda c: c.vision.complete("x", messages=[{"role": "user"}]), "messages"),
        (lambda c: c.vision.complete(messages="hi"), "messages"),
        (lambda c: c.vision.complete("x", temperature=3), "temperature"),
        (lambda c: c.vision.complete("x", response_format="xml"), "response_format"),
        (lambda c: c.edits.edit(["re_1"], "x" * 501), "user_prompt"),
        (lambda c: c.edits.edit("re_1", "x"), "asset_ids"),
        (lambda c: c.edits.split("re_1", segment_seconds=0), "segment_seconds"),
        (lambda c: c.edits.clip(""), "asset_id"),
    ],
)
@on_both_backends
async def test_bad_input_is_refused_before_sending(
    client: AsyncMemories, call: Any, field: str
) -> None:
    with respx.mock(assert_all_called=False) as router:
        anything = router.route().respond(json=TASK)
        with pytest.raises(InvalidArgumentError) as caught:
            await call(client)
    assert caught.value.field == field and anything.call_count == 0


@pytest.fixture
def emulator() -> Iterator[tuple[Emulator, str]]:
    with Emulator(parse_delay=0) as emu, serve(emu) as url:  # the v2 host's guessed limits on
        yield emu, url


@on_both_backends
async def test_against_the_emulators_v2_routes(emulator: tuple[Emulator, str]) -> None:
    emu, url = emulator
    with collector_held():  # the emulator's vision bucket is on: arrivals are timed
        async with AsyncMemories(KEY, base_url=url, vlm_base_url=url + "/serve/api/v2") as c:
            await _complete_and_edit(c)
    assert [r.endpoint for r in emu.requests] == [
        "vu_chat_completions",
        "vu_chat_completions",
        "vu_chat_completions",
        "video_edit",
    ]
    assert emu.rate_limits.rejected == {}  # the SDK paced the vision bucket (1/s)


async def _complete_and_edit(client: AsyncMemories) -> None:
    """Two completions, an errored one and an edit task, in that order."""
    answer = await client.vision.complete(
        "Describe it", video_url="https://cdn.example.com/harbour.mp4"
    )
    assert answer.text and answer.usage is not None
    as_json = await client.vision.complete(
        "Describe it", video_url="https://cdn.example.com/harbour.mp4", response_format="json"
    )
    assert as_json.json()["files"] == 1
    with pytest.raises(APIError) as caught:
        await client.vision.complete("x", model="no-provider")
    assert caught.value.code == "invalid_model"
    assert (await client.edits.edit(["re_1"], "Highlights")).task_id.startswith("re_")


def test_a_rate_limited_completion_is_a_rate_limit_error() -> None:
    transport = httpx.MockTransport(
        lambda r: httpx.Response(
            429, json={"status": "errored", "error": {"code": "rate", "message": "slow down"}}
        )
    )
    with Memories(
        KEY, http_client=httpx.AsyncClient(transport=transport), rate_limits=False, max_retries=0
    ) as client:
        with pytest.raises(RateLimitError):
            client.vision.complete("x", video_url="https://cdn.example.com/a.mp4")
        assert client.edits.clip  # the blocking twin has every v2 method


def test_the_vlm_base_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMORIES_VLM_BASE_URL", "http://127.0.0.1:9/serve/api/v2")
    assert AsyncMemories(KEY).vlm_base_url == "http://127.0.0.1:9/serve/api/v2"
    assert AsyncMemories(KEY).with_options(unique_id="u").vlm_base_url.startswith("http://127")
    with pytest.raises(InvalidArgumentError):
        AsyncMemories(KEY, vlm_base_url="http://example.com/v2")  # plain http off loopback


def test_an_edit_webhook_keeps_every_field() -> None:
    event = parse_edit_callback(b'{"task_id": "re_task_9", "status": "done", "url": "https://x"}')
    assert event.task_id == "re_task_9" and event.status == "done"
    assert (event.model_extra or {})["url"] == "https://x"
    with pytest.raises(InvalidArgumentError):
        parse_edit_callback(b"[1]")


def test_the_cli_asks_about_a_video(
    emulator: tuple[Emulator, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from memories_async.cli import main

    emu, url = emulator
    monkeypatch.setenv("MEMORIES_VLM_BASE_URL", url + "/serve/api/v2")
    common = ["--api-key", KEY, "--base-url", url]
    assert main([*common, "ask", "https://cdn.example.com/harbour.mp4", "What happens?"]) == 0
    assert capsys.readouterr().out.strip()
    assert main([*common, "ask", "https://cdn.example.com/a.png", "What?", "--as-json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"] == 1
    parts = [r.json["messages"][0]["content"][1] for r in emu.requests]
    assert [p["mime_type"] for p in parts] == ["video/mp4", "image/png"]
