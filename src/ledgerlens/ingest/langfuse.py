"""``langfuse``: Langfuse ingestion batches and trace / observation exports.

An ingestion batch (``{"batch": [events], "metadata": {...}}``, or JSON Lines
of events) holds ``trace-create``, ``generation-create`` / ``-update``,
``span-create`` / ``-update``, ``event-create`` and ``score-create`` events.
An export (``{"data": [...]}``, a JSON list, or JSON Lines) holds trace
objects and observation objects (``type`` ``GENERATION``, ``SPAN``,
``EVENT``); a trace exported with its observations inline gives each of them
as an object of its own. Every event or object is one unit; the file is read
whole because events refer to each other. The units become records so:

* a generation (its create event and every update, folded in order) is one
  ``accepted`` record; the updates are ``merged`` into it;
* a trace gives its session, release, environment, name, tags and metadata to
  the generations under it, and its events are ``merged`` into the first of
  them; a trace with no generation in the file is one ``lineage_only`` record;
* a span or event observation is a ``lineage_only`` record;
* a score is ``merged`` into the record it scores (its observation, else its
  trace's record) and kept there in ``extra["evaluations"]``: a score is a
  number, a category or a boolean with no pass/flag/block verdict of its own,
  so it is not turned into a policy result;
* a score or update whose target is not in the file is quarantined
  (``unmatched_reference``); an event type not listed here is quarantined
  (``unsupported_event``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ledgerlens.ingest._build import Draft
from ledgerlens.ingest._chat import (
    map_openai_response,
    openai_message,
    openai_messages,
    provider_of_url,
)
from ledgerlens.ingest._units import UnitMaker, dump_unit, json_values
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

__all__ = ["LANGFUSE", "LangfuseAdapter"]

logger = logging.getLogger(__name__)

_EVENT_KINDS: Final = {
    "trace-create": "trace",
    "generation-create": "generation",
    "generation-update": "generation",
    "span-create": "span",
    "span-update": "span",
    "event-create": "event",
    "score-create": "score",
}
_OBSERVATION_KINDS: Final = {
    "GENERATION": "generation",
    "SPAN": "span",
    "EVENT": "event",
}
_TRACE_FIELDS: Final = (
    ("sessionId", "session_id"),
    ("release", "app_version"),
    ("environment", "environment"),
)
_GENERATION_TAKEN: Final = frozenset(
    {
        "id",
        "traceId",
        "parentObservationId",
        "startTime",
        "endTime",
        "model",
        "input",
        "output",
        "usage",
        "usageDetails",
        "costDetails",
        "level",
        "statusMessage",
        "promptName",
        "promptVersion",
        "environment",
        "type",
    }
)


@dataclass
class _Item:
    """One unit of the file, classified: what it is and what it refers to."""

    offset: int
    index: int
    raw: bytes
    kind: str
    body: dict[str, Any]
    envelope: dict[str, Any]
    batch: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Group:
    """The items of one trace or observation, first to last, and its scores."""

    items: list[_Item]
    scores: list[_Item] = field(default_factory=list)
    record_id: str | None = None


@dataclass(frozen=True)
class LangfuseAdapter:
    """``langfuse``: Langfuse events and exports folded into records."""

    name: str = "langfuse"

    def sniff(self, sample: Sample) -> int:
        """Sure for an ingestion batch or a Langfuse event or export object."""
        head = sample.head[:8192]
        first = sample.first_object
        if first is not None and (
            first.get("type") in _EVENT_KINDS or first.get("type") in _OBSERVATION_KINDS
        ):
            return 85 if "body" in first or "traceId" in first else 40
        stripped = head.lstrip()
        if stripped.startswith(b"{") and b'"batch"' in head and b"-create" in head:
            return 85
        if b'"traceId"' in head and b'"GENERATION"' in head:
            return 60
        return 0

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """Yield every event's unit once the whole file is read and joined."""
        maker = UnitMaker(source, self.name, options)
        items: list[_Item] = []
        units: list[Unit] = []
        for value in json_values(source):
            if value.reason is not None:
                units.append(
                    maker.quarantined(value.offset, 0, value.raw, value.reason)
                )
                continue
            for item_or_unit in _items(value.value, value.offset, value.raw, maker):
                if isinstance(item_or_unit, Unit):
                    units.append(item_or_unit)
                else:
                    items.append(item_or_unit)
        units.extend(_Joiner(maker, options.naive_tz).units(items))
        yield from sorted(units, key=lambda u: (u.offset, u.index))


LANGFUSE: Final = LangfuseAdapter()


