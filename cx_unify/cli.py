"""The `cx-unify` command: generate demo data, run the nightly, evaluate it against ground truth."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cx_unify.settings import Settings, load_settings

if TYPE_CHECKING:
    from cx_unify.nightly import RunSummary

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="cx-unify: one customer reality from four team views, every night.",
)
console = Console(stderr=True, soft_wrap=True)  # a line stays one line in a log or pipe (no 80-column wrap)

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="CX_HOME: where everything lives (default ./.cx)")
]
LandingOpt = Annotated[Path | None, typer.Option("--landing", help="CX_LANDING (default $CX_HOME/landing)")]
WarehouseOpt = Annotated[
    Path | None, typer.Option("--warehouse", help="CX_WAREHOUSE (default $CX_HOME/warehouse.duckdb)")
]
PublishedOpt = Annotated[
    Path | None, typer.Option("--published", help="CX_PUBLISHED (default $CX_HOME/published)")
]
SourcesOpt = Annotated[
    Path | None, typer.Option("--sources", help="CX_SOURCES (default sources.yml in the repo)")
]
ChecksOpt = Annotated[
    Path | None, typer.Option("--checks", help="CX_CHECKS (default checks.yml in the repo)")
]


def _refused(exc: Exception, code: int) -> typer.Exit:
    """One red line, the error's message, and the exit (75: a run holds the lock; 2: a setting)."""
    console.print(f"[red]{escape(str(exc))}[/red]")
    return typer.Exit(code)


def _settings(
    home: Path | None = None,
    landing: Path | None = None,
    warehouse: Path | None = None,
    published: Path | None = None,
    sources: Path | None = None,
    checks: Path | None = None,
) -> Settings:
    from cx_unify.settings import SettingsError

    try:
        loaded = load_settings()
    except SettingsError as exc:  # a variable that cannot work: one red line, before anything runs
        raise _refused(exc, 2) from exc
    return loaded.with_overrides(
        home=home, landing=landing, warehouse=warehouse, published=published, sources=sources, checks=checks
    )


def _not_generated(folder: Path) -> list[str]:
    """The files in `folder` that the generator did not write (its answer key lists those it wrote; a key
    without that list, from an older generator, vouches for the whole folder)."""
    if not folder.exists():
        return []
    present = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    truth = folder / "ground_truth.json"
    if not truth.exists():
        return present
    try:
        written = json.loads(truth.read_text(encoding="utf-8")).get("files")
    except (ValueError, OSError):
        return present
    if written is None:
        return []
    return [p for p in present if p not in set(written) and p != truth.name]


@app.command()
def generate(
    scale: Annotated[
        float, typer.Option("--scale", help="scale factor: 1 ~ 1 M signal rows; 0.01 for tests")
    ] = 0.1,
    seed: Annotated[int, typer.Option("--seed", help="same seed, same bytes")] = 42,
    out: Annotated[
        Path | None, typer.Option("--out", help="landing folder to write (default CX_LANDING)")
    ] = None,
    clean: Annotated[bool, typer.Option("--clean", help="inject no fragmentation faults")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="write into a folder not made by the generator")
    ] = False,
    days: Annotated[int, typer.Option("--days", help="length of the window in days")] = 184,
    start: Annotated[str, typer.Option("--start", help="first day of the window (UTC)")] = "2026-05-01",
    home: HomeOpt = None,
) -> None:
    """Write vendor-shaped exports of all four team views plus ground_truth.json."""
    from cx_unify.generate import generate as run_generate

    target = out.resolve() if out else _settings(home=home).landing
    foreign = _not_generated(target)
    if foreign and not force:
        console.print(
            f"[red]{target} holds files the generator did not write ({', '.join(foreign[:5])}"
            f"{', …' if len(foreign) > 5 else ''}), which generating again would delete; use another --out, "
            "or --force[/red]"
        )
        raise typer.Exit(2)
    summary = run_generate(
        target, scale=scale, seed=seed, clean=clean, wipe=True, days=days, start=date.fromisoformat(start)
    )
    console.print(
        f"generated {summary['signal_rows']:,} signal rows for {summary['people']:,} people "
        f"in {summary['files']} files, {summary['faults']} faults injected"
    )
    print(json.dumps(summary, indent=2))


