"""Load landed files into raw.* with a manifest, a quarantine and exact row accounting.

Per file, in one transaction: read (DuckDB readers) -> map and validate (one SQL pass over the file) ->
good rows to raw.<kind>, bad rows (and records the parser refused) to ops.quarantine with the reason,
one row in ops.ingest_files (with `notes`: how the file was read, and warnings). The rule
rows_read = rows_loaded + rows_quarantined holds for every file. Idempotent:
- same path, same bytes as loaded before, read the same way: nothing happens (a file whose size, times and
  inode are those it had when loaded is not even read: FileStat);
- same bytes under another path of the source: 'skipped_duplicate' (later nights, not read while its
  stat is and a path whose bytes it copies is unchanged);
- same path, new bytes, or the source's reading changed in sources.yml (mapping, formats, zone...: its
  `reading_digest`): the file's earlier rows are removed and the file loaded again ('replaced');
- a file that cannot be parsed, or that the path globs of two sources both match: 'failed' with the
  error; the other files still load;
- a file listed but moved away before it was read: 'gone' (a warning, no manifest row);
- an unchanged file whose latest row is 'failed' (the cause was in sources.yml, since fixed): 'unchanged'.
A file's rows stay when the file leaves the landing folder (exports are often rotated away once loaded);
`forget_files` takes them out on request ('removed'), once no configured source would load it again.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from connectors.contracts import CONTRACTS, LINEAGE, OPS_DDL, TRACKED_FIELDS, ddl
from connectors.mapping import MappingError, compile_select, duplicates_update, lit, q
from connectors.readers import (
    ReadResult,
    UnreadableFile,
    collect_rejects,
    detect_format,
    drop_temp,
    first_line,
    read_file,
)
from connectors.sources import Source

DERIVED_KINDS = {"contacts": ("workload",)}  # call-level logs also yield workload aggregates
INGEST_WORKERS = min(os.cpu_count() or 1, 4)  # files loaded at a time (the nightly: CX_DUCKDB_THREADS)


@dataclass
class FileResult:
    source: str
    kind: str
    file: str
    sha256: str
    size: int
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    status: str = "loaded"
    error: str | None = None
    reading_digest: str | None = None  # Source.reading_digest: how the file was read
    notes: list[str] = field(default_factory=list)  # how the file was read; warnings first
    columns_read: dict[str, str] | None = None  # contract column -> what filled it (header 'Subject')
    file_stat: str | None = None  # FileStat.key when its bytes were hashed


def loaded_files_sql(where: str = "true") -> str:
    """A select of the files each source holds rows of now, from ops.ingest_files: the latest load of each
    path (loaded or replaced), unless it was removed since (forget_files). `where` filters the manifest's
    rows by source, kind or file (not by sha256: a path's latest row decides)."""
    return (
        "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY source, file ORDER BY ingested_at DESC)"
        f" AS newest FROM ops.ingest_files WHERE status IN ('loaded', 'replaced', 'removed') AND ({where}))"
        " WHERE newest = 1 AND status <> 'removed'"
    )


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for schema in ("raw", "ops", "quality"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for contract in CONTRACTS.values():
        con.execute(ddl(contract))
        # a warehouse made by an older version gains the contract's new columns (never loses any)
        have = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ?",
                [contract.table],
            ).fetchall()
        }
        for column in (*contract.columns, *LINEAGE):
            if column.name not in have:
                con.execute(f'ALTER TABLE raw."{contract.table}" ADD COLUMN "{column.name}" {column.type}')
    for statement in OPS_DDL:
        con.execute(statement)
    # how the file was read (encoding, header layout, sheets) and warnings; older warehouses gain it
    con.execute("ALTER TABLE ops.ingest_files ADD COLUMN IF NOT EXISTS notes VARCHAR")
    con.execute("ALTER TABLE ops.ingest_files ADD COLUMN IF NOT EXISTS reading_digest VARCHAR")
    # which contract columns the file filled, from what (JSON): the next file of the source is compared
    con.execute("ALTER TABLE ops.ingest_files ADD COLUMN IF NOT EXISTS columns_read VARCHAR")
    # the file's size, times and inode when its bytes were hashed (FileStat.key): the same, it is not hashed again
    con.execute("ALTER TABLE ops.ingest_files ADD COLUMN IF NOT EXISTS file_stat VARCHAR")


# a time this recent may still change within the file system's clock resolution (a file written again in
# the same tick keeps its times): such a file is hashed again next night
SETTLED_NS = 2_000_000_000


