import pyarrow as pa
import pytest

from cx_unify.identity import cluster_representatives


def _clusters(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    table = cluster_representatives(
        pa.array(sorted(nodes)),
        pa.array([a for a, _ in edges], pa.string()),
        pa.array([b for _, b in edges], pa.string()),
    )
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


def test_unknown_node_in_an_edge_is_an_error() -> None:
    with pytest.raises(ValueError, match="not in the node list"):
        _clusters(["a"], [("a", "zz")])


def test_empty_graph() -> None:
    assert _clusters([], []) == {}
