"""Phone numbers to E.164 (connectors/phones.py), and cx_e164 through DuckDB, in this process and shared
with worker processes (connectors/normalise.py)."""

import random
import time
from concurrent.futures import ThreadPoolExecutor

import duckdb
import phonenumbers
import pyarrow as pa
import pytest
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from connectors import normalise, phones
from connectors.normalise import register_functions
from connectors.phones import to_e164

NUMBERS = [
    ("07911 123456", "+447911123456"),
    ("(07911) 123-456", "+447911123456"),
    ("+44 7911 123456", "+447911123456"),
    ("0044 7911 123456", "+447911123456"),
    ("447911123456", "+447911123456"),
    ("0161 496 0000", "+441614960000"),
    ("12345", None),
    ("not a number", None),
    ("", None),
]


def _numbers_of_every_calling_code() -> list[phonenumbers.PhoneNumber]:
    """Per calling code: each region's example numbers of every type, the same with a digit changed,
    dropped or added (near misses), and random digit strings of every length (300 more where several
    regions share the code)."""
    rng = random.Random(7)
    numbers = []
    for code, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        examples = [phonenumbers.example_number_for_non_geo_entity(code)] if regions == ("001",) else []
        for region in regions:
            examples += [phonenumbers.example_number_for_type(region, kind) for kind in range(12)]
        nationals = []
        for example in filter(None, examples):
            national = str(example.national_number)
            nationals += [national, national[:-1], national + "1", national[:-1] + str(9 - int(national[-1]))]
        nationals += ["".join(rng.choice("0123456789") for _ in range(length)) for length in range(3, 16)]
        if len(regions) > 1:  # where the shortcut applies: many more, of the lengths numbers have
            nationals += [
                "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 12))) for _ in range(300)
            ]
        for national in nationals:
            try:
                numbers.append(phonenumbers.parse(f"+{code}{national}", None))
            except phonenumbers.NumberParseException:
                continue
    return numbers


def test_is_valid_number_gives_what_phonenumbers_gives() -> None:
    numbers = _numbers_of_every_calling_code()
    answers = [(phonenumbers.is_valid_number(n), phones.is_valid_number(n)) for n in numbers]
    assert [theirs for theirs, _ in answers] == [ours for _, ours in answers]
    shared = [n for n in numbers if len(COUNTRY_CODE_TO_REGION_CODE[n.country_code]) > 1]
    # calling codes several regions share are where the shortcut applies: both answers occur there
    assert {phones.is_valid_number(n) for n in shared} == {True, False}
    assert len(numbers) > 10_000


def test_to_e164_reads_the_usual_ways_of_writing_a_number() -> None:
    for text, expected in NUMBERS:
        assert to_e164(text, "GB") == expected, text
    assert to_e164(None) is None


@pytest.mark.parametrize("parallel_after", [10**9, 0], ids=["in-process", "worker-processes"])
def test_cx_e164_in_sql_gives_the_same_numbers_either_way(
    monkeypatch: pytest.MonkeyPatch, parallel_after: int
) -> None:
    monkeypatch.setattr(normalise, "PARALLEL_AFTER", parallel_after)
    con = duckdb.connect()
    register_functions(con)
    texts = [text for text, _ in NUMBERS] * 500 + [None] + [f"07700 9{i:05d}" for i in range(3000)]
    con.execute("CREATE TABLE phones AS SELECT unnest(?) AS phone_raw", [texts])
    got = con.execute("SELECT phone_raw, cx_e164(phone_raw, 'GB') FROM phones").fetchall()
    assert len(got) == len(texts)
    assert all(e164 == (to_e164(text, "GB") if text is not None else None) for text, e164 in got)
    assert dict(got)["07911 123456"] == "+447911123456"
    if parallel_after == 0:
        assert normalise._started  # the worker processes did the work


def test_the_worker_processes_are_let_go_when_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(normalise, "PARALLEL_AFTER", 0)
    monkeypatch.setattr(normalise, "IDLE_SECONDS", 0.2)
    con = duckdb.connect()
    register_functions(con)
    con.execute(
        "SELECT cx_e164('07700 9' || lpad(i::VARCHAR, 5, '0'), 'GB') FROM range(3000) t(i)"
    ).fetchall()
    assert normalise._started
    deadline = time.monotonic() + 30
    while normalise._started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not normalise._started


def _batch(first: int, count: int) -> tuple[pa.Array, pa.Array]:
    texts = [f"07700 9{i:05d}" for i in range(first, first + count)]
    return pa.array(texts, pa.string()), pa.array(["GB"] * count, pa.string())


def test_a_call_that_loses_a_worker_fails_and_the_next_calls_get_their_own_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker that dies fails the call that uses it, with an error that says so; the workers that call
    held are replaced, so no later call reads an answer owed to the failed one."""
    monkeypatch.setattr(normalise, "PARALLEL_AFTER", 0)
    monkeypatch.setattr(normalise.os, "cpu_count", lambda: 2)
    texts, regions = _batch(0, 40)
    assert normalise._e164_arrow(texts, regions).to_pylist() == [to_e164(t) for t in texts.to_pylist()]
    assert normalise._started
    workers = [normalise._idle.get_nowait() for _ in range(2)]  # in the order the next call takes them
    workers[1].process.kill()
    workers[1].process.wait()
    for worker in workers:
        normalise._idle.put(worker)
    with pytest.raises(normalise.WorkerError, match="worker process ended"):
        normalise._e164_arrow(texts, regions)
    for first in (100, 200, 300):  # one worker at a time as well as both
        texts, regions = _batch(first, 6 if first == 200 else 40)
        assert normalise._e164_arrow(texts, regions).to_pylist() == [to_e164(t) for t in texts.to_pylist()]


def test_calls_from_several_threads_share_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB calls the function from its own threads at once: each call gets its own answers."""
    monkeypatch.setattr(normalise, "PARALLEL_AFTER", 0)
    monkeypatch.setattr(normalise.os, "cpu_count", lambda: 2)
    batches = [_batch(first, 50 + first % 7) for first in range(0, 4000, 100)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda batch: normalise._e164_arrow(*batch).to_pylist(), batches))
    assert answers == [[to_e164(t) for t in texts.to_pylist()] for texts, _ in batches]
