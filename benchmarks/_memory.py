"""How far a process's resident memory rises during a block: shared by the 1 GiB benchmark and
the 1 GiB upload test, so both measure memory the same way."""

from __future__ import annotations

import os
import resource
import sys
import threading


def rss() -> int:
    """Resident set size in bytes, from /proc (Linux), or the high-water mark elsewhere."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return max_rss()


def max_rss() -> int:
    """The process's high-water mark of resident memory, in bytes.

    On Linux this is VmHWM of the process's own memory, which `reset_peak` can lower. Not
    `ru_maxrss`: Linux carries that across fork and exec, so a child of a parent that once held
    100 MiB reports 100 MiB before it has done anything.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS where Linux allows it (4.0 and later); False elsewhere."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


class PeakRss:
    """Context manager: the highest RSS reached inside the block (`peak`) and its rise over the
    RSS at entry (`growth`), in bytes.

    Where the kernel's high-water mark can be reset it is read at exit and no thread competes
    with the code measured; elsewhere, or when `sample_every` is given as well, a thread samples
    RSS at that interval (seconds) and the higher of the two readings counts.
    """

    def __init__(self, sample_every: float | None = None) -> None:
        self.before = 0
        self.peak = 0
        self._interval = sample_every
        self._reset = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def growth(self) -> int:
        return self.peak - self.before

    def _sample(self) -> None:
        assert self._interval is not None
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, rss())

    def __enter__(self) -> PeakRss:
        self._reset = reset_peak()
        self.before = self.peak = rss()
        if self._interval is None and not self._reset:
            self._interval = 0.002
        if self._interval is not None:
            self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
        self.peak = max(self.peak, rss(), max_rss() if self._reset else 0)
