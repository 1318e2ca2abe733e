"""Chat endpoints: JSON answers, SSE streams, sessions, marketer and personal chat."""

from __future__ import annotations

import json
import time

import httpx

from memories_async.emulator import Emulator, serve_async

from ._support import API, LAUNDRY, RACE, assert_shape, examples, sse_data, sse_json


async def _chat(client: httpx.AsyncClient, path: str, **body: object) -> httpx.Response:
    return await client.post(f"{API}/{path}", json=body)


async def test_chat_answers_with_refs_and_a_numeric_session(client: httpx.AsyncClient) -> None:
    r = await _chat(client, "chat", video_nos=[RACE], prompt="Who broke the world record?")
    body = r.json()
    assert body["code"] == "0000" and body["session_id"].isdigit()
    data = body["data"]
    assert data["role"] == "ASSISTANT" and "43.03" in data["content"]
    assert data["refs"][0]["video"] == {
        "duration": "401",
        "video_no": RACE,
        "video_name": "mens_400m_final",
    }
    assert [t["title"] for t in data["thinkings"]]
    # the example body's spelling (videoNos) is read too
    r2 = await _chat(
        client, "chat", videoNos=[RACE], prompt="who won", session_id=body["session_id"]
    )
    assert r2.json()["session_id"] == body["session_id"]


async def test_chat_stream_events_in_order(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{API}/chat_stream",
        json={"video_nos": [RACE, LAUNDRY], "prompt": "summarize the race record"},
        headers={"Accept": "text/event-stream"},
    )
    assert r.headers["content-type"].startswith("text/event-stream")
    assert all(line.startswith("data: ") for line in r.text.split("\n") if line)
    events = sse_json(r.text)
    kinds = [e.get("type", "end") for e in events]
    assert kinds[:2] == ["thinking", "thinking"] and kinds[2] == "ref"
    assert set(kinds[3:-1]) == {"content"} and len(kinds[3:-1]) > 5
    assert events[-1] == examples()["chat_stream_end"]
    for event in events[:2]:
        assert_shape(event, examples()["chat_stream_thinking"])
    assert_shape(events[2], examples()["chat_stream_ref"])
    for event in events[3:-1]:
        assert_shape(event, examples()["chat_stream_content"])
    assert len({e["sessionId"] for e in events[:-1]}) == 1
    text = "".join(e["content"] for e in events[3:-1])
    assert "world record" in text
    items = events[2]["ref"][0]["refItems"]
    assert items[0]["type"] == "keyframe"
    assert {i["type"] for i in items[1:]} <= {"visual_ts", "audio_ts"}
    assert all(isinstance(i["startTime"], int) for i in items)


async def test_chat_stream_reports_missing_and_unparsed_videos_in_its_end_event(
    client: httpx.AsyncClient,
) -> None:
    r = await _chat(client, "chat_stream", video_nos=["VI404"], prompt="hi")
    assert sse_json(r.text) == [
        {"code": "FAIL", "data": "No videos found for the provided video numbers."}
    ]
    r = await _chat(client, "chat", video_nos=["VI404"], prompt="hi")
    assert r.json()["code"] == "0001"


async def test_session_id_must_be_numeric(client: httpx.AsyncClient) -> None:
    for path in ("chat", "chat_stream"):
        r = await _chat(client, path, video_nos=[RACE], prompt="x", session_id="abc")
        assert r.json()["code"] == "0003" and "session_id" in r.json()["msg"]
    for good in ("", 123, "456", None):
        r = await _chat(client, "chat", video_nos=[RACE], prompt="x", session_id=good)
        assert r.json()["code"] == "0000"


async def test_sessions_reflect_the_chats_that_happened(client: httpx.AsyncClient) -> None:
    first = (await _chat(client, "chat", video_nos=[RACE], prompt="Who won the race?")).json()
    sid = first["session_id"]
    await _chat(client, "chat_stream", video_nos=[RACE], prompt="And the bronze?", session_id=sid)
    await _chat(client, "marketer_chat", prompt="What does nike recently post?")
    listed = (await client.get(f"{API}/list_sessions", params={"page": 1})).json()
    assert listed["data"]["total_count"] == "2" and listed["data"]["page_size"] == 20
    titles = {s["sessionId"]: s["title"] for s in listed["data"]["sessions"]}
    assert titles[sid] == "Who won the race?"
    detail = (await client.get(f"{API}/get_session_detail", params={"sessionId": sid})).json()
    messages = detail["data"]["messages"]
    assert detail["data"]["title"] == "Who won the race?"
    assert [m["role"] for m in messages] == ["USER", "ASSISTANT", "USER", "ASSISTANT"]
    assert messages[2]["content"] == "And the bronze?" and messages[3]["refs"]
    other_scope = await client.get(
        f"{API}/get_session_detail", params={"sessionId": sid, "unique_id": "elsewhere"}
    )
    assert other_scope.json()["code"] == "0001"


async def test_marketer_chat_answers_from_the_public_library(client: httpx.AsyncClient) -> None:
    body = (await _chat(client, "marketer_chat", prompt="What does nike recently post?")).json()
    assert_shape(body, examples()["marketer_chat"])
    assert "SKIMS" in body["data"]["content"] and body["session_id"].isdigit()
    assert body["data"]["refs"][0]["video"]["video_no"] == "PI-603094436211358720"
    tagged = (await _chat(client, "marketer_chat", prompt="What do fans say? #minnesota")).json()
    assert {r["video"]["video_no"] for r in tagged["data"]["refs"]} <= {"PI-603068775285264430"}


async def test_marketer_chat_stream(client: httpx.AsyncClient) -> None:
    r = await _chat(client, "marketer_chat_stream", prompt="@timberwolves fans", type="TIKTOK")
    events = sse_json(r.text)
    assert events[0]["type"] == "thinking" and events[2]["type"] == "ref"
    assert events[-1] == {"code": "SUCCESS", "data": "Done"}


async def test_chat_personal_json_and_stream(client: httpx.AsyncClient) -> None:
    body = (
        await _chat(client, "chat_personal", session_id="", prompt="When did I go to the beach?")
    ).json()
    assert_shape(body, examples()["chat_personal"])
    r = await client.post(
        f"{API}/chat_personal_stream",
        json={"session_id": "", "prompt": "laundry in the stream", "unique_id": "test"},
        headers={"Authorization": "Bearer sk-test", "Accept": "text/event-stream"},
    )
    payloads = sse_data(r.text)
    assert payloads[-1] == "[DONE]"
    tokens = [json.loads(p) for p in payloads[:-1]]
    for token in tokens:
        assert_shape(token, examples()["chat_personal_token"])
    assert "laundry" in "".join(t["token"] for t in tokens).lower()


async def test_stream_interval_spaces_the_events() -> None:
    async with (
        Emulator(stream_interval=0.02, rate_limits=False) as emu,
        serve_async(emu) as url,
        httpx.AsyncClient(base_url=url, headers={"Authorization": "k"}) as http,
    ):
        arrivals = []
        async with http.stream("POST", f"{API}/chat_personal_stream", json={"prompt": "boat"}) as r:
            async for line in r.aiter_lines():
                if line:
                    arrivals.append(time.monotonic())
        assert len(arrivals) > 3
        assert arrivals[-1] - arrivals[0] >= 0.02 * (len(arrivals) - 1) * 0.9
