"""Scraper tasks, task status, and the callbacks the emulator POSTs (to loopback only)."""

from __future__ import annotations

import asyncio

import httpx

from memories_async.emulator import Emulator

from ._support import API, assert_shape, examples, receiver

TIKTOK = [
    "https://www.tiktok.com/@cutshall73/video/7543017294226558221",
    "https://www.tiktok.com/@abcnews/video/7543794552365124919",
]


async def test_scraper_url_makes_private_videos_after_the_delay() -> None:
    async with Emulator(rate_limits=False, scraper_delay=0.2) as emu, emu.client() as client:
        body = (
            await client.post(
                f"{API}/scraper_url",
                json={"video_urls": TIKTOK, "unique_id": "s", "quality": 1080},
            )
        ).json()
        assert_shape(body, examples()["scraper_url"])
        task_id = body["data"]["taskId"]
        head, _, tail = task_id.partition("_")
        assert len(head) == 36 and len(tail) == 32
        status = await client.get(
            f"{API}/get_video_ids_by_task_id", params={"task_id": task_id, "unique_id": "s"}
        )
        assert status.json()["data"] == {"taskId": task_id, "video_ids": []}
        await asyncio.sleep(0.25)
        status = await client.get(
            f"{API}/get_video_ids_by_task_id", params={"task_id": task_id, "unique_id": "s"}
        )
        data = status.json()["data"]
        assert len(data["video_ids"]) == 2 and all(v.startswith("VI") for v in data["video_ids"])
        assert {v["video_url"] for v in data["videos"]} == set(TIKTOK)
        listed = (await client.post(f"{API}/list_videos", json={"unique_id": "s"})).json()
        assert set(data["video_ids"]) <= {v["video_no"] for v in listed["data"]["videos"]}


async def test_task_status_belongs_to_its_key(emu: Emulator) -> None:
    async with emu.client(api_key="a") as a, emu.client(api_key="b") as b:
        task = (await a.post(f"{API}/scraper_url", json={"video_urls": TIKTOK[:1]})).json()
        task_id = task["data"]["taskId"]
        other = await b.get(f"{API}/get_video_ids_by_task_id", params={"task_id": task_id})
        assert other.json()["code"] == "0001"
        mine = await a.get(f"{API}/get_video_ids_by_task_id", params={"task_id": task_id})
        assert len(mine.json()["data"]["video_ids"]) == 1


async def test_scraper_url_public_feeds_the_shared_library(emu: Emulator) -> None:
    url = "https://www.youtube.com/shorts/T2ThsydNQaM"
    async with emu.client(api_key="a") as a, emu.client(api_key="b") as b:
        task = (await a.post(f"{API}/scraper_url_public", json={"video_urls": [url]})).json()
        ids = (
            await a.get(
                f"{API}/get_video_ids_by_task_id", params={"task_id": task["data"]["taskId"]}
            )
        ).json()["data"]["video_ids"]
        assert len(ids) == 1 and ids[0].startswith("PI-")
        detail = await b.get(f"{API}/get_public_video_detail", params={"video_no": ids[0]})
        assert detail.json()["data"]["video_url"] == url
        # scraping it again only refreshes metadata: same public video
        again = (await b.post(f"{API}/scraper_url_public", json={"video_urls": [url]})).json()
        ids2 = (
            await b.get(
                f"{API}/get_video_ids_by_task_id", params={"task_id": again["data"]["taskId"]}
            )
        ).json()["data"]["video_ids"]
        assert ids2 == ids


async def test_creator_scrapers_make_scraper_cnt_videos(client: httpx.AsyncClient) -> None:
    for path, prefix in (("scraper", "VI"), ("scraper_public", "PI-")):
        task = (
            await client.post(
                f"{API}/{path}",
                json={"username": "https://www.tiktok.com/@nike", "scraper_cnt": 3},
            )
        ).json()
        assert task["code"] == "0000"
        ids = (
            await client.get(
                f"{API}/get_video_ids_by_task_id", params={"task_id": task["data"]["taskId"]}
            )
        ).json()["data"]["video_ids"]
        assert len(ids) == 3 and all(i.startswith(prefix) for i in ids)


async def test_upload_and_scraper_callbacks_reach_a_loopback_server() -> None:
    async with receiver() as hook:
        async with Emulator(rate_limits=False, parse_delay=0.1) as emu, emu.client() as client:
            up = await client.post(
                f"{API}/upload",
                files={"file": ("a.mp4", b"123", "video/mp4")},
                data={"callback": f"{hook.url}/upload"},
            )
            video_no = up.json()["data"]["videoNo"]
            task = await client.post(
                f"{API}/scraper_url",
                json={"video_urls": TIKTOK, "callback_url": f"{hook.url}/scrape"},
            )
            task_id = task.json()["data"]["taskId"]
            bodies = dict(await hook.wait_for(2))
            await emu.wait_idle()
            assert bodies["/upload"] == {"videoNo": video_no, "status": "PARSE"}
            assert bodies["/scrape"] == {"taskId": task_id, "status": "SUCCEEDED"}
            assert_shape(bodies["/upload"], examples()["upload_callback"])
            assert_shape(bodies["/scrape"], examples()["scraper_callback"])
            records = {r.kind: r for r in emu.callbacks}
            assert records["upload"].delivered and records["upload"].status == 200
            assert records["scraper"].delivered


async def test_callbacks_to_other_hosts_are_recorded_but_never_sent(
    emu: Emulator, client: httpx.AsyncClient
) -> None:
    for target in ("https://example.com/hook", "test.beeceptor.com", "http://10.0.0.1/x"):
        await client.post(
            f"{API}/upload_url", data={"url": "https://example.com/v.mp4", "callback": target}
        )
    await emu.wait_idle()
    assert [r.url for r in emu.callbacks] == [
        "https://example.com/hook",
        "test.beeceptor.com",
        "http://10.0.0.1/x",
    ]
    assert all(not r.delivered and r.error and "loopback" in r.error for r in emu.callbacks)
    assert all(r.body["status"] == "PARSE" for r in emu.callbacks)


async def test_update_transcription_callback(emu: Emulator, client: httpx.AsyncClient) -> None:
    async with receiver() as hook:
        await client.post(
            f"{API}/update_video_transcription",
            json={
                "video_no": "VI606041694843813888",
                "prompt": "people",
                "callback": hook.url + "/t",
            },
        )
        (_, body), *_ = await hook.wait_for(1)
        assert body == {"videoNo": "VI606041694843813888", "status": "PARSE"}
        await emu.wait_idle()


async def test_upload_callback_may_come_in_the_query(
    emu: Emulator, client: httpx.AsyncClient
) -> None:
    async with receiver() as hook:
        r = await client.post(
            f"{API}/upload",
            files={"file": ("a.mp4", b"1", "video/mp4")},
            params={"callback": hook.url + "/q"},
        )
        (path, body), *_ = await hook.wait_for(1)
        assert path == "/q" and body["videoNo"] == r.json()["data"]["videoNo"]
        await emu.wait_idle()