def _items(
    value: Any, offset: int, raw: bytes, maker: UnitMaker
) -> Iterator[_Item | Unit]:
    """Classify the events or objects of one top-level value."""
    if isinstance(value, dict) and isinstance(value.get("batch"), list):
        entries: list[Any] = value["batch"]
    elif isinstance(value, dict) and isinstance(value.get("data"), list):
        entries = value["data"]
    elif isinstance(value, list):
        entries = value
    else:
        entries = [value]
    whole = len(entries) == 1 and entries[0] is value
    # The batch's own metadata (SDK name and version) belongs to no event: each
    # record of the batch keeps a copy.
    batch = value.get("metadata") if isinstance(value, dict) and not whole else None
    nested_index = len(entries)
    for index, entry in enumerate(entries):
        entry_raw = raw if whole else dump_unit(entry)
        nested = _nested_observations(entry)
        item = _classify(entry, offset, index, entry_raw)
        if isinstance(item, str):
            yield maker.quarantined(offset, index, entry_raw, item)
            continue
        item.batch = batch if isinstance(batch, dict) else {}
        yield item
        # A trace exported with its observations: each is a unit of its own.
        for observation in nested:
            observation_raw = dump_unit(observation)
            inner = _classify(observation, offset, nested_index, observation_raw)
            if isinstance(inner, str):
                yield maker.quarantined(offset, nested_index, observation_raw, inner)
            else:
                inner.batch = item.batch
                yield inner
            nested_index += 1


def _nested_observations(entry: Any) -> list[Any]:
    """Observations a trace object carries inline, taken out of it.

    Langfuse's trace export with full details lists each observation object
    under the trace; a list of ids names them only and stays as it is.
    """
    if not isinstance(entry, dict) or "traceId" in entry:
        return []
    inline = entry.get("observations")
    if not isinstance(inline, list) or not any(isinstance(o, dict) for o in inline):
        return []
    del entry["observations"]
    trace_id = entry.get("id")
    return [
        {**o, "traceId": o.get("traceId", trace_id)} if isinstance(o, dict) else o
        for o in inline
    ]


def _classify(entry: Any, offset: int, index: int, raw: bytes) -> _Item | str:
    if not isinstance(entry, dict):
        return "not_an_object"
    event_type = entry.get("type")
    if isinstance(entry.get("body"), dict):
        kind = _EVENT_KINDS.get(str(event_type))
        if kind is None:
            return "unsupported_event"
        envelope = {k: v for k, v in entry.items() if k != "body"}
        return _Item(offset, index, raw, kind, dict(entry["body"]), envelope)
    if event_type in _OBSERVATION_KINDS:
        return _Item(
            offset, index, raw, _OBSERVATION_KINDS[event_type], dict(entry), {}
        )
    if "id" in entry and "traceId" not in entry and "timestamp" in entry:
        return _Item(offset, index, raw, "trace", dict(entry), {})
    if "traceId" in entry and ("value" in entry or "stringValue" in entry):
        return _Item(offset, index, raw, "score", dict(entry), {})
    return "unsupported_event"


def _is_update(item: _Item) -> bool:
    """An ``*-update`` event: it changes an observation, it does not make one."""
    return str(item.envelope.get("type", "")).endswith("-update")