@app.command()
def run(
    home: HomeOpt = None,
    landing: LandingOpt = None,
    warehouse: WarehouseOpt = None,
    published: PublishedOpt = None,
    sources: SourcesOpt = None,
    checks: ChecksOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="show dbt's own output")] = False,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="dbt builds every incremental model from all the data again (after upgrading DuckDB, dbt "
            "or phonenumbers); the fragmentation_scorecard's trend is kept",
        ),
    ] = False,
) -> None:
    """Materialise the whole nightly (ingest, dbt, checks, publish) in-process through Dagster."""
    settings = _settings(home, landing, warehouse, published, sources, checks)
    console.print(
        f"nightly run{' (full refresh)' if full_refresh else ''}: landing {settings.landing} -> warehouse "
        f"{settings.warehouse}"
    )
    summary = _run_nightly(settings, verbose=verbose, full_refresh=full_refresh)
    _print_summary(settings, summary)
    if not summary.success:
        raise typer.Exit(1)


def _run_nightly(settings: Settings, verbose: bool = False, full_refresh: bool = False) -> RunSummary:
    """The nightly's summary; a setting that cannot work (sources.yml, checks.yml, a landing folder not there) or a run
    already going is one red line and an exit before any step runs."""
    from connectors.sources import SourceConfigError
    from cx_unify.nightly import run_nightly
    from cx_unify.runlock import RunInProgress
    from cx_unify.settings import SettingsError
    from expectations.config import ChecksConfigError

    try:
        return run_nightly(settings, verbose=verbose, full_refresh=full_refresh)
    except RunInProgress as exc:
        raise _refused(exc, 75) from exc
    except (SettingsError, ChecksConfigError, SourceConfigError) as exc:
        raise _refused(exc, 2) from exc
    except Exception as exc:
        full = _disk_full(exc)
        if full is None:
            raise
        raise _refused(RuntimeError(_disk_full_message(settings, full)), 1) from exc


_DISK_FULL = ("database or disk is full", "no space left on device", "disk quota exceeded")


def _disk_full(exc: BaseException) -> str | None:
    """The message of the error in `exc`'s chain that says a disk is full (an OSError ENOSPC / EDQUOT, or
    SQLite's "database or disk is full" from Dagster's run records), None if none does."""
    import errno

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return str(current)
        if any(words in str(current).lower() for words in _DISK_FULL):
            return str(current).splitlines()[0]
        current = current.__cause__ or current.__context__
    return None


def _disk_full_message(settings: Settings, cause: str) -> str:
    import shutil

    disks: dict[int, Path] = {}  # one line per disk, named by the first of the folders on it
    for folder in (settings.home, settings.warehouse.parent, settings.published):
        if folder.exists():
            disks.setdefault(folder.stat().st_dev, folder)
    free = ", ".join(f"{p}: {shutil.disk_usage(p).free / 1e6:,.0f} MB free" for p in disks.values())
    return (
        f"run FAILED: a disk is full ({cause}). {free}. Free space (Dagster's run records are in "
        f"{settings.dagster_home}, the warehouse grows by each night's data, a publish writes a copy of "
        f"the analyst file beside the old one) and run again; the published files are as the last publish "
        f"left them (it swaps in a whole file or nothing). Run logs: {settings.home / 'logs'}"
    )


def _print_summary(settings: Settings, summary: RunSummary) -> None:
    table = Table(title="rows per table", show_edge=False)
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in summary.tables.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    own = [
        c
        for c in summary.checks
        if not c[0].startswith(("not_null", "unique", "accepted_values", "relationships"))
    ]
    dbt_tests = [c for c in summary.checks if c not in own]
    failed = [c for c in own if not c[3]]
    console.print(
        f"checks: {sum(c[3] for c in own)} passed, {len(failed)} failed "
        f"(+ dbt tests: {sum(c[3] for c in dbt_tests)} passed, {sum(not c[3] for c in dbt_tests)} failed)"
    )
    for name, asset, severity, _ in failed:
        console.print(f"  [{'red' if severity == 'ERROR' else 'yellow'}]{severity}[/] {name} on {asset}")
    for name, asset, severity, passed in dbt_tests:
        if not passed:
            console.print(f"  [red]{severity}[/] dbt test {name} on {asset}")
    state = "[green]succeeded[/green]" if summary.success else "[red]FAILED[/red]"
    console.print(
        f"run {summary.run_id} {state} in {summary.seconds:.0f} s"
        + (f"; failed steps: {', '.join(summary.failed_steps)}" if summary.failed_steps else "")
    )
    console.print(f"warehouse:      {settings.warehouse}")
    for label, path, published in (
        ("analyst file:", settings.published_db, summary.published_analyst_file),
        ("report:", settings.report_html, summary.published_report),
    ):
        if published:
            console.print(f"{label:<16}{path}")
        elif path.exists():
            console.print(
                f"{label:<16}{path} [yellow](unchanged: an earlier run's; this run did not publish)[/]"
            )
        else:
            console.print(f"{label:<16}[yellow]none: nothing published yet[/] ({path})")
    console.print(f"run log:        {summary.log_file}")