@dataclass(frozen=True)
class FileStat:
    """A landed file's stat, taken before its bytes are hashed (a file written while hashed shows newer
    times next night). `key` holds its size, modification and change times, inode and device, as git's
    index does: copies that keep a modification time (cp -p, rsync -a, unzip, curl -R) still change the
    change time, which no tool sets; None while the times are too recent to trust."""

    size: int
    key: str | None

    @classmethod
    def of(cls, path: Path) -> FileStat:
        stat = path.stat()
        settled = max(stat.st_mtime_ns, stat.st_ctime_ns) < time.time_ns() - SETTLED_NS
        key = f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}:{stat.st_dev}"
        return cls(stat.st_size, key if settled else None)


GONE = (
    "warning: the file left the landing folder before it was read (moved or rotated away?): not loaded "
    "tonight; loaded (if its bytes are new) when it lands again"
)


def _gone(source: Source, path: Path, landing: Path) -> FileResult:
    """The result of a file listed tonight but gone before it was read: no failure, and no manifest row
    (nothing of it was loaded tonight)."""
    return FileResult(source.name, source.kind, _relative(path, landing), "", 0, status="gone", notes=[GONE])


def _sha256_unless_gone(path: Path) -> str | None:
    try:
        return sha256_of(path)
    except FileNotFoundError:
        return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def ingest_sources(
    con: duckdb.DuckDBPyConnection,
    sources: list[Source],
    landing: Path,
    run_id: str | None = None,
    workers: int = INGEST_WORKERS,
    kinds: list[str] | None = None,
    configured: list[Source] | None = None,
) -> list[FileResult]:
    """Load every file of `sources`, `workers` files at a time (each on its own cursor, in its own
    transaction): one file keeps about one core busy (parse, map, write and commit alternate), so two at
    a time use a 2-core machine. A file whose bytes the manifest or the batch already knows (a duplicate,
    a renamed or rotated export) waits for every file before it, so its status is decided as if the
    files loaded one by one, in order. Every file of the batch gets one load time (`_ingested_at`): the
    staging models order a batch's versions by file name. After a file fails with an error (not a
    'failed' file: a broken disk, no memory), no further file starts and the error is raised.
    `configured`: every source sources.yml lists (default: `sources`); a file the path globs of two of
    them match belongs to neither and fails."""
    con.execute("SET TimeZone = 'UTC'")  # naive timestamps in raw are UTC; zones are converted explicitly
    ensure_schema(con)
    _record_history_sources(con, sources)
    # one id per call when none is given: ops.ingest_runs tells a kind's latest run by it
    run_id = run_id or f"manual-{uuid.uuid4().hex[:12]}"
    # fewer automatic checkpoints (files smaller than a row group are committed through the WAL, and each
    # checkpoint rewrote the tables' tails: Qualtrics at SF 10 15 s -> 10 s), one after the last file;
    # bounded, because data not yet checkpointed is held in memory
    con.execute("SET checkpoint_threshold = '256MB'")
    files = [(source, path) for source in sources for path in source.files(landing)]
    claims = _claims(configured if configured is not None else sources, landing)
    loaded_at = _now()
    _assume_current_reading(con, sources)
    manifest = con.execute(
        "SELECT source, file, sha256, file_stat, reading_digest FROM "
        f"({loaded_files_sql('source IN (SELECT unnest(?::VARCHAR[]))')})",
        [[s.name for s in sources]],
    ).fetchall()
    known = {row[2] for row in manifest}
    last_at = {(row[0], row[1]): row[2] for row in manifest}
    # a file of the same size and modification time as when its bytes were last loaded is unchanged: a
    # night no longer reads every file ever landed (a year of exports) to hash it
    stats: dict[Path, FileStat] = {}
    settled: dict[tuple[str, Path], FileResult] = {}  # (source, path) -> unchanged or gone, not read tonight
    for source, path in files:
        try:
            stats[path] = FileStat.of(path)
        except FileNotFoundError:  # listed, then moved away
            settled[(source.name, path)] = _gone(source, path, landing)
    last_stat = {(row[0], row[1]): (row[3], row[4]) for row in manifest if row[3] is not None}
    for source, path in files:
        rel = _relative(path, landing)
        key, reading = last_stat.get((source.name, rel), (None, None))
        stat = stats.get(path)
        if stat and key == stat.key and reading == source.reading_digest and len(claims[path]) == 1:
            settled[(source.name, path)] = FileResult(
                source.name, source.kind, rel, last_at[(source.name, rel)], stat.size, status="unchanged",
                reading_digest=reading, file_stat=key,
            )  # fmt: skip
    # a copy of a loaded file (skipped_duplicate) likewise, while a path of its source whose bytes it
    # copies is unchanged tonight (once none is, it is read, and loads in their place)
    kept_bytes = {
        (name, result.sha256) for (name, _), result in settled.items() if result.status == "unchanged"
    }
    copies = {
        (name, rel): (sha, key, reading)
        for name, rel, sha, key, reading in con.execute(
            "SELECT source, file, sha256, file_stat, reading_digest FROM (SELECT *, row_number() OVER "
            "(PARTITION BY source, file ORDER BY ingested_at DESC) AS newest FROM ops.ingest_files "
            "WHERE status = 'skipped_duplicate' AND source IN (SELECT unnest(?::VARCHAR[]))) WHERE newest = 1",
            [[s.name for s in sources]],
        ).fetchall()
    }
    for source, path in files:
        rel = _relative(path, landing)
        sha, key, reading = copies.get((source.name, rel), (None, None, None))
        stat = stats.get(path)
        if (
            stat and key is not None and key == stat.key and reading == source.reading_digest
            and (source.name, rel) not in last_at and (source.name, sha) in kept_bytes and len(claims[path]) == 1
        ):  # fmt: skip
            settled[(source.name, path)] = FileResult(
                source.name, source.kind, rel, sha, stat.size, status="unchanged", reading_digest=reading,
                file_stat=key,
            )  # fmt: skip
    if files and all(result.status == "gone" for result in settled.values()) and len(settled) == len(files):
        raise FileNotFoundError(f"every file listed in {landing} left it before it was read: is it mounted?")
    to_read = [(source, path) for source, path in files if (source.name, path) not in settled]
    # the files' digests are computed ahead, beside DuckDB's work (hashlib and DuckDB both release the GIL)
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cx-sha256")
    loaders = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="cx-ingest")
    cursors = _Cursors(con)
    try:
        loads: list[Future[FileResult]] = []
        for (source, path), sha in zip(
            to_read, hasher.map(_sha256_unless_gone, [path for _, path in to_read]), strict=True
        ):
            if sha is None:
                done: Future[FileResult] = Future()
                done.set_result(_gone(source, path, landing))
                loads.append(done)
                continue
            if sha in known and last_at.get((source.name, _relative(path, landing))) != sha:
                wait(loads)  # bytes seen elsewhere: decided after every file before it, as if one by one
            if any(load.done() and load.exception() for load in loads):
                break
            if len(claims[path]) > 1:
                loads.append(
                    _claimed_twice(
                        con, source, path, landing, run_id, sha, loaded_at, claims[path], stats[path]
                    )
                )
                continue
            loads.append(
                loaders.submit(
                    cursors.run, ingest_file, source, path, landing, run_id, sha, loaded_at, stats[path]
                )
            )
            known.add(sha)
        read = iter([load.result() for load in loads])
        results = [settled.get((source.name, path)) or next(read) for source, path in files]
    finally:
        hasher.shutdown(cancel_futures=True)
        loaders.shutdown(cancel_futures=True)
        cursors.close()
        con.execute("RESET checkpoint_threshold")
    _record_failures_past(con, [r for r in results if r.status == "unchanged"], run_id, loaded_at)
    _record_run(con, sorted({*(kinds or []), *(source.kind for source in sources)}), results, run_id)
    con.execute("CHECKPOINT")
    return results


