"""Factories for drift tests: seeded synthetic days of canonical records."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from ledgerlens.record import RECORD_COLUMNS, messages_text, records_frame, text_message

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SETTINGS = REPO / "checks" / "drift.json"

BASE_MODELS = ("gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18")
NEW_MODEL = "gpt-4.1-2025-04-14"

MakeDay = Callable[..., pl.DataFrame]


def _policy(outcome: str) -> list[dict[str, Any]]:
    """Policy results whose worst outcome is ``outcome`` (``none``: no policy)."""
    if outcome == "none":
        return []
    checks = [("pii", "pass"), ("toxicity", outcome)]
    return [
        {
            "policy": name,
            "version": "3",
            "outcome": result,
            "category": None,
            "score": None,
        }
        for name, result in checks
    ]


def make_day(
    n: int,
    seed: int,
    *,
    latency_scale: float = 1.0,
    new_model_share: float = 0.0,
    block_share: float = 0.02,
    marker: str = "",
) -> pl.DataFrame:
    """A day of ``n`` records drawn from one fixed generator.

    The keyword arguments shift one aspect each: latency, the share of calls
    answered by a new model version, the share of blocked calls. ``marker`` is
    put at the start of every prompt.
    """
    rng = np.random.default_rng(seed)
    latency = rng.lognormal(6.5, 0.5, n) * latency_scale
    models = rng.choice(BASE_MODELS, n, p=[0.8, 0.2]).astype(object)
    models[rng.random(n) < new_model_share] = NEW_MODEL
    outcomes = rng.choice(
        ["none", "pass", "flag", "block"],
        n,
        p=[0.05, 0.87 - block_share, 0.08, block_share],
    )
    prompt_len = rng.integers(20, 1500, n)
    answer_len = rng.integers(5, 900, n)
    rows = [
        {
            "record_id": f"r-{seed}-{i}",
            "latency_ms": float(latency[i]),
            "tokens_in": int(prompt_len[i] // 4 + 7),
            "tokens_out": int(answer_len[i] // 4 + 1),
            "input_text": messages_text(
                [text_message("user", marker + "q" * int(prompt_len[i]))]
            ),
            "output_text": messages_text(
                [text_message("assistant", "a" * int(answer_len[i]))]
            ),
            "model_version": str(models[i]),
            "status": "ok",
            "finish_reason": "stop",
            "policy_results": _policy(str(outcomes[i])),
        }
        for i in range(n)
    ]
    frame = records_frame(rows)
    status = rng.choice(["ok", "error"], n, p=[0.97, 0.03])
    finish = rng.choice(["stop", "length", "tool_calls"], n, p=[0.9, 0.08, 0.02])
    return frame.with_columns(
        pl.Series("status", status, dtype=pl.Utf8),
        pl.Series("finish_reason", finish, dtype=pl.Utf8),
    ).select(RECORD_COLUMNS)


@pytest.fixture(scope="session")
def day() -> MakeDay:
    """The seeded day factory, as a fixture."""
    return make_day


WriteSettings = Callable[[Any], Path]


@pytest.fixture(scope="session")
def shipped_settings() -> Path:
    """The drift settings file the project ships."""
    return DEFAULT_SETTINGS


@pytest.fixture
def default_settings() -> dict[str, Any]:
    """A fresh copy of the shipped drift settings, to be changed by a test."""
    data: dict[str, Any] = json.loads(DEFAULT_SETTINGS.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def write_settings(tmp_path: Path) -> WriteSettings:
    """Write settings data (or raw text) to a file and return its path."""

    def write(data: Any) -> Path:
        path = tmp_path / "drift.json"
        text = data if isinstance(data, str) else json.dumps(data)
        path.write_text(text, encoding="utf-8")
        return path

    return write
