"""Rate limits: the vendor's table, per API key, as a true sliding window."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memories_async.emulator import RATE_LIMITS, Emulator, Limit, RateLimiter, serve_async
from memories_async.emulator._app import ROUTES, full_path

from ._support import API, examples

SEARCH = {"search_param": "boat", "search_type": "BY_VIDEO"}

# The API.md table, restated here independently: endpoint -> requests allowed in one burst.
ALLOWED = {
    "upload": 1,
    "upload_url": 1,
    "upload_img": 1,
    "scraper_url": 1,
    "scraper_url_public": 1,
    "scraper": 1,
    "scraper_public": 1,
    "search": 10,
    "search_public": 10,
    "search_audio_transcripts": 10,
    "search_public_audio_transcripts": 10,
    "search_similar_images": 10,
    "search_public_similar_images": 10,
    "chat": 1,
    "chat_stream": 1,
    "chat_personal": 1,
    "chat_personal_stream": 1,
    "marketer_chat": 1,
    "marketer_chat_stream": 1,
    "get_video_transcription": 5,
    "get_public_audio_transcription": 5,
    "generate_summary": 5,
    "list_videos": 5,
    "get_public_video_detail": 5,
    "list_sessions": 5,
    "get_session_detail": 5,
    "delete_videos": 5,
    "download": 12,
    "update_video_transcription": 5,
    "get_video_ids_by_task_id": 1,
}


def test_the_table_matches_the_vendor_pages() -> None:
    per_minute = {"platform", "download"}
    assert RATE_LIMITS["search"] == Limit(10, 1.0) and RATE_LIMITS["download"] == Limit(12, 60.0)
    assert RATE_LIMITS["platform"] == Limit(1, 60.0)
    for name, limit in RATE_LIMITS.items():
        assert limit.per == (60.0 if name in per_minute else 1.0)
    counts = {name: limit.count for name, limit in RATE_LIMITS.items()}
    assert counts == {
        "upload": 1,
        "platform": 1,
        "search": 10,
        "chat": 1,
        "marketer": 1,
        "video_transcription": 5,
        "audio_transcription": 5,
        "summary": 5,
        "list_videos": 5,
        "list_sessions": 5,
        "delete_videos": 5,
        "download": 12,
        "caption_video": 1,
        "caption_image": 5,
        "reid": 1,
        "update_transcription": 5,
        "task_status": 1,
        "vision": 1,  # the v2 host's: guesses, the vendor publishes none
        "edit": 1,
        "agent": 1,
    }


async def test_thirty_requests_at_once_to_a_10_qps_bucket() -> None:
    async with Emulator() as emu, emu.client() as client:
        answers = await asyncio.gather(
            *(client.post(f"{API}/search", json=SEARCH) for _ in range(30))
        )
    codes = [a.json()["code"] for a in answers]
    assert codes.count("0000") == 10 and codes.count("0429") == 20
    limited = [a.json() for a in answers if a.json()["code"] == "0429"]
    for body in limited:
        assert {k: body[k] for k in ("code", "msg")} == examples()["rate_limited"]
    assert all(a.status_code == 200 for a in answers)
    assert emu.rate_limits.rejected == {"search": 20}
    assert emu.rate_limits.accepted == {"search": 10}
    assert [r.code for r in emu.requests].count("0429") == 20


async def test_thirty_requests_at_once_over_real_sockets() -> None:
    async with Emulator(rate_limit_status=429) as emu, serve_async(emu) as url:
        limits = httpx.Limits(max_connections=30)
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": "k"}, limits=limits
        ) as client:
            answers = await asyncio.gather(
                *(client.post(f"{API}/search", json=SEARCH) for _ in range(30))
            )
    assert sorted(a.status_code for a in answers) == [200] * 10 + [429] * 20
    assert {a.json()["code"] for a in answers if a.status_code == 429} == {"0429"}


@pytest.mark.parametrize(("endpoint", "allowed"), sorted(ALLOWED.items()))
async def test_each_endpoint_is_in_its_documented_bucket(endpoint: str, allowed: int) -> None:
    spec = next(s for s in ROUTES if s.name == endpoint)
    async with Emulator() as emu, emu.client() as client:
        for _ in range(allowed):
            r = await client.request(spec.method, full_path(spec), json={})
            assert r.json()["code"] != "0429"
        r = await client.request(spec.method, full_path(spec), json={})
        assert r.json()["code"] == "0429", endpoint
        async with emu.client(api_key="another-account") as other:
            r = await other.request(spec.method, full_path(spec), json={})
            assert r.json()["code"] != "0429"


async def test_endpoints_share_their_bucket() -> None:
    async with Emulator() as emu, emu.client() as client:
        for _ in range(10):
            await client.post(f"{API}/search", json=SEARCH)
        r = await client.get(f"{API}/search_audio_transcripts", params={"query": "x"})
        assert r.json()["code"] == "0429"
        await client.post(f"{API}/chat_personal", json={"prompt": "x"})
        r = await client.post(f"{API}/chat", json={"video_nos": ["VI1"], "prompt": "x"})
        assert r.json()["code"] == "0429"


async def test_caption_buckets_depend_on_the_request() -> None:
    cb = "http://127.0.0.1:9/cb"
    video = {
        "video_url": "https://e.com/v.mp4",
        "user_prompt": "u",
        "system_prompt": "s",
        "callback": cb,
    }
    person = {"persons": [{"name": "A", "url": "https://e.com/a.jpg"}]}
    image = {"url": "https://e.com/a.jpg", "user_prompt": "u"}
    async with Emulator(caption_delay=60) as emu, emu.client() as client:
        codes = [
            (await client.post("/v1/understand/upload", json=video)).json()["code"],
            (await client.post("/v1/understand/upload", json=video)).json()["code"],
            (await client.post("/v1/understand/upload", json=video | person)).json()["code"],
            (await client.post("/v1/understand/upload", json=video | person)).json()["code"],
        ]
        codes += [
            (await client.post("/v1/understand/uploadImg", json=image)).json()["code"]
            for _ in range(6)
        ]
        assert codes == [0, -1, 0, -1, 0, 0, 0, 0, 0, -1]
        assert emu.rate_limits.rejected == {"caption_video": 1, "reid": 1, "caption_image": 1}
        await emu.aclose()  # cancels the pending caption callbacks


async def test_the_window_slides(monkeypatch: pytest.MonkeyPatch) -> None:
    async with Emulator(rate_limit_window_scale=0.2) as emu, emu.client() as client:
        assert (await client.post(f"{API}/chat_personal", json={"prompt": "x"})).json()[
            "code"
        ] == "0000"
        assert (await client.post(f"{API}/chat_personal", json={"prompt": "x"})).json()[
            "code"
        ] == "0429"
        await asyncio.sleep(0.21)
        assert (await client.post(f"{API}/chat_personal", json={"prompt": "x"})).json()[
            "code"
        ] == "0000"


async def test_qpm_buckets_can_be_shortened_for_tests() -> None:
    # A 1.2 s window: wide enough that 13 in-process requests land inside it on a loaded box.
    async with Emulator(rate_limit_window_scale=0.02) as emu, emu.client() as client:
        body = {"video_no": "VI606404158946574336"}
        codes = [(await client.post(f"{API}/download", json=body)).status_code for _ in range(12)]
        assert codes == [200] * 12
        r = await client.post(f"{API}/download", json=body)
        assert r.json()["code"] == "0429"
        await asyncio.sleep(1.21)
        r = await client.post(f"{API}/download", json=body)
        assert r.headers["content-type"] == "application/octet-stream"


async def test_limits_scale_and_switch_off() -> None:
    async with Emulator(rate_limit_scale=2.0) as emu, emu.client() as client:
        answers = [await client.post(f"{API}/search", json=SEARCH) for _ in range(21)]
        assert [a.json()["code"] for a in answers].count("0429") == 1
        emu.rate_limits.enabled = False
        answers = [await client.post(f"{API}/search", json=SEARCH) for _ in range(40)]
        assert all(a.json()["code"] == "0000" for a in answers)
        emu.rate_limits.enabled = True
        emu.rate_limits.set_limit("search", 1, 1.0)
        assert emu.rate_limits.effective("search") == Limit(2, 1.0)
        codes = [(await client.post(f"{API}/search", json=SEARCH)).json()["code"] for _ in range(3)]
        assert codes == ["0000", "0000", "0429"]


def test_sliding_window_boundaries() -> None:
    now = [0.0]
    limiter = RateLimiter({"b": Limit(2, 1.0)}, clock=lambda: now[0])
    results = []
    for t in (0.0, 0.5, 0.9, 1.0, 1.4, 1.5):
        now[0] = t
        results.append(limiter.hit("k", "b"))
    assert results == [True, True, False, True, False, True]
    assert limiter.rejected == {"b": 2} and limiter.accepted == {"b": 4}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), min_size=1, max_size=60),
    st.integers(min_value=1, max_value=5),
    st.sampled_from([0.5, 1.0, 2.0]),
)
def test_no_window_ever_holds_more_than_the_limit(
    gaps: list[float], count: int, per: float
) -> None:
    now = [0.0]
    limiter = RateLimiter({"b": Limit(count, per)}, clock=lambda: now[0])
    accepted: list[float] = []
    for gap in gaps:
        now[0] += gap / 10
        in_window = [a for a in accepted if a > now[0] - per]
        allowed = limiter.hit("k", "b")
        # accepted exactly when fewer than `count` accepted requests are in (now - per, now]
        assert allowed == (len(in_window) < count)
        if allowed:
            accepted.append(now[0])
    for t in accepted:
        assert sum(1 for a in accepted if t <= a < t + per) <= count