@app.command()
def forget(
    source: Annotated[str, typer.Option("--source", help="the source's name (as sources.yml had it)")],
    file: Annotated[
        str,
        typer.Option("--file", help="only its files whose path under the landing folder matches this glob"),
    ] = "*",
    home: HomeOpt = None,
    landing: LandingOpt = None,
    warehouse: WarehouseOpt = None,
    sources: SourcesOpt = None,
) -> None:
    """Take a source's loaded files out of the warehouse (raw tables, quarantine); the next night drops
    their records from the marts. Refused for a file a configured source would load again."""
    from connectors.ingest import ForgetRefused, forget_files
    from connectors.sources import SourceConfigError, load_sources
    from cx_unify.runlock import RunInProgress, run_lock
    from cx_unify.warehouse_file import connect_waiting

    settings = _settings(home=home, landing=landing, warehouse=warehouse, sources=sources)
    if not settings.warehouse.is_file():
        console.print(f"[red]no warehouse at {escape(str(settings.warehouse))}[/red]")
        raise typer.Exit(2)
    try:
        with run_lock(settings.home, warehouse=settings.warehouse):
            con = connect_waiting(str(settings.warehouse))
            try:
                removed = forget_files(con, source, settings.landing, load_sources(settings.sources), file)
            finally:
                con.close()
    except RunInProgress as exc:
        raise _refused(exc, 75) from exc
    except (ForgetRefused, SourceConfigError) as exc:
        raise _refused(exc, 2) from exc
    for result in removed:
        console.print(f"removed {escape(result.file)} ({result.kind}): {escape(result.notes[0])}")
    if not removed:
        console.print(f"[yellow]source '{escape(source)}' has no loaded file matching '{escape(file)}'[/]")
    else:
        console.print("the next `cx-unify run` drops their records from the marts and the analyst file")


@app.command()
def evaluate(
    truth: Annotated[
        Path | None, typer.Option("--truth", help="ground_truth.json (default $CX_LANDING/ground_truth.json)")
    ] = None,
    details: Annotated[bool, typer.Option("--details", help="list every fault, not only totals")] = False,
    home: HomeOpt = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Identity precision / recall / F1 and fault detection of the last run, as JSON."""
    from cx_unify.evaluate import evaluate as run_evaluate

    settings = _settings(home=home, warehouse=warehouse)
    truth_path = truth or settings.landing / "ground_truth.json"
    if not truth_path.exists():
        console.print(f"[red]ground truth not found: {truth_path} (cx-unify generate writes it)[/red]")
        raise typer.Exit(2)
    print(json.dumps(run_evaluate(settings.warehouse, truth_path, details=details), indent=2, default=str))


@app.command()
def demo(
    scale: Annotated[float, typer.Option("--scale", help="scale factor of the demo data")] = 0.1,
    seed: Annotated[int, typer.Option("--seed")] = 42,
    home: HomeOpt = None,
) -> None:
    """Generate demo data (if the landing folder is empty), run the nightly, print where everything is."""
    from cx_unify.evaluate import evaluate as run_evaluate
    from cx_unify.generate import generate as run_generate

    settings = _settings(home=home)
    truth_path = settings.landing / "ground_truth.json"
    if (
        not truth_path.exists()
        and settings.landing.is_dir()
        and any(not p.name.startswith(".") for p in settings.landing.iterdir())
    ):
        # your own exports: the demo would write its files among them (and over those of the same name)
        console.print(
            f"[red]{settings.landing} holds files the generator did not write: the demo needs a landing folder "
            "of its own (another --home); run your exports with cx-unify run (an interrupted demo's files: "
            "delete the folder)[/red]"
        )
        raise typer.Exit(2)
    if not truth_path.exists():
        summary = run_generate(settings.landing, scale=scale, seed=seed, clean=False, wipe=False)
        console.print(
            f"demo data: {summary['signal_rows']:,} signal rows, {summary['faults']} injected faults "
            f"-> {settings.landing}"
        )
    result = _run_nightly(settings)
    _print_summary(settings, result)
    if result.success:
        scores = run_evaluate(settings.warehouse, truth_path)
        identity, faults = scores["identity"], scores["faults"]
        console.print(
            f"against ground truth: identity precision {identity['pairwise_precision']}, recall "
            f"{identity['pairwise_recall']}; faults detected {faults['detected']}/{faults['injected']}"
            f" (cx-unify evaluate for details)"
        )
        console.print(
            "query it:  uv run python -c \"import duckdb; print(duckdb.connect('"
            + str(settings.published_db)
            + "', read_only=True).sql('from main.readme'))\""
            + f"  (or, with the DuckDB CLI installed: duckdb -readonly {settings.published_db})"
        )
    else:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
