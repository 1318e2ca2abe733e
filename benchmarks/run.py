"""Run every benchmark, print one table of ratios, and write `benchmarks/results.json`.

`python -m benchmarks.run` (what `nox -s bench` does); `--smoke` runs a tiny version of each,
as the test suite does, so that none of them can rot; `--only NAME` runs some of them.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks._common import Row, machine

BENCHMARKS = [
    "overhead",
    "transport",
    "stream",
    "rate",
    "redis",
    "upload",
    "import",
    "sync",
    "ingest",
]
RESULTS = Path(__file__).with_name("results.json")


def available() -> list[str]:
    """The benchmarks whose module exists (each lands with its subject)."""
    here = Path(__file__).parent
    return [name for name in BENCHMARKS if (here / f"bench_{name}.py").exists()]


def run_one(name: str, smoke: bool) -> list[Row]:
    module = importlib.import_module(f"benchmarks.bench_{name}")
    result: Any = module.run(smoke=smoke)
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    return list(result)


def table(rows: list[Row]) -> str:
    header = f"{'benchmark':<42} {'ours':>12} {'baseline':>12} {'unit':<8} {'ratio':>7}  goal"
    lines = [header, "-" * len(header)]
    for row in rows:
        verdict = {True: "met", False: "MISSED", None: ""}[row.ok]
        lines.append(
            f"{row.benchmark:<42} {row.ours:>12.1f} {row.baseline:>12.1f} {row.unit:<8}"
            f" {row.ratio:>7.2f}  {row.goal} {verdict}".rstrip()
            + (f"  ({row.note})" if row.note else "")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny runs, for the test suite")
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run just these")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write JSON")
    args = parser.parse_args(argv)
    names = [n for n in available() if not args.only or n in args.only]
    info = machine()
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    rows: list[Row] = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(run_one(name, args.smoke))
    print(table(rows))
    args.output.write_text(
        json.dumps(
            {"machine": info, "smoke": args.smoke, "results": [r.as_dict() for r in rows]}, indent=2
        )
        + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
