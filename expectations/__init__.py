"""Great Expectations suites as code (ephemeral context, nothing written to disk).

Every check is a `CheckSpec`: SQL that aggregates the warehouse into a small frame (one row per rule,
team-day, KPI value, ...) and the GX expectations that frame must meet. Row-level work stays in DuckDB;
GX validates what the SQL returns (DESIGN.md §6: GX's SQL path on DuckDB is broken, pandas works).
"""
