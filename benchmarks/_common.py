"""What every benchmark shares: timing, medians, the machine description and result rows."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


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
    extra: dict[str, Any] = field(default_factory=dict)
    """Figures beside the ratio that belong in results.json (counts, spans); not printed."""
    paired_ratio: float | None = None
    """The median of ratios measured in pairs (`apaired`), when the row was measured so."""

    @property
    def ratio(self) -> float:
        if self.paired_ratio is not None:
            return self.paired_ratio
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


async def amedian_of(repeats: int, measure: Callable[[], Awaitable[float]]) -> float:
    """The median of several runs of the async `measure`, after one warm-up run."""
    await measure()
    return statistics.median([await measure() for _ in range(repeats)])


@dataclass(frozen=True)
class Paired:
    """Two sides measured round by round: the median of each, and the median of their ratios."""

    ours: float
    baseline: float
    ratio: float


async def apaired(
    repeats: int, ours: Callable[[], Awaitable[float]], baseline: Callable[[], Awaitable[float]]
) -> Paired:
    """Measure both sides in alternating pairs (ours first in even rounds, the baseline first in
    odd ones) after one warm-up each, and take the median ratio of the pairs: a machine whose
    speed drifts over the run (a noisy neighbour, a CPU changing clock) moves both sides of a
    pair alike, where measuring all of one side and then all of the other would not."""
    await ours()
    await baseline()
    mine: list[float] = []
    theirs: list[float] = []
    for round_ in range(repeats):
        if round_ % 2:
            b = await baseline()
            a = await ours()
        else:
            a = await ours()
            b = await baseline()
        mine.append(a)
        theirs.append(b)
    return Paired(
        statistics.median(mine),
        statistics.median(theirs),
        statistics.median(a / b for a, b in zip(mine, theirs, strict=True)),
    )


class Stopwatch:
    """`with Stopwatch() as sw: ...; sw.seconds`."""

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def child_env() -> dict[str, str]:
    """The environment for a child Python that must import this checkout."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def _first_in_line() -> None:
    """In the child: a higher scheduling priority where allowed (root, or CAP_SYS_NICE)."""
    with contextlib.suppress(OSError):
        os.nice(-5)


@contextmanager
def emulator_process(
    *options: str, env: Mapping[str, str] | None = None, first_in_line: bool = False
) -> Iterator[str]:
    """The emulator on a free loopback port in a process of its own, so that it shares neither
    our GIL nor our garbage collector (as a real server would not); yields its base URL.

    `options` are command-line flags of `python -m memories_async.emulator`; `env` adds to the
    child's environment (TMPDIR, say, for where it keeps large uploads). `first_in_line` raises
    its scheduling priority where the OS allows: with several client processes on two CPUs, an
    emulator that waits for a CPU records arrivals late and bunched together, which the vendor's
    own machines, serving us from elsewhere, would not.
    """
    command = [sys.executable, "-m", "memories_async.emulator", "--port", "0"]
    command += ["--log-level", "warning", *options]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**child_env(), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=_first_in_line if first_in_line and os.name == "posix" else None,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on " not in line:
            raise RuntimeError(f"the emulator did not start: {line!r}")
        yield line.rsplit("listening on ", 1)[1].strip()
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
