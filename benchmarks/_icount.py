"""`python -m benchmarks._icount ours|raw N`: N calls of one side of `bench_overhead`, after a
warm-up, for `valgrind --tool=callgrind` to count the instructions of (`instructions_per_call`).

Instruction counts do not move with the machine's load or clock, where wall-clock ratios on a
shared two-core machine swing by a tenth from run to run; they do not see cache misses or
waits, so the wall-clock rows stay beside them.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys

import httpx

from benchmarks._common import ROOT
from benchmarks.bench_overhead import ANSWER, sides, transport

WARM_UP = 200


async def calls(kind: str, count: int) -> None:
    async with httpx.AsyncClient(transport=transport(ANSWER)) as http:
        ours, raw = sides(http)
        one = ours if kind == "ours" else raw
        for _ in range(WARM_UP + count):
            await one()


def _collected(kind: str, count: int) -> int:
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "benchmarks._icount",
            kind,
            str(count),
        ],
        cwd=ROOT,
        # Hash randomisation moves the count by a few thousand instructions from run to run.
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count: {out.stderr[-500:]}")
    return int(found.group(1))


def instructions_per_call(kind: str, count: int = 1000) -> float | None:
    """Instructions one call of `kind` costs: a run of `count` calls minus a run of none (the
    start-up, imports and warm-up cancel out). None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    return (_collected(kind, count) - _collected(kind, 0)) / count


if __name__ == "__main__":
    asyncio.run(calls(sys.argv[1], int(sys.argv[2])))
