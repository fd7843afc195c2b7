import random

import duckdb
import pytest

from cx_unify.identity import NodeChanges, cluster_representatives, cluster_representatives_kept


def _clusters(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")  # as dbt runs
    con.execute("CREATE TABLE nodes (node_id VARCHAR)")
    con.execute("CREATE TABLE edges (node_a VARCHAR, node_b VARCHAR)")
    if nodes:
        con.executemany("INSERT INTO nodes VALUES (?)", [[n] for n in nodes])
    if edges:
        con.executemany("INSERT INTO edges VALUES (?, ?)", [list(e) for e in edges])
    table = cluster_representatives(con, con.table("nodes"), con.table("edges"))
    return dict(
        zip(table.column("node_id").to_pylist(), table.column("cluster_node_id").to_pylist(), strict=True)
    )


def test_chains_join_through_shared_nodes() -> None:
    result = _clusters(["a", "b", "c", "d", "e"], [("c", "b"), ("b", "a"), ("e", "d")])
    assert result == {"a": "a", "b": "a", "c": "a", "d": "d", "e": "d"}


def test_singletons_stay_alone_and_self_loops_are_harmless() -> None:
    assert _clusters(["x", "y"], [("x", "x")]) == {"x": "x", "y": "y"}


def test_representative_is_the_smallest_id_whatever_the_edge_order() -> None:
    forward = _clusters(["n3", "n1", "n2"], [("n3", "n2"), ("n2", "n1")])
    backward = _clusters(["n1", "n2", "n3"], [("n1", "n2"), ("n2", "n3")])
    assert forward == backward == {"n1": "n1", "n2": "n1", "n3": "n1"}


def test_components_agree_with_a_plain_union_find_on_a_random_graph() -> None:
    rng = random.Random(7)
    nodes = [f"n{i:05d}" for i in range(6000)]  # several vectors of rows: order is not kept by accident
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(4500)]
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)  # the root is always the smallest id of its component
    assert _clusters(rng.sample(nodes, len(nodes)), edges) == {n: find(n) for n in nodes}


def test_unknown_node_in_an_edge_is_an_error() -> None:
    with pytest.raises(ValueError, match="not in the node list"):
        _clusters(["a"], [("a", "zz")])


def test_empty_graph() -> None:
    assert _clusters([], []) == {}


def test_constrained_merge_refuses_a_bridge_between_two_people() -> None:
    from cx_unify.identity import constrained_merge

    # "L. Jones" (c2, no full first name) matches Lea (c1) and Leo (c3); only the stronger match is taken
    edges = [("c1", "c2", 30.0), ("c2", "c3", 25.0)]
    first = {"c1": {"lea"}, "c3": {"leo"}}
    last = {"c1": {"jones"}, "c2": {"jones"}, "c3": {"jones"}}
    merged = constrained_merge(edges, first, last, {})
    assert merged == {"c1": "c1", "c2": "c1", "c3": "c3"}


def test_constrained_merge_joins_compatible_groups_transitively() -> None:
    from cx_unify.identity import constrained_merge

    edges = [("a", "b", 20.0), ("b", "c", 21.0)]
    first = {"a": {"robert"}, "b": {"robert"}, "c": {"robert"}}  # nicknames already canonical
    merged = constrained_merge(edges, first, {}, {"a": {"1970-01-02"}, "c": {"1970-01-02"}})
    assert set(merged.values()) == {"a"}


def test_constrained_merge_respects_birth_dates() -> None:
    from cx_unify.identity import constrained_merge

    merged = constrained_merge([("a", "b", 40.0)], {}, {}, {"a": {"1970-01-02"}, "b": {"1981-05-06"}})
    assert merged == {"a": "a", "b": "b"}


def test_constrained_merge_keeps_two_crm_customers_apart() -> None:
    from cx_unify.identity import constrained_merge

    # a record with no CRM number matches two namesakes holding different CRM numbers
    edges = [("a", "x", 30.0), ("x", "b", 29.0)]
    merged = constrained_merge(edges, {}, {}, {}, {"a": {"111"}, "b": {"222"}})
    assert merged["x"] == "a" and merged["b"] == "b"


def _group_edges(node_keys: dict[str, tuple[int, set[str]]]) -> list[tuple[str, str, int, int, int, int]]:
    """Links as int_identity_edges_deterministic makes them: each key group as a star to its first node,
    with its nodes' fingerprints and a fingerprint of its key and its nodes. A group links only while it
    has two to four nodes, as a ticket links only while one complaint carries its id: a node that joins
    can undo links between nodes that did not change."""
    groups: dict[str, list[str]] = {}
    for node, (_, keys) in node_keys.items():
        for key in keys:
            groups.setdefault(key, []).append(node)
    edges = []
    for key, members in groups.items():
        if 2 <= len(members) <= 4:
            digest = hash((key, tuple(sorted(node_keys[m][0] for m in members)))) & 0x7FFFFFFFFFFFFFFF
            center = min(members)
            rule_bit = 1 << (sum(map(ord, key)) % 4)  # the key's rule
            edges += [
                (m, center, node_keys[m][0], node_keys[center][0], digest, rule_bit)
                for m in members
                if m != center
            ]
    return edges


