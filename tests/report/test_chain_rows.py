"""A producer chain in the report: a page of problems and the true remainder."""

from __future__ import annotations

from ledgerlens.report._context import _chain_row


def _problem(seq: int) -> dict[str, object]:
    return {"kind": "prev_mismatch", "seq": seq, "where": "a@0", "detail": "x"}


def test_the_remainder_counts_problems_the_findings_no_longer_list() -> None:
    chain = {
        "chain_id": "worker-1",
        "problem_count": 5_000,
        "problems": [_problem(i) for i in range(200)],
    }

    row = _chain_row(chain)

    assert [p["seq"] for p in row["problems"]] == list(range(25))
    assert row["more_problems"] == 4_975


def test_findings_sealed_before_the_count_existed_still_render() -> None:
    row = _chain_row({"chain_id": "w", "problems": [_problem(i) for i in range(30)]})

    assert len(row["problems"]) == 25
    assert row["more_problems"] == 5
