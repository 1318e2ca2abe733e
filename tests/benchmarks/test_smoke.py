"""A tiny run of every benchmark, so none can rot; no timing is asserted here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import run as bench_run


@pytest.mark.parametrize("name", bench_run.available())
def test_each_benchmark_runs_and_reports_rows(name: str) -> None:
    rows = bench_run.run_one(name, smoke=True)
    assert rows, f"{name} reported nothing"
    for row in rows:
        assert row.ours > 0
        assert row.baseline > 0
        assert row.unit


def test_the_runner_prints_a_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "results.json"
    assert bench_run.main(["--smoke", "--only", "overhead", "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "per-call overhead, 1-way" in printed
    assert "machine: cpus=" in printed
    data = json.loads(output.read_text())
    assert data["smoke"] is True
    assert {r["benchmark"] for r in data["results"]} >= {"per-call overhead, 64-way"}
