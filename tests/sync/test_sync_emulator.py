"""The sync client against the emulator over a real socket, with the vendor's limits enforced."""

from __future__ import annotations

import threading
import uuid

from memories_async import Memories
from memories_async.emulator import Emulator, serve


def test_sixteen_threads_against_the_emulator_succeed_within_the_buckets() -> None:
    # The emulator enforces the search bucket (10 per second) with a sliding window and answers
    # 0429 when it is exceeded; with retries off, any such answer would surface as an error.
    key = f"sk-test-{uuid.uuid4().hex}"
    emu = Emulator(api_keys=[key], parse_delay=0)
    errors: list[BaseException] = []
    found: list[str] = []
    lock = threading.Lock()
    with serve(emu) as base_url, Memories(key, base_url=base_url, max_retries=0) as client:

        def worker() -> None:
            try:
                for _ in range(2):
                    clips = client.search.videos("runner crosses the finish line")
                    with lock:
                        found.append(clips[0].video_no)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    emu.close()
    assert not errors, errors[:3]
    assert len(found) == 32
    assert emu.rate_limits.rejected == {}
    arrivals = sorted(r.time for r in emu.requests.filter(endpoint="search"))
    assert len(arrivals) == 32
    # No sliding second at the server ever saw more than the 10 the bucket allows.
    assert all(arrivals[i + 10] - arrivals[i] >= 1.0 for i in range(len(arrivals) - 10))
