"""cx-unify evaluate: what a check flags beyond the injected faults."""

from cx_unify.evaluate import fault_detection

SPLIT = "F1_identity__phone_and_name_in_two_customers"


def _result(check: str) -> dict:
    return {"check": check, "passed": False, "observed_value": 1.0, "threshold": 0.0}


def test_a_split_the_truth_confirms_is_no_false_alarm() -> None:
    """The phone-and-name check flags a person the matcher left as two customers: the truth says one
    person, so the finding is true (reported as a missed merge), not a false alarm; a flag the truth does
    not explain still is."""
    entities = {SPLIT: [("+447510177648",), ("+447700900001",)]}
    faults = fault_detection([_result(SPLIT)], [], entities, {SPLIT: {("+447510177648",)}})
    assert faults["missed_merges_flagged"] == {SPLIT: 1}
    [alarm] = faults["false_alarms"]
    assert alarm["check"] == SPLIT and alarm["examples"] == [["+447700900001"]]
    confirmed = fault_detection(
        [_result(SPLIT)], [], {SPLIT: entities[SPLIT][:1]}, {SPLIT: {("+447510177648",)}}
    )
    assert confirmed["false_alarms"] == []


def test_a_real_source_beside_the_demo_data_is_not_scored_as_demo_records() -> None:
    """A real call log loaded beside the demo data reused generated call ids: its calls were scored as demo
    records (coverage 1.0041). The answer key lists its files; a record counts where a generated file loaded
    it, under that file's source."""
    import duckdb
    import polars as pl

    from connectors.contracts import CONTRACTS, ddl
    from cx_unify.evaluate import _with_sources, identity_scores

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA marts")
    for kind in ("complaints", "survey_responses", "contacts"):
        con.execute(ddl(CONTRACTS[kind]))
    con.execute("""INSERT INTO raw.contacts (_source, _file, contact_id) VALUES
        ('call_centre', 'call_centre/calls_1.txt', 'A-1'), ('call_centre', 'call_centre/calls_1.txt', 'A-2'),
        ('bank_calls', 'bank/feb.txt', 'A-1')""")
    con.execute("""CREATE TABLE marts.customer_identity_map AS SELECT * FROM (VALUES
        ('call_centre', 'contact', 'A-1', 'C1'), ('call_centre', 'contact', 'A-2', 'C1'),
        ('bank_calls', 'contact', 'A-1', 'C9')) t(source, record_kind, source_record_id, customer_key)""")
    truth = pl.DataFrame(
        {"record_kind": ["contact", "contact"], "source_record_id": ["A-1", "A-2"], "person_id": ["P1", "P1"],
         "variant": ["exact", "exact"]}
    )  # fmt: skip
    scored = identity_scores(con, _with_sources(con, truth, ["call_centre/calls_1.txt", "bi/kpis.csv"]))
    assert (scored["records_matched"], scored["coverage"], scored["pairwise_recall"]) == (2, 1.0, 1.0)
    unsourced = identity_scores(con, _with_sources(con, truth, None))  # an older key: kind and id alone
    assert (unsourced["records_matched"], unsourced["pairwise_recall"]) == (
        3,
        0.3333,
    )  # the bank's A-1 counted
