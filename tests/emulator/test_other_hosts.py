"""The caption host, the legacy v1.0 chat and Personal.ai's memory endpoint."""

from __future__ import annotations

import json

import httpx
import pytest

from memories_async.emulator import Emulator

from ._support import RACE, assert_shape, examples, receiver, sse_data

CAPTION = "/v1/understand"


def _req(**fields: object) -> tuple[str, bytes, str]:
    return ("req.json", json.dumps(fields).encode(), "application/json")


async def test_video_caption_by_url_posts_the_result_to_the_callback(emu: Emulator) -> None:
    async with receiver() as hook, emu.client(api_key="caption-key") as client:
        r = await client.post(
            f"{CAPTION}/upload",
            json={
                "video_url": "https://example.com/test_video.mp4",
                "user_prompt": "Summarize the video content and identify key persons",
                "system_prompt": "You are a video understanding system.",
                "callback": f"{hook.url}/cb",
                "persons": [
                    {"name": "Alice", "url": "https://example.com/alice.jpg"},
                    {"name": "Bob", "url": "https://example.com/bob.jpg"},
                ],
                "thinking": False,
            },
        )
        body = r.json()
        assert_shape(body, examples()["caption_upload"])
        assert body["code"] == 0
        (_, result), *_ = await hook.wait_for(1)
        assert_shape(result, examples()["caption_callback"])
        assert result["task_id"] == body["data"]["task_id"] and result["status"] == 0
        assert "Alice" in result["data"]["text"] and "Bob" in result["data"]["text"]
        token = result["data"]["token"]
        assert token["total"] == token["input"] + token["output"]
        await emu.wait_idle()
    assert emu.rate_limits.accepted == {"reid": 1}


async def test_video_caption_by_file(emu: Emulator) -> None:
    async with receiver() as hook, emu.client() as client:
        files = [
            ("req", _req(user_prompt="Who is here?", system_prompt="s", callback=hook.url)),
            ("files", ("video.mp4", b"\x00" * 100, "video/mp4")),
            ("file", ("alice.png", b"png", "image/png")),
        ]
        r = await client.post(f"{CAPTION}/uploadFile", files=files)
        assert r.json()["code"] == 0
        (_, result), *_ = await hook.wait_for(1)
        assert "alice" in result["data"]["text"]
        await emu.wait_idle()
    record = emu.requests.last("understand/uploadFile")
    assert [(f.field, f.filename, f.size) for f in record.files] == [
        (
            "req",
            "req.json",
            len(_req(user_prompt="Who is here?", system_prompt="s", callback=hook.url)[1]),
        ),
        ("files", "video.mp4", 100),
        ("file", "alice.png", 3),
    ]


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ([("files", ("v.mp4", b"1", "video/mp4"))], "req"),
        (
            [("req", _req(user_prompt="u", system_prompt="s", callback="http://127.0.0.1:9/x"))],
            "files",
        ),
        (
            [
                ("req", _req(user_prompt="u", system_prompt="s", callback="http://127.0.0.1:9/x")),
                ("files", ("v.mp4", b"\x00" * (20 * 1024 * 1024 + 1), "video/mp4")),
            ],
            "exceeds 20 MB",
        ),
        (
            [
                ("req", _req(user_prompt="u", system_prompt="s", callback="http://127.0.0.1:9/x")),
                ("files", ("v.mp4", b"1", "video/mp4")),
                *[("file", (f"p{i}.png", b"p", "image/png")) for i in range(6)],
            ],
            "more than 5 persons",
        ),
        (
            [
                ("req", _req(system_prompt="s", callback="http://127.0.0.1:9/x")),
                ("files", ("v.mp4", b"1", "video/mp4")),
            ],
            "user_prompt",
        ),
        (
            [
                ("req", ("req.json", b"{not json", "application/json")),
                ("files", ("v.mp4", b"1", "video/mp4")),
            ],
            "req must be valid JSON",
        ),
    ],
)
async def test_caption_file_validation(
    client: httpx.AsyncClient, files: list[tuple[str, tuple[str, bytes, str]]], fragment: str
) -> None:
    r = await client.post(f"{CAPTION}/uploadFile", files=files)
    assert r.status_code == 200
    body = r.json()
    assert body["code"] == -1 and fragment in body["msg"], body


async def test_caption_by_url_validation(client: httpx.AsyncClient) -> None:
    base = {"video_url": "https://e.com/v.mp4", "user_prompt": "u", "system_prompt": "s"}
    missing_callback = await client.post(f"{CAPTION}/upload", json=base)
    assert missing_callback.json() == {"code": -1, "msg": "callback is required", "data": None}
    persons = [{"name": f"p{i}", "url": "https://e.com/p.jpg"} for i in range(6)]
    too_many = await client.post(
        f"{CAPTION}/upload", json=base | {"callback": "https://e.com/cb", "persons": persons}
    )
    assert too_many.json()["code"] == -1 and "persons" in too_many.json()["msg"]
    form = await client.post(f"{CAPTION}/upload", data=base)
    assert form.json()["code"] == -1 and "Content-Type" in form.json()["msg"]
    unauthorized = await client.post(f"{CAPTION}/upload", json=base, headers={"Authorization": ""})
    assert unauthorized.json()["code"] == -1