def _record_failures_past(
    con: duckdb.DuckDBPyConnection, unchanged: list[FileResult], run_id: str, now: datetime
) -> None:
    """An unchanged file whose latest row says 'failed' (two sources' globs matched it one night, since
    narrowed) gets an 'unchanged' row: its rows are those it loaded before, and the failure is past. Without
    it the file read as failed for good, in the analyst file too, while its rows were in every mart."""
    if not unchanged:
        return
    failed = set(
        con.execute(
            "SELECT source, file FROM (SELECT source, file, status, row_number() OVER (PARTITION BY source, file "
            "ORDER BY ingested_at DESC) AS newest FROM ops.ingest_files WHERE source IN (SELECT unnest(?::VARCHAR[]))) "
            "WHERE newest = 1 AND status = 'failed'",
            [sorted({r.source for r in unchanged})],
        ).fetchall()
    )
    for result in unchanged:
        if (result.source, result.file) in failed:
            result.notes = [
                "unchanged since it loaded before: its rows are those; the failure recorded after is past"
            ]
            _manifest(con, result, run_id, now)


def _record_history_sources(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """ops.history_sources: which complaint source each change-history source describes (sources.yml
    complaint_source), as configured tonight."""
    histories = [(s.name, s.complaint_source) for s in sources if s.kind == "complaint_events"]
    if not histories:
        return
    con.execute("BEGIN")
    con.execute(
        "DELETE FROM ops.history_sources WHERE source IN (SELECT unnest(?::VARCHAR[]))",
        [[n for n, _ in histories]],
    )
    con.executemany("INSERT INTO ops.history_sources VALUES (?, ?)", histories)
    con.execute("COMMIT")


def _claims(sources: list[Source], landing: Path) -> dict[Path, list[str]]:
    """The sources whose path glob matches each landed file."""
    claims: dict[Path, list[str]] = {}
    for source in sources:
        for path in source.files(landing):
            claims.setdefault(path, []).append(source.name)
    return claims


def _claimed_twice(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    path: Path,
    landing: Path,
    run_id: str,
    sha: str,
    loaded_at: datetime,
    names: list[str],
    stat: FileStat,
) -> Future[FileResult]:
    """A failed result (and manifest row) for a file several sources claim: loading it under each would
    count its records twice, so it loads under none until sources.yml gives it to one."""
    rel = _relative(path, landing)
    result = FileResult(source.name, source.kind, rel, sha, stat.size, reading_digest=source.reading_digest)
    result.status = "failed"
    result.error = (
        f"{rel}: the path globs of sources {', '.join(repr(n) for n in names)} all match this file, "
        "which would load its records once per source; narrow the globs in sources.yml so one source has it"
    )
    _manifest(con, result, run_id, loaded_at)
    done: Future[FileResult] = Future()
    done.set_result(result)
    return done


def _assume_current_reading(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """Files loaded before the manifest recorded how (no reading_digest) are taken as read the way
    sources.yml reads them now, so an upgrade loads nothing again and later changes of sources.yml do."""
    for source in sources:
        con.execute(
            "UPDATE ops.ingest_files SET reading_digest = ? WHERE source = ? AND reading_digest IS NULL",
            [source.reading_digest, source.name],
        )


def _record_run(
    con: duckdb.DuckDBPyConnection, kinds: list[str], results: list[FileResult], run_id: str
) -> None:
    """One ops.ingest_runs row per kind ingested (`kinds`: the kinds asked for, even with no source left,
    and those of the sources): this run looked at all of the kind's files. A file that still fails fails
    again in every run (it is tried until it loads), so the files failing now are the failed rows of the
    kind's latest run: a file fixed, put back to bytes loaded before, removed from the landing folder, or
    whose source is no longer configured no longer counts."""
    finished = _now()
    for kind in kinds:  # its failed files are ops.ingest_files' failed rows with this run_id
        con.execute(
            "INSERT INTO ops.ingest_runs (kind, run_id, finished_at, files_seen) VALUES (?, ?, ?, ?)",
            [kind, run_id, finished, sum(r.kind == kind for r in results)],
        )


class _Cursors:
    """One DuckDB cursor per loader thread (a cursor is a connection of its own: its own transaction and
    temp tables), made on first use and closed at the end."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._local = threading.local()
        self._all: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()

    def run(self, load: Callable[..., FileResult], *args: Any) -> FileResult:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._lock:
                cursor = self._con.cursor()
                self._all.append(cursor)
            cursor.execute("SET TimeZone = 'UTC'")
            self._local.cursor = cursor
        return load(cursor, *args)

    def close(self) -> None:
        for cursor in self._all:
            cursor.close()


def _relative(path: Path, landing: Path) -> str:
    """The file's name in the manifest: its path under the landing folder."""
    return path.relative_to(landing).as_posix() if path.is_relative_to(landing) else str(path)


def _previous(
    con: duckdb.DuckDBPyConnection, source: Source, rel: str, sha: str
) -> tuple[str | None, str | None, bool, int | None]:
    """(sha last loaded at this path, how it was read (reading_digest), whether these bytes are already
    loaded under another path, the file's FileStat.key then)."""
    row = con.execute(
        f"SELECT sha256, reading_digest, file_stat FROM ({loaded_files_sql('source = ? AND file = ?')})",
        [source.name, rel],
    ).fetchone()
    elsewhere = con.execute(
        f"SELECT count(*) FROM ({loaded_files_sql('source = ? AND file <> ?')}) WHERE sha256 = ?",
        [source.name, rel, sha],
    ).fetchone()
    return (
        (row[0] if row else None),
        (row[1] if row else None),
        bool(elsewhere and elsewhere[0]),
        (row[2] if row else None),
    )


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    path: Path,
    landing: Path,
    run_id: str = "manual",
    sha: str | None = None,
    loaded_at: datetime | None = None,
    stat: FileStat | None = None,
) -> FileResult:
    """Load one file (see the module's docstring); `sha` is the file's SHA-256 when already known,
    `loaded_at` the batch's load time (now when not given), `stat` its FileStat taken before `sha` was."""
    rel = _relative(path, landing)
    try:
        stat = stat or FileStat.of(path)
        sha = sha or sha256_of(path)
    except FileNotFoundError:
        return _gone(source, path, landing)
    result = FileResult(
        source.name,
        source.kind,
        rel,
        sha,
        stat.size,
        reading_digest=source.reading_digest,
        file_stat=stat.key,
    )
    last_sha, last_reading, duplicate_elsewhere, last_stat = _previous(con, source, rel, sha)
    read_again = last_sha == sha and last_reading not in (None, source.reading_digest)
    if last_sha == sha and not read_again:
        result.status = "unchanged"
        if stat.key is not None and stat.key != last_stat:  # touched, copied back, or loaded before
            con.execute(  # its time was recorded: the same bytes, so next night it is not hashed again
                "UPDATE ops.ingest_files SET file_stat = ? WHERE source = ? AND file = ? AND sha256 = ? "
                "AND status IN ('loaded', 'replaced')",
                [stat.key, source.name, rel, sha],
            )
        return result
    if duplicate_elsewhere and last_sha is None:
        already = con.execute(
            "SELECT count(*) FROM ops.ingest_files WHERE source = ? AND file = ? AND sha256 = ?"
            " AND status = 'skipped_duplicate'",
            [source.name, rel, sha],
        ).fetchone()
        result.status = "unchanged" if already and already[0] else "skipped_duplicate"
        if result.status == "skipped_duplicate":
            _manifest(con, result, run_id, loaded_at)
        elif stat.key is not None:  # recorded before its time was, or touched: next night it is not hashed
            con.execute(
                "UPDATE ops.ingest_files SET file_stat = ? WHERE source = ? AND file = ? AND sha256 = ? "
                "AND status = 'skipped_duplicate' AND file_stat IS DISTINCT FROM ?",
                [stat.key, source.name, rel, sha, stat.key],
            )
        return result
    now = loaded_at or _now()
    con.execute("BEGIN TRANSACTION")
    try:
        if last_sha is not None:
            result.status = "replaced"
            if read_again:
                result.notes.append(  # sources.yml, or the preset or reader it names after an upgrade
                    "read again: how this source's files are read changed (sources.yml, its preset, or cx-unify's "
                    "reading after an upgrade)"
                )
            _delete_file_rows(con, source.name, source.kind, rel)
        _load(con, source, path, rel, sha, now, result)
        _manifest(con, result, run_id, now)
        con.execute("COMMIT")
    except (UnreadableFile, MappingError) as exc:
        con.execute("ROLLBACK")
        if not path.exists():  # moved away while it was read: as if it had not landed yet
            return _gone(source, path, landing)
        result.status, result.error = "failed", f"{rel}: {exc}"
        result.rows_read = result.rows_loaded = result.rows_quarantined = 0
        _manifest(con, result, run_id, now)
    except FileNotFoundError:
        con.execute("ROLLBACK")
        if path.exists():
            raise
        return _gone(source, path, landing)  # moved away while it was read (its stat, its load time)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        drop_temp(con, "_landing", "_mapped")
    return result


def _delete_file_rows(con: duckdb.DuckDBPyConnection, source_name: str, kind: str, file: str) -> None:
    """The rows a file loaded: its raw rows, the aggregates derived from them, its quarantined rows."""
    for table in (kind, *DERIVED_KINDS.get(kind, ())):
        con.execute(f'DELETE FROM raw."{table}" WHERE _source = ? AND _file = ?', [source_name, file])
    con.execute("DELETE FROM ops.quarantine WHERE source = ? AND file = ?", [source_name, file])


def _load(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    path: Path,
    rel: str,
    sha: str,
    now: datetime,
    result: FileResult,
) -> None:
    with tempfile.TemporaryDirectory(prefix="cx-ingest-") as workdir:
        read = read_file(con, path, source, Path(workdir))
        result.notes += read.notes
        try:
            compiled = compile_select(source, read.columns, read.table, read.empty_columns)
        except MappingError as exc:
            holders = (
                _record_lists(con, read) if detect_format(path, source.format) in ("json", "jsonl") else []
            )
            if holders and source.json_path is None:
                raise MappingError(
                    f"{exc}. The file's records may sit in the list under '{holders[0]}': set json_path: "
                    f"{holders[0]} for sources.yml source '{source.name}'"
                ) from exc
            raise
        try:  # the one full read of the file: parse, map, type and check in a single pass
            created = con.execute(
                f"CREATE OR REPLACE TEMP TABLE _mapped AS SELECT *, _row AS _g FROM ({compiled.sql})"
            ).fetchone()
        except duckdb.Error as exc:
            raise MappingError(
                f"mapping of source '{source.name}' does not apply to this file: {first_line(exc)}"
            ) from exc
        rejects_table, rejects = collect_rejects(con, read)
        if rejects and not read.numbered:  # records after a refused one move down by one each
            con.execute(f"""
CREATE OR REPLACE TEMP TABLE _mapped AS
SELECT m.* EXCLUDE (_row), (m._g + coalesce(k._shift, 0))::BIGINT AS _row
FROM _mapped m ASOF LEFT JOIN {read.table}_shifts k ON (m._g + {read.extra_rows}) > k._m""")
        duplicates = duplicates_update(source, compiled, "_mapped")
        repeated = con.execute(duplicates).fetchone() if duplicates else None
        if repeated and repeated[0]:  # duplicates are found after the pass: fetch their records
            con.execute(f"""
UPDATE _mapped SET _raw_record = l._rec
FROM (SELECT _row AS _g, {compiled.raw_record_sql} AS _rec FROM {read.table}
      WHERE _row IN (SELECT _g FROM _mapped WHERE _reason IS NOT NULL AND _raw_record IS NULL)) l
WHERE _mapped._g = l._g AND _mapped._raw_record IS NULL""")
    result.columns_read = {c.column.name: c.origin for c in compiled.columns if c.origin != "not mapped"}
    gone = _columns_gone(con, source, rel, now, result.columns_read, read.columns)
    result.notes[0:0] = compiled.warnings + gone + _zone_of_fivetran_table(source, read.columns)
    if compiled.extra_headers and source.extra_columns == "ignore":
        result.notes.insert(
            0,
            f"warning: {len(compiled.extra_headers)} column(s) not in the mapping ignored: {compiled.extra_headers}",
        )
    contract = CONTRACTS[source.kind]
    lineage = {
        "_source": lit(source.name),
        "_file": lit(rel),
        "_file_sha256": lit(sha),
        "_row": "_row",
        "_ingested_at": f"TIMESTAMP {lit(now.isoformat(sep=' '))}",
        "_extra": "_extra",
        "_file_modified_at": f"TIMESTAMP {lit(_modified_at(path).isoformat(sep=' '))}",
    }
    target_cols = [*contract.names, *(c.name for c in LINEAGE)]
    select_cols = [q(n) for n in contract.names] + [lineage[c.name] for c in LINEAGE]
    loaded = con.execute(
        f'INSERT INTO raw."{source.kind}" ({", ".join(q(c) for c in target_cols)}) '
        f"SELECT {', '.join(select_cols)} FROM _mapped WHERE _reason IS NULL"
    ).fetchone()
    quarantined = con.execute(
        "INSERT INTO ops.quarantine SELECT ?, ?, ?, ?, _row, _raw_record, _reason, ? "
        "FROM _mapped WHERE _reason IS NOT NULL",
        [source.name, source.kind, rel, sha, now],
    ).fetchone()
    refused = (0,)
    if rejects_table:
        refused = con.execute(
            f"INSERT INTO ops.quarantine SELECT ?, ?, ?, ?, _row, raw_record, reason, ? FROM {rejects_table}",
            [source.name, source.kind, rel, sha, now],
        ).fetchone() or (0,)
    assert loaded is not None and quarantined is not None and created is not None
    # records read = records the parser produced + records it refused; each went to raw or quarantine
    result.rows_read = int(created[0]) + rejects
    result.rows_loaded = int(loaded[0])
    result.rows_quarantined = int(quarantined[0]) + int(refused[0])
    if source.kind == "complaint_events":
        warnings, notes = _untracked_fields(con, result.rows_loaded)
        result.notes[0:0] = warnings  # warnings first
        result.notes += notes
    if source.preset.derive_workload:
        _derive_workload(con, source, rel, sha, now)


def _record_lists(con: duckdb.DuckDBPyConnection, read: ReadResult) -> list[str]:
    """The columns of a JSON file that hold lists of objects: where its records are when the file wraps them
    in an object ({"responses": [...], "count": 1})."""
    if not read.columns:
        return []
    listed = ", ".join(f"coalesce(bool_or(left(ltrim({q(c)}), 2) = '[{{'), false)" for c in read.columns)
    found = con.execute(f"SELECT {listed} FROM {read.table}").fetchone() or ()
    return [column for column, holds in zip(read.columns, found, strict=True) if holds]


def _untracked_fields(con: duckdb.DuckDBPyConnection, loaded: int) -> tuple[list[str], list[str]]:
    """(warnings, notes): a note on the loaded changes of fields staging does not track (kept in raw); a
    warning instead when the file holds no change of a tracked field (field mapped to the wrong header?)."""
    tracked = ", ".join(lit(f) for f in TRACKED_FIELDS)
    others = con.execute(f"""
        SELECT lower(trim(field)) AS name, count(*) AS n FROM _mapped
        WHERE _reason IS NULL AND lower(trim(field)) NOT IN ({tracked}) GROUP BY 1 ORDER BY n DESC, name""").fetchall()
    if not others:
        return [], []
    count = sum(n for _, n in others)
    named = ", ".join(f"{name} {n}" for name, n in others[:5]) + (", …" if len(others) > 5 else "")
    if count == loaded:
        warning = (
            f"warning: none of the {count} changes is of a field staging tracks ({', '.join(TRACKED_FIELDS)}; "
            f"this file has {named}): is field mapped to the right column in sources.yml?"
        )
        return [warning], []
    changes = "1 change" if count == 1 else f"{count} changes"
    return [], [f"{changes} of fields staging does not track ({named}) kept in raw, left out of staging"]


def _modified_at(path: Path) -> datetime:
    """The file's modification time, UTC (naive, as the raw timestamps)."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)


def _zone_of_fivetran_table(source: Source, columns: list[str]) -> list[str]:
    """A Fivetran table (it carries _fivetran_synced) holds UTC times without a zone: read in a source's
    local zone (a help desk's CSV exports use the account's) they move by its offset, without a word."""
    if "_fivetran_synced" not in columns or source.timezone == "UTC":
        return []
    return [
        f"warning: a Fivetran table (column _fivetran_synced), whose times are UTC, read in this source's "
        f"time zone {source.timezone}: give it a source of its own with timezone: UTC in sources.yml"
    ]


def _columns_gone(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    rel: str,
    now: datetime,
    filled: dict[str, str],
    headers: list[str],
) -> list[str]:
    """Warnings for the columns the source's previous file filled and this one leaves empty: an export
    whose columns were renamed or dropped (a preset maps many headers, so nothing else would tell). The
    previous file is the latest loaded before this ingest (files of one ingest load in parallel)."""
    previous = con.execute(
        "SELECT file, columns_read FROM ops.ingest_files WHERE source = ? AND file <> ? AND columns_read IS NOT NULL"
        " AND status IN ('loaded', 'replaced') AND ingested_at < ? ORDER BY ingested_at DESC, file DESC LIMIT 1",
        [source.name, rel, now],
    ).fetchone()
    if previous is None:
        return []
    before: dict[str, str] = json.loads(previous[1])
    warnings = []
    for name, origin in before.items():
        # a column sources.yml's own mapping names is warned of by the mapping (compile_select) already
        if name not in filled and name not in source.mapped_here:
            close = difflib.get_close_matches(origin.split("'")[1] if "'" in origin else name, headers, n=1)
            warnings.append(
                f"warning: column '{name}' left empty: the previous file {previous[0]} filled it ({origin[:80]}), "
                f"this one has no such column{f' (did you mean {close[0]!r}?)' if close else ''}: did the "
                f"export change? map it in sources.yml source '{source.name}' mapping.{name}"
            )
    return warnings


def _derive_workload(
    con: duckdb.DuckDBPyConnection, source: Source, rel: str, sha: str, now: datetime
) -> None:
    """Per queue and UTC day: offered (answered + abandoned), handled, abandoned, waits, agents."""
    con.execute(f"""
INSERT INTO raw.workload (period_start, period_end, team, queue, channel, contacts_offered, contacts_handled,
  contacts_abandoned, backlog, avg_wait_seconds, avg_handle_seconds, agents_staffed,
  _source, _file, _file_sha256, _row, _ingested_at, _extra)
SELECT date_trunc('day', started_at), date_trunc('day', started_at) + INTERVAL 1 DAY, team, queue, channel,
  count(*) FILTER (WHERE upper(outcome) IN ('AGENT', 'HANG')),
  count(*) FILTER (WHERE upper(outcome) = 'AGENT'),
  count(*) FILTER (WHERE upper(outcome) = 'HANG'),
  NULL,
  avg(wait_seconds) FILTER (WHERE upper(outcome) IN ('AGENT', 'HANG')),
  avg(handle_seconds) FILTER (WHERE upper(outcome) = 'AGENT'),
  count(DISTINCT agent),
  {lit(source.name)}, {lit(rel)}, {lit(sha)}, NULL, TIMESTAMP {lit(now.isoformat(sep=" "))},
  '{{"derived_from": "raw.contacts"}}'
FROM raw.contacts WHERE _source = {lit(source.name)} AND _file = {lit(rel)}
GROUP BY ALL""")


def _manifest(
    con: duckdb.DuckDBPyConnection, r: FileResult, run_id: str, now: datetime | None = None
) -> None:
    con.execute(
        "INSERT INTO ops.ingest_files (source, kind, file, sha256, size, rows_read, rows_loaded, "
        "rows_quarantined, status, error, ingested_at, run_id, notes, reading_digest, columns_read, file_stat) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            r.source,
            r.kind,
            r.file,
            r.sha256,
            r.size,
            r.rows_read,
            r.rows_loaded,
            r.rows_quarantined,
            r.status,
            r.error,
            now or _now(),
            run_id,
            "; ".join(r.notes) or None,
            r.reading_digest,
            json.dumps(r.columns_read, sort_keys=True) if r.columns_read is not None else None,
            r.file_stat,
        ],
    )


class ForgetRefused(ValueError):
    """A file cannot be forgotten: a configured source would load it again on the next night."""


def forget_files(
    con: duckdb.DuckDBPyConnection,
    source_name: str,
    landing: Path,
    configured: list[Source],
    pattern: str = "*",
    run_id: str | None = None,
) -> list[FileResult]:
    """Take the rows of a source's loaded files whose path (under the landing folder) matches `pattern`
    out of raw.* (and the aggregates derived from them) and ops.quarantine, one transaction, each file
    recorded 'removed' in ops.ingest_files. For files gone from the landing folder, or a source removed
    from sources.yml: a file a configured source still matches would load again the next night, so it
    is refused (nothing is removed). The next night's dbt build drops the records from the marts."""
    ensure_schema(con)
    run_id = run_id or f"manual-{uuid.uuid4().hex[:12]}"
    loaded = con.execute(
        f"SELECT file, kind, sha256, size, rows_loaded, rows_quarantined FROM ({loaded_files_sql('source = ?')})"
        " ORDER BY file",
        [source_name],
    ).fetchall()
    known = [r[0] for r in con.execute("SELECT DISTINCT source FROM ops.ingest_files ORDER BY 1").fetchall()]
    if not loaded and source_name not in known and source_name not in {source.name for source in configured}:
        raise ForgetRefused(
            f"no source '{source_name}': neither in sources.yml nor among the sources that loaded files "
            f"({', '.join(known) or 'none yet'})"
        )
    chosen = [row for row in loaded if fnmatch.fnmatchcase(row[0], pattern)]
    copies = con.execute(  # the same bytes skipped under other names: they would load once it is gone
        "SELECT DISTINCT sha256, file FROM ops.ingest_files WHERE source = ? AND status = 'skipped_duplicate'",
        [source_name],
    ).fetchall()
    landed = {path for source in configured for path in source.files(landing)}
    still_landed = sorted(
        {
            name
            for file, _, sha, *_ in chosen
            for name in (file, *(copy for copy_sha, copy in copies if copy_sha == sha))
            if landing / name in landed
        }
    )
    if still_landed:
        raise ForgetRefused(
            f"{', '.join(still_landed)}: still in the landing folder and matched by sources.yml (the file, or a "
            "copy of its bytes), so the next night would load it again; move it out of the landing folder (or "
            "the source out of sources.yml) first"
        )
    now = _now()
    results = []
    con.execute("BEGIN TRANSACTION")
    try:
        for file, kind, sha, size, rows_loaded, rows_quarantined in chosen:
            _delete_file_rows(con, source_name, kind, file)
            result = FileResult(source_name, kind, file, sha, size, status="removed")
            result.notes.append(
                f"forgotten on request: {rows_loaded} rows out of raw, {rows_quarantined} out of quarantine"
            )
            _manifest(con, result, run_id, now)
            results.append(result)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("CHECKPOINT")
    return results
