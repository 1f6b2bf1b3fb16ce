"""LLM span attributes in three dialects, mapped onto the same record columns.

One call logged by different instrumentations must give the same columns and
the same message texts. The dialects read here:

* current OpenTelemetry GenAI names (``gen_ai.provider.name``,
  ``gen_ai.input.messages`` as JSON, ``gen_ai.usage.input_tokens``, ...);
* older GenAI names (``gen_ai.system``, ``gen_ai.usage.prompt_tokens``,
  indexed ``gen_ai.prompt.N.*`` / ``gen_ai.completion.N.*``);
* OpenInference (``llm.*``, indexed ``llm.input_messages.N.message.*``,
  ``input.value`` / ``output.value`` as a last resort).

Every function here *takes* (pops) the attributes it turns into columns from
the span's attribute dict, so what is left is exactly what goes to ``extra``.
Which attribute feeds which column, and the tie-breaks, are listed in
``docs/ingest-formats.md``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any, Final

import orjson

from ledgerlens.ingest._build import Draft
from ledgerlens.ingest.interface import UnitRejected
from ledgerlens.record import text_message

__all__ = [
    "LLM_OPERATIONS",
    "PROVIDERS",
    "is_llm_span",
    "map_llm_attributes",
    "normalise_provider",
    "take_session",
]

# Spellings seen in the wild -> the current GenAI `gen_ai.provider.name` value.
PROVIDERS: Final[Mapping[str, str]] = {
    "openai": "openai",
    "azure.ai.openai": "azure.ai.openai",
    "az.ai.openai": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "azure": "azure.ai.openai",
    "azure.ai.inference": "azure.ai.inference",
    "az.ai.inference": "azure.ai.inference",
    "anthropic": "anthropic",
    "aws.bedrock": "aws.bedrock",
    "bedrock": "aws.bedrock",
    "aws": "aws.bedrock",
    "gcp.gemini": "gcp.gemini",
    "gemini": "gcp.gemini",
    "gcp.vertex_ai": "gcp.vertex_ai",
    "vertex_ai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "gcp.gen_ai": "gcp.gen_ai",
    "google": "gcp.gen_ai",
    "cohere": "cohere",
    "mistral_ai": "mistral_ai",
    "mistralai": "mistral_ai",
    "groq": "groq",
    "deepseek": "deepseek",
    "perplexity": "perplexity",
    "x_ai": "x_ai",
    "xai": "x_ai",
    "ibm.watsonx.ai": "ibm.watsonx.ai",
    "watsonx": "ibm.watsonx.ai",
}

# `gen_ai.operation.name` values that are a model call (not a tool or an agent).
LLM_OPERATIONS: Final[frozenset[str]] = frozenset(
    {"chat", "text_completion", "generate_content", "completion", "embeddings"}
)

_INPUT_TOKENS: Final = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
)
_OUTPUT_TOKENS: Final = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
)
_PROVIDER_KEYS: Final = (
    "gen_ai.provider.name",
    "gen_ai.system",
    "llm.provider",
    "llm.system",
)
_SESSION_KEYS: Final = ("gen_ai.conversation.id", "session.id")
# (prefix, infix) of indexed message attributes: prefix + "N." + infix + field.
_LEGACY_INPUT: Final = ("gen_ai.prompt.", "")
_LEGACY_OUTPUT: Final = ("gen_ai.completion.", "")
_OI_INPUT: Final = ("llm.input_messages.", "message.")
_OI_OUTPUT: Final = ("llm.output_messages.", "message.")
_PLAIN_FIELDS: Final = frozenset({"role", "content", "finish_reason", "tool_call_id"})
_TOOL_CALL_FIELD: Final = re.compile(
    r"tool_calls\.(\d+)\.(?:tool_call\.)?(?:function\.)?(id|name|arguments)"
)


def normalise_provider(name: str) -> str:
    """One spelling per provider (see :data:`PROVIDERS`); others lower-cased."""
    key = name.strip().lower()
    return PROVIDERS.get(key, key)


def is_llm_span(attributes: Mapping[str, Any]) -> bool:
    """Whether a span is a model call, judged from its attributes alone.

    OpenInference's span kind decides when present; otherwise a GenAI operation
    name decides; otherwise a requested or answered model marks a model call.
    """
    kind = attributes.get("openinference.span.kind")
    if kind is not None:
        return bool(kind == "LLM")
    operation = attributes.get("gen_ai.operation.name")
    if operation is not None:
        return isinstance(operation, str) and operation in LLM_OPERATIONS
    return "gen_ai.request.model" in attributes or "gen_ai.response.model" in attributes


def take_session(attributes: dict[str, Any]) -> str | None:
    """Take the conversation / session id of any span (GenAI or OpenInference)."""
    _, session = _take_first(attributes, _SESSION_KEYS)
    return None if session is None else _text(session, "session_id")


def map_llm_attributes(attributes: dict[str, Any], draft: Draft) -> None:
    """Take the LLM columns and messages of one span into ``draft``.

    Raises :class:`UnitRejected` (``bad_field:<attribute>``) when an attribute
    a column needs has the wrong type or shape.
    """
    columns = draft.columns
    _, provider = _take_first(attributes, _PROVIDER_KEYS)
    if provider is not None:
        columns["provider"] = normalise_provider(_text(provider, "provider"))

    _map_models(attributes, columns)
    _map_usage(attributes, columns)
    draft.input_messages = _input_messages(attributes)
    output_messages = _output_messages(attributes)
    columns["finish_reason"] = _finish_reason(attributes, output_messages)
    draft.output_messages = output_messages


def _map_models(attributes: dict[str, Any], columns: dict[str, Any]) -> None:
    requested = attributes.pop("gen_ai.request.model", None)
    if requested is None:
        requested = _invocation_model(attributes.get("llm.invocation_parameters"))
    _, answered = _take_first(attributes, ("gen_ai.response.model", "llm.model_name"))
    if answered is not None:
        columns["model_version"] = _text(answered, "model_version")
    # A source that names only one model gives it for both: the model column
    # must not be empty for a call whose model is known.
    if requested is not None:
        columns["model"] = _text(requested, "model")
    elif answered is not None:
        columns["model"] = columns["model_version"]


def _map_usage(attributes: dict[str, Any], columns: dict[str, Any]) -> None:
    name, value = _take_first(attributes, _INPUT_TOKENS)
    if name is not None:
        columns["tokens_in"] = _count(value, name)
    name, value = _take_first(attributes, _OUTPUT_TOKENS)
    if name is not None:
        columns["tokens_out"] = _count(value, name)
    cost = attributes.pop("llm.cost.total", None)
    if cost is not None:
        if isinstance(cost, bool) or not isinstance(cost, int | float):
            raise UnitRejected("bad_field:llm.cost.total")
        columns["cost_usd"] = float(cost)
    version = attributes.pop("llm.prompt_template.version", None)
    if version is not None:
        columns["prompt_template_version"] = _text(version, "prompt_template_version")


def _input_messages(attributes: dict[str, Any]) -> list[Any] | None:
    messages = _json_messages(attributes, "gen_ai.input.messages")
    if messages is None:
        messages = _indexed_messages(attributes, *_LEGACY_INPUT)
    if messages is None:
        messages = _indexed_messages(attributes, *_OI_INPUT)
    if messages is None:
        messages = _value_fallback(attributes, "input.value", "user")

    instructions = attributes.pop("gen_ai.system_instructions", None)
    if instructions is not None:
        # Current GenAI keeps the system prompt beside the messages; the other
        # dialects put it first among them, so it is moved there to match.
        system = {"role": "system", "parts": _parts(instructions)}
        messages = [system, *(messages or [])]
    return messages


def _output_messages(attributes: dict[str, Any]) -> list[Any] | None:
    messages = _json_messages(attributes, "gen_ai.output.messages")
    if messages is not None:
        return messages
    messages = _indexed_messages(attributes, *_LEGACY_OUTPUT)
    if messages is None:
        messages = _indexed_messages(attributes, *_OI_OUTPUT)
    if messages is None:
        return _value_fallback(attributes, "output.value", "assistant")

    # A span-level finish reason describes the one choice of a one-message
    # answer; put it on that message as current GenAI does, so both dialects
    # give the same output text.
    span_reason = _span_finish_reason(attributes, take=False)
    if len(messages) == 1 and "finish_reason" not in messages[0] and span_reason:
        messages[0]["finish_reason"] = span_reason
    return messages


def _finish_reason(
    attributes: dict[str, Any], output_messages: list[Any] | None
) -> str | None:
    reason = _span_finish_reason(attributes, take=True)
    if reason is None and output_messages:
        first = output_messages[0]
        if isinstance(first, dict):
            reason = first.get("finish_reason")
    return None if reason is None else _text(reason, "finish_reason")


def _span_finish_reason(attributes: dict[str, Any], *, take: bool) -> Any:
    """The span-level finish reason; with ``take`` the attribute is consumed.

    ``gen_ai.response.finish_reasons`` is an array: the first value is the
    column, and an array of several stays whole in ``extra``.
    """
    reasons = attributes.get("gen_ai.response.finish_reasons")
    if reasons is not None:
        if isinstance(reasons, str):
            reasons = [reasons]
        if not isinstance(reasons, list):
            raise UnitRejected("bad_field:gen_ai.response.finish_reasons")
        if take and len(reasons) <= 1:
            del attributes["gen_ai.response.finish_reasons"]
        return reasons[0] if reasons else None
    if take:
        return attributes.pop("llm.finish_reason", None)
    return attributes.get("llm.finish_reason")


def _json_messages(attributes: dict[str, Any], name: str) -> list[Any] | None:
    value = attributes.pop(name, None)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise UnitRejected(f"bad_field:{name}") from None
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        raise UnitRejected(f"bad_field:{name}")
    return value


def _indexed_messages(
    attributes: dict[str, Any], prefix: str, infix: str
) -> list[Any] | None:
    groups: dict[int, dict[str, Any]] = {}
    for key in [k for k in attributes if k.startswith(prefix)]:
        index, dot, tail = key[len(prefix) :].partition(".")
        digits = index.isascii() and index.isdigit() and len(index) < 10
        if not (dot and digits and tail.startswith(infix)):
            continue
        field = _message_field(tail[len(infix) :])
        if field is not None:
            groups.setdefault(int(index), {})[field] = attributes.pop(key)
    if not groups:
        return None
    return [_message(groups[index]) for index in sorted(groups)]


def _message_field(name: str) -> str | None:
    """The field a flattened message key names, or None to leave it in extra."""
    if name in _PLAIN_FIELDS:
        return name
    match = _TOOL_CALL_FIELD.fullmatch(name)
    if match is None:
        return None
    return f"tool_calls.{match.group(1)}.{match.group(2)}"


def _message(fields: dict[str, Any]) -> dict[str, Any]:
    """A GenAI-schema message from one message's flattened fields."""
    calls: dict[int, dict[str, Any]] = {}
    for name, value in fields.items():
        if name.startswith("tool_calls."):
            _, index, part = name.split(".")
            calls.setdefault(int(index), {})[part] = value

    parts: list[dict[str, Any]] = []
    content = fields.get("content")
    if fields.get("role") == "tool" and "tool_call_id" in fields:
        response = {"type": "tool_call_response", "id": fields["tool_call_id"]}
        parts.append({**response, "response": content})
    elif content is not None and (content != "" or not calls):
        parts.append({"type": "text", "content": content})
    parts.extend(_tool_call(calls[index]) for index in sorted(calls))

    message: dict[str, Any] = {"role": fields.get("role"), "parts": parts}
    if fields.get("finish_reason") is not None:
        message["finish_reason"] = fields["finish_reason"]
    return message