class _Joiner:
    """Folds the classified items of one file into records and merged units."""

    def __init__(self, maker: UnitMaker, naive_tz: str | None) -> None:
        self.maker = maker
        self.naive_tz = naive_tz
        self.traces: dict[str, _Group] = {}
        self.observations: dict[str, _Group] = {}
        self.generations_of: dict[str, list[str]] = {}

    def units(self, items: list[_Item]) -> list[Unit]:
        """Every item's unit: records first built, then what merged into them."""
        out: list[Unit] = []
        scores = self._group(items, out)
        self._attach_scores(scores, out)
        for key, group in self.observations.items():
            if all(_is_update(item) for item in group.items):
                # Updates of an observation the file never creates.
                out.extend(
                    self._quarantined(item, "unmatched_reference")
                    for item in group.items + group.scores
                )
                continue
            out.extend(self._observation_units(key, group))
        for key, group in self.traces.items():
            out.extend(self._trace_units(key, group))
        return out

    def _group(self, items: list[_Item], out: list[Unit]) -> list[_Item]:
        scores = []
        for item in items:
            key = item.body.get("id")
            if item.kind == "score":
                scores.append(item)
            elif not isinstance(key, str) or not key:
                out.append(self._quarantined(item, "bad_field:id"))
            elif item.kind == "trace":
                self.traces.setdefault(key, _Group([])).items.append(item)
            else:
                self.observations.setdefault(key, _Group([])).items.append(item)
        for key, group in self.observations.items():
            first = group.items[0]
            created = any(not _is_update(item) for item in group.items)
            if first.kind == "generation" and created:
                trace = first.body.get("traceId")
                self.generations_of.setdefault(str(trace), []).append(key)
        return scores

    def _attach_scores(self, scores: list[_Item], out: list[Unit]) -> None:
        for score in scores:
            target = self._score_target(score.body)
            if target is None:
                out.append(self._quarantined(score, "unmatched_reference"))
            else:
                target.scores.append(score)

    def _score_target(self, body: Mapping[str, Any]) -> _Group | None:
        observation = body.get("observationId")
        if observation is not None:
            return self.observations.get(str(observation))
        trace = str(body.get("traceId"))
        generations = self.generations_of.get(trace)
        if generations:
            return self.observations[generations[0]]
        return self.traces.get(trace)

    def _observation_units(self, key: str, group: _Group) -> Iterator[Unit]:
        first = group.items[0]
        body = _folded(group.items)
        trace_id = body.get("traceId")
        trace = self.traces.get(str(trace_id)) if trace_id is not None else None
        is_generation = first.kind == "generation"
        trace_body = _folded(trace.items) if trace is not None else None
        gens = self.generations_of.get(str(trace_id), [])
        carries_trace = is_generation and trace is not None and gens[:1] == [key]

        def build() -> tuple[Draft, UnitOutcome]:
            draft = _observation_draft(body, first.envelope, self.naive_tz)
            if trace_body is not None and trace is not None:
                _apply_trace(draft, trace_body, carries_trace, body)
                if carries_trace:
                    _add_event_log(draft, trace.items)
                    group.scores.extend(trace.scores)
                    trace.scores = []
            _add_evaluations(draft, group.scores)
            _add_event_log(draft, group.items)
            return draft, "accepted" if is_generation else "lineage_only"

        unit = self.maker.built(first.offset, first.index, first.raw, build)
        yield unit
        yield from self._followers(group, unit, group.items[1:] + group.scores)
        if carries_trace and trace is not None:
            trace.record_id = unit.record["record_id"] if unit.record else None
            yield from self._followers(trace, unit, trace.items + trace.scores)

    def _trace_units(self, key: str, group: _Group) -> Iterator[Unit]:
        if self.generations_of.get(key):
            return  # folded into its first generation
        first = group.items[0]
        body = _folded(group.items)

        def build() -> tuple[Draft, UnitOutcome]:
            draft = _trace_draft(body, first.envelope, self.naive_tz)
            _add_evaluations(draft, group.scores)
            _add_event_log(draft, group.items)
            return draft, "lineage_only"

        unit = self.maker.built(first.offset, first.index, first.raw, build)
        yield unit
        yield from self._followers(group, unit, group.items[1:] + group.scores)

    def _followers(
        self, group: _Group, unit: Unit, items: list[_Item]
    ) -> Iterator[Unit]:
        """Units folded into ``unit``: merged, or quarantined with it."""
        for item in items:
            if unit.record is None:
                yield self._quarantined(item, unit.reason or "unmatched_reference")
            else:
                rid = unit.record["record_id"]
                yield self.maker.merged(item.offset, item.index, item.raw, rid)

    def _quarantined(self, item: _Item, reason: str) -> Unit:
        return self.maker.quarantined(item.offset, item.index, item.raw, reason)


def _folded(items: list[_Item]) -> dict[str, Any]:
    """Create and update bodies folded in order; a null does not erase a value."""
    body: dict[str, Any] = {}
    for item in items:
        body.update({k: v for k, v in item.body.items() if v is not None})
    return body


def _observation_draft(
    body: dict[str, Any], envelope: Mapping[str, Any], naive_tz: str | None
) -> Draft:
    draft = Draft()
    columns = draft.columns
    columns["span_id"] = body.get("id")
    columns["trace_id"] = _optional_text(body.get("traceId"), "traceId")
    columns["parent_span_id"] = _optional_text(
        body.get("parentObservationId"), "parentObservationId"
    )
    start = body.get("startTime") or envelope.get("timestamp")
    columns["ts_start"] = parse_timestamp(start, naive_tz)
    end = body.get("endTime")
    columns["ts_end"] = None if end in (None, "") else parse_timestamp(end, naive_tz)
    columns["model"] = _optional_text(body.get("model"), "model")
    columns["environment"] = _optional_text(body.get("environment"), "environment")
    columns["prompt_template_id"] = _optional_text(body.get("promptName"), "promptName")
    version = body.get("promptVersion")
    columns["prompt_template_version"] = None if version is None else str(version)
    _map_level(body, columns)
    _map_usage(body, columns)
    _map_messages(body, draft)
    _map_provider(body, columns)

    rest = {k: v for k, v in body.items() if k not in _GENERATION_TAKEN}
    if rest:
        draft.extra["observation"] = rest
    return draft


