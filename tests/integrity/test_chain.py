"""Producer hash chains: hashing, linking, and each kind of tampering."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlens.errors import IntegrityError
from ledgerlens.integrity.chain import (
    GENESIS_PREV,
    ChainProblem,
    ChainTip,
    ChainVerdict,
    ChainVerifier,
    chain_hash_of,
    link,
)

SECRET = "do-not-leak-this-prompt"

Unit = dict[str, Any]


def make_chain(
    count: int, chain_id: str = "c", *, prev: str = GENESIS_PREV, first_seq: int = 0
) -> list[Unit]:
    """A clean chain of units shaped like a producer's JSONL lines."""
    units = []
    for seq in range(first_seq, first_seq + count):
        body = {
            "message": f"{SECRET} {seq}",
            "latency_ms": 12.5 + seq,
            "usage": {"input_tokens": seq, "cost": 0.0001 * seq},
            "tags": ["a", 1.0, None, True],
        }
        unit = link(body, chain_id, prev, seq)
        units.append(unit)
        prev = unit["chain_hash"]
    return units


def verify(
    units: Iterable[Unit],
    state: Mapping[str, ChainTip] | None = None,
    expected: Mapping[str, ChainTip] | None = None,
) -> tuple[list[ChainVerdict], ChainVerifier]:
    verifier = ChainVerifier(state, expected_tips=expected)
    for line, unit in enumerate(units, start=1):
        verifier.add(
            unit["chain_id"],
            unit["chain_seq"],
            unit["chain_prev"],
            unit["chain_hash"],
            unit,
            f"app.jsonl:{line}",
        )
    return verifier.finish(), verifier


def problems(verdict: ChainVerdict) -> list[tuple[str, int]]:
    return [(problem.kind, problem.seq) for problem in verdict.problems]


def only(units: Iterable[Unit], **kwargs: Any) -> ChainVerdict:
    verdicts, _ = verify(units, **kwargs)
    assert len(verdicts) == 1
    return verdicts[0]


# --- hashing and linking -----------------------------------------------------

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)
units_bodies = st.dictionaries(st.text(max_size=8), json_values, max_size=8)


@settings(max_examples=400, deadline=None)
@given(body=units_bodies, prev=st.binary(min_size=32, max_size=32))
def test_chain_hash_follows_the_design_formula(body: Unit, prev: bytes) -> None:
    unit = dict(body, chain_prev=prev.hex(), chain_hash="whatever")
    without_hash = {key: value for key, value in unit.items() if key != "chain_hash"}

    expected = hashlib.sha256(prev + rfc8785.dumps(without_hash)).hexdigest()

    assert chain_hash_of(unit) == expected


def test_chain_hash_of_non_bmp_and_private_use_keys() -> None:
    # Code point and UTF-16 order differ for these two keys.
    unit: dict[str, Any] = {"\U0001f600": 1, "\ue000": 2.5, "chain_prev": GENESIS_PREV}

    expected = hashlib.sha256(bytes(32) + rfc8785.dumps(unit)).hexdigest()

    assert chain_hash_of(unit) == expected


def test_link_sets_the_four_chain_fields_and_leaves_the_input_alone() -> None:
    body = {"message": "hi", "chain_hash": "stale"}

    unit = link(body, "producer-1", GENESIS_PREV, 0)

    assert body == {"message": "hi", "chain_hash": "stale"}
    assert unit["chain_id"] == "producer-1"
    assert unit["chain_seq"] == 0
    assert unit["chain_prev"] == GENESIS_PREV
    assert unit["chain_hash"] == chain_hash_of(unit)
    second = link({"message": "there"}, "producer-1", unit["chain_hash"], 1)
    assert second["chain_prev"] == unit["chain_hash"]


