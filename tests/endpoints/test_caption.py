"""`client.caption`: the caption host's JSON and multipart requests, persons and limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import respx

from memories_async import (
    APIError,
    AsyncMemories,
    CaptionTask,
    ImageCaption,
    InvalidArgumentError,
    Person,
)
from tests._support import on_both_backends
from tests.endpoints._wire import CAPTION, file_parts, json_body, multipart, payload, sent_to

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 1000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 100
PROMPTS: dict[str, Any] = {
    "user_prompt": "Summarize the video content and identify key persons",
    "system_prompt": "You are a video understanding system.",
}


class CountingLimiter:
    """Records the bucket of every request."""

    def __init__(self) -> None:
        self.buckets: list[str] = []

    async def acquire(self, bucket: str) -> None:
        self.buckets.append(bucket)


@pytest.fixture
def limiter() -> CountingLimiter:
    return CountingLimiter()


@pytest.fixture
def captioner(limiter: CountingLimiter) -> AsyncMemories:
    return AsyncMemories(
        "sk-general-key-0001", caption_api_key="sk-caption-key-0002", rate_limits=limiter
    )


@on_both_backends
async def test_video_by_url(
    captioner: AsyncMemories, router: respx.MockRouter, limiter: CountingLimiter
) -> None:
    route = router.post(f"{CAPTION}/upload").respond(json=payload("caption_task.json"))
    task = await captioner.caption.video(
        video_url="https://example.com/test_video.mp4",
        callback="https://yourserver.com/callback",
        thinking=False,
        **PROMPTS,
    )
    request = route.calls.last.request
    sent_to(request, "POST", f"{CAPTION}/upload")
    assert request.headers["authorization"] == "sk-caption-key-0002"
    assert json_body(request) == {
        "video_url": "https://example.com/test_video.mp4",
        **PROMPTS,
        "thinking": False,
        "callback": "https://yourserver.com/callback",
    }
    assert task == CaptionTask(task_id="xxx")
    assert limiter.buckets == ["caption_video"]


@on_both_backends
async def test_video_by_url_with_persons_uses_the_reid_bucket(
    captioner: AsyncMemories, router: respx.MockRouter, limiter: CountingLimiter
) -> None:
    route = router.post(f"{CAPTION}/upload").respond(json=payload("caption_task.json"))
    await captioner.caption.video(
        video_url="https://example.com/test_video.mp4",
        callback="https://yourserver.com/callback",
        persons=[
            Person("Alice", url="https://example.com/alice.jpg"),
            Person("Bob", url="https://example.com/bob.jpg"),
        ],
        **PROMPTS,
    )
    assert json_body(route.calls.last.request)["persons"] == [
        {"name": "Alice", "url": "https://example.com/alice.jpg"},
        {"name": "Bob", "url": "https://example.com/bob.jpg"},
    ]
    assert limiter.buckets == ["reid"]


@on_both_backends
async def test_video_file_with_reference_files_is_multipart(
    captioner: AsyncMemories, router: respx.MockRouter, limiter: CountingLimiter, tmp_path: Path
) -> None:
    video = tmp_path / "video.mp4"
    video.write_bytes(MP4)
    alice = tmp_path / "alice.png"
    alice.write_bytes(PNG)
    route = router.post(f"{CAPTION}/uploadFile").respond(json=payload("caption_task.json"))
    await captioner.caption.video(
        file=video,
        callback="https://yourserver.com/callback",
        persons=[Person("Alice", file=alice), Person("Bob", url="https://example.com/bob.jpg")],
        **PROMPTS,
    )
    request = route.calls.last.request
    sent_to(request, "POST", f"{CAPTION}/uploadFile")
    parts = multipart(request)
    assert [p.name for p in parts] == ["req", "files", "file"]
    (req,) = file_parts(parts, "req")
    assert req.content_type == "application/json"
    assert json.loads(req.data) == {
        **PROMPTS,
        "callback": "https://yourserver.com/callback",
        "persons": [{"name": "Alice"}, {"name": "Bob", "url": "https://example.com/bob.jpg"}],
    }
    (media,) = file_parts(parts, "files")
    assert (media.filename, media.content_type, media.data) == ("video.mp4", "video/mp4", MP4)
    (reference,) = file_parts(parts, "file")
    assert (reference.filename, reference.content_type, reference.data) == (
        "alice.png",
        "image/png",
        PNG,
    )
    assert limiter.buckets == ["reid"]


@on_both_backends
async def test_video_file_without_persons(
    captioner: AsyncMemories, router: respx.MockRouter, limiter: CountingLimiter
) -> None:
    route = router.post(f"{CAPTION}/uploadFile").respond(json=payload("caption_task.json"))
    await captioner.caption.video(file=MP4, callback="https://h.example/cb", **PROMPTS)
    parts = multipart(route.calls.last.request)
    assert [p.name for p in parts] == ["req", "files"]
    assert "persons" not in json.loads(file_parts(parts, "req")[0].data)
    assert limiter.buckets == ["caption_video"]


@on_both_backends
async def test_caption_failure_code_raises(
    captioner: AsyncMemories, router: respx.MockRouter
) -> None:
    router.post(f"{CAPTION}/upload").respond(json={"code": -1, "msg": "video too long"})
    with pytest.raises(APIError, match="video too long") as caught:
        await captioner.caption.video(
            video_url="https://example.com/v.mp4", callback="https://h.example/cb", **PROMPTS
        )
    assert caught.value.code == "-1"


@on_both_backends
async def test_image_by_urls_and_by_files(
    captioner: AsyncMemories, router: respx.MockRouter, limiter: CountingLimiter
) -> None:
    by_url = router.post(f"{CAPTION}/uploadImg").respond(json=payload("image_caption.json"))
    by_file = router.post(f"{CAPTION}/uploadImgFile").respond(json=payload("image_caption.json"))

    caption = await captioner.caption.image(image_url="https://e.com/a.jpg", user_prompt="What?")
    sent_to(by_url.calls.last.request, "POST", f"{CAPTION}/uploadImg")
    assert json_body(by_url.calls.last.request) == {
        "user_prompt": "What?",
        "url": "https://e.com/a.jpg",
    }
    assert caption.text == "A cat on a sofa."
    assert caption.token is not None and caption.token.total == 115

    await captioner.caption.image(
        image_url=["https://e.com/a.jpg", "https://e.com/b.jpg"],
        user_prompt="Who?",
        persons=[Person("Alice", url="https://e.com/alice.jpg")],
    )
    assert json_body(by_url.calls.last.request)["urls"] == [
        "https://e.com/a.jpg",
        "https://e.com/b.jpg",
    ]

    result = await captioner.caption.image(file=[PNG, PNG], user_prompt="What?", thinking=True)
    sent_to(by_file.calls.last.request, "POST", f"{CAPTION}/uploadImgFile")
    parts = multipart(by_file.calls.last.request)
    assert [p.name for p in parts] == ["req", "file", "file"]
    assert json.loads(parts[0].data) == {"user_prompt": "What?", "thinking": True}
    assert [p.data for p in file_parts(parts, "file")] == [PNG, PNG]
    assert isinstance(result, ImageCaption)
    assert limiter.buckets == ["caption_image", "reid", "caption_image"]


@on_both_backends
async def test_bad_caption_input_raises_before_sending(
    captioner: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    catch_all = router.route().respond(json=payload("caption_task.json"))
    big = tmp_path / "big.mp4"
    with big.open("wb") as handle:
        handle.truncate(25 * 1024 * 1024)  # sparse: 25 MB on paper, nothing on disk
    six = [Person(f"p{i}", url=f"https://e.com/{i}.jpg") for i in range(6)]
    base: dict[str, Any] = {"callback": "https://h.example/cb", **PROMPTS}
    video = captioner.caption.video
    cases = [
        ("persons", video(video_url="https://e.com/v.mp4", persons=six, **base)),
        ("file", video(file=big, **base)),
        ("video_url", video(**base)),
        ("video_url", video(video_url="https://e.com/v.mp4", file=MP4, **base)),
        ("persons[0]", video(file=MP4, persons=[Person("A")], **base)),
        ("persons[0]", video(file=MP4, persons=[Person("A", url="u", file=PNG)], **base)),
        ("persons[0].name", video(file=MP4, persons=[Person(" ", url="u")], **base)),
        (
            "persons",
            video(video_url="https://e.com/v.mp4", persons=[Person("A", file=PNG)], **base),
        ),
        (
            "persons[0].file",
            video(file=MP4, persons=[Person("A", file=tmp_path / "no.png")], **base),
        ),
        ("callback", video(file=MP4, **{**base, "callback": ""})),
        ("image_url", captioner.caption.image(user_prompt="x")),
        (
            "persons",
            captioner.caption.image(file=PNG, user_prompt="x", persons=[Person("A", file=PNG)]),
        ),
        ("user_prompt", captioner.caption.image(file=PNG, user_prompt="")),
    ]
    for field, call in cases:
        with pytest.raises(InvalidArgumentError) as caught:
            await call
        assert caught.value.field == field, (field, caught.value)
    assert catch_all.call_count == 0
