"""The decision on generated traffic: same distribution, regression, tiny samples.

These run the statistics on real ingested records (no Great Expectations,
Evidently or PDF), so they can afford several seeds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from gate_support import load_frame, regress

from ledgerlens.gate import decide, evaluate_metrics, load_policy, pair_items

POLICY = load_policy()


def _decide(baseline: Path, candidate: Path) -> tuple[str, dict[str, str]]:
    left, right = load_frame(baseline), load_frame(candidate)
    pairing = pair_items(left, right, POLICY)
    metrics = evaluate_metrics(left, right, POLICY, pairing)
    decision = decide(metrics, drift_blocked=[], quality_failed=[])
    return decision, {m.policy.metric: m.status for m in metrics}


@pytest.mark.parametrize(("seed_b", "seed_c"), [(1, 2), (3, 4), (5, 6), (7, 8), (8, 1)])
def test_same_distribution_is_promoted(
    make_day: Callable[..., Path], seed_b: int, seed_c: int
) -> None:
    decision, statuses = _decide(make_day(seed_b), make_day(seed_c))

    assert decision == "promote", statuses
    blocking = {m.metric for m in POLICY.metrics if m.severity == "blocking"}
    assert {statuses[name] for name in blocking} == {"non_inferior"}
    assert "regression" not in statuses.values()


def test_injected_regression_is_blocked_naming_each_one(
    make_day: Callable[..., Path], tmp_path: Path
) -> None:
    worse = regress(make_day(2), tmp_path / "worse" / "calls.jsonl")

    decision, statuses = _decide(make_day(1), worse)

    assert decision == "block"
    blocking = {m.metric for m in POLICY.metrics if m.severity == "blocking"}
    regressed = {n for n in blocking if statuses[n] == "regression"}
    assert regressed == {
        "latency_p50",
        "latency_p95",
        "refusal_rate",
        "policy_block_rate",
    }
    # What was not touched is still shown within its margin.
    assert statuses["error_rate"] == "non_inferior"
    assert statuses["tokens_per_request"] == "non_inferior"


def test_tiny_samples_hold_and_never_promote(make_day: Callable[..., Path]) -> None:
    decision, statuses = _decide(make_day(1, records=60), make_day(2, records=60))

    assert decision == "hold"
    assert set(statuses.values()) == {"insufficient"}


def test_tiny_samples_of_a_clear_regression_are_not_promoted(
    make_day: Callable[..., Path], tmp_path: Path
) -> None:
    worse = regress(make_day(2, records=60), tmp_path / "w" / "calls.jsonl")

    decision, _ = _decide(make_day(1, records=60), worse)

    assert decision == "hold"


def test_items_answered_on_both_sides_are_paired(
    make_day: Callable[..., Path], tmp_path: Path
) -> None:
    """Both sides answer the same eval items (``eval_item_id``): a paired design.

    The candidate answers each item 1.6x slower; paired on the item the
    regression is found and named.
    """
    source = make_day(3, records=800)
    base_lines, cand_lines = [], []
    for index, line in enumerate(source.read_text().splitlines()):
        record = json.loads(line)
        record["eval_item_id"] = f"item-{index:05d}"
        base_lines.append(json.dumps(record, sort_keys=True))
        record["record_id"] += "-candidate"
        record["latency_ms"] = round(record["latency_ms"] * 1.6, 3)
        cand_lines.append(json.dumps(record, sort_keys=True))
    (tmp_path / "b.jsonl").write_text("\n".join(base_lines) + "\n")
    (tmp_path / "c.jsonl").write_text("\n".join(cand_lines) + "\n")
    left, right = load_frame(tmp_path / "b.jsonl"), load_frame(tmp_path / "c.jsonl")

    pairing = pair_items(left, right, POLICY)
    metrics = {
        m.policy.metric: m for m in evaluate_metrics(left, right, POLICY, pairing)
    }

    assert pairing.to_json() == {
        "design": "paired",
        "key": "extra.eval_item_id",
        "pairs": 800,
    }
    assert metrics["latency_p50"].status == "regression"
    assert metrics["latency_p50"].design == "paired"
    # Identical answers: rates and tokens differ by exactly nothing.
    assert metrics["error_rate"].result is not None
    assert metrics["error_rate"].result.difference == 0.0
    assert metrics["tokens_per_request"].status == "non_inferior"


def test_unique_prompts_fall_back_to_input_hash_pairing(
    make_day: Callable[..., Path],
) -> None:
    """Two generated days repeat prompts, so input hashes cannot pair them."""
    left, right = load_frame(make_day(1)), load_frame(make_day(2))

    assert pair_items(left, right, POLICY).key is None
