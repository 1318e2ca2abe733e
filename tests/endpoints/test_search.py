"""`client.search`: private, image, public, transcript and similar-image searches on the wire."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import respx

from memories_async import AsyncMemories, InvalidArgumentError, SearchClip
from tests._support import on_both_backends
from tests.endpoints._wire import (
    API,
    file_parts,
    form_fields,
    json_body,
    multipart,
    payload,
    query,
    sent_to,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@on_both_backends
async def test_videos_search_body_and_example(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/search").respond(json=payload("search_by_video.json"))
    clips = await client.search.videos(
        "boat in the ocean", search_type="BY_AUDIO", top_k=3, filtering_level="medium"
    )
    sent_to(route.calls.last.request, "POST", f"{API}/search")
    assert json_body(route.calls.last.request) == {
        "search_param": "boat in the ocean",
        "search_type": "BY_AUDIO",
        "unique_id": "default",
        "top_k": 3,
        "filtering_level": "medium",
    }
    assert clips == [
        SearchClip(
            video_no="VI576925607808602112",
            video_name="1920447021987282945",
            start_time=13.0,
            end_time=18.0,
            score=0.5221236659362116,
        )
    ]


@on_both_backends
async def test_images_search_body_and_paginated_example(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/search").respond(json=payload("search_by_image.json"))
    page = await client.search.images("a red car", top_k=10, unique_id="u1")
    assert json_body(route.calls.last.request) == {
        "search_param": "a red car",
        "search_type": "BY_IMAGE",
        "unique_id": "u1",
        "top_k": 10,
    }
    assert (page.current_page, page.page_size, page.total_count) == (0, 20, 5)
    first = page.items[0]
    assert (first.id, first.name, first.camera_model) == (
        "619915496901337088",
        "OIX_ZOOM",
        "Canon EOS 5D",
    )
    assert (first.latitude, first.longitude) == (39.9042, 116.4074)
    assert first.img_url is not None and first.img_url.startswith("https://storage")
    assert first.datetime_taken == datetime(2025, 9, 7, 22, 52, tzinfo=timezone.utc)


@on_both_backends
async def test_public_search_body_and_example(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/search_public").respond(json=payload("search_public.json"))
    clips = await client.search.public(
        "Find sprint race with Usain Bolt", platform="YOUTUBE", top_k=3, filtering_level="high"
    )
    sent_to(route.calls.last.request, "POST", f"{API}/search_public")
    assert json_body(route.calls.last.request) == {
        "search_param": "Find sprint race with Usain Bolt",
        "search_type": "BY_VIDEO",
        "type": "YOUTUBE",
        "top_k": 3,
        "filtering_level": "high",
    }
    assert [(c.video_no, c.start_time, c.end_time) for c in clips] == [
        ("PI-600947902470296459", 23.0, 27.0)
    ]


@on_both_backends
async def test_audio_transcripts_private_query_and_bare_answer(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.get(f"{API}/search_audio_transcripts").respond(
        json=payload("search_audio_transcripts.json")
    )
    page = await client.search.audio_transcripts("where is the love", page=2, page_size=100)
    request = route.calls.last.request
    sent_to(request, "GET", f"{API}/search_audio_transcripts")
    assert query(request) == {
        "query": "where is the love",
        "page": "2",
        "page_size": "100",
        "unique_id": "default",
    }
    assert (page.page, page.page_size, page.total, page.has_more) == (1, 100, 250, True)
    (hit,) = page.results
    assert (hit.id, hit.audio_id, hit.timestamp, hit.seconds) == (
        "abc123",
        "xyz789",
        "00:05:23",
        323.0,
    )


@on_both_backends
async def test_audio_transcripts_public_has_no_unique_id_and_takes_an_envelope(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    wrapped = {"code": "0000", "msg": "success", "data": payload("search_audio_transcripts.json")}
    route = router.get(f"{API}/search_public_audio_transcripts").respond(json=wrapped)
    page = await client.search.audio_transcripts("I don't know what is", public=True)
    sent_to(route.calls.last.request, "GET", f"{API}/search_public_audio_transcripts")
    assert query(route.calls.last.request) == {
        "query": "I don't know what is",
        "page": "1",
        "page_size": "50",
    }
    assert page.total == 250


@on_both_backends
async def test_similar_images_private_multipart(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    route = router.post(f"{API}/search_similar_images").respond(
        json=payload("search_similar_images.json")
    )
    page = await client.search.similar_images(image, similarity=0.8, unique_id="test")
    request = route.calls.last.request
    sent_to(request, "POST", f"{API}/search_similar_images")
    parts = multipart(request)
    assert form_fields(parts) == {"unique_id": "test", "similarity": "0.8"}
    (file,) = file_parts(parts, "file")
    assert (file.filename, file.content_type, file.data) == ("cat.png", "image/png", PNG)
    assert page.total == 50
    (match,) = page.results
    assert (match.id, match.similarity_score, match.source) == ("abc123", 0.92, "TIKTOK")


@on_both_backends
async def test_similar_images_public_multipart(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/search_public_similar_images").respond(
        json=payload("search_similar_images.json")
    )
    await client.search.similar_images(PNG, public=True, platform="INSTAGRAM")
    request = route.calls.last.request
    sent_to(request, "POST", f"{API}/search_public_similar_images")
    parts = multipart(request)
    assert form_fields(parts) == {"type": "INSTAGRAM"}
    assert file_parts(parts, "file")[0].data == PNG


@on_both_backends
async def test_bad_search_input_raises_before_sending(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    catch_all = router.route().respond(json={"code": "0000", "data": []})
    search = client.search
    cases = [
        ("top_k", search.videos("x", top_k=-1)),
        ("top_k", search.public("x", top_k=0)),
        ("filtering_level", search.videos("x", filtering_level="High")),
        ("filtering_level", search.images("x", filtering_level="High")),
        ("query", search.videos("   ")),
        ("search_type", search.videos("x", search_type="BY_IMAGE")),
        ("platform", search.public("x", platform="youtube")),
        ("page_size", search.audio_transcripts("x", page_size=101)),
        ("page", search.audio_transcripts("x", page=0)),
        ("unique_id", search.audio_transcripts("x", public=True, unique_id="u")),
        ("similarity", search.similar_images(PNG, similarity=1.5)),
        ("platform", search.similar_images(PNG, platform="TIKTOK")),
        ("image", search.similar_images(tmp_path / "missing.png")),
    ]
    for field, call in cases:
        with pytest.raises(InvalidArgumentError) as caught:
            await call
        assert caught.value.field == field, (field, caught.value)
    assert catch_all.call_count == 0
