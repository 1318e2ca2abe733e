"""The generated sync client: same surface, one loop run by its callers, safe in threads, loops,
forks."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import anyio
import httpx
import pytest
import respx

from memories_async import (
    AsyncMemories,
    AuthenticationError,
    Memories,
    MemoriesError,
    Rate,
    SearchClip,
    VideoPage,
)
from memories_async._sync_runtime import SyncIterator, SyncResource
from tests._support import load_fixture

ROOT = Path(__file__).resolve().parents[2]
SEARCH = "https://api.memories.ai/serve/api/v1/search"
LIST = "https://api.memories.ai/serve/api/v1/list_videos"
SEARCH_OK = load_fixture("core/search_by_video.json")


def fresh_key() -> str:
    return f"sk-test-{uuid.uuid4().hex}"


def public_methods(obj: object) -> dict[str, object]:
    return {
        name: member
        for name, member in inspect.getmembers(type(obj), inspect.isfunction)
        if not name.startswith("_")
    }


def assert_same_signature(async_fn: object, sync_fn: object, where: str) -> None:
    a = list(inspect.signature(async_fn).parameters.values())  # type: ignore[arg-type]
    s = list(inspect.signature(sync_fn).parameters.values())  # type: ignore[arg-type]
    assert [(p.name, p.kind, p.default) for p in a] == [(p.name, p.kind, p.default) for p in s], (
        where
    )
    assert [str(p.annotation) for p in a] == [str(p.annotation) for p in s], where


def test_every_async_method_has_a_sync_twin() -> None:
    async_client = AsyncMemories(fresh_key(), rate_limits=False)
    sync_client = Memories(fresh_key(), rate_limits=False)
    assert_same_signature(AsyncMemories.__init__, Memories.__init__, "Memories.__init__")
    resources = [
        name
        for name, value in vars(AsyncMemories).items()
        if not name.startswith("_") and isinstance(value, __import__("functools").cached_property)
    ]
    assert {"search", "videos"} <= set(resources)
    checked = 0
    for resource in resources:
        async_resource = getattr(async_client, resource)
        sync_resource = getattr(sync_client, resource)
        assert isinstance(sync_resource, SyncResource)
        for name, async_fn in public_methods(async_resource).items():
            sync_fn = getattr(type(sync_resource), name, None)
            assert sync_fn is not None, f"Memories.{resource}.{name} is missing"
            assert_same_signature(async_fn, sync_fn, f"{resource}.{name}")
            assert inspect.getdoc(async_fn) == inspect.getdoc(sync_fn), f"{resource}.{name} doc"
            assert not inspect.iscoroutinefunction(sync_fn)
            checked += 1
    assert checked >= 3
    # The client's own methods too: async-only ones (aclose and the async context protocol)
    # have their blocking counterparts under other names.
    blocking_names = {"aclose": "close"}
    for name, async_fn in public_methods(async_client).items():
        sync_fn = getattr(Memories, blocking_names.get(name, name), None)
        assert sync_fn is not None, f"Memories.{name} is missing"
        if name in blocking_names:
            continue
        assert_same_signature(async_fn, sync_fn, f"Memories.{name}")
    sync_client.close()


def test_generated_module_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_sync.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_up_to_date_check_catches_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "_sync.py"
    current = (ROOT / "memories_async" / "_sync.py").read_text(encoding="utf-8")
    stale.write_text(current.replace("def iter(", "def iterate("), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_sync.py"), "--check", "--target", str(stale)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "out of date" in result.stderr


@respx.mock
def test_calls_block_and_return_the_same_models() -> None:
    respx.post(SEARCH).respond(json=SEARCH_OK)
    pages = [
        {
            "videos": [{"video_no": f"VI{p}{i}"} for i in range(2)],
            "current_page": p,
            "page_size": 2,
            "total_count": 5,
        }
        for p in (1, 2, 3)
    ]
    pages[-1]["videos"] = [{"video_no": "VI30"}]
    respx.post(LIST).side_effect = [
        httpx.Response(200, json={"code": "0000", "data": p}) for p in pages
    ]
    with Memories(fresh_key(), rate_limits=False) as client:
        clips = client.search.videos("boat", top_k=1)
        assert isinstance(clips[0], SearchClip)
        with client.videos.iter(size=2) as videos:
            assert isinstance(videos, SyncIterator)
            assert [v.video_no for v in videos] == ["VI10", "VI11", "VI20", "VI21", "VI30"]
    assert client.is_closed
    with pytest.raises(MemoriesError, match="closed"):
        client.search.videos("boat")


@respx.mock
def test_with_options_shares_the_loop_and_pool_and_changes_only_what_it_names() -> None:
    route = respx.post(SEARCH).respond(json=SEARCH_OK)
    with Memories(fresh_key(), rate_limits=False) as client:
        client.search.videos("boat")
        user = client.with_options(unique_id="user-42")
        assert isinstance(user, Memories) and user.unique_id == "user-42"
        assert client.unique_id == "default" and user.base_url == client.base_url
        user.search.videos("boat")
        assert [json.loads(c.request.content)["unique_id"] for c in route.calls] == [
            "default",
            "user-42",
        ]
        assert user.async_client.http_client is client.async_client.http_client
        assert user._ensure_loop()[0] is client._ensure_loop()[0]
        user.close()  # the copy's close leaves the parent working
        assert user.is_closed and not client.is_closed
        client.search.videos("boat")
        with pytest.raises(MemoriesError, match="closed"):
            user.search.videos("boat")
        other = client.with_options(max_retries=0)
    assert client.is_closed
    with pytest.raises(MemoriesError, match="closed"):  # the parent's close reaches its copies
        other.search.videos("boat")


@respx.mock
def test_errors_arrive_typed_and_keyless() -> None:
    respx.post(SEARCH).respond(json={"code": "0401", "msg": "invalid api key"})
    key = fresh_key()
    with Memories(key, rate_limits=False) as client:
        with pytest.raises(AuthenticationError) as caught:
            client.search.videos("boat")
        assert key not in repr(client)
    assert key not in str(caught.value)


@respx.mock
def test_works_inside_a_running_event_loop() -> None:
    respx.post(LIST).respond(json={"code": "0000", "data": {"videos": [], "total_count": 0}})

    async def notebook_cell() -> VideoPage:
        with Memories(fresh_key(), rate_limits=False) as client:
            return client.videos.list()

    assert asyncio.run(notebook_cell()).total_count == 0


@respx.mock
def test_calling_from_its_own_loop_is_a_clear_error() -> None:
    respx.post(SEARCH).respond(json=SEARCH_OK)
    with Memories(fresh_key(), rate_limits=False) as client:

        async def misuse(_: AsyncMemories) -> object:
            return client.search.videos("boat")

        with pytest.raises(MemoriesError, match="AsyncMemories"):
            client._run(misuse)
        assert client.search.videos("boat")  # the client still works afterwards


def test_sixteen_threads_share_one_client_and_its_buckets() -> None:
    times: list[float] = []
    lock = threading.Lock()

    def handle(request: httpx.Request) -> httpx.Response:
        with lock:
            times.append(time.monotonic())
        return httpx.Response(200, json=SEARCH_OK)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    errors: list[BaseException] = []
    with Memories(fresh_key(), http_client=http, rate_limits={"search": Rate(10, 0.5)}) as client:

        def worker() -> None:
            try:
                for _ in range(2):
                    assert client.search.videos("boat")[0].video_no == "VI576925607808602112"
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client._run(lambda c: http.aclose())
    assert not errors
    assert len(times) == 32
    ordered = sorted(times)
    assert all(ordered[i + 10] - ordered[i] >= 0.5 for i in range(len(ordered) - 10))


def test_sync_and_async_clients_of_one_key_share_buckets() -> None:
    times: list[float] = []

    def handle(request: httpx.Request) -> httpx.Response:
        times.append(time.monotonic())
        return httpx.Response(200, json=SEARCH_OK)

    key = fresh_key()
    limits = {"search": Rate(10, 0.5)}

    async def async_side() -> None:
        transport = httpx.MockTransport(handle)
        async with httpx.AsyncClient(transport=transport) as http:
            client = AsyncMemories(key, http_client=http, rate_limits=limits)
            for _ in range(12):
                await client.search.videos("boat")

    with Memories(
        key,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handle)),
        rate_limits=limits,
    ) as client:
        thread = threading.Thread(target=lambda: asyncio.run(async_side()))
        thread.start()
        for _ in range(12):
            client.search.videos("boat")
        thread.join()
        client._run(lambda c: c.http_client.aclose())
    ordered = sorted(times)
    assert len(ordered) == 24
    assert all(ordered[i + 10] - ordered[i] >= 0.5 for i in range(len(ordered) - 10))


def test_a_call_runs_on_the_calling_thread_and_close_closes_loop_and_pool() -> None:
    before = {t.ident for t in threading.enumerate()}
    client = Memories(fresh_key(), base_url="http://127.0.0.1:9", max_retries=0)
    ran_on: list[int] = []

    async def where(c: AsyncMemories) -> httpx.AsyncClient:
        ran_on.append(threading.get_ident())
        return c.http_client

    http = client._run(where)
    assert ran_on == [threading.get_ident()]  # no hand-off to another thread
    with pytest.raises(MemoriesError):
        client.search.videos("nobody listens on port 9")
    assert {t.ident for t in threading.enumerate()} <= before
    loop = client._ensure_loop()[0]._loop
    client.close()
    client.close()
    assert loop.is_closed() and http.is_closed


def test_calls_from_many_threads_run_at_the_same_time_on_one_loop() -> None:
    # Each call waits until all eight are in flight at once: run one after another, they
    # would never get there.
    in_flight = 0
    loops: set[int] = set()

    async def meet(c: AsyncMemories) -> int:
        nonlocal in_flight
        loops.add(id(asyncio.get_running_loop()))
        in_flight += 1
        with anyio.fail_after(10):
            while in_flight < 8:
                await asyncio.sleep(0.001)
        return threading.get_ident()

    with Memories(fresh_key(), rate_limits=False) as client:
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda: results.append(client._run(meet))) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(results) == 8 and len(loops) == 1


def test_a_call_outliving_the_thread_running_the_loop_takes_the_loop_over() -> None:
    b_started = threading.Event()
    a_returned = threading.Event()
    outcome: list[str] = []

    async def short(c: AsyncMemories) -> str:
        while not b_started.is_set():  # B's call joins the loop this thread is running
            await asyncio.sleep(0.001)
        return "a"

    async def long(c: AsyncMemories) -> str:
        b_started.set()
        while not a_returned.is_set():  # still going after A's thread stopped running the loop
            await asyncio.sleep(0.001)
        return "b"

    with Memories(fresh_key(), rate_limits=False) as client:

        def run_b() -> None:
            outcome.append(client._run(long))

        b = threading.Thread(target=run_b)

        async def lead(c: AsyncMemories) -> str:
            b.start()  # while this thread runs the loop
            return await short(c)

        outcome.append(client._run(lead))
        a_returned.set()
        b.join(timeout=10)
    assert outcome == ["a", "b"]


def test_a_client_never_closed_does_not_block_exit() -> None:
    script = (
        "from memories_async import Memories, MemoriesError\n"
        "c = Memories('sk-test-never-closed-0000', base_url='http://127.0.0.1:9', max_retries=0)\n"
        "try:\n    c.search.videos('x')\nexcept MemoriesError:\n    print('called')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "called"
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # 3.12+: fork() in a threaded process
@respx.mock
def test_a_forked_child_gets_its_own_loop_and_pool() -> None:
    respx.post(SEARCH).respond(json=SEARCH_OK)
    with Memories(fresh_key(), rate_limits=False) as client:
        assert client.search.videos("parent")  # the parent's loop and pool are in use
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                code = 0 if client.search.videos("child")[0].video_no else 2
                client.close()
            finally:
                os.write(write, str(code).encode())
                os._exit(code)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        assert os.read(read, 8) == b"0"
        os.close(read)
        assert os.waitstatus_to_exitcode(status) == 0
        assert client.search.videos("parent again")
