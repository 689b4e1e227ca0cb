"""Every bench script runs with tiny counts, exits 0 and prints its table (no timing checks).

The IvoryOS comparison (`bench.bench_ivoryos`) needs IvoryOS installed in its own venv and
is too heavy for CI: only its command line is checked here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = {
    "bench.bench_ceiling": "Direct-call ceiling",
    "bench.bench_direct": "Direct calls",
    "bench.bench_runs": "Runs with durable records",
    "bench.bench_events": "Event delivery",
    "bench.bench_startup": "Start-up",
    "bench.bench_queue": "Queue edits",
}


@pytest.mark.parametrize("module", sorted(SCRIPTS))
def test_bench_script_prints_its_table(module: str) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", module, "--count", "5", "--repeats", "1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert f"### {SCRIPTS[module]}" in done.stdout
    assert "| ---" in done.stdout
    assert "baseline" in done.stdout or "echo" in done.stdout


def test_ivoryos_comparison_command_line_loads() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "bench.bench_ivoryos", "--help"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "--only {direct,runs,startup}" in done.stdout
