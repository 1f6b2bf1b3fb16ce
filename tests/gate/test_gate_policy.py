"""The policy file: the packaged default, and strict reading of a team's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledgerlens._resources import packaged_dir
from ledgerlens.errors import CheckError
from ledgerlens.gate import default_policy_path, load_policy
from ledgerlens.gate._metrics import METRICS


def test_default_policy_covers_every_metric() -> None:
    policy = load_policy()

    assert policy.source == "packaged"
    assert [m.metric for m in policy.metrics] == list(METRICS)
    assert policy.correction == "holm"
    assert policy.quality_suite == packaged_dir("checks") / "gate-quality.json"
    assert policy.drift_settings == packaged_dir("checks") / "drift.json"
    severity = {m.metric: m.severity for m in policy.metrics}
    assert severity["latency_p99"] == "warning"
    assert all(s == "blocking" for n, s in severity.items() if n != "latency_p99")


def _write(tmp_path: Path, change: dict[str, Any]) -> Path:
    data = json.loads(default_policy_path().read_text()) | change
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(data))
    return path


def test_a_team_policy_overrides_and_is_hashed(tmp_path: Path) -> None:
    path = _write(tmp_path, {"correction": "bonferroni", "alpha": 0.01})

    policy = load_policy(path)

    assert policy.correction == "bonferroni"
    assert policy.alpha == 0.01
    assert policy.source == str(path.resolve())
    # No suite beside the team's policy: the packaged one is used.
    assert policy.quality_suite == packaged_dir("checks") / "gate-quality.json"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"margins": []}, "unknown keys ['margins']"),
        ({"correction": "fdr"}, "correction: must be holm or bonferroni"),
        ({"metrics": [{"metric": "latency_p42"}]}, "unknown metric 'latency_p42'"),
        (
            {"metrics": [{"metric": "error_rate", "margin": {"percent": 2}}]},
            'must be {"relative": R} or {"absolute": A}',
        ),
        (
            {
                "metrics": [
                    {"metric": "error_rate", "margin": {"absolute": 0.1}},
                    {"metric": "error_rate", "margin": {"absolute": 0.2}},
                ]
            },
            "error_rate listed twice",
        ),
    ],
)
def test_a_bad_policy_is_one_line_naming_the_entry(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(CheckError) as caught:
        load_policy(_write(tmp_path, change))

    assert message in caught.value.message
    assert str(tmp_path / "policy.json") in caught.value.message
    assert caught.value.exit_code == 2
