"""Pure parts: the worked scoring example, the fundable line, the ledger's hash chain."""

from __future__ import annotations

import datetime as dt
import hashlib
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from projections import chain
from projections.chain import (
    GENESIS,
    canonical_json,
    content_of,
    entry_hash,
    row_hash,
    verify_chain,
)
from projections.scoring import Candidate, Score, fundable_line, normalised_scores, raw_scores

A, B, C = UUID(int=1), UUID(int=2), UUID(int=3)
R1, R2, R3 = UUID(int=11), UUID(int=12), UUID(int=13)


def test_normalised_score_puts_a_strict_and_a_lenient_reviewer_on_one_scale() -> None:
    # R1 is strict (A 60, B 40: mean 50, sd 10), R2 lenient (A 90, B 80: mean 85, sd 5).
    # Both rank A one sd above their mean: z = +1 for A, -1 for B.
    # All four scores: mean 67.50, population sd sqrt(14,750,000 / 4) = 1920.29 hundredths.
    scores = [Score(A, R1, 6000), Score(B, R1, 4000), Score(A, R2, 9000), Score(B, R2, 8000)]
    assert raw_scores(scores) == {A: 7500, B: 6000}
    assert normalised_scores(scores) == {A: 8670, B: 4830}  # 6750 +/- 1920.29


def test_a_reviewer_with_a_single_score_contributes_a_neutral_z() -> None:
    scores = [Score(A, R1, 6000), Score(B, R1, 4000), Score(C, R3, 10_000)]
    normalised = normalised_scores(scores)
    assert normalised[C] == round(sum(s.weighted_score for s in scores) / 3)


def test_raw_score_rounds_half_up() -> None:
    assert raw_scores([Score(A, R1, 6001), Score(A, R2, 6000)]) == {A: 6001}


def test_the_fundable_line_falls_at_the_first_file_that_does_not_fit() -> None:
    # 100 left: A (score 90, asks 60) fits, B (80, asks 50) would make 110, C (70, asks 10) is
    # below the line too even though it would fit: the line is a ranking, not a knapsack.
    line = fundable_line(
        [Candidate(C, 7000, 10), Candidate(A, 9000, 60), Candidate(B, 8000, 50)], 100
    )
    assert line == {A: (1, 60, True), B: (2, 110, False), C: (3, 120, False)}


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def row(seq: int, prev: str, amount: int) -> dict[str, object]:
    content = {
        "seq": seq, "kind": "tranche", "application_id": A, "envelope_id": B,
        "org_kind": "company", "org_name": "Atlas", "sector": "offshoring",
        "province": "ouarzazate", "amount_centimes": amount, "balance_centimes": 5,
        "occurred_at": dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    }  # fmt: skip
    return {**content, "prev_hash": prev, "entry_hash": entry_hash(prev, content_of(content))}


def test_entry_hash_follows_the_documented_form() -> None:
    first = row(1, GENESIS, 100)
    expected_bytes = (
        b'{"amount_centimes":100,"application_id":"00000000-0000-0000-0000-000000000001",'
        b'"balance_centimes":5,"envelope_id":"00000000-0000-0000-0000-000000000002",'
        b'"kind":"tranche","occurred_at":"2024-03-01T09:00:00.000000Z","org_kind":"company",'
        b'"org_name":"Atlas","province":"ouarzazate","sector":"offshoring","seq":1}'
    )
    assert first["entry_hash"] == hashlib.sha256(bytes(32) + expected_bytes).hexdigest()


def test_verify_chain_names_the_first_rewritten_entry() -> None:
    first = row(1, GENESIS, 100)
    second = row(2, str(first["entry_hash"]), 200)
    third = row(3, str(second["entry_hash"]), 300)
    assert verify_chain([first, second, third]) is None
    tampered = {**second, "amount_centimes": 201}
    assert verify_chain([first, tampered, third]) == tampered
    assert verify_chain([first, third]) == third


texts = st.text(st.characters(codec="utf-8"), max_size=12)
ledger_rows = st.fixed_dictionaries({
    "seq": st.integers(1, 2**62), "kind": texts, "application_id": st.uuids(),
    "envelope_id": st.uuids(), "org_kind": texts, "org_name": st.none() | texts,
    "sector": texts, "province": texts, "amount_centimes": st.integers(-(2**63), 2**63),
    "balance_centimes": st.integers(-(2**63), 2**63),
    "occurred_at": st.datetimes(timezones=st.timezones()),
})  # fmt: skip


@given(ledger_rows, st.sampled_from([GENESIS, "ab" * 32]))
def test_the_fast_row_hash_gives_the_documented_hash(row: dict[str, object], prev: str) -> None:
    assert row_hash(prev, row) == entry_hash(prev, content_of(row))


@given(ledger_rows, st.datetimes(timezones=st.just(dt.UTC)))
def test_an_instant_in_utc_takes_the_fast_path_to_the_same_hash(
    row: dict[str, object], instant: dt.datetime
) -> None:
    row = {**row, "occurred_at": instant}  # as the transcoder decodes an event's timestamp
    assert row_hash(GENESIS, row) == entry_hash(GENESIS, content_of(row))
    assert chain._iso_utc_fast(instant) == chain.iso_utc(instant)


def test_a_row_of_unusual_types_is_hashed_by_the_general_path() -> None:
    usual = row(1, GENESIS, 100)
    unusual = {**usual, "application_id": str(A), "amount_centimes": True}
    assert row_hash(GENESIS, unusual) == entry_hash(GENESIS, content_of(unusual))


def test_ids_as_asyncpg_reads_them_take_the_fast_path_to_the_same_hash() -> None:
    from asyncpg.pgproto.pgproto import UUID as ReadUUID  # what a row or a log notification holds

    read = {**row(1, GENESIS, 100), "application_id": ReadUUID(str(A))}
    assert chain._usual_canonical(read) is not None
    assert row_hash(GENESIS, read) == entry_hash(GENESIS, content_of(read))
