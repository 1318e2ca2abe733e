"""Faults on demand: each kind happens as configured, N times or always, in-process and on
real sockets."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from memories_async.emulator import EmulatedDisconnect, Emulator, Fault, serve_async

from ._support import API, BOAT, RACE, sse_data, sse_json

CHAT = {"video_nos": [RACE], "prompt": "world record"}


async def _codes(client: httpx.AsyncClient, n: int) -> list[object]:
    return [(await client.post(f"{API}/list_videos", json={})).json()["code"] for _ in range(n)]


async def _read_into(client: httpx.AsyncClient, path: str, body: object, into: bytearray) -> None:
    """Stream a response into `into`; whatever arrived before a failure stays there."""
    async with client.stream("POST", path, json=body) as response:
        assert response.status_code == 200
        async for chunk in response.aiter_raw():
            into += chunk


async def test_error_envelope_fires_n_times_then_stops(
    emu: Emulator, client: httpx.AsyncClient
) -> None:
    rule = emu.faults.add("list_videos", Fault.error("0402", "not enough credit"), times=2)
    assert await _codes(client, 4) == ["0402", "0402", "0000", "0000"]
    assert rule.fired == 2 and rule.exhausted
    r = emu.requests.filter("list_videos")[0]
    assert (r.fault, r.code) == ("error", "0402")


async def test_error_envelope_body_and_status(emu: Emulator, client: httpx.AsyncClient) -> None:
    emu.faults.add("search", Fault.error("9009", "permission denied", status=403))
    r = await client.post(f"{API}/search", json={})
    assert r.status_code == 403
    assert r.json() == {
        "code": "9009",
        "msg": "permission denied",
        "data": None,
        "success": False,
        "failed": True,
    }
    emu.faults.add("caption_upload", Fault.error(-1, "busy"))
    r = await client.post("/v1/understand/upload", json={})
    assert r.json() == {"code": -1, "msg": "busy", "data": None}


async def test_always_and_skip(emu: Emulator, client: httpx.AsyncClient) -> None:
    emu.faults.add("list_videos", Fault.rate_limited(), times=None, skip=1)
    assert await _codes(client, 4) == ["0000", "0429", "0429", "0429"]
    emu.faults.clear("list_videos")
    assert await _codes(client, 1) == ["0000"]


async def test_wildcard_and_full_path(emu: Emulator, client: httpx.AsyncClient) -> None:
    emu.faults.add("/serve/api/v1/list_videos", Fault.error("0409", "duplicate"))
    assert await _codes(client, 1) == ["0409"]
    emu.faults.add("*", Fault.http_status(502), times=2)
    r1 = await client.get(f"{API}/list_sessions")
    r2 = await client.post("/v1/memory", json={}, headers={"x-api-key": "k"})
    assert (r1.status_code, r2.status_code) == (502, 502)
    assert (await client.get(f"{API}/list_sessions")).status_code == 200


def test_faults_are_checked_when_armed(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown endpoint"):
        emu.faults.add("serach", Fault.error("1", "x"))
    with pytest.raises(ValueError, match="streaming endpoint"):
        emu.faults.add("list_videos", Fault.truncate_stream())
    with pytest.raises(ValueError, match="download endpoint"):
        emu.faults.add("search", Fault.download_json())
    with pytest.raises(ValueError, match="times"):
        emu.faults.add("search", Fault.error("1", "x"), times=0)
    rule = emu.faults.add("search", Fault.delay(1))
    emu.faults.remove(rule)
    assert emu.faults.rules == []


async def test_http_status_with_headers_and_body(emu: Emulator, client: httpx.AsyncClient) -> None:
    emu.faults.add("search", Fault.http_status(503, headers={"Retry-After": "2"}), times=2)
    emu.faults.add(
        "list_videos", Fault.http_status(500, '{"oops": 1}', content_type="application/json")
    )
    for _ in range(2):
        r = await client.post(f"{API}/search", json={})
        assert r.status_code == 503 and r.headers["retry-after"] == "2"
        assert r.text == "Service Unavailable"
    r = await client.post(f"{API}/search", json={})
    assert r.status_code == 200
    r = await client.post(f"{API}/list_videos", json={})
    assert r.status_code == 500 and r.json() == {"oops": 1}


async def test_request_faults_fire_before_authentication(emu: Emulator) -> None:
    emu.faults.add("search", Fault.http_status(503))
    async with emu.client(api_key=None) as anonymous:
        assert (await anonymous.post(f"{API}/search", json={})).status_code == 503


async def test_delay_then_normal_answer(emu: Emulator, client: httpx.AsyncClient) -> None:
    rule = emu.faults.add("list_videos", Fault.delay(0.2))
    start = time.monotonic()
    assert await _codes(client, 1) == ["0000"]
    assert time.monotonic() - start >= 0.2
    assert await _codes(client, 1) == ["0000"]
    assert rule.fired == 1 and rule.exhausted
    assert [r.fault for r in emu.requests.filter("list_videos")] == ["delay", None]


async def test_drop_mid_body_in_process(emu: Emulator, client: httpx.AsyncClient) -> None:
    emu.faults.add("list_videos", Fault.drop_mid_body(after_bytes=20))
    with pytest.raises(httpx.RemoteProtocolError) as caught:
        await client.post(f"{API}/list_videos", json={})
    assert isinstance(caught.value, EmulatedDisconnect)
    assert emu.requests.last("list_videos").fault == "drop_mid_body"
    assert await _codes(client, 1) == ["0000"]


async def test_drop_mid_body_on_a_socket_cuts_the_connection(emu: Emulator) -> None:
    emu.faults.add("download", Fault.drop_mid_body(after_bytes=100_000))
    emu.faults.add("list_videos", Fault.drop_mid_body(after_bytes=10_000))  # longer than body
    async with (
        serve_async(emu) as url,
        httpx.AsyncClient(base_url=url, headers={"Authorization": "k"}) as client,
    ):
        received = bytearray()
        with pytest.raises(httpx.RemoteProtocolError):
            await _read_into(client, f"{API}/download", {"video_no": BOAT}, received)
        assert len(received) == 100_000
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(f"{API}/list_videos", json={})
        # the server is fine afterwards
        r = await client.post(f"{API}/download", json={"video_no": BOAT})
        assert len(r.content) == 3284512


async def test_drop_mid_stream(emu: Emulator, client: httpx.AsyncClient) -> None:
    emu.faults.add("chat_stream", Fault.drop_mid_stream(after_events=3), times=2)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(f"{API}/chat_stream", json=CHAT)
    async with (
        serve_async(emu) as url,
        httpx.AsyncClient(base_url=url, headers={"Authorization": "k"}) as real,
    ):
        received = bytearray()
        with pytest.raises(httpx.RemoteProtocolError):
            await _read_into(real, f"{API}/chat_stream", CHAT, received)
        lines = [line for line in received.decode().split("\n") if line]
        assert len(lines) == 3 and json.loads(lines[-1][6:])["type"] == "ref"
        r = await real.post(f"{API}/chat_stream", json=CHAT)
        assert sse_json(r.text)[-1] == {"code": "SUCCESS", "data": "Done"}


async def test_truncated_stream_has_no_end_event(emu: Emulator, client: httpx.AsyncClient) -> None:
    emu.faults.add("chat_stream", Fault.truncate_stream(after_events=4))
    events = sse_json((await client.post(f"{API}/chat_stream", json=CHAT)).text)
    assert [e["type"] for e in events] == ["thinking", "thinking", "ref", "content"]
    emu.faults.add("chat_personal_stream", Fault.truncate_stream(after_events=10_000))
    payloads = sse_data(
        (await client.post(f"{API}/chat_personal_stream", json={"prompt": "x"})).text
    )
    assert payloads and "[DONE]" not in payloads


async def test_malformed_stream_emits_invalid_json(
    emu: Emulator, client: httpx.AsyncClient
) -> None:
    emu.faults.add("marketer_chat_stream", Fault.malformed_stream(after_events=2))
    payloads = sse_data(
        (await client.post(f"{API}/marketer_chat_stream", json={"prompt": "nike"})).text
    )
    with pytest.raises(json.JSONDecodeError):
        json.loads(payloads[2])
    assert json.loads(payloads[1])["type"] == "thinking"
    assert json.loads(payloads[-1]) == {"code": "SUCCESS", "data": "Done"}
    emu.faults.add("chat_personal_stream", Fault.malformed_stream(after_events=0))
    payloads = sse_data(
        (await client.post(f"{API}/chat_personal_stream", json={"prompt": "x"})).text
    )
    assert payloads[0].startswith('{"token"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(payloads[0])


async def test_error_end_event(emu: Emulator, client: httpx.AsyncClient) -> None:
    emu.faults.add("chat_stream", Fault.error_end())
    emu.faults.add("chat_stream", Fault.error_end("user don't login", code="SUCCESS"))
    first = sse_json((await client.post(f"{API}/chat_stream", json=CHAT)).text)
    second = sse_json((await client.post(f"{API}/chat_stream", json=CHAT)).text)
    third = sse_json((await client.post(f"{API}/chat_stream", json=CHAT)).text)
    assert first[-1] == {"code": "FAIL", "data": "Error"}
    assert second[-1] == {"code": "SUCCESS", "data": "user don't login"}
    assert third[-1] == {"code": "SUCCESS", "data": "Done"}
    assert [e.get("type") for e in first[:3]] == ["thinking", "thinking", "ref"]


async def test_stream_faults_wait_for_a_stream(emu: Emulator, client: httpx.AsyncClient) -> None:
    rule = emu.faults.add("chat_stream", Fault.error_end())
    bad = await client.post(f"{API}/chat_stream", json={"prompt": "x"})  # validation error
    assert bad.json()["code"] == "0003" and rule.fired == 0
    await client.post(f"{API}/chat_stream", json=CHAT)
    assert rule.fired == 1


async def test_download_answers_json_instead_of_bytes(
    emu: Emulator, client: httpx.AsyncClient
) -> None:
    emu.faults.add("download", Fault.download_json())
    emu.faults.add(
        "download",
        Fault.download_json("0429", "slow down", content_type="application/octet-stream"),
    )
    first = await client.post(f"{API}/download", json={"video_no": BOAT})
    assert first.headers["content-type"] == "application/json"
    assert first.json()["code"] == "0001" and first.json()["msg"] == "video not found"
    second = await client.post(f"{API}/download", json={"video_no": BOAT})
    assert second.headers["content-type"] == "application/octet-stream"
    assert json.loads(second.content)["code"] == "0429"  # a mislabelled JSON body
    third = await client.post(f"{API}/download", json={"video_no": BOAT})
    assert len(third.content) == 3284512
    assert [r.fault for r in emu.requests.filter("download")] == [
        "download_json",
        "download_json",
        None,
    ]


async def test_faults_over_the_control_endpoint(emu: Emulator) -> None:
    async with serve_async(emu) as url, httpx.AsyncClient(base_url=url) as http:
        r = await http.post(
            "/_emulator/faults",
            json={
                "endpoint": "search",
                "fault": {"kind": "http_status", "status": 503},
                "times": 1,
            },
        )
        assert r.status_code == 200 and r.json()["endpoint"] == "search"
        bad = await http.post(
            "/_emulator/faults", json={"endpoint": "x", "fault": {"kind": "error"}}
        )
        assert bad.status_code == 400
        answer = await http.post(f"{API}/search", json={}, headers={"Authorization": "k"})
        assert answer.status_code == 503
        rules = (await http.get("/_emulator/faults")).json()
        assert rules[0]["fired"] == 1
        records = (await http.get("/_emulator/requests")).json()
        assert [r["path"] for r in records] == [f"{API}/search"]
        assert records[0]["headers"]["authorization"] == "<redacted>"
        limits = (await http.post("/_emulator/rate_limits", json={"enabled": False})).json()
        assert limits["enabled"] is False and not emu.rate_limits.enabled
        assert (await http.delete("/_emulator/faults")).status_code == 200
        assert (await http.post("/_emulator/reset")).json() == {"reset": True}
        assert (await http.get("/_emulator/requests")).json() == []
        assert (await http.get("/_emulator/health")).json() == {"status": "ok"}
        assert (await http.get("/_emulator/callbacks")).json() == []


def test_fault_round_trips_through_dicts() -> None:
    for fault in (
        Fault.error("0402", "x", status=402),
        Fault.http_status(503, "busy", headers={"Retry-After": "1"}),
        Fault.delay(0.5),
        Fault.drop_mid_body(7),
        Fault.drop_mid_stream(2),
        Fault.truncate_stream(3),
        Fault.malformed_stream(1),
        Fault.error_end("Error", "FAIL"),
        Fault.download_json(),
    ):
        assert Fault.from_dict(json.loads(json.dumps(fault.to_dict()))) == fault
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault.from_dict({"kind": "meteor"})
