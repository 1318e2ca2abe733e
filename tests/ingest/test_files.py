"""Reading the small files a job sends: read whole in few system calls, even when they changed
since they were listed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memories_async.ingest import _files as ingest_files


def test_a_small_file_that_grew_since_it_was_listed_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "growing.mp4"
    path.write_bytes(b"x" * 5000)
    digest, data = ingest_files.read_small(os.fspath(path), 10)  # 10 bytes when listed
    assert data == b"x" * 5000
    assert digest == ingest_files.sha256_file(os.fspath(path))
    shrunk = ingest_files.read_small(os.fspath(path), 9000)
    assert shrunk == (digest, data)


def test_a_file_grown_past_the_small_limit_is_hashed_in_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_files, "SMALL_FILE", 1000)
    path = tmp_path / "big.mp4"
    path.write_bytes(b"y" * 1001)
    assert ingest_files.read_small(os.fspath(path), 10) == (
        ingest_files.sha256_file(os.fspath(path)),
        None,
    )
    path.write_bytes(b"y" * 1000)
    digest, data = ingest_files.read_small(os.fspath(path), 10)
    assert data == b"y" * 1000 and digest == ingest_files.sha256_file(os.fspath(path))
