"""The `memories` command end to end against an emulator on a loopback socket."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from memories_async import AuthenticationError
from memories_async.cli import main
from memories_async.cli._chat import stream_answer
from memories_async.cli._common import Console
from memories_async.cli._progress import IngestProgress
from memories_async.emulator import Emulator, Fault, serve
from memories_async.ingest import Planned, Progress, Skipped, Started, Uploaded
from tests._support import load_fixture
from tests.chat._support import stream_over

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-cli-tests-secret-0042"
Invoke = Callable[..., tuple[int, str, str]]
SEED_VIDEO = "VI606099815446712320"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Emulator, str]]:
    emu = Emulator(rate_limits=False)
    with serve(emu) as base_url:
        yield emu, base_url
    emu.close()


@pytest.fixture
def emu(server: tuple[Emulator, str]) -> Emulator:
    server[0].reset()
    return server[0]


@pytest.fixture
def run(server: tuple[Emulator, str], emu: Emulator, capsys: pytest.CaptureFixture[str]) -> Invoke:
    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main(["--api-key", KEY, "--base-url", server[1], *argv])
        out, err = capsys.readouterr()
        assert KEY not in out and KEY not in err, "the API key leaked into the output"
        return code, out, err

    return invoke


def lines_starting(text: str, prefix: str) -> int:
    return sum(1 for line in text.splitlines() if line.startswith(prefix))


def media(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "harbour_boats.mp4").write_bytes(b"boats" * 300)
    (folder / "snowy_mountain.mp4").write_bytes(b"snow" * 300)
    return folder


def test_ingest_prints_plain_lines_then_resumes_with_json(run: Invoke, tmp_path: Path) -> None:
    folder = media(tmp_path)
    journal = str(tmp_path / "job.sqlite")
    code, out, err = run("ingest", str(folder), "--journal", journal, "--concurrency", "2")
    assert code == 0, err
    assert "\x1b" not in out and "\r" not in out  # not a terminal: no ANSI, no redraws
    assert lines_starting(out, "uploaded ") == 2 and "done in" in out
    assert "states: uploaded 2" in out and err == ""

    code, out, _ = run("--json", "ingest", str(folder), "--journal", journal)
    assert code == 0
    summary = json.loads(out)
    assert summary["ok"] is True and summary["uploaded"] == 0 and summary["skipped"] == 2
    assert summary["counts"]["uploaded"] == 2


def test_ingest_with_failures_exits_1_and_says_how_to_resume(
    run: Invoke, emu: Emulator, tmp_path: Path
) -> None:
    folder = media(tmp_path)
    emu.faults.add("upload", Fault.error("0003", "emulated rejection"), times=1)
    code, out, _ = run(
        "ingest", str(folder), "--journal", str(tmp_path / "j"), "--wait", "--poll-interval", "0.05"
    )
    assert code == 1
    assert "failed" in out and "emulated rejection" in out
    assert "run the same command again" in out
    code, out, _ = run(
        "ingest", str(folder), "--journal", str(tmp_path / "j"), "--wait", "--poll-interval", "0.05"
    )
    assert code == 0 and "states: parsed 2" in out


def test_search_prints_hits_and_json(run: Invoke) -> None:
    code, out, _ = run("search", "400m final race", "--top-k", "3")
    assert code == 0 and SEED_VIDEO in out and "\x1b" not in out
    code, out, _ = run("search", "400m final race", "--json")  # global option after the command
    hits = json.loads(out)
    assert code == 0 and hits and {"video_no", "start_time", "end_time", "score"} <= set(hits[0])


def test_chat_streams_thinking_answer_and_references(run: Invoke) -> None:
    code, out, err = run("chat", SEED_VIDEO, "--prompt", "Who wins the race?")
    assert code == 0, err
    assert "thinking:" in out and "references:" in out and "\x1b" not in out
    answer_at, refs_at = out.index("Here is what I found"), out.index("references:")
    assert out.index("thinking:") < answer_at < refs_at
    code, out, _ = run("--json", "chat", SEED_VIDEO, "-p", "Who wins the race?")
    answer = json.loads(out)
    assert code == 0 and answer["content"] and answer["refs"] and answer["session_id"]


def test_videos_list_download_and_delete(run: Invoke, tmp_path: Path) -> None:
    code, out, _ = run("videos", "list")
    assert code == 0 and SEED_VIDEO in out and "5 of 5 video(s)" in out
    code, out, _ = run("--json", "videos", "list", "--all")
    listed = json.loads(out)
    assert listed["total"] == 5 and len(listed["videos"]) == 5

    code, out, _ = run("videos", "download", SEED_VIDEO, "-o", str(tmp_path))
    assert code == 0 and (tmp_path / f"{SEED_VIDEO}.mp4").stat().st_size > 0
    assert out.startswith("saved ")

    code, out, _ = run("--json", "videos", "delete", SEED_VIDEO)
    assert code == 0 and json.loads(out) == {"deleted": [SEED_VIDEO], "not_found": []}
    code, out, _ = run("--json", "videos", "list")
    assert json.loads(out)["total"] == 4


def test_an_api_error_is_one_line_on_stderr_and_exit_1(run: Invoke, emu: Emulator) -> None:
    emu.faults.add("search", Fault.error("0401", "invalid API key"), times=1)
    code, out, err = run("search", "anything")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("memories: error: invalid API key")
    assert "Traceback" not in err


def test_debug_shows_the_exception(server: tuple[Emulator, str], emu: Emulator) -> None:
    emu.faults.add("search", Fault.error("0401", "invalid API key"), times=1)
    with pytest.raises(AuthenticationError):
        main(["--debug", "--api-key", KEY, "--base-url", server[1], "search", "x"])


def test_missing_key_bad_url_and_bad_usage(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["search", "x"]) == 1
    assert capsys.readouterr().err == (
        "memories: error: no API key: pass --api-key or set MEMORIES_API_KEY\n"
    )
    assert main(["--api-key", KEY, "--base-url", "http://example.com", "search", "x"]) == 1
    err = capsys.readouterr().err
    assert "plain http is only allowed to loopback hosts" in err and err.count("\n") == 1
    assert main(["--api-key", KEY, "ingest", str(tmp_path / "nothing.mp4")]) == 1
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["--version"]) == 0


def test_the_progress_display_redraws_a_status_line_only_on_a_terminal() -> None:
    ticks = iter(float(i) for i in range(100))
    live_out = io.StringIO()
    live = IngestProgress(Console(live_out, io.StringIO(), color=True), clock=lambda: next(ticks))
    plain_out = io.StringIO()
    plain = IngestProgress(Console(plain_out, io.StringIO(), color=False))
    events = [
        Planned(2, 2048),
        Started("/m/a.mp4", "video", 1024, 1),
        Progress("/m/a.mp4", 600, 1200),
        Uploaded("/m/a.mp4", "VI1", 1024),
        Skipped("/m/b.mp4", "already uploaded", "VI2"),
    ]
    for event in events:
        live(event)
        plain(event)
    live.close()
    plain.close()
    shown = live_out.getvalue()
    assert "\r\x1b[2K" in shown and "2/2 files" in shown and "files/s" in shown
    assert "ETA" in shown and "\x1b[32muploaded\x1b[0m" in shown
    text = plain_out.getvalue()
    assert "\x1b" not in text and "\r" not in text
    assert text.splitlines()[1:] == [
        "uploaded /m/a.mp4 -> VI1 (1/2)",
        "skipped  /m/b.mp4: already uploaded",
    ]


def test_emulator_command_serves_until_interrupted() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "memories_async.cli", "emulator", "--port", "0", "--no-seed"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("memories emulator listening on http://127.0.0.1:"), line
        base_url = line.split()[-1]
        answer = httpx.post(
            f"{base_url}/serve/api/v1/list_videos", json={}, headers={"Authorization": "k"}
        ).json()
        assert answer["code"] == "0000" and answer["data"]["videos"] == []
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_demo_runs_end_to_end_in_a_fresh_process() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORIES_")}
    done = subprocess.run(
        [sys.executable, "-m", "memories_async.cli", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in (
        "[1/4] emulator listening on http://127.0.0.1:",
        "ingesting 3 source(s)",
        "parsed ",
        "[3/4] all 3 videos parsed",
        "beach_sunset_surfers",
        "thinking:",
        "references:",
        "tour complete",
    ):
        assert expected in out, f"{expected!r} missing from:\n{out}"
    assert lines_starting(out, "uploaded ") == 3 and "\x1b" not in out
    assert "Traceback" not in done.stderr
    references = out.split("references:\n")[1].split("\n\n")[0].splitlines()
    assert references and len(set(references)) == len(references)
    moments = [line.split()[2] for line in references]
    for moment in moments:  # a keyframe is not printed again beside the span holding it
        assert not any(m != moment and m.startswith(moment + "-") for m in moments), references
    assert all("beach" in line for line in references)


async def test_a_streamed_answer_on_a_terminal_dims_thinking_and_times_its_references() -> None:
    def event(name: str) -> bytes:
        return b"data: " + json.dumps(load_fixture(f"chat/{name}")).encode() + b"\n\n"

    body = [
        event("chat_stream_thinking.json"),
        b'data: {"type": "content", "content": "The answer."}\n\n',
        event("chat_stream_ref.json"),
        b'data: {"code": "SUCCESS", "data": "Done"}\n\n',
    ]
    out = io.StringIO()
    stream, _ = stream_over(body)
    refs = await stream_answer(Console(out, io.StringIO(), color=True), stream)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("\x1b[2mthinking: Based on selected videos") and lines[0].endswith(
        "\x1b[0m"
    )
    assert lines[1] == "The answer."
    assert lines[2] == "\x1b[1mreferences:\x1b[0m"
    assert " 0:23" in lines[3] and " 0:30-0:36  A close-up view" in lines[4]
    # The fixture names 0:30-0:36 twice (visual_ts and audio_ts, same text): printed once.
    assert len(refs) == 1 and len(lines) == 5


def test_a_wrong_key_stops_ingest_after_one_upload_with_its_own_exit_status(
    server: tuple[Emulator, str], emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = media(tmp_path)
    journal = str(tmp_path / "j.sqlite")
    emu.faults.add("upload", Fault.error("0401", "invalid API key"), times=3)
    argv = ["--api-key", KEY, "--base-url", server[1]]
    for _ in range(3):
        code = main([*argv, "ingest", str(folder), "--journal", journal])
        assert code == 3  # not 1: no file failed, the account was refused
    assert sum(1 for r in emu.requests if r.endpoint == "upload") == 3
    err = capsys.readouterr().err
    assert err.count("stopped: the account was refused (invalid API key") == 3
    assert "run the same command again to resume" in err and KEY not in err

    code = main([*argv, "ingest", str(folder), "--journal", journal])
    out = capsys.readouterr().out
    assert code == 0 and lines_starting(out, "uploaded ") == 2 and "gave up" not in out


def test_ingest_summary_agrees_with_its_lines_and_retry_failed_recovers(
    run: Invoke, emu: Emulator, tmp_path: Path
) -> None:
    folder = media(tmp_path)
    journal = str(tmp_path / "j.sqlite")
    emu.faults.add("upload", Fault.error("0003", "emulated rejection"), times=2)
    code, out, _ = run("ingest", str(folder), "--journal", journal, "--max-attempts", "1")
    assert code == 1 and lines_starting(out, "failed ") == 2

    code, out, _ = run("ingest", str(folder), "--journal", journal, "--max-attempts", "1")
    assert code == 1
    assert lines_starting(out, "failed ") == 2 and lines_starting(out, "skipped ") == 0
    assert "gave up after 1 attempt(s): emulated rejection" in out
    assert "0 uploaded (0 B), 0 skipped, 2 failed (2 gave up)" in out
    assert "--retry-failed" in out

    code, out, _ = run(
        "ingest", str(folder), "--journal", journal, "--max-attempts", "1", "--retry-failed"
    )
    assert code == 0 and lines_starting(out, "uploaded ") == 2


def test_a_bad_flag_shows_the_usage_of_its_own_subcommand(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["search", "runner", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: memories search") and "unrecognized arguments: --bogus" in err
    assert main(["videos", "delete", "VI1", "--bogus"]) == 2
    assert capsys.readouterr().err.startswith("usage: memories videos delete")


def test_videos_delete_reports_what_existed(run: Invoke, emu: Emulator) -> None:
    code, out, _ = run("videos", "delete", SEED_VIDEO, "VI000")
    assert code == 1
    assert f"deleted 1 video(s): {SEED_VIDEO}" in out and "not found: VI000" in out
    deletes = [r for r in emu.requests if r.endpoint == "delete_videos"]
    assert len(deletes) == 1 and deletes[0].json == [SEED_VIDEO]
    code, out, _ = run("--json", "videos", "delete", "VI000")
    assert code == 1 and json.loads(out) == {"deleted": [], "not_found": ["VI000"]}
    assert sum(1 for r in emu.requests if r.endpoint == "delete_videos") == 1


def test_the_emulator_command_takes_the_emulator_flags_and_restricts_keys() -> None:
    argv = [sys.executable, "-m", "memories_async.cli", "emulator", "--port", "0", "--no-seed"]
    argv += ["--api-key", "sk-only-this-one-123", "--rate-limit-status", "429"]
    argv += ["--scraper-delay", "0", "--caption-delay", "0", "--log-level", "warning"]
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().split()[-1]
        url = f"{base_url}/serve/api/v1/list_videos"
        refused = httpx.post(url, json={}, headers={"Authorization": "sk-another-key-456"}).json()
        accepted = httpx.post(url, json={}, headers={"Authorization": "sk-only-this-one-123"})
        assert refused["code"] == "0401"
        assert accepted.json()["code"] == "0000"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
