"""Round trips through the emulator over a loopback socket: a real multipart parser reads what
the streaming encoder writes, and a real streamed answer lands in a file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from memories_async import AsyncMemories, NotFoundError, Person
from memories_async.emulator import Emulator, serve
from tests._support import http_client_for, on_every_transport

DATA = os.urandom(3 * 1024 * 1024 + 5)


@pytest.fixture
def live(runtime: str) -> Iterator[AsyncMemories]:
    with Emulator(parse_delay=0, rate_limits=False, seed=False) as emulator, serve(emulator) as url:
        yield AsyncMemories(
            "sk-test-emulator-0001",
            base_url=url,
            caption_base_url=url,
            rate_limits=False,
            max_retries=0,
            http_client=http_client_for(runtime),
        )


@on_every_transport
async def test_upload_wait_download_delete(live: AsyncMemories, tmp_path: Path) -> None:
    source = tmp_path / "trip.mp4"
    source.write_bytes(DATA)
    video = await live.videos.upload(source, camera_model="GoPro", latitude=45.5)
    parsed = await live.videos.wait_until_parsed(video.video_no, timeout=10, poll_interval=0.05)
    assert parsed.size == len(DATA)
    saved = await live.videos.download(video.video_no, tmp_path)
    assert saved == tmp_path / f"{video.video_no}.mp4"
    assert saved.read_bytes() == DATA
    await live.videos.delete([video.video_no])
    with pytest.raises(NotFoundError):
        await live.videos.download(video.video_no, tmp_path / "gone.mp4")
    assert not (tmp_path / "gone.mp4").exists()


@on_every_transport
async def test_images_similar_images_and_captions(live: AsyncMemories) -> None:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(2000)
    images = await live.images.upload([png, b"\xff\xd8\xff" + os.urandom(2000)])
    assert len(images) == 2
    page = await live.search.similar_images(png, similarity=0.1)
    assert images[0].id in {match.id for match in page.results}
    task = await live.caption.video(
        file=DATA,
        user_prompt="Who is there?",
        system_prompt="You describe videos.",
        callback="http://127.0.0.1:9/callback",
        persons=[Person("Alice", file=png), Person("Bob", url="https://example.com/bob.jpg")],
    )
    assert task.task_id
    caption = await live.caption.image(file=png, user_prompt="What is it?")
    assert caption.text
