"""GenAI message content carried outside span attributes, joined to its span.

Two generations of the OpenTelemetry GenAI conventions put prompts and answers
in events rather than in attributes:

* span events ``gen_ai.content.prompt`` (attribute ``gen_ai.prompt``) and
  ``gen_ai.content.completion`` (attribute ``gen_ai.completion``), each a JSON
  list of ``{role, content}`` messages or a plain text;
* events ``gen_ai.system.message``, ``gen_ai.user.message``,
  ``gen_ai.assistant.message``, ``gen_ai.tool.message`` and ``gen_ai.choice``,
  emitted as OTLP log records (``resourceLogs``) carrying the span's trace and
  span ids, or as span events; the message is the log body (or the event's
  attributes).

:func:`take_span_event_messages` reads the first kind from a span's events;
:class:`LogIndex` holds the log records of a file by ``(trace_id, span_id)``
so the span's record gets them, and each log record becomes a unit ``merged``
into that record (``unmatched_reference`` when the file has no such span,
``unsupported_event`` when it is not a GenAI event).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from ledgerlens.ingest._build import Draft
from ledgerlens.ingest._chat import openai_message
from ledgerlens.ingest.interface import Unit, UnitRejected
from ledgerlens.record import text_message

__all__ = ["GENAI_EVENTS", "LogIndex", "LogRecord", "take_span_event_messages"]

# Event name -> the role its message has (``gen_ai.choice`` is an answer).
GENAI_EVENTS: Final[Mapping[str, str]] = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
    "gen_ai.choice": "assistant",
}
_PROMPT_EVENT: Final = ("gen_ai.content.prompt", "gen_ai.prompt")
_COMPLETION_EVENT: Final = ("gen_ai.content.completion", "gen_ai.completion")


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One OTLP log record of a file, kept to be joined to its span."""

    offset: int
    index: int
    raw: bytes
    key: tuple[str, str] | None
    name: str | None
    body: Any
    time: int


@dataclass
class LogIndex:
    """The log records of one file, by span, and the records they joined."""

    records: list[LogRecord] = field(default_factory=list)
    by_span: dict[tuple[str, str], list[LogRecord]] = field(default_factory=dict)
    record_ids: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, record: LogRecord) -> None:
        """Index one log record (GenAI events only are joined)."""
        self.records.append(record)
        if record.key is not None and record.name in GENAI_EVENTS:
            self.by_span.setdefault(record.key, []).append(record)

    def apply(self, key: tuple[str, str], draft: Draft) -> None:
        """Give a span's draft the messages its log records carry."""
        events = self.by_span.get(key)
        if not events:
            return
        ordered = sorted(events, key=lambda e: (e.time, e.offset, e.index))
        inputs, outputs = _event_messages((e.name, e.body) for e in ordered)
        if inputs and draft.input_messages is None:
            draft.input_messages = inputs
        if outputs and draft.output_messages is None:
            draft.output_messages = outputs
            _set_finish_reason(draft, outputs)

    def units(
        self,
        merged: Callable[[LogRecord, str], Unit],
        quarantined: Callable[[LogRecord, str], Unit],
    ) -> Iterator[Unit]:
        """One unit per log record: merged into its span's record, or quarantined."""
        for record in self.records:
            if record.name not in GENAI_EVENTS:
                yield quarantined(record, "unsupported_event")
            elif record.key is None or record.key not in self.record_ids:
                yield quarantined(record, "unmatched_reference")
            else:
                yield merged(record, self.record_ids[record.key])


def take_span_event_messages(span_fields: dict[str, Any], draft: Draft) -> None:
    """Read GenAI content events of a span into ``draft`` and remove them.

    Events that carry no GenAI content stay in the span's fields (``extra``).
    """
    events = span_fields.get("events")
    if not isinstance(events, list) or not events:
        return
    rest, named = [], []
    for event in events:
        name = event.get("name") if isinstance(event, dict) else None
        if name in (_PROMPT_EVENT[0], _COMPLETION_EVENT[0]) or name in GENAI_EVENTS:
            named.append(event)
        else:
            rest.append(event)
    if not named:
        return
    from ledgerlens.ingest.otlp import attributes_dict  # avoids an import cycle

    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    modern = []
    for event in named:
        attributes = attributes_dict(event.get("attributes"), "events.attributes")
        if event["name"] == _PROMPT_EVENT[0]:
            inputs.extend(_content_messages(attributes.get(_PROMPT_EVENT[1]), "user"))
        elif event["name"] == _COMPLETION_EVENT[0]:
            text = attributes.get(_COMPLETION_EVENT[1])
            outputs.extend(_content_messages(text, "assistant"))
        else:
            modern.append((event["name"], attributes))
    more_in, more_out = _event_messages(iter(modern))
    inputs.extend(more_in)
    outputs.extend(more_out)
    if inputs and draft.input_messages is None:
        draft.input_messages = inputs
    if outputs and draft.output_messages is None:
        draft.output_messages = outputs
        _set_finish_reason(draft, outputs)
    if rest:
        span_fields["events"] = rest
    else:
        del span_fields["events"]


def _content_messages(value: Any, role: str) -> list[dict[str, Any]]:
    """``gen_ai.prompt`` / ``gen_ai.completion``: JSON messages, or a text."""
    if value is None:
        return []
    if isinstance(value, str):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return [text_message(role, value)]
        value = parsed
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        raise UnitRejected(f"bad_field:gen_ai.content.{role}")
    messages = []
    for item in value:
        message = openai_message({"role": role, **item})
        messages.append(message)
    return messages


def _event_messages(
    events: Iterator[tuple[str | None, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    inputs: list[dict[str, Any]] = []
    choices: list[tuple[int, dict[str, Any]]] = []
    for name, body in events:
        if name is None or name not in GENAI_EVENTS:
            continue
        if isinstance(body, str):
            body = {"content": body}
        if not isinstance(body, dict):
            raise UnitRejected(f"bad_field:{name}")
        if name == "gen_ai.choice":
            message = body.get("message") or {}
            if not isinstance(message, dict):
                raise UnitRejected(f"bad_field:{name}")
            message = dict(message)
            message.setdefault("role", "assistant")
            converted = openai_message(message)
            if body.get("finish_reason") is not None:
                converted["finish_reason"] = body["finish_reason"]
            index = body.get("index")
            choices.append(
                (index if isinstance(index, int) else len(choices), converted)
            )
            continue
        message = {"role": body.get("role") or GENAI_EVENTS[name], **body}
        if name == "gen_ai.tool.message" and "id" in message:
            message["tool_call_id"] = message.pop("id")
        inputs.append(openai_message(message))
    return inputs, [message for _, message in sorted(choices, key=lambda c: c[0])]


def _set_finish_reason(draft: Draft, outputs: list[dict[str, Any]]) -> None:
    if draft.columns.get("finish_reason") is None:
        reason = outputs[0].get("finish_reason")
        draft.columns["finish_reason"] = reason if isinstance(reason, str) else None
