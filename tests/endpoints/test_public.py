"""`client.public`: public video details and audio transcriptions."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import respx

from memories_async import AsyncMemories, InvalidArgumentError
from tests._support import on_both_backends
from tests.endpoints._wire import API, payload, query, sent_to


@on_both_backends
async def test_video_detail_query_and_example(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.get(f"{API}/get_public_video_detail").respond(
        json=payload("get_public_video_detail.json")
    )
    video = await client.public.video("PI-603068775285264430")
    request = route.calls.last.request
    sent_to(request, "GET", f"{API}/get_public_video_detail")
    assert query(request) == {"video_no": "PI-603068775285264430"}
    assert (video.video_no, video.duration, video.status) == (
        "PI-603068775285264430",
        13.0,
        "PARSE",
    )
    assert (video.like_count, video.share_count, video.comment_count) == (1460, 6, 29)
    assert (video.view_count, video.collect_count) == (14200, 50)
    assert video.create_time == datetime(2025, 7, 23, 3, 40, 2, 121000, tzinfo=timezone.utc)
    assert video.publish_time == datetime(2024, 11, 7, 2, 40, 13, tzinfo=timezone.utc)  # seconds
    assert video.hashtags == ["nba", "minnesota", "timberwolves"]
    assert video.blogger_id == "timberwolves"


@on_both_backends
async def test_audio_transcription_query_and_example(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.get(f"{API}/get_public_audio_transcription").respond(
        json=payload("get_public_audio_transcription.json")
    )
    result = await client.public.audio_transcription("PI-594031499251159058")
    sent_to(route.calls.last.request, "GET", f"{API}/get_public_audio_transcription")
    assert query(route.calls.last.request) == {"video_no": "PI-594031499251159058"}
    assert [(s.index, s.start_time, s.end_time) for s in result.transcriptions] == [
        (0, 0.0, 3.0),
        (1, 3.0, 7.0),
        (2, 7.0, 9.0),
    ]
    assert result.text.splitlines()[2] == "Fully intended just to browse."


@on_both_backends
async def test_empty_video_no_raises_before_sending(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    catch_all = router.route().respond(json={"code": "0000", "data": None})
    with pytest.raises(InvalidArgumentError, match="video_no"):
        await client.public.video("")
    with pytest.raises(InvalidArgumentError, match="video_no"):
        await client.public.audio_transcription(" ")
    assert catch_all.call_count == 0