async def test_image_caption_answers_synchronously(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{CAPTION}/uploadImg",
        json={"url": "https://e.com/cat.jpg", "user_prompt": "Describe", "thinking": False},
    )
    data = r.json()["data"]
    assert (
        r.json()["code"] == 0
        and data["text"]
        and set(data["token"]) == {"input", "output", "total"}
    )
    many = await client.post(
        f"{CAPTION}/uploadImg",
        json={"urls": ["https://e.com/a.jpg", "https://e.com/b.jpg"], "user_prompt": "Describe"},
    )
    assert many.json()["code"] == 0
    none = await client.post(f"{CAPTION}/uploadImg", json={"user_prompt": "Describe"})
    assert none.json() == {"code": -1, "msg": "url is required", "data": None}
    files = [("req", _req(user_prompt="Is Alice here?")), ("file", ("x.png", b"png", "image/png"))]
    by_file = await client.post(f"{CAPTION}/uploadImgFile", files=files)
    assert by_file.json()["code"] == 0 and by_file.json()["data"]["text"]
    no_file = await client.post(f"{CAPTION}/uploadImgFile", files=files[:1])
    assert no_file.json()["code"] == -1 and "file" in no_file.json()["msg"]


async def test_caption_keys_are_separate_from_api_keys() -> None:
    async with Emulator(rate_limits=False, api_keys={"api"}, caption_keys={"cap"}) as emu:
        body = {"url": "https://e.com/a.jpg", "user_prompt": "u"}
        async with emu.client(api_key="api") as api, emu.client(api_key="cap") as cap:
            assert (await api.post(f"{CAPTION}/uploadImg", json=body)).json()["code"] == -1
            assert (await cap.post(f"{CAPTION}/uploadImg", json=body)).json()["code"] == 0
            assert (await cap.post("/serve/api/v1/list_videos", json={})).json()["code"] == "0401"


async def test_legacy_chat_json_and_stream(client: httpx.AsyncClient) -> None:
    body = {
        "videoNos": [RACE],
        "message": "who broke the world record",
        "history": [{"robot": "Hi", "user": "Hello"}],
        "stream": False,
    }
    r = await client.post("/api/serve/video/chat", json=body, headers={"Authorization": "token"})
    assert_shape(r.json(), examples()["legacy_chat"])
    assert r.json()["code"] == "0000" and "43.03" in r.json()["data"]["msg"]
    streamed = await client.post("/api/serve/video/chat", json=body | {"stream": True})
    payloads = sse_data(streamed.text)
    assert payloads[-1] == "[DONE]"
    pieces = [json.loads(p)["data"]["msg"] for p in payloads[:-1]]
    assert "".join(pieces) == r.json()["data"]["msg"]
    for bad, fragment in (
        ({k: v for k, v in body.items() if k != "stream"}, "stream"),
        (body | {"history": [{"robot": "x"}]}, "history.user"),
        (body | {"videoNos": []}, "videoNos"),
    ):
        answer = (await client.post("/api/serve/video/chat", json=bad)).json()
        assert answer["code"] == "0003" and fragment in answer["msg"]
    missing = await client.post("/api/serve/video/chat", json=body | {"videoNos": ["VI1"]})
    assert missing.json()["code"] == "0001"


async def test_personal_ai_memory(emu: Emulator) -> None:
    async with emu.client(api_key=None, headers={"x-api-key": "pai-key"}) as client:
        r = await client.post("/v1/memory", json=examples()["personal_memory_request"])
        assert r.json() == examples()["personal_memory"]
        no_domain = {
            k: v for k, v in examples()["personal_memory_request"].items() if k != "DomainName"
        }
        r = await client.post("/v1/memory", json=no_domain)
        assert r.status_code == 400 and "DomainName" in r.json()["msg"]
        bad_time = examples()["personal_memory_request"] | {"CreatedTime": "yesterday"}
        assert (await client.post("/v1/memory", json=bad_time)).status_code == 400
        now = await client.post(
            "/v1/memory", json={"Text": "t", "SourceName": "s", "DomainName": "d"}
        )
        assert now.json()["payload"][0]["data"][0]["topics"] == []
    async with emu.client(api_key="sk-test") as wrong_header:
        r = await wrong_header.post("/v1/memory", json=examples()["personal_memory_request"])
        assert (
            r.status_code == 401 and r.json()["code"] == "0401" and "x-api-key" in r.json()["msg"]
        )
    assert emu.state.memories["pai-key"][0]["domain"] == "ai-climbing"