@pytest.mark.parametrize(
    ("unit", "reason"),
    [
        ({"x": 1}, "chain_prev"),
        ({"chain_prev": "AB" * 32}, "chain_prev"),
        ({"chain_prev": "ab" * 31}, "chain_prev"),
        ({"chain_prev": GENESIS_PREV, "x": float("nan")}, "canonical"),
        ({"chain_prev": GENESIS_PREV, "x": "\ud800"}, "canonical"),
        ({"chain_prev": GENESIS_PREV, "\udc80": 1}, "canonical"),
        ({"chain_prev": GENESIS_PREV, "x": 2**60}, "canonical"),
    ],
)
def test_chain_hash_of_refuses_what_has_no_hash(unit: Unit, reason: str) -> None:
    with pytest.raises(IntegrityError, match=reason):
        chain_hash_of(unit)


# --- clean chains ------------------------------------------------------------


def test_a_clean_chain_verifies() -> None:
    units = make_chain(6)

    verdicts, verifier = verify(units)

    assert verdicts == [
        ChainVerdict(
            chain_id="c",
            records=6,
            first_seq=0,
            last_seq=5,
            ok=True,
            first_broken_seq=None,
            problems=(),
            duplicates=0,
        )
    ]
    assert verifier.tips() == {"c": ChainTip(5, units[-1]["chain_hash"])}


def test_interleaved_chains_verify_separately_in_id_order() -> None:
    first, second = make_chain(4, "b"), make_chain(3, "a")
    mixed = [first[0], second[0], second[1], first[1], first[2], second[2], first[3]]

    verdicts, verifier = verify(mixed)

    assert [(v.chain_id, v.ok, v.records) for v in verdicts] == [
        ("a", True, 3),
        ("b", True, 4),
    ]
    assert set(verifier.tips()) == {"a", "b"}


def test_a_chain_continues_across_days_through_the_tips() -> None:
    units = make_chain(10)
    _, day_one = verify(units[:5])

    verdict = only(units[5:], state=day_one.tips())

    assert verdict.ok
    assert (verdict.first_seq, verdict.last_seq) == (5, 9)


def test_a_day_that_skips_units_after_the_known_tip_is_deleted() -> None:
    units = make_chain(10)
    _, day_one = verify(units[:5])

    verdict = only(units[7:], state=day_one.tips())

    assert problems(verdict) == [("deleted", 5)]
    assert verdict.problems[0].detail == "seqs 5..6 missing before this unit"
    assert verdict.problems[0].where == "app.jsonl:1"


def test_tips_carry_chains_not_seen_today() -> None:
    state = {"quiet": ChainTip(41, "ab" * 32)}

    _, verifier = verify(make_chain(2, "busy"), state=state)

    assert verifier.tips()["quiet"] == ChainTip(41, "ab" * 32)
    assert verifier.tips()["busy"].seq == 1


def test_exact_repeats_are_counted_not_reported() -> None:
    units = make_chain(5)

    verdict = only([*units[:4], units[2], units[4], units[4]])

    assert verdict.ok
    assert verdict.duplicates == 2
    assert verdict.records == 7


def test_repeating_yesterdays_tip_is_a_duplicate() -> None:
    units = make_chain(6)
    _, day_one = verify(units[:3])

    verdict = only(units[2:], state=day_one.tips())

    assert verdict.ok
    assert verdict.duplicates == 1


# --- each kind of tampering --------------------------------------------------


def test_edited_content_is_reported_at_the_unit() -> None:
    units = make_chain(6)
    units[3] = dict(units[3], message="changed")

    verdict = only(units)

    assert problems(verdict) == [("edited", 3)]
    assert verdict.problems[0].where == "app.jsonl:4"
    assert verdict.first_broken_seq == 3
    assert not verdict.ok


def test_an_edited_and_rehashed_unit_is_caught_by_its_successor() -> None:
    units = make_chain(6)
    units[2] = link({"message": "rewritten"}, "c", units[1]["chain_hash"], 2)

    verdict = only(units)

    assert problems(verdict) == [("edited", 2)]
    assert verdict.problems[0].where == "app.jsonl:3"


def test_deleted_units_leave_a_gap() -> None:
    units = make_chain(8)

    verdict = only(units[:3] + units[5:])

    assert problems(verdict) == [("deleted", 3)]
    assert verdict.problems[0].detail == "seqs 3..4 missing before this unit"


