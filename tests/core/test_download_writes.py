"""How a download's pieces reach the disk: in order, whole, however many and however the OS
takes them (`_download._write_all`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memories_async import _download


def written(tmp_path: Path, pieces: list[bytes]) -> bytes:
    path = tmp_path / "out.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        _download._write_all(fd, pieces)
    finally:
        os.close(fd)
    return path.read_bytes()


def test_more_pieces_than_one_writev_takes_arrive_in_order(tmp_path: Path) -> None:
    pieces = [f"{i:05d};".encode() for i in range(2500)]  # several groups of _IOV_MAX
    assert written(tmp_path, pieces) == b"".join(pieces)


def test_a_short_write_is_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = _download._WRITEV
    if real is None:
        pytest.skip("no os.writev on this platform")

    def short(fd: int, buffers: list[bytes]) -> int:  # the OS took only part of the first
        return os.write(fd, buffers[0][:3])

    monkeypatch.setattr(_download, "_WRITEV", short)
    pieces = [b"abcdef", b"ghi", b"jklmnop"]
    assert written(tmp_path, pieces) == b"abcdefghijklmnop"


def test_without_writev_each_piece_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_download, "_WRITEV", None)
    pieces = [b"x" * 70_000, b"", b"y" * 5]
    assert written(tmp_path, pieces) == b"".join(pieces)
