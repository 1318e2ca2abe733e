"""Video endpoints of api.memories.ai, called with plain httpx: documented shapes and state."""

from __future__ import annotations

from typing import Any

import httpx

from memories_async.emulator import Emulator

from ._support import API, BOAT, LAUNDRY, PARKING, VINTAGE, WOLVES, assert_shape, examples


async def _upload(
    client: httpx.AsyncClient, content: bytes, name: str = "clip.mp4", **form: str
) -> Any:
    r = await client.post(f"{API}/upload", files={"file": (name, content, "video/mp4")}, data=form)
    assert r.status_code == 200
    body = r.json()
    assert body["code"] == "0000", body
    return body


async def test_upload_answers_the_documented_envelope(client: httpx.AsyncClient) -> None:
    body = await _upload(
        client,
        b"\x00" * 1000,
        "My Holiday.mp4",
        unique_id="u1",
        datetime_taken="2025-09-07 22:52:00",
        camera_model="Canon EOS 5D",
        latitude="39.9042",
        longitude="116.4074",
    )
    assert_shape(body, examples()["upload"])
    data = body["data"]
    assert data["videoNo"].startswith("VI") and data["videoNo"][2:].isdigit()
    assert data["videoName"] == "My Holiday"
    assert data["videoStatus"] == "UNPARSE"
    assert data["uploadTime"].isdigit() and len(data["uploadTime"]) == 13


async def test_upload_url_fetches_nothing_and_makes_a_deterministic_video(
    client: httpx.AsyncClient,
) -> None:
    form = {"url": "http://example.invalid/sample/ElephantsDream.mp4", "unique_id": "u"}
    first = (await client.post(f"{API}/upload_url", data=form)).json()
    assert_shape(first, examples()["upload"])
    assert first["data"]["videoName"] == "ElephantsDream"
    second = (await client.post(f"{API}/upload_url", data=form)).json()
    one = await client.post(
        f"{API}/download", json={"video_no": first["data"]["videoNo"], "unique_id": "u"}
    )
    two = await client.post(
        f"{API}/download", json={"video_no": second["data"]["videoNo"], "unique_id": "u"}
    )
    assert one.headers["content-type"] == "application/octet-stream"
    assert one.content == two.content and 65_536 <= len(one.content) < 131_072
    # multipart is accepted as well as urlencoded
    r = await client.post(f"{API}/upload_url", files={"url": (None, form["url"])})
    assert r.json()["code"] == "0000"


async def test_list_videos_shows_the_documented_string_numbers(client: httpx.AsyncClient) -> None:
    body = (await client.post(f"{API}/list_videos", json={"page": 1, "size": 200})).json()
    assert_shape(body, examples()["list_videos"])
    data = body["data"]
    assert data["current_page"] == 1 and data["page_size"] == 200
    assert data["total_count"] == "5"
    boat = next(v for v in data["videos"] if v["video_no"] == BOAT)
    assert boat == examples()["list_videos"]["data"]["videos"][0]


async def test_list_videos_paginates_and_filters(client: httpx.AsyncClient) -> None:
    for i in range(3):
        await _upload(client, bytes([i]) * 10, f"beach-day-{i}.mp4", unique_id="p")
    page1 = (await client.post(f"{API}/list_videos", json={"unique_id": "p", "size": 3})).json()
    page3 = (
        await client.post(f"{API}/list_videos", json={"unique_id": "p", "size": 3, "page": 3})
    ).json()
    assert page1["data"]["total_count"] == "8"
    assert [v["video_name"] for v in page1["data"]["videos"]] == [
        "beach-day-2",
        "beach-day-1",
        "beach-day-0",
    ]
    assert len(page3["data"]["videos"]) == 2 and page3["data"]["current_page"] == 3
    by_name = (
        await client.post(f"{API}/list_videos", json={"unique_id": "p", "video_name": "BEACH"})
    ).json()
    assert by_name["data"]["total_count"] == "3"
    by_no = (
        await client.post(f"{API}/list_videos", json={"unique_id": "p", "video_no": PARKING})
    ).json()
    assert [v["video_no"] for v in by_no["data"]["videos"]] == [PARKING]
    parsed = (
        await client.post(f"{API}/list_videos", json={"unique_id": "p", "status": "UNPARSE"})
    ).json()
    assert parsed["data"]["total_count"] == "0"  # parse_delay is 0