def test_a_chain_missing_its_start_is_deleted_from_seq_zero() -> None:
    verdict = only(make_chain(5)[2:])

    assert problems(verdict) == [("deleted", 0)]


def test_swapped_units_are_reordered() -> None:
    units = make_chain(6)
    units[2], units[3] = units[3], units[2]

    verdict = only(units)

    assert problems(verdict) == [("reordered", 2)]
    assert verdict.problems[0].where == "app.jsonl:4"


def test_a_late_run_of_units_is_reordered_not_deleted() -> None:
    units = make_chain(6)

    verdict = only([units[0], units[1], units[4], units[2], units[3], units[5]])

    assert problems(verdict) == [("reordered", 2), ("reordered", 3)]


def test_an_inserted_unit_after_the_original_is_inserted() -> None:
    units = make_chain(6)
    extra = link({"message": "forged"}, "c", units[2]["chain_hash"], 3)

    verdict = only([*units[:4], extra, *units[4:]])

    assert problems(verdict) == [("inserted", 3)]
    assert verdict.problems[0].where == "app.jsonl:5"
    assert verdict.problems[0].detail == "links to seq 2 but repeats seq 3"


def test_an_inserted_unit_before_the_original_is_still_the_one_reported() -> None:
    units = make_chain(6)
    extra = link({"message": "forged"}, "c", units[2]["chain_hash"], 3)

    verdict = only([*units[:3], extra, *units[3:]])

    assert problems(verdict) == [("inserted", 3)]
    assert verdict.problems[0].where == "app.jsonl:4"


def test_an_extra_unit_linking_nowhere_is_inserted() -> None:
    units = make_chain(8)
    stray = link({"message": "stray"}, "c", "ab" * 32, 6)

    verdict = only([*units[:3], stray, *units[3:]])

    assert problems(verdict) == [("inserted", 6)]
    assert verdict.problems[0].detail == "seq 6 links to no unit of the chain"


@pytest.mark.parametrize("longer_first", [True, False])
def test_two_continuing_histories_are_a_fork(longer_first: bool) -> None:
    main = make_chain(7)
    other = make_chain(2, prev=main[2]["chain_hash"], first_seq=3)
    other = [
        link(dict(u, message="other"), "c", u["chain_prev"], u["chain_seq"])
        for u in other
    ]
    other[1] = link(dict(other[1]), "c", other[0]["chain_hash"], 4)

    order = [*main, *other] if longer_first else [*main[:3], *other, *main[3:]]
    verdict = only(order)

    assert problems(verdict) == [("fork", 3)]
    assert (
        verdict.problems[0].detail == "a second branch of 2 units leaves the chain here"
    )


def test_bad_genesis_is_reported() -> None:
    units = make_chain(3, prev="11" * 32)

    verdict = only(units)

    assert problems(verdict) == [("bad_genesis", 0)]


def test_genesis_prev_after_seq_zero_is_bad_genesis() -> None:
    units = make_chain(3)
    restart = link({"message": "restart"}, "c", GENESIS_PREV, 5)

    verdict = only([*units, restart])

    assert problems(verdict) == [("bad_genesis", 5)]


def test_truncation_is_seen_against_a_known_tip() -> None:
    units = make_chain(10)
    known = {"c": ChainTip(9, units[9]["chain_hash"])}

    truncated = only(units[:7], expected=known)
    complete = only(units, expected=known)

    assert problems(truncated) == [("truncated", 7)]
    assert (
        truncated.problems[0].detail == "the chain ends at seq 6 but had reached seq 9"
    )
    assert complete.ok


def test_an_expected_chain_with_no_units_is_truncated() -> None:
    verdicts, verifier = verify([], expected={"gone": ChainTip(3, "ab" * 32)})

    assert verifier.expected_tips == {"gone": ChainTip(3, "ab" * 32)}
    assert len(verdicts) == 1
    assert verdicts[0].records == 0
    assert verdicts[0].first_seq is None
    assert problems(verdicts[0]) == [("truncated", 0)]


