"""The dbt project on its own: raw sources equal the contracts, and every dbt unit test passes."""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import yaml

from connectors.contracts import CONTRACTS, LINEAGE
from connectors.ingest import ensure_schema
from cx_unify.settings import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")


def test_raw_sources_match_the_contracts() -> None:
    document = yaml.safe_load((DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml").read_text())
    tables = {t["name"]: t for t in document["sources"][0]["tables"]}
    assert set(tables) == set(CONTRACTS)
    for name, contract in CONTRACTS.items():
        declared = [(c["name"], c["data_type"]) for c in tables[name]["columns"]]
        expected = [(c.name, c.type.lower()) for c in (*contract.columns, *LINEAGE)]
        assert declared == expected, name
        assert tables[name]["meta"]["dagster"]["asset_key"] == ["raw", name]


def _dbt(args: list[str], warehouse: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CX_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.run(
        [
            DBT,
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(warehouse.parent / "target"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _empty_warehouse(tmp_path: Path) -> Path:
    """A warehouse with every relation of the project built empty (raw tables from the contracts)."""
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_schema(con)
    con.close()
    built = _dbt(
        ["build", "--empty", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"],
        warehouse,
    )
    assert built.returncode == 0, built.stdout[-3000:]
    return warehouse


@pytest.mark.slow
def test_dbt_unit_tests_pass(tmp_path: Path) -> None:
    warehouse = _empty_warehouse(tmp_path)  # unit tests need the relations' column types
    tested = _dbt(["test", "--select", "test_type:unit"], warehouse)
    assert tested.returncode == 0, tested.stdout[-4000:]
    assert "PASS=19" in tested.stdout, tested.stdout[-1500:]


@pytest.mark.slow
def test_journey_rebuilds_a_response_whose_named_complaint_changed(
    tmp_path: Path, query: Callable[..., list[tuple]]
) -> None:
    """A survey response's touchpoint carries the team and category of the complaint it names, which may
    belong to another customer (an id two sources share links no records). When only that complaint
    changes, the incremental journey must still rebuild the response's customer: its fingerprint covers
    the complaint, and the complaint's change names the response's customer among the candidates
    (macros/customer_journey.sql). The upstream tables are edited by hand here, so each edit is recorded
    as the upstream's build would have recorded it (_record_changes)."""
    warehouse = _empty_warehouse(tmp_path)
    con = duckdb.connect(str(warehouse))
    con.execute(
        "INSERT INTO marts.customer_identity_map (node_id, customer_key) VALUES "
        "('z|complaint|1', 'CA'), ('q|survey_response|R1', 'CB')"
    )
    con.execute(
        "INSERT INTO staging.stg_service__complaints (record_key, source, complaint_id, created_at, team, category,"
        " source_fingerprint) VALUES ('z|complaint|1', 'z', '1', TIMESTAMP '2026-05-01 10:00', 'Billing', 'Claim', 11)"
    )
    con.execute(
        "INSERT INTO intermediate.int_complaint_histories (complaint_key, source_fingerprint) VALUES ('z|complaint|1', 21)"
    )
    con.execute(
        "INSERT INTO staging.stg_marketing__survey_responses (record_key, source, response_id, submitted_at, score,"
        " scale, complaint_id, source_fingerprint) VALUES ('q|survey_response|R1', 'q', 'R1',"
        " TIMESTAMP '2026-05-04 10:00', 2, 'csat_5', '1', 31)"
    )
    con.close()

    def response_team() -> list[tuple]:
        ran = _dbt(["run", "--select", "customer_journey"], warehouse)
        assert ran.returncode == 0, ran.stdout[-3000:]
        return query(
            warehouse,
            "SELECT customer_key, team, category FROM marts.customer_journey WHERE event_type = 'survey_response'",
        )

    assert response_team() == [("CB", "Billing", "Claim")]
    con = duckdb.connect(str(warehouse))
    # the complaint re-staged from a corrected export: a new record fingerprint, so a new history one
    con.execute("UPDATE staging.stg_service__complaints SET team = 'Claims', source_fingerprint = 12")
    con.execute("UPDATE intermediate.int_complaint_histories SET source_fingerprint = 22")
    complaint = ("z|complaint|1", "z", "1")
    _record_changes(
        con, "staging.stg_service__complaints", ["record_key", "source", "complaint_id"], [complaint]
    )
    _record_changes(con, "intermediate.int_complaint_histories", ["complaint_key"], [("z|complaint|1",)])
    con.close()
    assert response_team() == [("CB", "Claims", "Claim")]
    con = duckdb.connect(str(warehouse))
    # the same records under another key (the key's formula changed): rows are kept by fingerprint alone
    con.execute("UPDATE marts.customer_identity_map SET customer_key = 'CC' WHERE customer_key = 'CB'")
    response = "q|survey_response|R1"
    _record_changes(
        con,
        "marts.customer_identity_map",
        ["node_id", "customer_key"],
        [(response, "CB")],
        [(response, "CC")],
    )
    con.close()
    assert response_team() == [("CC", "Claims", "Claim")]


def _record_changes(
    con: duckdb.DuckDBPyConnection,
    model: str,
    columns: list[str],
    removed: list[tuple],
    added: list[tuple] | None = None,
) -> None:
    """Records in <model>__changes and __delta what a build of `model` that removed the rows `removed`
    and added `added` (the same keys again when not given) records (macros/deltas.sql): for a test that
    edits an upstream table by hand."""
    rows = [(*row, False) for row in removed] + [
        (*row, True) for row in (removed if added is None else added)
    ]
    con.execute(
        f"CREATE OR REPLACE TABLE {model}__changes ({', '.join(f'{c} VARCHAR' for c in columns)}, is_current BOOLEAN)"
    )
    con.executemany(f"INSERT INTO {model}__changes VALUES ({', '.join('?' for _ in rows[0])})", rows)
    con.execute(f"UPDATE {model}__delta SET since = built_by, built_by = built_by || '+1'")


def _kept_tables(warehouse: Path) -> dict[str, list]:
    """The incremental intermediate tables (what a night keeps), without build-time columns, sorted."""
    queries = {
        **{
            table: f"SELECT * EXCLUDE (source_fingerprint) FROM staging.{table}"
            for table in (
                "stg_service__complaint_events",
                "stg_service__complaints",
                "stg_marketing__survey_responses",
                "stg_operations__contacts",
            )
        },
        **{
            table: f"SELECT * FROM intermediate.{table}"
            for table in (
                "int_identity_nodes",
                "int_identity_edges_deterministic",
                "int_identity_clusters_deterministic",
                "int_complaint_events_linked",
                "int_identity_profiles",
                "int_identity_profile_names",
                "int_complaint_histories",
            )
        },
        "int_identity_block_keys": "SELECT * FROM intermediate.int_identity_block_keys",
        "int_identity_profile_pairs": "SELECT * FROM intermediate.int_identity_profile_pairs",
        "int_identity_pair_comparisons": "SELECT * EXCLUDE (compared_at) FROM intermediate.int_identity_pair_comparisons",
        "int_identity_u_sample_comparisons": "SELECT * EXCLUDE (compared_at) "
        "FROM intermediate.int_identity_u_sample_comparisons",
        "int_identity_u_probabilities": "SELECT * FROM intermediate.int_identity_u_probabilities",
        "int_identity_pairs_scored": "SELECT cluster_a, cluster_b, is_match, round(match_weight, 6) "
        "FROM intermediate.int_identity_pairs_scored",
    }
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {name: sorted(con.execute(sql).fetchall(), key=repr) for name, sql in queries.items()}
    finally:
        con.close()


def _copy_files(files: list[Path], source: Path, landing: Path) -> None:
    for path in files:
        target = landing / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)


@pytest.mark.slow
def test_incremental_nights_equal_a_full_refresh(
    tmp_path: Path,
    faulted_landing: Path,
    read_marts: Callable[..., dict[str, list]],
    query: Callable[..., list[tuple]],
) -> None:
    """Night 1 loads five months; night 2 adds the sixth (new records, new history for old tickets,
    identity merges); night 3 corrects a file and withdraws records. After the incremental nights the
    marts equal a full refresh of the same raw tables (the scorecard, which keeps every night: its
    latest night)."""
    from connectors.ingest import ingest_sources
    from connectors.sources import load_sources
    from cx_unify.settings import DEFAULT_SOURCES

    files = sorted(p for p in faulted_landing.rglob("*") if p.is_file() and p.name != "ground_truth.json")
    last_month = [p for p in files if "2026-10" in p.name]
    assert last_month, "the generator's window ends in October"
    landing = tmp_path / "landing"
    _copy_files([p for p in files if p not in last_month], faulted_landing, landing)
    warehouse = tmp_path / "warehouse.duckdb"
    sources = load_sources(DEFAULT_SOURCES)
    args = ["build", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"]

    def night() -> dict[str, list]:
        con = duckdb.connect(str(warehouse))
        ingest_sources(con, sources, landing)
        con.close()
        built = _dbt(args, warehouse)
        assert built.returncode == 0, built.stdout[-3000:]
        return read_marts(warehouse)

    def latest_night(rows: list) -> list:
        return [r for r in rows if r[0] == max(row[0] for row in rows)]

    def journey_customers() -> set[tuple[str, int]]:
        return set(
            query(warehouse, "SELECT DISTINCT customer_key, source_fingerprint FROM marts.customer_journey")
        )

    def fingerprints_of(complaints: list[tuple]) -> dict[tuple, int]:
        rows = query(
            warehouse, "SELECT source, complaint_id, source_fingerprint FROM staging.stg_service__complaints"
        )
        return {(source, cid): fp for source, cid, fp in rows if (source, cid) in set(complaints)}

    first = night()
    journey_before = journey_customers()
    # twenty complaints' fingerprints spoiled: a night that only adds files fingerprints only the records
    # those files touch, so the untouched keep the spoiled value; a night that replaces a file (below)
    # fingerprints every record again and rebuilds them
    spoiled = query(
        warehouse,
        "SELECT source, complaint_id FROM staging.stg_service__complaints ORDER BY created_at LIMIT 20",
    )
    con = duckdb.connect(str(warehouse))
    con.executemany(
        "UPDATE staging.stg_service__complaints SET source_fingerprint = 0 WHERE source = ? AND complaint_id = ?",
        spoiled,
    )
    # a key group no node carries, planted among the links, and twenty nodes' kept links_digest spoiled: a
    # night whose upstream changes reach back to the last build looks only at what they touch (the keys
    # of the nodes changed, the nodes of the links changed: macros/deltas.sql), so the plant and the
    # untouched nodes stay; a night that looks at everything deletes the one and mends the others
    con.execute(
        "INSERT INTO intermediate.int_identity_edges_deterministic (node_a, node_b, match_rule, match_probability, "
        "match_key, rule_bit, node_a_fingerprint, node_b_fingerprint, source_fingerprint) "
        "VALUES ('planted-a', 'planted-b', 'email', 1.0, 'nobody@planted.invalid', 8, 0, 0, 0)"
    )
    spoiled_digests = con.execute(
        "SELECT node_id, links_digest FROM intermediate.int_identity_clusters_deterministic ORDER BY node_id LIMIT 20"
    ).fetchall()
    con.executemany(
        "UPDATE intermediate.int_identity_clusters_deterministic SET links_digest = 0 WHERE node_id = ?",
        [(node,) for node, _ in spoiled_digests],
    )
    con.close()
    _copy_files(last_month, faulted_landing, landing)
    second = night()
    planted = "FROM intermediate.int_identity_edges_deterministic WHERE match_key = 'nobody@planted.invalid'"
    assert query(warehouse, f"SELECT count(*) {planted}") == [(1,)]
    digests_now = dict(
        query(warehouse, "SELECT node_id, links_digest FROM intermediate.int_identity_clusters_deterministic")
    )
    assert any(digests_now.get(node) == 0 for node, _ in spoiled_digests), "no untouched node kept its digest"
    con = duckdb.connect(str(warehouse))  # mended for the comparison with a full refresh below
    con.execute(f"DELETE {planted}")
    con.executemany(
        "UPDATE intermediate.int_identity_clusters_deterministic SET links_digest = ? "
        "WHERE node_id = ? AND links_digest = 0",
        [(digest, node) for node, digest in spoiled_digests],
    )
    con.close()
    touched = set(
        query(
            warehouse,
            "SELECT DISTINCT _source, complaint_id FROM raw.complaints WHERE _file LIKE '%2026-10%'",
        )
    )
    kept_spoiled = fingerprints_of([key for key in spoiled if key not in touched])
    assert kept_spoiled and set(kept_spoiled.values()) == {0}, kept_spoiled
    assert 0 not in fingerprints_of([key for key in spoiled if key in touched]).values()
    assert len(second["customer_journey"]) > len(first["customer_journey"])
    # the journey rebuilt only the customers whose inputs changed: most kept their rows (fingerprint)
    journey_after = journey_customers()
    assert len(journey_after & journey_before) > len(journey_after - journey_before) > 0, (
        len(journey_after & journey_before),
        len(journey_after - journey_before),
    )
    # the second night compared only what changed: most comparisons of candidate pairs are still the first
    # night's; of the pairs u is measured on, some (a month of new profiles in the hash order moves most
    # of the demo's pairs of 7 and 31 places; one day at SF 10, a fifth)
    con = duckdb.connect(str(warehouse), read_only=True)
    counts = {
        table: con.execute(
            "SELECT count(*) FILTER (WHERE compared_at < max_at), count(*) FILTER (WHERE compared_at = max_at) "
            f"FROM intermediate.{table}, (SELECT max(compared_at) AS max_at FROM intermediate.{table})"
        ).fetchone()
        for table in ("int_identity_pair_comparisons", "int_identity_u_sample_comparisons")
    }
    con.close()
    kept, compared_now = counts["int_identity_pair_comparisons"]
    assert kept > compared_now > 0, (kept, compared_now)
    kept, compared_now = counts["int_identity_u_sample_comparisons"]
    assert kept > 0 and compared_now > 0, (kept, compared_now)

    for export in ("tickets_2026-10.csv", "ticket_updates_2026-10.csv"):  # corrected, shorter exports
        path = next(landing.rglob(export))
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(lines[: len(lines) * 2 // 3]), encoding="utf-8")
    third = night()
    assert len(third["complaint_ownership"]) < len(second["complaint_ownership"])
    assert 0 not in fingerprints_of(spoiled).values()
    kept = _kept_tables(warehouse)
    # three incremental builds of the Python models leave none of dbt-duckdb's staging tables behind
    assert query(warehouse, "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%dbt_tmp%'") == []

    assert _dbt([*args, "--full-refresh"], warehouse).returncode == 0
    full = read_marts(warehouse)
    for name, rows in _kept_tables(warehouse).items():
        assert kept[name] == rows, f"{name}: what the incremental nights kept differs from a full refresh"
    assert latest_night(third.pop("fragmentation_scorecard")) == latest_night(
        full.pop("fragmentation_scorecard")
    )
    for name, rows in full.items():
        assert third[name] == rows, f"{name}: the incremental nights differ from a full refresh"


def _build_after(warehouse: Path, statements: list[str], select: str) -> None:
    """Runs `statements` on the warehouse, then dbt on the models of `select`."""
    con = duckdb.connect(str(warehouse))
    for sql in statements:
        con.execute(sql)
    con.close()
    built = _dbt(["run", "--select", select], warehouse)
    assert built.returncode == 0, built.stdout[-3000:]


IDENTITY_CHAIN = (
    "int_identity_nodes int_identity_edges_deterministic int_identity_clusters_deterministic int_identity_profiles "
    "int_identity_profile_names"
)


@pytest.mark.slow
@pytest.mark.parametrize(
    "tamper, applies",
    [
        ([], True),
        # the nodes were built once more than the links and clusters saw (a night stopped between them)
        (["UPDATE intermediate.int_identity_nodes__delta SET built_by = 'a-build-not-consumed'"], False),
        # the links and clusters were last built by other code or seeds
        (
            [
                f"UPDATE intermediate.{model}__consumed SET context = 'other code'"
                for model in ("int_identity_edges_deterministic", "int_identity_clusters_deterministic")
            ],
            False,
        ),
        # no record of what they were built from (built before changes were kept)
        (
            [
                f"DROP TABLE intermediate.{model}__consumed"
                for model in ("int_identity_edges_deterministic", "int_identity_clusters_deterministic")
            ],
            False,
        ),
    ],
    ids=["changes reach back", "a build missed", "other code or seeds", "nothing recorded"],
)
def test_a_build_looks_only_at_upstream_changes_when_they_reach_back_to_its_last(
    tmp_path: Path, faulted_night: Path, query: Callable[..., list[tuple]], tamper: list[str], applies: bool
) -> None:
    """The rule of macros/deltas.sql on a real build of the identity chain (nothing new since the night):
    a link planted in a key group no node carries, twenty nodes' kept links_digest spoiled and a profile and
    a name planted for a cluster that does not exist survive a build that looks only at what changed upstream
    (the links: candidate key groups; the clusters: the nodes of changed nodes and links; the profiles and
    their names: the clusters whose rows changed), and are deleted and mended by one that looks at everything, which
    is what a build does when the upstream changes do not reach back to its last."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(faulted_night / "warehouse.duckdb", warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute(
        "INSERT INTO intermediate.int_identity_edges_deterministic (node_a, node_b, match_rule, match_probability, "
        "match_key, rule_bit, node_a_fingerprint, node_b_fingerprint, source_fingerprint) "
        "VALUES ('planted-a', 'planted-b', 'email', 1.0, 'nobody@planted.invalid', 8, 0, 0, 0)"
    )
    con.execute(
        "INSERT INTO intermediate.int_identity_profiles (cluster_node_id, profile_fingerprint, source_fingerprint) "
        "SELECT 'planted-cluster', profile_fingerprint, 0 FROM intermediate.int_identity_profiles LIMIT 1"
    )
    con.execute(
        "INSERT INTO intermediate.int_identity_profile_names (cluster_node_id, first_name, source_fingerprint) "
        "VALUES ('planted-cluster', 'nobody', 0)"
    )
    spoiled = con.execute(
        "SELECT node_id, links_digest FROM intermediate.int_identity_clusters_deterministic "
        "WHERE links_digest <> 0 ORDER BY node_id LIMIT 20"
    ).fetchall()
    assert len(spoiled) == 20
    con.executemany(
        "UPDATE intermediate.int_identity_clusters_deterministic SET links_digest = 0 WHERE node_id = ?",
        [(node,) for node, _ in spoiled],
    )
    con.close()
    _build_after(warehouse, tamper, IDENTITY_CHAIN)

    planted = query(
        warehouse,
        "SELECT count(*) FROM intermediate.int_identity_edges_deterministic WHERE match_key = 'nobody@planted.invalid'",
    )
    digests = dict(
        query(warehouse, "SELECT node_id, links_digest FROM intermediate.int_identity_clusters_deterministic")
    )
    planted_profile = query(
        warehouse,
        "SELECT (SELECT count(*) FROM intermediate.int_identity_profiles WHERE cluster_node_id = 'planted-cluster'), "
        "(SELECT count(*) FROM intermediate.int_identity_profile_names WHERE cluster_node_id = 'planted-cluster')",
    )
    if applies:
        assert planted == [(1,)]
        assert all(digests[node] == 0 for node, _ in spoiled)
        assert planted_profile == [(1, 1)]
    else:
        assert planted == [(0,)]
        assert all(digests[node] == digest for node, digest in spoiled)
        assert planted_profile == [(0, 0)]


COMPLAINT_CHAIN = "int_complaint_events_linked int_complaint_histories customer_journey customers"


@pytest.mark.slow
@pytest.mark.parametrize(
    "tamper, applies",
    [
        ([], (1, 1, 1, 1)),
        # the staged complaints were built once more than the models after them saw (a night stopped
        # between them); customers, built from the journey's changes, still applies them
        (
            ["UPDATE staging.stg_service__complaints__delta SET built_by = 'a-build-not-consumed'"],
            (0, 0, 0, 1),
        ),
        # a change history newly tied to its ticket source (ingest writes ops.history_sources): every
        # history's link is found again; the models after it still build from its changes
        (
            ["INSERT INTO ops.history_sources VALUES ('planted-history-source', 'planted-ticket-source')"],
            (0, 1, 1, 1),
        ),
        # the histories were last built by other code
        (["UPDATE intermediate.int_complaint_histories__consumed SET context = 'other code'"], (1, 0, 1, 1)),
        # the identity map was built once more than the journey and customers saw
        (["UPDATE marts.customer_identity_map__delta SET built_by = 'a-build-not-consumed'"], (1, 1, 0, 0)),
    ],
    ids=[
        "changes reach back",
        "a complaints build missed",
        "history sources changed",
        "other code",
        "a map build missed",
    ],
)
def test_the_complaint_chain_and_customers_look_only_at_upstream_changes_when_they_reach_back_to_their_last(
    tmp_path: Path,
    faulted_night: Path,
    query: Callable[..., list[tuple]],
    tamper: list[str],
    applies: tuple[int, int, int, int],
) -> None:
    """The rule of macros/deltas.sql for models with several upstreams, on a real build of the complaint chain,
    the journey and customers (nothing new since the night): a row planted in each, for a key nothing upstream
    carries (a linked change, a complaint's history, a customer's touchpoint, a customer, each with its own
    key), survives a build that looks only at what its upstreams changed, and is deleted by one that looks
    at everything: what a build does when the changes of any of its upstreams do not reach back to its
    last, or its code or inputs changed. (A build that looks at everything lists what it removed, so the
    models after it still build from its changes.)"""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(faulted_night / "warehouse.duckdb", warehouse)
    plants = [
        "INSERT INTO intermediate.int_complaint_events_linked BY NAME SELECT 'planted-linked' AS complaint_key, "
        "'planted-source' AS source, 'planted-1' AS complaint_id, 'status' AS field, 1 AS field_change_number, "
        "0 AS source_fingerprint",
        "INSERT INTO intermediate.int_complaint_histories BY NAME "
        "SELECT 'planted-complaint' AS complaint_key, 0 AS source_fingerprint",
        "INSERT INTO marts.customer_journey BY NAME SELECT 'planted-journey' AS customer_key, "
        "TIMESTAMP '2026-01-01' AS event_at, 'contact' AS event_type, 1 AS seq, 0 AS source_fingerprint",
        "INSERT INTO marts.customers BY NAME SELECT 'planted-customer' AS customer_key, 0 AS source_fingerprint",
    ]
    _build_after(warehouse, plants + tamper, COMPLAINT_CHAIN)

    planted = query(
        warehouse,
        "SELECT (SELECT count(*) FROM intermediate.int_complaint_events_linked WHERE source = 'planted-source'), "
        "(SELECT count(*) FROM intermediate.int_complaint_histories WHERE complaint_key = 'planted-complaint'), "
        "(SELECT count(*) FROM marts.customer_journey WHERE customer_key = 'planted-journey'), "
        "(SELECT count(*) FROM marts.customers WHERE customer_key = 'planted-customer')",
    )
    assert planted == [applies]


@pytest.mark.slow
def test_the_comparisons_test_fails_on_a_pair_not_compared_and_one_compared_but_not_a_pair(
    tmp_path: Path, faulted_night: Path
) -> None:
    """compares_every_profile_pair (macros/tests) passes on a night's comparisons and fails, with one
    failing row each, when a pair that blocks together has no comparison and a comparison is of no pair."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(faulted_night / "warehouse.duckdb", warehouse)
    selected = ["test", "--select", "test_name:compares_every_profile_pair"]
    passed = _dbt(selected, warehouse)
    assert passed.returncode == 0, passed.stdout[-3000:]

    con = duckdb.connect(str(warehouse))
    con.execute(
        "DELETE FROM intermediate.int_identity_pair_comparisons WHERE (profile_a, profile_b) IN "
        "(SELECT (profile_a, profile_b) FROM intermediate.int_identity_pair_comparisons "
        "WHERE profile_a <> profile_b ORDER BY profile_a, profile_b LIMIT 1)"
    )
    con.execute("INSERT INTO intermediate.int_identity_pair_comparisons (profile_a, profile_b) VALUES (1, 2)")
    con.close()
    failed = _dbt(selected, warehouse)
    assert failed.returncode != 0
    assert "Got 2 results" in failed.stdout, failed.stdout[-3000:]


@pytest.mark.slow
def test_a_call_log_exported_twice_counts_each_call_once(
    tmp_path: Path, faulted_landing: Path, query: Callable[..., list[tuple]]
) -> None:
    """A call log's workload is derived per file at ingest, so a re-sent partial export doubles the raw
    aggregates of its days; staging counts the day again from the deduplicated contacts, so the handled
    calls per team and day (operations' view in team_view_reconciliation) are the log's own."""
    from connectors.ingest import ingest_sources
    from connectors.sources import load_sources
    from cx_unify.settings import DEFAULT_SOURCES

    warehouse = _empty_warehouse(tmp_path)
    log = sorted(faulted_landing.rglob("calls_*.txt"))[0]
    landing = tmp_path / "landing"
    (landing / log.parent.name).mkdir(parents=True)
    shutil.copy(log, landing / log.parent.name / log.name)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    resent = landing / log.parent.name / log.name.replace(".txt", "_resent.txt")
    resent.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    con = duckdb.connect(str(warehouse))
    results = ingest_sources(con, load_sources(DEFAULT_SOURCES), landing)
    con.close()
    assert sorted(r.status for r in results) == ["loaded", "loaded"]
    built = _dbt(
        ["build", "--select", "+stg_operations__workload", "--exclude-resource-type", "unit_test"], warehouse
    )
    assert built.returncode == 0, built.stdout[-3000:]

    per_day = (
        "SELECT coalesce(team, queue), cast(period_start AS date), sum(contacts_offered), sum(contacts_handled),"
        " sum(contacts_abandoned), sum(agents_staffed) FROM {} GROUP BY ALL ORDER BY ALL"
    )
    the_log = query(warehouse, per_day.format(f"raw.workload WHERE _file LIKE '%/{log.name}'"))
    doubled = query(warehouse, per_day.format("raw.workload"))
    staged = query(
        warehouse,
        per_day.format("staging.stg_operations__workload").replace("team, queue", "team_raw, queue"),
    )
    assert the_log != doubled  # the raw aggregates count the re-sent half twice
    assert staged == the_log


@pytest.mark.slow
def test_a_deleted_ticket_is_withdrawn_with_its_history(
    tmp_path: Path, query: Callable[..., list[tuple]]
) -> None:
    """Zendesk keeps a deleted ticket (status 'deleted': two in the real Fivetran sample). It is no
    complaint (not open, not SLA-breached, not in the KPIs), and its change history is no orphan; a history
    whose ticket was never exported still is."""
    from connectors.ingest import ingest_sources
    from connectors.sources import load_sources
    from expectations.suites.validity import checks

    real = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "zendesk_fivetran_seeds"
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(real / "ticket_data.csv", landing / "ticket_data.csv")
    (landing / "history.csv").write_text(
        "field_name,ticket_id,updated,_fivetran_synced,user_id,value\n"
        "status,1595,2020-02-19 01:55:11,2020-03-20 02:32:49.426,,deleted\n"
        "status,999999,2020-02-19 01:55:11,2020-03-20 02:32:49.426,,open\n",
        encoding="utf-8",
    )
    sources = tmp_path / "sources.yml"
    sources.write_text(
        "sources:\n  - {name: zendesk, path: ticket_data.csv, preset: zendesk_tickets}\n"
        "  - {name: zendesk_history, path: history.csv, preset: zendesk_field_history}\n",
        encoding="utf-8",
    )
    warehouse = _empty_warehouse(tmp_path)
    con = duckdb.connect(str(warehouse))
    ingest_sources(con, load_sources(sources), landing)
    con.close()
    built = _dbt(
        [
            "build",
            "--select",
            "+int_complaint_events_linked",
            "--exclude-resource-type",
            "unit_test",
            "--exclude-resource-type",
            "test",
        ],
        warehouse,
    )
    assert built.returncode == 0, built.stdout[-3000:]
    assert query(warehouse, "SELECT count(*) FROM raw.complaints WHERE status = 'deleted'") == [(2,)]
    staged = {row[0] for row in query(warehouse, "SELECT complaint_id FROM staging.stg_service__complaints")}
    assert len(staged) == 8 and not staged & {"1595", "11013"}
    [orphans] = [c for c in checks() if c.name == "F8_orphans__complaint_events"]
    assert [row[1] for row in query(warehouse, orphans.frame_sql(0))] == ["999999"]


@pytest.mark.slow
def test_a_change_history_tied_to_its_ticket_source_keeps_ids_another_desk_reuses(
    tmp_path: Path, query: Callable[..., list[tuple]]
) -> None:
    """A second help desk whose ticket ids Zendesk also uses cut those Zendesk tickets off their own change
    history (an id two complaint sources hold linked to neither): their reopens and handoffs vanished from
    the marts. A history tied to its ticket source (complaint_source) links to that source's tickets; an
    untied one still links only where one source has the id, and F8_orphans says why a history reaches none."""
    from connectors.ingest import ingest_sources
    from connectors.sources import load_sources
    from expectations.suites.validity import checks

    landing = tmp_path / "landing"
    landing.mkdir()
    tickets = "id,created,status\n1,2026-07-01 10:00:00,solved\n2,2026-07-01 10:00:00,open\n"
    (landing / "desk_a.csv").write_text(tickets + "3,2026-07-01 10:00:00,open\n", encoding="utf-8")
    (landing / "desk_b.csv").write_text(tickets, encoding="utf-8")  # ids 1 and 2 again
    history = "id,at,field,old,new\n{0},2026-07-01 11:00:00,status,open,solved\n"
    (landing / "history_a.csv").write_text(history.format(1) + "9,2026-07-01 11:00:00,status,new,open\n")
    (landing / "history_c.csv").write_text(history.format(2) + history.format(3).split("\n", 1)[1])
    ticket_map = "mapping: {complaint_id: id, created_at: created, status: status}"
    history_map = "mapping: {complaint_id: id, event_at: at, field: field, old_value: old, new_value: new}"
    sources = tmp_path / "sources.yml"
    sources.write_text(
        "sources:\n"
        f"  - {{name: desk_a, kind: complaints, path: desk_a.csv, {ticket_map}}}\n"
        f"  - {{name: desk_b, kind: complaints, path: desk_b.csv, {ticket_map}}}\n"
        f"  - {{name: history_a, kind: complaint_events, path: history_a.csv, complaint_source: desk_a, {history_map}}}\n"
        f"  - {{name: history_c, kind: complaint_events, path: history_c.csv, {history_map}}}\n",
        encoding="utf-8",
    )
    warehouse = _empty_warehouse(tmp_path)
    con = duckdb.connect(str(warehouse))
    ingest_sources(con, load_sources(sources), landing)
    con.close()
    built = _dbt(
        ["build", "--select", "+int_complaint_events_linked", "--exclude-resource-type", "unit_test"],
        warehouse,
    )
    assert built.returncode == 0, built.stdout[-3000:]
    linked = query(
        warehouse,
        "SELECT l.source, l.complaint_id, c.source FROM intermediate.int_complaint_events_linked l "
        "JOIN staging.stg_service__complaints c ON c.record_key = l.complaint_key ORDER BY 1, 2",
    )
    # history_a's ticket 1 is desk_a's although desk_b has a 1 too; history_c's 3 is desk_a's only one
    assert linked == [("history_a", "1", "desk_a"), ("history_c", "3", "desk_a")]
    [orphans] = [c for c in checks() if c.name == "F8_orphans__complaint_events"]
    assert sorted((r[0], r[1], r[-1]) for r in query(warehouse, orphans.frame_sql(0))) == [
        ("history_a", "9", "no complaint record has the id"),
        ("history_c", "2", "several complaint sources have the id"),
    ]


@pytest.mark.slow
def test_a_shared_or_stand_in_email_joins_no_strangers(
    tmp_path: Path, query: Callable[..., list[tuple]]
) -> None:
    """A help desk's stand-in address (noemail@...) and an address several people use (an office's) made
    one customer of strangers with different names, birth dates and CRM numbers, at probability 1. One
    person's own address still joins their records, and a married name (two last names) too; so does an
    address in a mail client's display form, and a CRM number a spreadsheet stripped of its zeros. A
    family's or an office's address whose records name two people (first names that contradict) links no
    one; two people sharing a landline and postcode stay two whatever script their names are in, and so do a
    named and a nameless record. A +tag, a CRM number's formatting and a title are no difference. A record
    whose only identifiers are stand-ins names no customer."""
    from connectors.ingest import ingest_sources
    from connectors.sources import load_sources

    landing = tmp_path / "landing"
    landing.mkdir()
    rows = [  # id, email, name, birth date, CRM number
        ("1", "noemail@example.com", "Priya Patel", "1980-01-02", "40001"),
        ("2", "NoEmail@example.com", "Tom O'Neill", "", "40002"),
        ("3", "noemail@example.com", "Mei Chen", "", ""),
        ("4", "office@acme.test", "Olu Adebayo", "1975-05-05", ""),
        ("5", "office@acme.test", "Anna Berg", "1990-09-09", ""),
        ("6", "jo.doe@mail.test", "Jo Doe", "1985-03-04", ""),
        ("7", "jo.doe@mail.test", "Jo Smith", "1985-03-04", ""),
        ("8", "jo.doe@mail.test", "Jo Doe", "", ""),
        ("9", "Ann Lee <Ann.Lee@mail.test>", "Ann Lee", "", ""),
        ("10", "ann.lee@mail.test", "Ann Lee", "", ""),
        ("11", "", "Hans Weiß", "", "00012345"),
        ("12", "", "Hans Weiss", "", "12345"),
        ("13", "zob@mail.test", "Zachary O'Brien", "", ""),
        ("14", "kim@mail.test", "Kim Park", "1980-01-01", ""),  # one person, a birth date mistyped
        ("15", "kim@mail.test", "Kim Park", "1980-01-10", ""),
        ("16", "", "Sam Roe", "", "N/A"),  # a CRM stand-in
        ("17", "", "Al Poe", "", "n/a"),
        ("18", "kettles@family.test", "Sarah Kettle", "", ""),  # a family's address
        ("19", "kettles@family.test", "Tom Kettle", "", ""),
        ("20", "info@shop.test", "Amy Holt", "", ""),  # an office's, no birth dates
        ("21", "info@shop.test", "Jacob Inch", "", ""),
        ("22", "", "Иван Петров", "", "", "+442079460001", "SW1A 1AA"),  # a household's landline
        ("23", "", "Мария Петрова", "", "", "+442079460001", "SW1A 1AA"),
        ("24", "", "Oliver Holt", "", "", "+442079460002", "SW1A 2AA"),
        ("25", "", "", "", "", "+442079460002", "SW1A 2AA"),
        ("26", "ivy+shop@mail.test", "Ivy Penn", "", ""),
        ("27", "ivy@mail.test", "Ivy Penn", "", ""),
        ("28", "", "Al Gee", "", "CRM-0077"),
        ("29", "", "Al Gee", "", "77"),
        ("30", "", "Mr John Cadd", "", ""),
        ("31", "jsmith@mail.test", "Mrs Smith", "", ""),  # a title is no first name that contradicts
        ("32", "jsmith@mail.test", "Jane Smith", "", ""),
        ("33", "", "Ann Bell", "", "", "(212) 555-0147", "", "US"),  # a number in its own country's format
        ("34", "", "Bo Dahl", "", "", "030 1234567", "", "de"),
        ("35", "", "Anonymous", "", ""),  # a stand-in for no name: no identifier, no customer
        ("36", "", "ANONYM", "", ""),
        ("37", "ann.bell@mail.test", "Anonym", "", ""),  # an address identifies it; the stand-in names nobody
        ("38", "noemail@example.com", "", "", ""),  # only stand-ins: no identifier, no customer
        ("39", "no-reply+x@example.com", "", "", "N/A"),
    ]
    (landing / "tickets.csv").write_text(
        "id,created,status,email,name,birth,crm,phone,postcode,region\n"
        + "".join(
            f'{i},2026-07-01 10:00:00,open,"{e}",{n},{b},{c},{",".join((*rest, "", "", "")[:3])}\n'
            for i, e, n, b, c, *rest in rows
        ),
        encoding="utf-8",
    )
    sources = tmp_path / "sources.yml"
    sources.write_text(
        "sources:\n  - name: desk\n    kind: complaints\n    path: tickets.csv\n    mapping: {complaint_id: id, "
        "created_at: created, status: status, customer_email: email, customer_name: name, "
        "customer_birth_date: birth, customer_crm_id: crm, customer_phone: phone, customer_postcode: postcode, "
        "customer_phone_region: region}\n",
        encoding="utf-8",
    )
    warehouse = _empty_warehouse(tmp_path)
    con = duckdb.connect(str(warehouse))
    [result] = ingest_sources(con, load_sources(sources), landing)
    con.close()
    assert result.rows_loaded == len(rows), result
    built = _dbt(
        ["build", "--select", "+customer_identity_map", "--exclude-resource-type", "unit_test"], warehouse
    )
    assert built.returncode == 0, built.stdout[-3000:]
    customers = query(
        warehouse,
        "SELECT string_agg(source_record_id, ',' ORDER BY source_record_id::INT) FROM marts.customer_identity_map "
        "GROUP BY customer_key ORDER BY 1",
    )
    assert customers == [
        ("1",),
        ("11,12",),
        ("13",),
        ("14,15",),
        ("16",),
        ("17",),
        ("18",),
        ("19",),
        ("2",),
        ("20",),
        ("21",),
        ("22",),
        ("23",),
        ("24",),
        ("25",),
        ("26,27",),
        ("28,29",),
        ("3",),
        ("30",),
        ("31,32",),
        ("33",),
        ("34",),
        ("37",),
        ("4",),
        ("5",),
        ("6,7,8",),
        ("9,10",),
    ]
    phones = query(
        warehouse,
        "SELECT complaint_id, phone_e164 FROM staging.stg_service__complaints "
        "WHERE complaint_id IN ('22', '33', '34') ORDER BY 1",
    )
    assert phones == [("22", "+442079460001"), ("33", "+12125550147"), ("34", "+49301234567")]
    folded = query(
        warehouse,
        "SELECT record_id, name_folded FROM intermediate.int_identity_nodes "
        "WHERE record_id IN ('11', '13', '22', '30', '37') ORDER BY 1",
    )
    assert folded == [
        ("11", "hans weiss"),
        ("13", "zachary obrien"),
        ("22", "иван петров"),
        ("30", "john cadd"),
        ("37", None),
    ]


def test_a_rolling_workload_export_counts_each_day_once(
    tmp_path: Path, query: Callable[..., list[tuple]]
) -> None:
    """A workforce tool's rolling export repeats its last days in the next file: those days were summed
    (10 handled calls where each file says 5). The latest file's rows count; rows of one file with the
    same key stay parts of one total."""
    from connectors.ingest import ingest_sources
    from connectors.sources import load_sources

    landing = tmp_path / "landing"
    landing.mkdir()
    for first in (1, 3):  # days 1-5, then 3-7
        days = [f"2026-10-{d:02d},Billing,5,5" for d in range(first, first + 5)]
        (landing / f"daily_2026-10-{first:02d}.csv").write_text(
            "Date,Team,Offered,Handled\n" + "\n".join(days) + "\n"
        )
    (landing / "daily_2026-10-08.csv").write_text(
        "Date,Team,Offered,Handled\n2026-10-08,Billing,2,2\n2026-10-08,Billing,3,3\n"
    )
    sources = tmp_path / "sources.yml"
    sources.write_text(
        "sources:\n  - name: wfm\n    kind: workload\n    path: 'daily_*.csv'\n    mapping: {period_start: Date, "
        'period_end: {sql: "strftime(\\"Date\\"::DATE + 1, \'%Y-%m-%d\')"}, team: Team, contacts_offered: Offered, '
        "contacts_handled: Handled}\n",
        encoding="utf-8",
    )
    warehouse = _empty_warehouse(tmp_path)
    con = duckdb.connect(str(warehouse))
    assert [r.status for r in ingest_sources(con, load_sources(sources), landing)] == ["loaded"] * 3
    con.close()
    built = _dbt(
        ["build", "--select", "stg_operations__workload", "--exclude-resource-type", "unit_test"], warehouse
    )
    assert built.returncode == 0, built.stdout[-3000:]
    per_day = query(
        warehouse,
        "SELECT day(period_start), sum(contacts_handled) FROM staging.stg_operations__workload GROUP BY 1 ORDER BY 1",
    )
    assert per_day == [(d, 5) for d in range(1, 9)]


def test_the_newer_export_of_a_record_wins_however_the_nights_ran(
    tmp_path: Path, query: Callable[..., list[tuple]]
) -> None:
    """A correction landed under a name that sorts before the original's (csat_corrections.csv <
    csat_d16.csv): which score a response kept depended on load time, so a full rebuild and a night-by-night
    warehouse disagreed, and a sources.yml edit (every file read again at once) silently reverted it. The
    newer file (its modification time) wins, whether the two load on one night or two."""
    import os

    from connectors.ingest import ingest_sources
    from connectors.sources import load_sources

    landing = tmp_path / "landing"
    landing.mkdir()
    header = "ResponseId,RecordedDate,Score\n"
    original, correction = landing / "csat_d16.csv", landing / "csat_corrections.csv"
    original.write_text(header + "R_1,2026-10-16 10:00:00,1\nR_2,2026-10-16 11:00:00,2\n", encoding="utf-8")
    correction.write_text(header + "R_1,2026-10-16 10:00:00,5\n", encoding="utf-8")
    os.utime(original, (1_790_000_000, 1_790_000_000))
    os.utime(correction, (1_790_086_400, 1_790_086_400))  # a day later
    sources = tmp_path / "sources.yml"

    def ingest(con: duckdb.DuckDBPyConnection, glob: str) -> None:
        sources.write_text(
            f"sources:\n  - name: csat\n    kind: survey_responses\n    path: '{glob}'\n    mapping: {{response_id: "
            "ResponseId, submitted_at: RecordedDate, score: Score}\n    constants: {survey: csat, scale: csat_5}\n",
            encoding="utf-8",
        )
        ingest_sources(con, load_sources(sources), landing)

    scores = {}
    for how, globs in (("one night", ["csat_*.csv"]), ("two nights", ["csat_d16.csv", "csat_*.csv"])):
        home = tmp_path / how.replace(" ", "_")
        home.mkdir()
        warehouse = _empty_warehouse(home)
        con = duckdb.connect(str(warehouse))
        for glob in globs:
            ingest(con, glob)
        con.close()
        built = _dbt(
            ["build", "--select", "stg_marketing__survey_responses", "--exclude-resource-type", "unit_test"],
            warehouse,
        )
        assert built.returncode == 0, built.stdout[-3000:]
        scores[how] = query(
            warehouse, "SELECT response_id, score FROM staging.stg_marketing__survey_responses ORDER BY 1"
        )
    assert scores["one night"] == scores["two nights"] == [("R_1", 5.0), ("R_2", 2.0)]
