"""The live status line of `memories ingest`, read off a real pseudo-terminal while the job runs."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from memories_async.emulator import Emulator, serve

pyte = pytest.importorskip("pyte", reason="the terminal test reads the screen with pyte")

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-cli-terminal-tests-0007"
FILES = 30


@pytest.fixture
def server() -> Iterator[tuple[Emulator, str]]:
    # The client paces uploads at the vendor's 1 per second, so the job lasts about 30 s with
    # the line drawn between quick uploads: just where a throttled redraw used to lose it.
    emu = Emulator(seed=False, rate_limits=False)
    with serve(emu) as base_url:
        yield emu, base_url
    emu.close()


def test_the_status_line_is_on_screen_throughout_a_30_file_ingest(
    server: tuple[Emulator, str], tmp_path: Path
) -> None:
    _, base_url = server
    folder = tmp_path / "media"
    folder.mkdir()
    for i in range(FILES):
        (folder / f"clip_{i:02d}.mp4").write_bytes(f"terminal clip {i}".encode() * 200)
    screen = pyte.Screen(160, 60)
    stream = pyte.ByteStream(screen)
    leader, follower = os.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORIES_")}
    env.update(TERM="xterm-256color", COLUMNS="160", LINES="60")
    env.pop("NO_COLOR", None)
    argv = [sys.executable, "-m", "memories_async.cli", "--api-key", KEY, "--base-url", base_url]
    argv += ["ingest", str(folder), "--journal", str(tmp_path / "j.sqlite"), "--concurrency", "2"]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    snapshots: list[str] = []
    deadline = time.monotonic() + 120  # a hang guard, not a speed check
    try:
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.05)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                stream.feed(data)
                quiet_since = time.monotonic()
                continue
            # A quiet moment: whatever was written is whole; look at the screen as a person would.
            if time.monotonic() - quiet_since >= 0.05:
                text = "\n".join(screen.display)
                if "ingesting" in text and "done in" not in text:
                    snapshots.append(screen.display[screen.cursor.y])
                quiet_since = time.monotonic()
            if proc.poll() is not None:
                break
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)

    assert len(snapshots) >= 5, f"too few looks at a running job: {snapshots}"
    for line in snapshots:
        assert f"/{FILES} files" in line and "ETA" in line and "files/s" in line, snapshots
    done = [int(line.split("/")[0]) for line in snapshots]
    assert done == sorted(done) and done[0] < FILES, "the count should move while we watch"
    assert "uploaded" in "\n".join(screen.display)