def test_a_rewritten_history_past_a_known_tip_is_edited() -> None:
    units = make_chain(10)
    known = {"c": ChainTip(5, "ee" * 32)}

    verdict = only(units, expected=known)

    assert problems(verdict) == [("edited", 5)]


def test_verdicts_never_hold_unit_content() -> None:
    units = make_chain(8)
    units[3] = dict(units[3], message=SECRET + " edited")
    tampered = [*units[:2], units[4], units[3], *units[6:]]

    verdicts, _ = verify(tampered)

    text = orjson.dumps([verdict.to_json() for verdict in verdicts]).decode()
    assert SECRET not in text
    assert {p["kind"] for p in verdicts[0].to_json()["problems"]} >= {"edited"}


def test_chain_tip_json_round_trip_and_refusals() -> None:
    tip = ChainTip(12, "ab" * 32)

    assert ChainTip.from_json(orjson.loads(orjson.dumps(tip.to_json()))) == tip
    for bad in ({"seq": "12", "hash": "ab" * 32}, {"seq": 1, "hash": "AB" * 32}, {}):
        with pytest.raises(IntegrityError, match="chain tip"):
            ChainTip.from_json(bad)


# --- properties --------------------------------------------------------------

lengths = st.integers(3, 25)


@settings(max_examples=60, deadline=None)
@given(count=lengths, data=st.data())
def test_property_one_deleted_unit_is_one_deletion(
    count: int, data: st.DataObject
) -> None:
    units = make_chain(count)
    gone = data.draw(st.integers(0, count - 2))  # the last one cannot be seen

    verdict = only(units[:gone] + units[gone + 1 :])

    assert problems(verdict) == [("deleted", gone)]


@settings(max_examples=60, deadline=None)
@given(count=lengths, data=st.data())
def test_property_one_edited_unit_is_one_edit(count: int, data: st.DataObject) -> None:
    units = make_chain(count)
    target = data.draw(st.integers(0, count - 1))
    units[target] = dict(units[target], latency_ms=-1.0)

    assert problems(only(units)) == [("edited", target)]


@settings(max_examples=80, deadline=None)
@given(count=lengths, data=st.data())
def test_property_one_moved_unit_is_one_reordering(
    count: int, data: st.DataObject
) -> None:
    units = make_chain(count)
    source = data.draw(st.integers(0, count - 1))
    target = data.draw(st.integers(0, count - 1).filter(lambda t: t != source))
    moved = units.pop(source)
    units.insert(target, moved)

    verdict = only(units)

    # Either the moved unit or the ones it jumped over are named, never more,
    # and nothing is taken for missing or extra.
    displaced = set(range(min(source, target), max(source, target) + 1))
    found = problems(verdict)
    assert found
    assert {kind for kind, _ in found} == {"reordered"}
    assert {seq for _, seq in found} <= displaced
    assert verdict.records == count


@settings(max_examples=60, deadline=None)
@given(count=lengths, data=st.data())
def test_property_one_inserted_unit_is_one_insertion(
    count: int, data: st.DataObject
) -> None:
    units = make_chain(count)
    # The original sibling needs a successor: two siblings that both end the
    # input are indistinguishable, and the one read first is kept.
    parent = data.draw(st.integers(0, count - 3))
    position = data.draw(st.integers(parent + 1, count))
    extra = link({"message": "forged"}, "c", units[parent]["chain_hash"], parent + 1)
    units.insert(position, extra)

    verdict = only(units)

    assert problems(verdict) == [("inserted", parent + 1)]
    assert verdict.problems[0].where == f"app.jsonl:{position + 1}"


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 8), min_size=1, max_size=4), data=st.data())
def test_property_interleaved_clean_chains_all_verify(
    sizes: list[int], data: st.DataObject
) -> None:
    chains = [make_chain(size, f"chain-{index}") for index, size in enumerate(sizes)]
    queues = [list(chain) for chain in chains]
    mixed = []
    while any(queues):
        pick = data.draw(st.sampled_from([q for q in queues if q]))
        mixed.append(pick.pop(0))

    verdicts, _ = verify(mixed)

    assert all(verdict.ok for verdict in verdicts)
    assert [verdict.records for verdict in verdicts] == sizes