async def test_videos_go_from_unparse_to_parse_after_the_delay() -> None:
    async with Emulator(rate_limits=False, parse_delay=0.3) as emu, emu.client() as client:
        number = (await _upload(client, b"abc"))["data"]["videoNo"]
        listed = await client.post(f"{API}/list_videos", json={"video_no": number})
        assert listed.json()["data"]["videos"][0]["status"] == "UNPARSE"
        early = await client.post(f"{API}/download", json={"video_no": number})
        assert early.json()["code"] == "0001"
        early_t = await client.get(f"{API}/get_video_transcription", params={"video_no": number})
        assert early_t.json()["code"] == "0001"
        import asyncio

        await asyncio.sleep(0.35)
        listed = await client.post(f"{API}/list_videos", json={"video_no": number})
        assert listed.json()["data"]["videos"][0]["status"] == "PARSE"
        assert (await client.post(f"{API}/download", json={"video_no": number})).content == b"abc"


async def test_forced_status_shows_in_lists_with_a_cause(
    emu: Emulator, client: httpx.AsyncClient
) -> None:
    number = (await _upload(client, b"x"))["data"]["videoNo"]
    emu.set_video_status("sk-test", number, "FAIL")
    row = (await client.post(f"{API}/list_videos", json={"video_no": number})).json()["data"]
    assert row["videos"][0]["status"] == "FAIL" and row["videos"][0]["cause"] != "null"


async def test_scopes_are_separate_per_key_and_unique_id(emu: Emulator) -> None:
    async with emu.client(api_key="key-a") as a, emu.client(api_key="key-b") as b:
        number = (await _upload(a, b"mine", unique_id="ws"))["data"]["videoNo"]
        for http, uid in ((a, "default"), (b, "ws")):
            r = await http.post(f"{API}/download", json={"video_no": number, "unique_id": uid})
            assert r.json()["code"] == "0001"
        r = await a.post(f"{API}/download", json={"video_no": number, "unique_id": "ws"})
        assert r.content == b"mine"


async def test_delete_videos_takes_a_bare_list_and_unique_id_in_the_query(
    emu: Emulator, client: httpx.AsyncClient
) -> None:
    big = b"z" * (emu.blobs.memory_limit + 1)
    number = (await _upload(client, big, unique_id="d"))["data"]["videoNo"]
    assert emu.blobs.directory is not None and len(list(emu.blobs.directory.iterdir())) == 1
    r = await client.post(
        f"{API}/delete_videos", json=[number, BOAT, "VI-unknown"], params={"unique_id": "d"}
    )
    assert r.json() == examples()["delete_videos"]
    listed = (await client.post(f"{API}/list_videos", json={"unique_id": "d"})).json()
    assert number not in {v["video_no"] for v in listed["data"]["videos"]}
    assert BOAT not in {v["video_no"] for v in listed["data"]["videos"]}
    assert list(emu.blobs.directory.iterdir()) == []  # the bytes are gone too
    # other scopes keep their copy of the demo library
    other = (await client.post(f"{API}/list_videos", json={})).json()
    assert BOAT in {v["video_no"] for v in other["data"]["videos"]}


