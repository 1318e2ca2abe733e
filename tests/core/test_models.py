"""The vendor documents' own example answers parse into the typed models."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from memories_async import SearchClip, Video, VideoPage
from memories_async.models.videos import VideoStatus
from tests._support import load_fixture


def test_search_example_parses_with_numbers_from_strings() -> None:
    payload = load_fixture("core/search_by_video.json")
    (clip,) = [SearchClip.model_validate(item) for item in payload["data"]]
    assert clip.video_no == "VI576925607808602112"
    assert clip.video_name == "1920447021987282945"
    assert clip.start_time == 13.0
    assert clip.end_time == 18.0
    assert clip.score == pytest.approx(0.5221236659362116)


def test_search_clip_accepts_the_table_spelling_too() -> None:
    clip = SearchClip.model_validate({"video_no": "VI1", "start": 1.5, "end": "4", "score": "0.3"})
    assert (clip.video_no, clip.start_time, clip.end_time, clip.score) == ("VI1", 1.5, 4.0, 0.3)


def test_list_videos_example_parses() -> None:
    page = VideoPage.model_validate(load_fixture("core/list_videos.json")["data"])
    assert page.current_page == 1
    assert page.page_size == 200
    assert page.total_count == 3
    assert not page.has_more
    first = page.videos[0]
    assert first.video_no == "VI606404158946574336"
    assert first.duration == 12.0
    assert first.size == 3284512
    assert first.cause is None  # the vendor's "null"
    assert first.create_time == datetime(2025, 8, 1, 8, 33, 37, 992000, tzinfo=timezone.utc)
    assert first.create_time.tzinfo is not None
    assert first.is_parsed and not first.is_failed


def test_unknown_fields_are_kept() -> None:
    video = Video.model_validate({"video_no": "VI1", "status": "PARSE_ERROR", "brand_new": [1]})
    assert video.model_extra == {"brand_new": [1]}
    assert video.is_failed
    assert VideoStatus.PARSE_ERROR in VideoStatus.FAILURES


def test_has_more_counts_pages() -> None:
    page = VideoPage.model_validate(
        {"videos": [{"video_no": "a"}], "current_page": 1, "page_size": 1, "total_count": "2"}
    )
    assert page.has_more
