"""What every benchmark shares: timing, medians, the machine description and result rows."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Row:
    """One line of the results table: ours, the baseline, their ratio, and the goal."""

    benchmark: str
    ours: float
    baseline: float
    unit: str
    goal: str
    ok: bool | None
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def machine() -> dict[str, Any]:
    """The facts that make a number comparable: cores, Python, and the versions under test."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **{pkg: version(pkg) for pkg in ("memories-async", "httpx", "pydantic", "anyio", "openai")},
    }


def median_of(repeats: int, measure: Callable[[], float]) -> float:
    """The median of several runs of `measure`, after one warm-up run."""
    measure()
    return statistics.median(measure() for _ in range(repeats))


async def amedian_of(repeats: int, measure: Callable[[], Awaitable[float]]) -> float:
    """`median_of` for async measurements."""
    await measure()
    return statistics.median([await measure() for _ in range(repeats)])


class Stopwatch:
    """`with Stopwatch() as sw: ...; sw.seconds`."""

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