@settings(max_examples=150, deadline=None)
@given(count=lengths, data=st.data())
def test_property_any_order_alone_is_only_reordering(
    count: int, data: st.DataObject
) -> None:
    units = data.draw(st.permutations(make_chain(count)))

    verdict = only(units)

    assert {kind for kind, _ in problems(verdict)} <= {"reordered"}
    assert verdict.ok == ([u["chain_seq"] for u in units] == list(range(count)))


TAMPERINGS = ["inserted", "edited", "deleted", "rewritten"]


@settings(max_examples=300, deadline=None)
@given(
    count=lengths,
    tampering=st.sampled_from(TAMPERINGS),
    shuffle=st.booleans(),
    data=st.data(),
)
def test_property_tampering_in_any_order_is_caught_at_its_seq(
    count: int, tampering: str, shuffle: bool, data: st.DataObject
) -> None:
    units = make_chain(count)
    target = data.draw(st.integers(1, count - 2))
    if tampering == "inserted":
        units.append(
            link({"m": "forged"}, "c", units[target - 1]["chain_hash"], target)
        )
    elif tampering == "edited":
        units[target] = dict(units[target], message="changed")
    elif tampering == "deleted":
        del units[target]
    else:
        units[target] = link(
            {"m": "rewritten"}, "c", units[target - 1]["chain_hash"], target
        )
    if shuffle:
        units = data.draw(st.permutations(units))
    else:
        units.sort(key=lambda unit: (unit["chain_seq"], "m" in unit))

    verdict = only(units)

    named = {seq for kind, seq in problems(verdict) if kind != "reordered"}
    assert not verdict.ok
    assert target in named


@settings(max_examples=100, deadline=None)
@given(count=lengths, window=st.integers(1, 4), data=st.data())
def test_property_a_tiny_window_still_reads_everything(
    count: int, window: int, data: st.DataObject
) -> None:
    units = data.draw(st.permutations(make_chain(count)))
    units = [*units, units[0]]
    verifier = ChainVerifier(window=window)

    for line, unit in enumerate(units):
        verifier.add(
            "c",
            unit["chain_seq"],
            unit["chain_prev"],
            unit["chain_hash"],
            unit,
            f"f:{line}",
        )
    (verdict,) = verifier.finish()

    assert verdict.records == count + 1
    assert (verdict.first_seq, verdict.last_seq) == (0, count - 1)


FIXTURES = Path(__file__).resolve().parents[2] / "data_fixtures" / "real"


def test_real_jsonl_lines_chain_and_verify() -> None:
    # Real model answers (floats, unicode, nested lists) from FastChat MT-Bench.
    path = FIXTURES / "fastchat-mt-bench" / "reference_answer_gpt-4.jsonl"
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    units, prev = [], GENESIS_PREV
    for seq, line in enumerate(lines):
        unit = link(line, "fastchat", prev, seq)
        body = {key: value for key, value in unit.items() if key != "chain_hash"}
        reference = hashlib.sha256(bytes.fromhex(prev) + rfc8785.dumps(body))
        assert unit["chain_hash"] == reference.hexdigest()
        units.append(unit)
        prev = unit["chain_hash"]

    assert only(units).ok
    units[7] = dict(units[7], tstamp=units[7]["tstamp"] + 1.0)
    assert problems(only(units)) == [("edited", 7)]


def test_a_problem_names_its_related_unit_only_when_there_is_one() -> None:
    plain = ChainProblem("edited", 3, "a.jsonl:4", "content does not hash")
    related = ChainProblem("deleted", 2, "a.jsonl:9", "seq 2 missing", "a.jsonl:3")

    assert "related" not in plain.to_json()
    assert related.to_json()["related"] == "a.jsonl:3"
