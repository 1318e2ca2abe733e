"""Import time: `import memories_async` vs `import openai` and `import httpx`, fresh processes."""

from __future__ import annotations

import compileall
import importlib.util
import statistics
import subprocess
import sys
import time

from benchmarks._common import Row


def import_seconds(module: str, runs: int) -> float | None:
    """The median wall time of `python -c "import <module>"`, minus an empty interpreter's.

    Each package is byte-compiled first, as `pip install` leaves it: an editable checkout run
    with PYTHONDONTWRITEBYTECODE would otherwise pay for compiling its sources on every import.
    """
    spec = importlib.util.find_spec(module)
    if spec is None:
        return None
    for folder in spec.submodule_search_locations or ():
        compileall.compile_dir(folder, quiet=1)

    def once(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    bare = statistics.median(once("pass") for _ in range(runs))
    return max(0.0, statistics.median(once(f"import {module}") for _ in range(runs)) - bare)


def run(smoke: bool = False) -> list[Row]:
    runs = 1 if smoke else 9
    ours = import_seconds("memories_async", runs)
    assert ours is not None
    rows = []
    httpx_time = import_seconds("httpx", runs)
    openai_time = import_seconds("openai", runs)
    if openai_time is not None:
        rows.append(
            Row(
                "import time vs openai",
                ours * 1e3,
                openai_time * 1e3,
                "ms",
                "<= 0.4x openai",
                ours / openai_time <= 0.4,
            )
        )
    if httpx_time is not None:
        rows.append(
            Row("import time vs httpx alone", ours * 1e3, httpx_time * 1e3, "ms", "-", None)
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