def _load(con: duckdb.DuckDBPyConnection, node_keys: dict[str, tuple[int, set[str]]]) -> None:
    con.execute("CREATE OR REPLACE TABLE nodes (node_id VARCHAR, source_fingerprint UBIGINT)")
    con.execute(
        "CREATE OR REPLACE TABLE edges (node_a VARCHAR, node_b VARCHAR, node_a_fingerprint UBIGINT, "
        "node_b_fingerprint UBIGINT, source_fingerprint UBIGINT, rule_bit INTEGER)"
    )
    con.executemany("INSERT INTO nodes VALUES (?, ?)", [[n, fp] for n, (fp, _) in node_keys.items()])
    edges = _group_edges(node_keys)
    if edges:
        con.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?, ?)", [list(e) for e in edges])


def _changes(con: duckdb.DuckDBPyConnection) -> NodeChanges:
    """The nodes and links removed and added since nodes_before / edges_before, as the upstream models
    keep them (macros/deltas.sql)."""
    con.execute("""
        CREATE OR REPLACE TABLE node_changes AS
        SELECT *, false AS is_current FROM (SELECT * FROM nodes_before EXCEPT SELECT * FROM nodes)
        UNION ALL
        SELECT *, true FROM (SELECT * FROM nodes EXCEPT SELECT * FROM nodes_before)""")
    con.execute("""
        CREATE OR REPLACE TABLE edge_changes AS
        SELECT *, false AS is_current FROM (SELECT * FROM edges_before EXCEPT SELECT * FROM edges)
        UNION ALL
        SELECT *, true FROM (SELECT * FROM edges EXCEPT SELECT * FROM edges_before)""")
    return NodeChanges(nodes=con.table("node_changes"), edges=con.table("edge_changes"))


@pytest.mark.parametrize("from_changes", [False, True], ids=["digests compared", "upstream changes read"])
def test_kept_clusters_equal_a_full_build_night_after_night(from_changes: bool) -> None:
    rng = random.Random(11)
    pool = [f"k{i}" for i in range(160)]
    serial = iter(range(10**6))

    def new_node() -> tuple[int, set[str]]:
        return next(serial), set(rng.sample(pool, rng.choice([0, 1, 1, 2])))

    node_keys = {f"n{i:04d}": new_node() for i in range(400)}
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    _load(con, node_keys)
    first_build = cluster_representatives_kept(con, con.table("nodes"), con.table("edges"), None)
    assert first_build.num_rows == len(node_keys)
    con.register("first_build", first_build)
    con.execute("CREATE TABLE kept AS SELECT * FROM first_build")
    for night in range(6):
        names = sorted(node_keys)
        for gone in rng.sample(names, 12):
            del node_keys[gone]
        for changed in rng.sample(sorted(node_keys), 12):
            node_keys[changed] = new_node()  # other keys (often), another fingerprint
        for touched in rng.sample(sorted(node_keys), 8):
            node_keys[touched] = (next(serial), node_keys[touched][1])  # same keys, other content
        for i in range(15):
            node_keys[f"m{night}{i:03d}"] = new_node()
        con.execute("CREATE OR REPLACE TABLE nodes_before AS SELECT * FROM nodes")
        con.execute("CREATE OR REPLACE TABLE edges_before AS SELECT * FROM edges")
        _load(con, node_keys)
        changes = _changes(con) if from_changes else None
        rows = cluster_representatives_kept(
            con, con.table("nodes"), con.table("edges"), con.table("kept"), changes
        )
        assert len(rows) < len(node_keys), "a night finds again only what changed"
        con.register("found", rows)
        con.execute("DELETE FROM kept WHERE node_id IN (SELECT node_id FROM found)")
        con.execute("DELETE FROM kept WHERE node_id NOT IN (SELECT node_id FROM nodes)")
        con.execute("INSERT INTO kept SELECT * FROM found")
        con.unregister("found")
        again = cluster_representatives_kept(con, con.table("nodes"), con.table("edges"), None)
        con.register("again", again)
        assert not con.execute(
            "(SELECT * FROM kept EXCEPT SELECT * FROM again) UNION ALL (SELECT * FROM again EXCEPT SELECT * FROM kept)"
        ).fetchall(), "the kept rows (clusters, digests, rules) are a first build's"
        con.unregister("again")
        full = cluster_representatives(con, con.table("nodes"), con.table("edges"))
        kept = dict(con.execute("SELECT node_id, cluster_node_id FROM kept").fetchall())
        ids, clusters = full.column("node_id").to_pylist(), full.column("cluster_node_id").to_pylist()
        assert kept == dict(zip(ids, clusters, strict=True))


def test_kept_clusters_built_by_other_code_are_all_found_again() -> None:
    con = duckdb.connect()
    _load(con, {"a": (1, {"x"}), "b": (2, {"x"}), "c": (3, set())})
    first = cluster_representatives_kept(con, con.table("nodes"), con.table("edges"), None)
    assert sorted(first.column("cluster_node_id").to_pylist()) == ["a", "a", "c"]
    con.register("first", first)
    con.execute("CREATE TABLE kept AS SELECT * FROM first")
    unchanged = cluster_representatives_kept(con, con.table("nodes"), con.table("edges"), con.table("kept"))
    assert unchanged.num_rows == 0
    con.execute("UPDATE kept SET clustering_version = 'older'")
    again = cluster_representatives_kept(con, con.table("nodes"), con.table("edges"), con.table("kept"))
    assert again.num_rows == 3
