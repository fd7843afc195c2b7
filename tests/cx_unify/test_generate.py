import hashlib
import json
from pathlib import Path

import polars as pl

from cx_unify.generate import generate
from cx_unify.generate.faults import FAULT_KINDS


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", scale=0.01, seed=3)
    generate(tmp_path / "b", scale=0.01, seed=3)
    first, second = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert first == second
    assert len(first) > 30  # every kind, every month


def test_other_seed_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", scale=0.01, seed=3)
    generate(tmp_path / "b", scale=0.01, seed=4)
    assert _digest(tmp_path / "a") != _digest(tmp_path / "b")


def test_all_vendor_shapes_are_written(faulted_landing: Path) -> None:
    names = {p.relative_to(faulted_landing).as_posix() for p in faulted_landing.rglob("*") if p.is_file()}
    for prefix in (
        "zendesk/tickets_",
        "zendesk/ticket_updates_",
        "qualtrics/csat_",
        "qualtrics/nps_",
        "qualtrics/ces_",
        "call_centre/calls_",
        "bi/service_performance",
        "bi/contact_centre",
    ):
        assert any(n.startswith(prefix) for n in names), prefix
    qualtrics = next(faulted_landing.glob("qualtrics/nps_*.csv")).read_text().splitlines()
    assert qualtrics[0].startswith("StartDate,EndDate") and '"ImportId"' in qualtrics[2]
    calls = next(faulted_landing.glob("call_centre/calls_*.txt")).read_bytes()
    assert b"\r\n" in calls and b"\tvru_entry\t" in calls.split(b"\r\n")[0]


def test_ground_truth_names_every_record_and_fault(faulted_landing: Path) -> None:
    truth = json.loads((faulted_landing / "ground_truth.json").read_text())
    for kind in ("complaints", "survey_responses", "contacts"):
        table = truth["records"][kind]
        assert len(table["record_id"]) == len(table["person_id"]) == len(table["variant"]) > 0
        assert len(set(table["record_id"])) == len(table["record_id"])
    kinds = {f["kind"] for f in truth["faults"]}
    assert kinds == set(FAULT_KINDS), set(FAULT_KINDS) - kinds
    for fault in truth["faults"]:
        assert fault["check"].startswith("F") and fault["id"]
    # the complaints file rows are the truth's complaints plus the ones that must be quarantined
    tickets = pl.concat(
        [pl.read_csv(p, infer_schema=False) for p in faulted_landing.glob("zendesk/tickets_*.csv")]
    )
    invalid_tickets = [
        f for f in truth["faults"] if f["kind"] == "invalid_row" and f.get("source") == "zendesk_tickets"
    ]
    assert tickets.height == len(truth["records"]["complaints"]["record_id"]) + len(invalid_tickets)


def test_identity_is_hard(faulted_landing: Path) -> None:
    truth = json.loads((faulted_landing / "ground_truth.json").read_text())
    stats = truth["identity_stats"]
    linkability = stats["email_linkability"]
    assert linkability["share_not_linkable"] >= 1 / 3
    assert linkability["share_service_marketing_without_shared_email"] >= 1 / 3
    tags = stats["variant_tag_counts"]
    for tag in (
        "alt_email",
        "email_typo",
        "nickname",
        "swapped_name",
        "accent_stripped",
        "phone_format",
        "household_phone",
        "no_strong_id",
    ):
        assert tags.get(tag, 0) > 0, tag


def test_clean_generation_injects_nothing(clean_landing: Path) -> None:
    truth = json.loads((clean_landing / "ground_truth.json").read_text())
    assert truth["faults"] == []
    assert truth["meta"]["clean"] is True
    assert set(truth["identity_stats"]["variant_tag_counts"]) <= {"exact", "crm_id", "no_email"}


def test_dashboard_periods_count_only_their_days() -> None:
    """A window that ends (or starts) mid-month has clipped periods: a dashboard's count for it holds the
    events of those days only (a ticket solved after the export's end is not in its Complaints Resolved)."""
    from datetime import date, datetime

    import polars as pl

    from cx_unify.generate.kpis import _by_month
    from cx_unify.generate.writers import month_starts

    events = pl.DataFrame(
        {
            "at": [
                datetime(2026, 10, 4),
                datetime(2026, 10, 5),
                datetime(2026, 10, 20, 23),
                datetime(2026, 10, 21, 1),
            ]
        }
    )
    months = month_starts(date(2026, 10, 5), date(2026, 10, 21))
    kept = _by_month(events, "at", months)
    assert kept.rows() == [
        (datetime(2026, 10, 5), datetime(2026, 10, 5)),
        (datetime(2026, 10, 20, 23), datetime(2026, 10, 5)),
    ]
