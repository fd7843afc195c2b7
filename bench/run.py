"""`make bench SF=1`: generate (cached), a full night, an incremental night (one more day of files), a
night with nothing new (a night's fixed cost), the baselines on the same files, and a table plus
bench/results/sf<SF>.json of the figures and ratios.

    python -m bench.run --scale 1 --seed 42 [--memory-limit 2500MB] [--no-splink]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench.baselines import bare_duckdb_load, pandas_journey, splink_identity
from bench.measure import REPO, Night, run_night
from cx_unify.settings import DEFAULT_DUCKDB_MEMORY_LIMIT

CACHE = REPO / "bench" / ".cache"
RESULTS = REPO / "bench" / "results"
NEW_DAY = "_2026-11"  # the generator's window is 2026-05-01 + 185 days: the last day is the only November one
IDENTITY_MODELS = ("int_identity_", "customer_identity_map")


def _cached(scale: float, seed: int) -> Path:
    """The cache of one scale and seed, made by this generator (an older one made other data)."""
    from cx_unify.generate import GENERATOR_VERSION

    return CACHE / f"sf{scale:g}-seed{seed}-generator{GENERATOR_VERSION}"


def _landing(scale: float, seed: int) -> Path:
    from cx_unify.generate import generate

    folder = _cached(scale, seed) / "landing"
    if not (folder / "ground_truth.json").exists():
        started = time.monotonic()
        generate(folder, scale=scale, seed=seed, days=185, start=date(2026, 5, 1), wipe=True)
        print(f"generated SF {scale:g} in {time.monotonic() - started:.0f} s -> {folder}")
    return folder


def _link(files: list[Path], source: Path, target: Path) -> None:
    for path in files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if not destination.exists():
            os.link(path, destination)


def _row(name: str, night: Night) -> dict:
    return {
        "night": name,
        "seconds": round(night.seconds, 1),
        "peak_rss_mb": round(night.peak_rss_mb),
        "startup_seconds": round(night.startup_seconds, 1),
        "startup_dagster_seconds": round(night.startup_dagster_seconds, 1),
        "startup_dbt_seconds": round(night.startup_dbt_seconds, 1),
        "stages": {k: round(v, 1) for k, v in sorted(night.stages.items())},
        "identity_seconds": round(
            sum(t for m, t in night.dbt_models.items() if m.startswith(IDENTITY_MODELS)), 1
        ),
        "journey_seconds": round(night.dbt_models.get("customer_journey", 0.0), 2),
        # where dbt's time went: the ten slowest models of the night
        "slowest_models": {
            m: round(t, 1) for m, t in sorted(night.dbt_models.items(), key=lambda kv: -kv[1])[:10]
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--memory-limit", default=DEFAULT_DUCKDB_MEMORY_LIMIT, help="DuckDB memory_limit of every connection"
    )
    parser.add_argument("--no-splink", action="store_true", help="skip the Splink baseline")
    args = parser.parse_args()

    landing_all = _landing(args.scale, args.seed)
    files = sorted(p for p in landing_all.rglob("*") if p.is_file() and p.name != "ground_truth.json")
    history = [p for p in files if NEW_DAY not in p.name]
    new_day = [p for p in files if NEW_DAY in p.name]
    home = _cached(args.scale, args.seed) / "home"
    shutil.rmtree(home, ignore_errors=True)
    (home / "landing").mkdir(parents=True)
    _link(history, landing_all, home / "landing")
    shutil.copy(landing_all / "ground_truth.json", home / "landing" / "ground_truth.json")

    print(f"full night: {len(history)} files, {sum(p.stat().st_size for p in history) / 1e6:.0f} MB")
    full = run_night(home, args.memory_limit)
    from cx_unify.evaluate import evaluate

    ours = evaluate(home / "warehouse.duckdb", landing_all / "ground_truth.json")["identity"]
    bare = bare_duckdb_load(history, args.memory_limit, home / "bare.duckdb")
    journey = pandas_journey(home / "warehouse.duckdb")
    splink = (
        None
        if args.no_splink
        else splink_identity(home / "warehouse.duckdb", landing_all / "ground_truth.json", args.memory_limit)
    )
    print(f"incremental night: {len(new_day)} new files")
    _link(new_day, landing_all, home / "landing")
    incremental = run_night(home, args.memory_limit)
    # the same files again: what a night costs before any new data (a floor under every incremental night)
    print("night with nothing new")
    unchanged = run_night(home, args.memory_limit)

    full_row, incr_row, unchanged_row = (
        _row("full", full),
        _row("incremental", incremental),
        _row("nothing new", unchanged),
    )
    ratios = {
        "ingest_vs_bare_duckdb": round(full.stages.get("ingest", 0) / bare["seconds"], 2),
        "nightly_vs_bare_duckdb": round(full.seconds / bare["seconds"], 2),
        "incremental_vs_full": round(incremental.seconds / full.seconds, 2),
        "nothing_new_vs_full": round(unchanged.seconds / full.seconds, 2),
        "journey_vs_pandas": round(full_row["journey_seconds"] / journey["seconds"], 2)
        if journey["seconds"]
        else None,
        "identity_vs_splink_seconds": round(full_row["identity_seconds"] / splink["seconds"], 2)
        if splink
        else None,
    }
    result = {
        "scale": args.scale,
        "seed": args.seed,
        "memory_limit": args.memory_limit,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "nights": [full_row, incr_row, unchanged_row],
        "baselines": {
            "bare_duckdb_load": {k: round(v, 2) for k, v in bare.items()},
            "pandas_journey": {k: round(v, 2) for k, v in journey.items()},
            "splink_default": splink,
        },
        "identity_ours": {k: ours[k] for k in ("pairwise_precision", "pairwise_recall", "f1")},
        "ratios": ratios,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"sf{args.scale:g}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    _print(result)
    print(f"written: {out}")


def _print(result: dict) -> None:
    print(
        f"\nSF {result['scale']:g}, memory limit {result['memory_limit']}, {result['machine']['cpus']} CPUs"
    )
    print(
        f"{'night':<12} {'total s':>8} {'ingest':>7} {'dbt':>7} {'identity':>9} {'checks':>7} {'publish':>8} "
        f"{'report':>7} {'startup':>8} {'peak RSS MB':>12}"
    )
    for row in result["nights"]:
        st = row["stages"]
        print(
            f"{row['night']:<12} {row['seconds']:>8} {st.get('ingest', 0):>7} {st.get('dbt', 0):>7} "
            f"{row['identity_seconds']:>9} {st.get('checks', 0):>7} {st.get('publish', 0):>8} "
            f"{st.get('report', 0):>7} {row['startup_seconds']:>8} {row['peak_rss_mb']:>12}"
        )
    for row in result["nights"]:
        print(
            f"slowest models, {row['night']} night: "
            + ", ".join(f"{m} {t}" for m, t in row["slowest_models"].items())
        )
    for row in result["nights"]:
        print(
            f"start-up, {row['night']} night: {row['startup_seconds']} s = Dagster to the first step "
            f"{row['startup_dagster_seconds']} s + dbt outside its run {row['startup_dbt_seconds']} s"
        )
    base = result["baselines"]
    print(
        f"\nbare DuckDB load: {base['bare_duckdb_load']['seconds']} s for {base['bare_duckdb_load']['megabytes']} MB"
        f"; pandas journey: {base['pandas_journey']['seconds']} s"
    )
    if base["splink_default"]:
        sp = base["splink_default"]
        print(
            f"Splink default: {sp['seconds']:.1f} s, F1 {sp['f1']} (P {sp['precision']}, R {sp['recall']}); "
            f"ours: F1 {result['identity_ours']['f1']}"
        )
    print("ratios: " + ", ".join(f"{k} {v}" for k, v in result["ratios"].items()))


if __name__ == "__main__":
    main()
