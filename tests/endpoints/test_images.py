"""`client.images.upload`: one or many `files` parts with shared metadata."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest
import respx

from memories_async import AsyncMemories, InvalidArgumentError, UploadedImage
from tests._support import on_both_backends
from tests.endpoints._wire import API, file_parts, form_fields, multipart, payload, sent_to

JPEG = b"\xff\xd8\xff\xe0" + b"\x11" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x22" * 100


@on_both_backends
async def test_upload_many_images_with_metadata(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    first = tmp_path / "test1.jpg"
    first.write_bytes(JPEG)
    route = router.post(f"{API}/upload_img").respond(json=payload("upload_img.json"))
    images = await client.images.upload(
        [first, io.BytesIO(PNG)],
        datetime_taken=datetime(2025, 9, 7, 22, 52),
        camera_model="Canon EOS 5D",
        latitude="39.9042",
        longitude=116.4074,
    )
    request = route.calls.last.request
    sent_to(request, "POST", f"{API}/upload_img")
    assert int(request.headers["content-length"]) == len(request.content)
    parts = multipart(request)
    assert form_fields(parts) == {
        "unique_id": "default",
        "datetime_taken": "2025-09-07 22:52:00",
        "camera_model": "Canon EOS 5D",
        "latitude": "39.9042",
        "longitude": "116.4074",
    }
    files = file_parts(parts, "files")
    assert [(f.filename, f.content_type, f.data) for f in files] == [
        ("test1.jpg", "image/jpeg", JPEG),
        ("image-2.jpg", "image/jpeg", PNG),
    ]
    assert images == [
        UploadedImage(id="568102998803353601"),
        UploadedImage(id="568102998803353602"),
    ]


@on_both_backends
async def test_upload_one_image(client: AsyncMemories, router: respx.MockRouter) -> None:
    route = router.post(f"{API}/upload_img").respond(json=payload("upload_img.json"))
    await client.images.upload(JPEG, unique_id="u3")
    parts = multipart(route.calls.last.request)
    assert form_fields(parts) == {"unique_id": "u3"}
    assert [f.data for f in file_parts(parts, "files")] == [JPEG]


def test_upload_answer_in_the_tables_spelling_parses() -> None:
    (image,) = [UploadedImage.model_validate(i) for i in payload("upload_img_table.json")["data"]]
    assert (image.id, image.image_name, image.upload_status) == (
        "568102998803353601",
        "test1.jpg",
        "SUCCESS",
    )
    assert image.upload_time == datetime(2025, 9, 7, 22, 52, tzinfo=timezone.utc)


@on_both_backends
async def test_bad_image_input_raises_before_sending(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    catch_all = router.route().respond(json={"code": "0000", "data": []})
    for field, call in [
        ("files", client.images.upload([])),
        ("files[1]", client.images.upload([JPEG, tmp_path / "missing.jpg"])),
        ("longitude", client.images.upload(JPEG, longitude=-181)),
        ("camera_model", client.images.upload(JPEG, camera_model="")),
    ]:
        with pytest.raises(InvalidArgumentError) as caught:
            await call
        assert caught.value.field == field
    assert catch_all.call_count == 0