def _trace_draft(
    body: dict[str, Any], envelope: Mapping[str, Any], naive_tz: str | None
) -> Draft:
    draft = Draft()
    draft.columns["trace_id"] = body.get("id")
    start = body.get("timestamp") or envelope.get("timestamp")
    draft.columns["ts_start"] = parse_timestamp(start, naive_tz)
    draft.columns["status"] = "ok"
    _apply_trace(draft, body, True, {})
    return draft


def _apply_trace(
    draft: Draft, trace: dict[str, Any], carries: bool, observation: dict[str, Any]
) -> None:
    """Give a record its trace's columns; ``carries`` also keeps the trace whole."""
    columns = draft.columns
    for key, column in _TRACE_FIELDS:
        if columns.get(column) is None and trace.get(key) is not None:
            columns[column] = str(trace[key])
    if not carries:
        return
    rest = {k: v for k, v in trace.items() if k != "id"}
    # The trace usually repeats its generation's input and output: keep a copy
    # only when it says something the record does not.
    for side in ("input", "output"):
        if side in rest and rest[side] == observation.get(side):
            del rest[side]
    if rest:
        draft.extra["trace"] = rest


def _map_level(body: Mapping[str, Any], columns: dict[str, Any]) -> None:
    if body.get("level") == "ERROR":
        columns["status"] = "error"
        message = body.get("statusMessage")
        columns["error_type"] = (
            message if isinstance(message, str) and message else "ERROR"
        )
    else:
        columns["status"] = "ok"


def _map_usage(body: Mapping[str, Any], columns: dict[str, Any]) -> None:
    details, usage = _mapping(body.get("usageDetails")), _mapping(body.get("usage"))
    tokens_in = _first(details, usage, ("input", "promptTokens", "prompt_tokens"))
    tokens_out = _first(
        details, usage, ("output", "completionTokens", "completion_tokens")
    )
    columns["tokens_in"] = _count(tokens_in, "usage.input")
    columns["tokens_out"] = _count(tokens_out, "usage.output")
    costs = _mapping(body.get("costDetails"))
    cost = costs.get("total", usage.get("totalCost", body.get("calculatedTotalCost")))
    if cost is not None:
        if isinstance(cost, bool) or not isinstance(cost, int | float):
            raise UnitRejected("bad_field:usage.totalCost")
        columns["cost_usd"] = float(cost)


def _map_messages(body: dict[str, Any], draft: Draft) -> None:
    source_input, source_output = body.get("input"), body.get("output")
    if isinstance(source_input, dict) and "messages" in source_input:
        draft.input_messages = openai_messages(source_input["messages"], "input")
        others = {k: v for k, v in source_input.items() if k != "messages"}
        if others:
            draft.extra["input"] = others
    elif isinstance(source_input, list | str):
        draft.input_messages = openai_messages(source_input, "input")
    elif source_input is not None:
        draft.extra["input"] = source_input

    if isinstance(source_output, dict) and "choices" in source_output:
        rest = map_openai_response(source_output, draft)
        if rest:
            draft.extra["output"] = rest
    elif isinstance(source_output, dict) and "role" in source_output:
        draft.output_messages = [openai_message(source_output)]
    elif isinstance(source_output, str):
        draft.output_messages = [text_message("assistant", source_output)]
    elif source_output is not None:
        draft.extra["output"] = source_output


def _map_provider(body: Mapping[str, Any], columns: dict[str, Any]) -> None:
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        return
    hidden = metadata.get("hidden_params")
    api_base = hidden.get("api_base") if isinstance(hidden, dict) else None
    if isinstance(api_base, str):
        columns["provider"] = provider_of_url(api_base)


def _add_evaluations(draft: Draft, scores: list[_Item]) -> None:
    if scores:
        draft.extra["evaluations"] = [
            {k: v for k, v in score.body.items() if v is not None} for score in scores
        ]


def _add_event_log(draft: Draft, items: list[_Item]) -> None:
    envelopes = [item.envelope for item in items if item.envelope]
    if envelopes:
        draft.extra.setdefault("langfuse_events", []).extend(envelopes)
    if items and items[0].batch:
        draft.extra["langfuse_batch"] = items[0].batch


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first(
    details: Mapping[str, Any], usage: Mapping[str, Any], names: tuple[str, ...]
) -> Any:
    for source in (details, usage):
        for name in names:
            if source.get(name) is not None:
                return source[name]
    return None


def _optional_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnitRejected(f"bad_field:{name}")
    return value


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnitRejected(f"bad_field:{name}")
    return value
