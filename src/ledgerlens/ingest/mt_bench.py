"""``mt-bench``: FastChat MT-bench files (questions, and model answers).

An answer line (``question_id``, ``answer_id``, ``model_id``, ``choices``,
``tstamp``) is one model call: ``model`` is ``model_id``, ``ts_start`` the
epoch ``tstamp``, and the output is one assistant message per turn of the
first choice (further choices stay in ``extra``). The answer file does not hold
the prompts; they are in the question file, keyed by ``question_id`` (kept in
``extra`` for that join).

A question line has no time and no model: it is a prompt that was never a
call, so it is quarantined as ``missing_timestamp`` with its bytes kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from ledgerlens.ingest._build import Draft
from ledgerlens.ingest._units import UnitMaker, json_values
from ledgerlens.ingest.interface import (
    IngestOptions,
    Sample,
    SourceFile,
    Unit,
    UnitOutcome,
    UnitRejected,
)
from ledgerlens.ingest.timeparse import parse_timestamp
from ledgerlens.record import text_message

__all__ = ["MT_BENCH", "MtBenchAdapter"]

logger = logging.getLogger(__name__)

_ANSWER_KEYS: Final = frozenset({"question_id", "model_id", "choices"})
_QUESTION_KEYS: Final = frozenset({"question_id", "category", "turns"})


@dataclass(frozen=True)
class MtBenchAdapter:
    """``mt-bench``: one unit per question or answer line."""

    name: str = "mt-bench"

    def sniff(self, sample: Sample) -> int:
        """Sure when the first line is an MT-bench answer or question."""
        first = sample.first_object
        if first is None:
            return 0
        if set(first) >= _ANSWER_KEYS or set(first) >= _QUESTION_KEYS:
            return 80
        return 0

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """Yield one unit per line; a line that fails is quarantined alone."""
        maker = UnitMaker(source, self.name, options)
        for value in json_values(source):
            if value.reason is not None:
                yield maker.quarantined(value.offset, 0, value.raw, value.reason)
                continue
            line = value.value
            yield maker.built(value.offset, 0, value.raw, partial(_draft, line))


MT_BENCH: Final = MtBenchAdapter()


def _draft(line: Any) -> tuple[Draft, UnitOutcome]:
    if not isinstance(line, dict):
        raise UnitRejected("not_an_object")
    draft = Draft()
    columns = draft.columns
    # A question has no tstamp: parse_timestamp quarantines it as missing.
    columns["ts_start"] = parse_timestamp(line.get("tstamp"))
    model = line.get("model_id")
    if not isinstance(model, str):
        raise UnitRejected("bad_field:model_id")
    columns["model"] = model
    columns["status"] = "ok"

    choices = line.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise UnitRejected("bad_field:choices")
    turns = choices[0].get("turns")
    if not isinstance(turns, list) or not all(isinstance(t, str) for t in turns):
        raise UnitRejected("bad_field:choices")
    draft.output_messages = [text_message("assistant", turn) for turn in turns]
    for key, value in line.items():
        if key not in ("tstamp", "model_id", "choices"):
            draft.extra[key] = value
    if len(choices) > 1:
        draft.extra["choices"] = choices[1:]
    return draft, "accepted"