async def test_download_of_an_unknown_video_is_the_documented_json(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post(f"{API}/download", json={"video_no": "VI000", "unique_id": "test"})
    assert r.headers["content-type"] == "application/json"
    assert r.json() == examples()["download_not_found"]


async def test_download_of_a_seed_video_is_deterministic_bytes_of_its_size(
    client: httpx.AsyncClient,
) -> None:
    one = await client.post(f"{API}/download", json={"video_no": BOAT})
    two = await client.post(f"{API}/download", json={"video_no": BOAT})
    assert one.headers["content-length"] == "3284512" and len(one.content) == 3284512
    assert one.content == two.content and one.content[4:8] == b"ftyp"


async def test_video_transcription_is_the_documented_one(client: httpx.AsyncClient) -> None:
    body = (await client.get(f"{API}/get_video_transcription", params={"video_no": LAUNDRY})).json()
    assert_shape(body, examples()["get_video_transcription"])
    first = body["data"]["transcriptions"][0]
    assert first["startTime"] == "0" and first["endTime"] == "8" and first["index"] == 0
    assert first["content"].startswith("Under a rocky overhang, three people are washing clothes")


async def test_uploads_get_deterministic_transcripts_from_their_bytes(
    client: httpx.AsyncClient,
) -> None:
    a = (await _upload(client, b"same bytes", "sunset.mp4", unique_id="t1"))["data"]["videoNo"]
    b = (await _upload(client, b"same bytes", "sunset.mp4", unique_id="t2"))["data"]["videoNo"]
    c = (await _upload(client, b"other bytes", "sunset.mp4", unique_id="t2"))["data"]["videoNo"]

    async def text(number: str, uid: str) -> list[str]:
        r = await client.get(
            f"{API}/get_video_transcription", params={"video_no": number, "unique_id": uid}
        )
        return [t["content"] for t in r.json()["data"]["transcriptions"]]

    assert await text(a, "t1") == await text(b, "t2") != await text(c, "t2")
    assert "sunset" in (await text(a, "t1"))[0]


async def test_generate_summary_chapters_and_topics(client: httpx.AsyncClient) -> None:
    body = (
        await client.get(f"{API}/generate_summary", params={"video_no": PARKING, "type": "CHAPTER"})
    ).json()
    assert_shape(body, examples()["generate_summary"])
    assert body["data"]["summary"].startswith(
        "The video seems to capture a family in a parking lot"
    )
    assert [(i["title"], i["start"]) for i in body["data"]["items"]] == [
        ("Arrival at the Car", "0"),
        ("Phone and Interaction on the Ground", "10"),
        ("Close-up of Objects on the Ground", "30"),
    ]
    topics = (
        await client.get(f"{API}/generate_summary", params={"video_no": PARKING, "type": "TOPIC"})
    ).json()
    assert_shape(topics, examples()["generate_summary"])
    assert topics["data"]["items"]


async def test_public_audio_transcription_is_the_documented_one(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/get_public_audio_transcription", params={"video_no": VINTAGE})
    assert r.json()["data"] == examples()["get_public_audio_transcription"]["data"]


async def test_public_video_detail_is_the_documented_one(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/get_public_video_detail", params={"video_no": WOLVES})
    assert r.json()["data"] == examples()["get_public_video_detail"]["data"]
    assert all(isinstance(v, str) for v in r.json()["data"].values())


async def test_upload_img_stores_images_for_image_search(client: httpx.AsyncClient) -> None:
    files = [
        ("files", ("OIX_ZOOM.jpg", b"\xff\xd8jpeg-1", "image/jpeg")),
        ("files", ("youtube head.png", b"\x89PNG-2", "image/png")),
    ]
    meta = {
        "unique_id": "img",
        "datetime_taken": "2025-09-07 22:52:00",
        "camera_model": "Canon EOS 5D",
        "latitude": "39.9042",
        "longitude": "116.4074",
    }
    body = (await client.post(f"{API}/upload_img", files=files, data=meta)).json()
    assert_shape(body, examples()["upload_img"])
    assert len(body["data"]) == 2 and all(i["id"].isdigit() for i in body["data"])
    found = (
        await client.post(
            f"{API}/search",
            json={"search_param": "youtube head", "search_type": "BY_IMAGE", "unique_id": "img"},
        )
    ).json()
    assert_shape(found, examples()["search_image"])
    item = found["data"]["item"][0]
    assert item["name"] == "youtube head" and item["datetime_taken"] == "1757285520000"
    assert item["latitude"] == 39.9042 and item["camera_model"] == "Canon EOS 5D"
    image = await client.get(item["img_url"].replace("http://127.0.0.1", ""))
    assert image.content == b"\x89PNG-2"


async def test_update_video_transcription_rewrites_the_transcript(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post(
        f"{API}/update_video_transcription",
        json={"video_no": LAUNDRY, "prompt": "focus on the fire"},
    )
    assert r.json()["code"] == "0000" and r.json()["data"] == {"video_no": LAUNDRY}
    again = await client.post(
        f"{API}/update_video_transcription", json={"video_no": LAUNDRY, "prompt": "the water"}
    )
    assert again.json()["code"] == "0000"
    text = (await client.get(f"{API}/get_video_transcription", params={"video_no": LAUNDRY})).json()
    contents = [t["content"] for t in text["data"]["transcriptions"]]
    assert all(c.endswith("(Focus: the water)") and "fire)" not in c for c in contents)
