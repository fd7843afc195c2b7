import random

import duckdb
import pytest

from cx_unify.identity import cluster_representatives


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