def _tool_call(call: dict[str, Any]) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "tool_call"}
    for key in ("id", "name"):
        if call.get(key) is not None:
            part[key] = call[key]
    arguments = call.get("arguments")
    if isinstance(arguments, str):
        # Not JSON: the producer's string is kept as it was.
        with contextlib.suppress(orjson.JSONDecodeError):
            arguments = orjson.loads(arguments)
    if arguments is not None:
        part["arguments"] = arguments
    return part


def _parts(instructions: Any) -> list[Any]:
    if isinstance(instructions, str):
        try:
            instructions = orjson.loads(instructions)
        except orjson.JSONDecodeError:
            return [{"type": "text", "content": instructions}]
    if isinstance(instructions, list):
        return instructions
    raise UnitRejected("bad_field:gen_ai.system_instructions")


def _value_fallback(
    attributes: dict[str, Any], name: str, role: str
) -> list[Any] | None:
    value = attributes.pop(name, None)
    if value is None:
        return None
    return [text_message(role, _text(value, name))]


def _invocation_model(parameters: Any) -> Any:
    if not isinstance(parameters, str):
        return None
    try:
        parsed = orjson.loads(parameters)
    except orjson.JSONDecodeError:
        return None
    return parsed.get("model") if isinstance(parsed, dict) else None


def _take_first(
    attributes: dict[str, Any], names: tuple[str, ...]
) -> tuple[str | None, Any]:
    for name in names:
        if name in attributes:
            return name, attributes.pop(name)
    return None, None


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise UnitRejected(f"bad_field:{name}")
    return value


def _count(value: Any, name: str) -> int:
    if (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and len(value) < 40
    ):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnitRejected(f"bad_field:{name}")
    return value
