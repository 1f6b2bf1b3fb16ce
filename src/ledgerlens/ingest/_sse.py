"""Server-sent-events streams of chat APIs, reassembled into one answer body.

A streamed call arrives as many small events; the record wants one answer. An
Anthropic Messages stream is rebuilt into the ``message`` object the same call
would have returned unstreamed (``input_tokens`` from ``message_start``, the
final ``output_tokens`` from ``message_delta``, text and tool input from the
deltas). An OpenAI chat stream (``data:`` chunks up to ``[DONE]``) is rebuilt
into a ``chat.completion`` body. Either then maps as its unstreamed form does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from ledgerlens.ingest.interface import UnitRejected

__all__ = ["Reassembled", "parse_events", "reassemble"]


@dataclass(frozen=True, slots=True)
class Reassembled:
    """A stream rebuilt: its dialect, the answer body, and what else it said.

    ``dialect`` is ``anthropic`` or ``openai``; ``error`` is an error object
    the stream ended with; ``events`` counts events by type.
    """

    dialect: str
    body: dict[str, Any]
    error: dict[str, Any] | None
    events: dict[str, int] = field(default_factory=dict)


def parse_events(text: str) -> list[tuple[str | None, str]]:
    """``(event name, data)`` of each event of an SSE text, in order.

    Events are separated by a blank line; several ``data:`` lines join with a
    newline; comment lines (``:``) and other fields are ignored.
    """
    events: list[tuple[str | None, str]] = []
    name: str | None = None
    data: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            if data or name is not None:
                events.append((name, "\n".join(data)))
            name, data = None, []
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if key == "event":
            name = value
        elif key == "data":
            data.append(value)
    if data or name is not None:
        events.append((name, "\n".join(data)))
    return events


_ANTHROPIC_EVENTS: Final = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    }
)


def reassemble(text: str) -> Reassembled:
    """Rebuild a streamed answer; :class:`UnitRejected` if an event is not JSON."""
    events = parse_events(text)
    payloads = [(name, _payload(data)) for name, data in events if data != "[DONE]"]
    kinds = Counter(
        str(name or (p.get("type") if isinstance(p, dict) else None) or "data")
        for name, p in payloads
    )
    is_anthropic = any(
        isinstance(p, dict) and p.get("type") in _ANTHROPIC_EVENTS for _, p in payloads
    )
    if is_anthropic:
        body, error = _anthropic(payloads)
        if error is None:
            _require_whole_anthropic_stream(payloads)
        return Reassembled("anthropic", body, error, dict(sorted(kinds.items())))
    body, error = _openai(payloads)
    return Reassembled("openai", body, error, dict(sorted(kinds.items())))


def _require_whole_anthropic_stream(payloads: list[tuple[str | None, Any]]) -> None:
    """Refuse a stream that does not run from ``message_start`` to ``message_stop``.

    The answer's final token count and stop reason arrive near the end: a
    capture cut short, or with its events out of order, would be sealed as a
    complete call with the placeholder counts of ``message_start``.
    """
    kinds = [
        p.get("type") if isinstance(p, dict) else None
        for _, p in payloads
        if not (isinstance(p, dict) and p.get("type") == "ping")
    ]
    if not kinds or kinds[0] != "message_start" or kinds[-1] != "message_stop":
        raise UnitRejected("incomplete_stream")
    if kinds.count("message_start") != 1 or "message_delta" not in kinds:
        raise UnitRejected("incomplete_stream")


def _payload(data: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise UnitRejected("bad_field:response.body") from None


def _anthropic(
    payloads: list[tuple[str | None, Any]],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    message: dict[str, Any] = {}
    blocks: dict[int, dict[str, Any]] = {}
    partial_json: dict[int, list[str]] = {}
    error: dict[str, Any] | None = None
    for _, event in payloads:
        if not isinstance(event, dict):
            raise UnitRejected("bad_field:response.body")
        kind = event.get("type")
        if kind == "message_start":
            message = dict(event.get("message") or {})
            message["usage"] = dict(message.get("usage") or {})
        elif kind == "content_block_start":
            blocks[int(event.get("index", 0))] = dict(event.get("content_block") or {})
        elif kind == "content_block_delta":
            _anthropic_delta(event, blocks, partial_json)
        elif kind == "message_delta":
            message.update(event.get("delta") or {})
            # The usage here is the running total: the last one is the answer's.
            message.setdefault("usage", {}).update(event.get("usage") or {})
        elif kind == "error":
            error = dict(event.get("error") or {})

    for index, pieces in partial_json.items():
        text = "".join(pieces)
        try:
            blocks[index]["input"] = orjson.loads(text) if text else {}
        except orjson.JSONDecodeError:
            blocks[index]["input"] = text
    message["content"] = [blocks[index] for index in sorted(blocks)]
    message["type"] = "message"  # what the unstreamed answer would say
    return message, error


def _anthropic_delta(
    event: dict[str, Any],
    blocks: dict[int, dict[str, Any]],
    partial_json: dict[int, list[str]],
) -> None:
    index = int(event.get("index", 0))
    block = blocks.setdefault(index, {"type": "text", "text": ""})
    delta = event.get("delta") or {}
    kind = delta.get("type")
    if kind == "text_delta":
        block["text"] = block.get("text", "") + str(delta.get("text", ""))
    elif kind == "input_json_delta":
        partial_json.setdefault(index, []).append(str(delta.get("partial_json", "")))
    elif kind == "thinking_delta":
        block["thinking"] = block.get("thinking", "") + str(delta.get("thinking", ""))
    elif kind == "signature_delta":
        block["signature"] = block.get("signature", "") + str(
            delta.get("signature", "")
        )


def _openai(
    payloads: list[tuple[str | None, Any]],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    body: dict[str, Any] = {}
    choices: dict[int, dict[str, Any]] = {}
    error: dict[str, Any] | None = None
    for _, chunk in payloads:
        if not isinstance(chunk, dict):
            raise UnitRejected("bad_field:response.body")
        if isinstance(chunk.get("error"), dict):
            error = dict(chunk["error"])
            continue
        for key in ("id", "model", "created", "system_fingerprint", "usage"):
            if chunk.get(key) is not None:
                body[key] = chunk[key]
        for choice in chunk.get("choices") or []:
            _openai_choice(choice, choices)
    body["object"] = "chat.completion"
    body["choices"] = [choices[index] for index in sorted(choices)]
    return body, error


def _openai_choice(choice: Any, choices: dict[int, dict[str, Any]]) -> None:
    if not isinstance(choice, dict):
        raise UnitRejected("bad_field:response.body")
    index = int(choice.get("index") or 0)
    built = choices.setdefault(index, {"index": index, "message": {}})
    message = built["message"]
    delta = choice.get("delta") or {}
    if delta.get("role"):
        message["role"] = delta["role"]
    if delta.get("content") is not None:
        message["content"] = message.get("content", "") + delta["content"]
    for call in delta.get("tool_calls") or []:
        calls = message.setdefault("tool_calls", [])
        position = int(call.get("index") or 0)
        while len(calls) <= position:
            calls.append({"function": {"name": None, "arguments": ""}})
        target = calls[position]
        if call.get("id"):
            target["id"] = call["id"]
        function = call.get("function") or {}
        if function.get("name"):
            target["function"]["name"] = function["name"]
        target["function"]["arguments"] += function.get("arguments") or ""
    if choice.get("finish_reason") is not None:
        built["finish_reason"] = choice["finish_reason"]
    for key in ("content_filter_results",):
        if choice.get(key) is not None:
            built[key] = choice[key]
