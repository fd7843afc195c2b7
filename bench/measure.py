"""Run one night of `cx-unify run` as a separate process and measure it: wall time per stage (from the
run's own progress lines), peak RSS of the whole process tree (sampled from /proc), and the dbt model
timings that dbt itself recorded."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEP_DONE = re.compile(r"\] ✓ (\S+) \(([\d.]+) s\)")


@dataclass
class Night:
    seconds: float
    stages: dict[str, float]
    steps: dict[str, float]
    peak_rss_mb: float
    # start-up in two parts: process start to the first step (imports, definitions, the run's creation),
    # and the dbt step's time outside dbt's own run (its start, the events handled after it)
    startup_dagster_seconds: float
    startup_dbt_seconds: float
    dbt_models: dict[str, float] = field(default_factory=dict)
    returncode: int = 0

    @property
    def startup_seconds(self) -> float:
        return self.startup_dagster_seconds + self.startup_dbt_seconds


def stage_of(step: str) -> str:
    if step.endswith("_checks"):  # one step per checked asset: raw__complaints_checks
        return "checks"
    if step.startswith("raw__"):
        return "ingest"
    if step == "dbt_models":
        return "dbt"
    if step == "published__analyst_file":
        return "publish"
    if step == "published__diagnostic_report":
        return "report"
    return "other"


def _tree_rss_kb(root: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def run_night(home: Path, memory_limit: str) -> Night:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CX_") and k != "DAGSTER_HOME"}
    env.update(
        CX_HOME=str(home),
        CX_DUCKDB_MEMORY_LIMIT=memory_limit,
        DAGSTER_DISABLE_TELEMETRY="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    dbt_target = REPO / "dbt_project" / "target"
    before = set(dbt_target.glob("dbt_models-*")) if dbt_target.exists() else set()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cx_unify.cli", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    steps: dict[str, float] = {}
    first_step_at: float | None = None
    tail: list[str] = []
    assert proc.stderr is not None
    for line in proc.stderr:
        tail = (tail + [line])[-40:]
        if "▶" in line and first_step_at is None:
            first_step_at = time.monotonic()
        match = STEP_DONE.search(line)
        if match:
            steps[match.group(1)] = float(match.group(2))
    returncode = proc.wait()
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    if returncode != 0:
        raise RuntimeError(f"nightly failed ({returncode}):\n{''.join(tail)}")
    stages: dict[str, float] = {}
    for step, took in steps.items():
        stages[stage_of(step)] = stages.get(stage_of(step), 0.0) + took
    models: dict[str, float] = {}
    dbt_elapsed = 0.0
    new_targets = sorted(set(dbt_target.glob("dbt_models-*")) - before, key=lambda p: p.stat().st_mtime)
    if new_targets and (new_targets[-1] / "run_results.json").exists():
        results = json.loads((new_targets[-1] / "run_results.json").read_text())
        dbt_elapsed = float(results.get("elapsed_time") or 0.0)
        models = {
            r["unique_id"].split(".")[-1]: float(r["execution_time"])
            for r in results["results"]
            if r["unique_id"].startswith("model.")
        }
    dagster_start = first_step_at - started if first_step_at else 0.0
    dbt_start = max(0.0, stages.get("dbt", 0.0) - dbt_elapsed)
    return Night(seconds, stages, steps, peak[0] / 1024, dagster_start, dbt_start, models, returncode)
