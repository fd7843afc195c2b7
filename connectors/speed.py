"""How fast ingest is, against bare DuckDB on the same files: `python -m connectors.speed LANDING [SOURCES]`.

Not a test: it prints wall times and MB/s. Both runs write a fresh DuckDB file in a temporary folder and
are timed until the file is closed (so the final checkpoint counts):
  ours  ingest_sources() with the configured sources (parse, map, type, validate, quarantine, manifest);
  bare  CREATE TABLE t<i> AS SELECT * FROM read_csv('<file>', all_varchar=true) per file (text columns,
        like ours reads them; typed sniffing fails on the call logs' 24:00:52 clock times).
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from connectors.ingest import ingest_sources
from connectors.mapping import lit
from connectors.sources import load_sources


@dataclass
class Speed:
    files: int
    megabytes: float
    rows: int
    ours_seconds: float
    bare_seconds: float

    @property
    def ours_mb_s(self) -> float:
        return self.megabytes / self.ours_seconds

    @property
    def bare_mb_s(self) -> float:
        return self.megabytes / self.bare_seconds

    def __str__(self) -> str:
        return (
            f"{self.files} files, {self.megabytes:.1f} MB, {self.rows:,} rows: "
            f"ours {self.ours_seconds:.2f} s ({self.ours_mb_s:.1f} MB/s), "
            f"bare read_csv CTAS {self.bare_seconds:.2f} s ({self.bare_mb_s:.1f} MB/s), "
            f"ratio {self.ours_seconds / self.bare_seconds:.2f}"
        )


def measure(landing: Path, sources_yml: Path) -> Speed:
    sources = load_sources(sources_yml)
    files = sorted({p for s in sources for p in s.files(landing)})
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    with tempfile.TemporaryDirectory(prefix="cx-speed-") as tmp:
        started = time.perf_counter()
        con = duckdb.connect(str(Path(tmp) / "ours.duckdb"))
        results = ingest_sources(con, sources, landing, run_id="speed")
        con.close()
        ours = time.perf_counter() - started
        started = time.perf_counter()
        con = duckdb.connect(str(Path(tmp) / "bare.duckdb"))
        for i, path in enumerate(files):
            con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv({lit(str(path))}, all_varchar=true)")
        con.close()
        bare = time.perf_counter() - started
    rows = sum(r.rows_read for r in results)
    return Speed(len(files), megabytes, rows, ours, bare)


if __name__ == "__main__":
    landing_arg = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/gen1")
    repo_sources = Path(__file__).resolve().parent.parent / "sources.yml"
    print(measure(landing_arg, Path(sys.argv[2]) if len(sys.argv) > 2 else repo_sources))
