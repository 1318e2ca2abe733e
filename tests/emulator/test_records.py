"""What the emulator records, what it never records, and what it never imports."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import httpx
import pytest

import memories_async.emulator as emulator_pkg
from memories_async.emulator import REDACTED, Emulator, EmulatorConfig, FileInfo

from ._support import API


async def test_records_hold_the_wire_without_secrets(emu: Emulator) -> None:
    before = time.time()
    async with emu.client(api_key="sk-secret-123", headers={"X-Trace": "t1"}) as client:
        await client.post(
            f"{API}/upload",
            files={"file": ("clip.mp4", b"\x00" * 1234, "video/mp4")},
            data={"unique_id": "u", "camera_model": "Canon"},
            params={"callback": "q"},
        )
        await client.post(f"{API}/search", json={"search_param": "boat", "search_type": "BY_VIDEO"})
    async with emu.client(api_key=None, headers={"x-api-key": "pai-secret"}) as personal:
        await personal.post("/v1/memory", json={"Text": "t", "SourceName": "s", "DomainName": "d"})
    upload, search, memory = emu.requests
    assert (upload.method, upload.path, upload.endpoint) == ("POST", f"{API}/upload", "upload")
    assert upload.query == {"callback": "q"}
    assert upload.headers["authorization"] == REDACTED and upload.headers["x-trace"] == "t1"
    assert upload.form == {"unique_id": "u", "camera_model": "Canon"}
    assert upload.files == [FileInfo("file", "clip.mp4", 1234, "video/mp4")]
    assert upload.json is None and upload.status == 200 and upload.code == "0000"
    assert before <= upload.time <= time.time()
    assert search.json == {"search_param": "boat", "search_type": "BY_VIDEO"}
    assert memory.headers["x-api-key"] == REDACTED
    everything = repr([r.to_dict() for r in emu.requests])
    assert "sk-secret-123" not in everything and "pai-secret" not in everything
    assert "\\x00" not in everything  # file bytes are never recorded


async def test_filtering_records(emu: Emulator, client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/list_videos", json={})
    await client.get(f"{API}/list_sessions")
    await client.post(f"{API}/list_videos", json={"page": 2})
    await client.get("/_emulator/health")  # control calls are not recorded
    assert len(emu.requests) == 3
    assert [r.json for r in emu.requests.filter("list_videos")] == [{}, {"page": 2}]
    assert emu.requests.filter(f"{API}/list_sessions")[0].method == "GET"
    assert emu.requests.filter(endpoint="list_sessions", method="get")
    assert emu.requests.filter("videos") == []  # a path suffix, not a substring
    assert emu.requests.last("list_videos").json == {"page": 2}
    assert emu.requests[0].path == f"{API}/list_videos"
    assert [r.path for r in emu.requests[1:]] == [f"{API}/list_sessions", f"{API}/list_videos"]
    with pytest.raises(IndexError):
        emu.requests.last("search")
    emu.requests.clear()
    assert len(emu.requests) == 0


async def test_the_log_is_bounded() -> None:
    async with Emulator(max_records=3, rate_limits=False) as emu, emu.client() as client:
        for page in range(1, 6):
            await client.post(f"{API}/list_videos", json={"page": page})
        assert [r.json["page"] for r in emu.requests] == [3, 4, 5]


def test_options_are_checked() -> None:
    with pytest.raises(TypeError, match="parse_dely"):
        Emulator(parse_dely=1)
    with pytest.raises(ValueError, match="parse_delay"):
        EmulatorConfig(parse_delay=-1)
    with pytest.raises(ValueError, match="HTTP status"):
        EmulatorConfig(rate_limit_status=99)
    config = EmulatorConfig(api_keys=["a", "b"], caption_keys="c")
    assert config.api_keys == frozenset({"a", "b"}) and config.caption_keys == frozenset({"c"})
    emu = Emulator(config, parse_delay=2)
    assert emu.config.parse_delay == 2 and emu.config.api_keys == frozenset({"a", "b"})
    emu.close()


def test_the_emulator_never_imports_the_sdk() -> None:
    """It must stay an independent reading of the documents to be an oracle for the SDK."""
    package = Path(emulator_pkg.__file__).parent
    for source in package.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{source.name} reaches outside the emulator"
                module = node.module or ""
                assert node.level == 1 or not module.startswith("memories_async"), source.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("memories_async"), source.name


def test_public_api() -> None:
    for name in ("Emulator", "EmulatorConfig", "Fault", "serve", "serve_async"):
        assert name in emulator_pkg.__all__
    assert all(hasattr(emulator_pkg, name) for name in emulator_pkg.__all__)
