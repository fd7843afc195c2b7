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
