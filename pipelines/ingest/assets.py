"""One asset per raw table: load every configured source of that kind from the landing folder."""

from typing import Any

import dagster as dg

from connectors.contracts import CONTRACTS
from connectors.ingest import DERIVED_KINDS, FileResult, ingest_sources, loaded_files_sql
from connectors.sources import load_sources
from cx_unify.settings import load_settings
from pipelines.resources import WarehouseResource

GROUP = "ingest"


def _summary_table(results: list[FileResult]) -> str:
    lines = ["| file | status | read | loaded | quarantined | notes |", "|---|---|---|---|---|---|"]
    for r in results:
        if r.status != "unchanged":
            notes = "; ".join(r.notes).replace("|", "/")
            lines.append(
                f"| {r.file} | {r.status} | {r.rows_read} | {r.rows_loaded} | {r.rows_quarantined} | {notes} |"
            )
    return "\n".join(lines) if len(lines) > 2 else "nothing new in the landing folder"


def _preview(con: Any, table: str) -> str:
    frame = con.sql(f'SELECT * EXCLUDE (_extra) FROM raw."{table}" ORDER BY _ingested_at DESC LIMIT 5').pl()
    return str(frame)


def build_ingest_asset(kind: str) -> dg.AssetsDefinition:
    contract = CONTRACTS[kind]
    upstream_kinds = [k for k, derived in DERIVED_KINDS.items() if kind in derived]

    @dg.asset(
        key=["raw", kind],
        group_name=GROUP,
        kinds={"duckdb", "python"},
        deps=[dg.AssetKey(["raw", k]) for k in upstream_kinds],
        description=f"{contract.description} Loaded from every source of kind '{kind}' in sources.yml "
        "(raw contract in connectors/contracts.py); bad rows go to ops.quarantine.",
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        settings = load_settings()
        settings.check_paths()
        configured = load_sources(settings.sources)
        sources = [s for s in configured if s.kind == kind]
        with warehouse.get_connection() as con:
            # as many files at a time as DuckDB has threads (CX_DUCKDB_THREADS)
            results = ingest_sources(
                con,
                sources,
                settings.landing,
                run_id=context.run_id,
                workers=warehouse.threads,
                kinds=[kind],
                configured=configured,
            )
            rows = con.execute(f'SELECT count(*) FROM raw."{kind}"').fetchall()[0][0]
            unlisted = con.execute(
                f"SELECT DISTINCT source FROM ({loaded_files_sql('kind = ?')})"
                " WHERE source NOT IN (SELECT unnest(?::VARCHAR[])) ORDER BY source",
                [kind, [s.name for s in configured]],
            ).fetchall()
            preview = _preview(con, kind)
        seen = {r.source for r in results}
        for source in sources:
            if source.name not in seen:
                context.log.warning(
                    f"source '{source.name}': no file under {settings.landing} matches its path '{source.path}'"
                )
        for (name,) in unlisted:  # kept until asked (a source renamed or dropped by mistake keeps its data)
            context.log.warning(
                f"raw.{kind} keeps the rows of source '{name}', which sources.yml no longer lists: "
                f"`cx-unify forget --source {name}` takes them out"
            )
        failed = [r for r in results if r.status == "failed"]
        for r in failed:
            context.log.error(f"ingest failed: {r.error}")
        for r in results:
            for note in r.notes:
                if note.lower().startswith("warning"):
                    context.log.warning(f"{r.file}: {note}")
            if r.rows_quarantined:
                context.log.warning(f"{r.file}: {r.rows_quarantined} of {r.rows_read} rows quarantined")
        new = [r for r in results if r.status != "unchanged"]
        return dg.MaterializeResult(
            metadata={
                "rows": dg.MetadataValue.int(int(rows)),
                "files_seen": dg.MetadataValue.int(len(results)),
                "files_new_or_changed": dg.MetadataValue.int(len(new)),
                "files_failed": dg.MetadataValue.int(len(failed)),
                "rows_loaded_now": dg.MetadataValue.int(sum(r.rows_loaded for r in new)),
                "rows_quarantined_now": dg.MetadataValue.int(sum(r.rows_quarantined for r in new)),
                "files": dg.MetadataValue.md(_summary_table(results)),
                "preview": dg.MetadataValue.md(f"```\n{preview}\n```"),
                "sources": dg.MetadataValue.text(", ".join(s.name for s in sources) or "(none configured)"),
            }
        )

    return _ingest


ingest_assets = [build_ingest_asset(kind) for kind in CONTRACTS]
