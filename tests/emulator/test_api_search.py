"""Search endpoints: ranking by word overlap, documented shapes, image similarity."""

from __future__ import annotations

from typing import Any

import httpx

from ._support import API, BOAT, RACE, VINTAGE, assert_shape, examples


async def _search(client: httpx.AsyncClient, path: str = "search", **body: Any) -> Any:
    r = await client.post(f"{API}/{path}", json=body)
    assert r.status_code == 200
    answer = r.json()
    return answer


async def test_search_by_video_ranks_transcript_segments(client: httpx.AsyncClient) -> None:
    body = await _search(client, search_param="boat in the ocean", search_type="BY_VIDEO", top_k=3)
    assert_shape(body, examples()["search_video"])
    best = body["data"][0]
    assert (best["videoNo"], best["startTime"], best["endTime"]) == (BOAT, "0", "6")
    scores = [clip["score"] for clip in body["data"]]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= 1
    assert len(body["data"]) <= 3


async def test_search_by_audio_uses_the_audio_transcript(client: httpx.AsyncClient) -> None:
    body = await _search(client, search_param="new world record", search_type="BY_AUDIO")
    best = body["data"][0]
    assert (best["videoNo"], best["startTime"], best["endTime"]) == (RACE, "185", "199")


async def test_filtering_level_trades_recall_for_precision(client: httpx.AsyncClient) -> None:
    query: dict[str, Any] = {
        "search_param": "boat parking race stream",
        "search_type": "BY_VIDEO",
        "top_k": 50,
    }
    low = await _search(client, **query, filtering_level="low")
    high = await _search(client, **query, filtering_level="high")
    assert len(low["data"]) > 0 and high["data"] == []


async def test_search_finds_nothing_for_unrelated_words(client: httpx.AsyncClient) -> None:
    body = await _search(client, search_param="quantum xylophone", search_type="BY_VIDEO")
    assert body["code"] == "0000" and body["data"] == []


async def test_search_public_filters_by_platform(client: httpx.AsyncClient) -> None:
    query = {"search_param": "Find sprint race with Usain Bolt", "search_type": "BY_VIDEO"}
    youtube = await _search(client, "search_public", **query, type="YOUTUBE")
    assert_shape(youtube, examples()["search_public"])
    assert youtube["data"] and youtube["data"][0]["videoName"].startswith("Usain Bolt")
    tiktok = await _search(client, "search_public", **query)  # TIKTOK by default
    assert all(c["videoNo"] != youtube["data"][0]["videoNo"] for c in tiktok["data"])
    jerseys = await _search(
        client, "search_public", search_param="opponents jerseys", search_type="BY_VIDEO"
    )
    first = jerseys["data"][0]
    assert (first["videoNo"], first["startTime"], first["endTime"]) == (
        "PI-600947902470296459",
        "23",
        "27",
    )


async def test_audio_transcript_search_has_no_envelope_and_pages(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get(
        f"{API}/search_audio_transcripts", params={"query": "mommy", "page_size": 1}
    )
    body = r.json()
    assert_shape(body, examples()["search_audio_transcripts"])
    assert body["total"] == 2 and body["page"] == 1 and body["page_size"] == 1
    assert len(body["results"]) == 1 and body["results"][0]["timestamp"] == "00:00:00"
    page2 = await client.get(
        f"{API}/search_audio_transcripts", params={"query": "mommy", "page_size": 1, "page": 2}
    )
    assert page2.json()["results"][0]["timestamp"] == "00:00:10"
    public = await client.get(
        f"{API}/search_public_audio_transcripts", params={"query": "vintage liquidation sale"}
    )
    hit = public.json()["results"][0]
    assert hit["audio_id"] == VINTAGE and hit["snippet"].startswith("I just got back")
    assert public.json()["page_size"] == 50


async def test_similar_images_rank_identical_bytes_first(client: httpx.AsyncClient) -> None:
    files = [
        ("files", ("a.png", b"image-a", "image/png")),
        ("files", ("b.png", b"image-b", "image/png")),
    ]
    ids = [i["id"] for i in (await client.post(f"{API}/upload_img", files=files)).json()["data"]]
    r = await client.post(
        f"{API}/search_similar_images",
        files={"file": ("probe.png", b"image-b", "image/png")},
        data={"similarity": "0"},
    )
    body = r.json()
    assert_shape(body, examples()["search_similar_images"])
    assert body["results"][0]["id"] == ids[1] and body["results"][0]["similarity_score"] == 1.0
    assert body["total"] == 2
    strict = await client.post(
        f"{API}/search_similar_images",
        files={"file": ("probe.png", b"image-b", "image/png")},
        data={"similarity": "0.99"},
    )
    assert [x["id"] for x in strict.json()["results"]] == [ids[1]]


async def test_public_similar_images(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{API}/search_public_similar_images",
        files=[("file", ("x.png", b"png", "image/png"))],
        data={"type": "", "similarity": "0"},
    )
    body = r.json()
    assert_shape(body, examples()["search_similar_images"])
    assert body["total"] == len(body["results"]) > 0
    assert {x["source"] for x in body["results"]} == {"TIKTOK"}
    insta = await client.post(
        f"{API}/search_public_similar_images",
        files=[("file", ("x.png", b"png", "image/png"))],
        data={"type": "INSTAGRAM"},
    )
    assert {x["source"] for x in insta.json()["results"]} <= {"INSTAGRAM"}
