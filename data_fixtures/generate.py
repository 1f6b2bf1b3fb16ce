#!/usr/bin/env python3
"""Deterministic generator of realistic LLM call logs for ledgerlens fixtures.

It writes one file per day, either as canonical JSONL (``ledgerlens-jsonl``: one
record a line, chained per producer as ``docs/spec.md`` and DESIGN.md define) or
as OTLP JSON Lines (``otlp-jsonl``: export requests as the OpenTelemetry
Collector's file exporter writes them). Prompts are the real MT-bench questions in
``real/fastchat-mt-bench``; responses are its GPT-4 reference answers where one
exists, else an answer written from the question's category.

The same arguments always give byte-identical files: every day draws from its own
``random.Random`` seeded from ``(seed, date)``, and nothing reads the clock or
``uuid4``. Days are written record by record, so a day of a million records never
sits in memory (see :func:`stream_day`).

Command line::

    python data_fixtures/generate.py --out DIR --start 2026-11-23 --days 7 \\
        --records-per-day 400 --seed 7 --drift-day 2026-11-28 \\
        --format ledgerlens-jsonl
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import hmac
import logging
import math
import os
import random
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import orjson

from ledgerlens.errors import LedgerlensError, UsageError
from ledgerlens.integrity.jcs import canonical_text

__all__ = [
    "DRIFT_MODEL",
    "DRIFT_MODEL_VERSION",
    "FIXTURE_USER_KEY",
    "FORMATS",
    "GENESIS_PREV",
    "USER_POOL_SIZE",
    "ChainTip",
    "DaySummary",
    "chain_hash_for",
    "day_file_name",
    "generate_days",
    "main",
    "raw_user_id",
    "stream_day",
    "user_ref_for",
    "write_tampered_variants",
]

logger = logging.getLogger(__name__)

FORMATS: Final[tuple[str, ...]] = ("ledgerlens-jsonl", "otlp-jsonl")
GENESIS_PREV: Final[str] = "0" * 64
# Published on purpose: it only makes fixture user_refs reproducible.
FIXTURE_USER_KEY: Final[bytes] = b"ledgerlens fixture user key v1 (public, not secret)"
USER_POOL_SIZE: Final[int] = 20_000
DRIFT_MODEL: Final[str] = "gpt-4o-mini"
# An invented snapshot name: the drift day rolls half of DRIFT_MODEL onto it.
DRIFT_MODEL_VERSION: Final[str] = "gpt-4o-mini-2024-12-17"

_HERE: Final = Path(__file__).resolve().parent
_MT_BENCH: Final = _HERE / "real" / "fastchat-mt-bench"
_SUFFIX: Final[dict[str, str]] = {
    "ledgerlens-jsonl": ".jsonl",
    "otlp-jsonl": ".otlp.jsonl",
}
_DAY_US: Final[int] = 86_400_000_000
_ERROR_RATE: Final[float] = 0.02
_TWO_TURN_RATE: Final[float] = 0.25


# --------------------------------------------------------------------------
# Public value objects
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainTip:
    """Where a producer chain stands: its last ``seq`` and that record's hash."""

    seq: int
    hash: str


@dataclass(frozen=True)
class DaySummary:
    """What :func:`stream_day` wrote for one day.

    ``records`` counts LLM calls; ``spans`` counts every OTLP span (calls plus
    their retrieval parents) and equals ``records`` for canonical JSONL;
    ``chain_tips`` is where each producer chain ends, to continue the next day.
    """

    path: Path
    day: date
    fmt: str
    records: int
    spans: int
    lines: int
    sha256: str
    chain_tips: Mapping[str, ChainTip] = field(default_factory=dict)


# --------------------------------------------------------------------------
# The simulated estate: models, apps, policies
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    name: str
    provider: str
    version: str
    usd_per_mtok_in: float
    usd_per_mtok_out: float
    ttft_median_ms: float
    ttft_sigma: float
    ms_per_token: float


@dataclass(frozen=True)
class _App:
    name: str
    version: str
    endpoint: str
    instances: tuple[tuple[str, str], ...]  # (instance, environment)
    instance_weights: tuple[float, ...]
    models: tuple[str, ...]
    model_weights: tuple[float, ...]
    template_id: str
    template_versions: tuple[str, ...]
    template_weights: tuple[float, ...]
    system_prompt: str
    categories: tuple[str, ...]
    retrieval_sources: tuple[str, ...]
    max_tokens: int
    tool_call_rate: float


_MODELS: Final[dict[str, _Model]] = {
    m.name: m
    for m in (
        _Model(
            "gpt-4o-mini",
            "openai",
            "gpt-4o-mini-2024-07-18",
            0.15,
            0.60,
            380.0,
            0.45,
            9.0,
        ),
        _Model("gpt-4o", "openai", "gpt-4o-2024-08-06", 2.50, 10.00, 520.0, 0.50, 14.0),
        _Model(
            "claude-3-haiku",
            "anthropic",
            "claude-3-haiku-20240307",
            0.25,
            1.25,
            450.0,
            0.45,
            7.5,
        ),
        _Model(
            "claude-3-5-sonnet",
            "anthropic",
            "claude-3-5-sonnet-20241022",
            3.00,
            15.00,
            800.0,
            0.50,
            16.0,
        ),
        # Self-hosted: the price is the amortised GPU cost the team charges back.
        _Model(
            "llama-3.1-8b-instruct",
            "vllm",
            "meta-llama/Llama-3.1-8B-Instruct@rev-0e9e39f2",
            0.03,
            0.06,
            150.0,
            0.70,
            11.0,
        ),
    )
}

_APPS: Final[tuple[_App, ...]] = (
    _App(
        name="support-assistant",
        version="3.4.1",
        endpoint="/v1/support/answer",
        instances=(
            ("pod-a", "production"),
            ("pod-b", "production"),
            ("canary-0", "staging"),
        ),
        instance_weights=(0.47, 0.47, 0.06),
        models=("gpt-4o-mini", "gpt-4o"),
        model_weights=(0.8, 0.2),
        template_id="support-answer",
        template_versions=("7", "8"),
        template_weights=(0.75, 0.25),
        system_prompt=(
            "You are the customer support assistant of an online store. Answer "
            "from the retrieved help-center articles, keep a friendly tone, and "
            "never invent order details."
        ),
        categories=("writing", "roleplay", "extraction", "humanities"),
        retrieval_sources=("help-center", "policy-wiki"),
        max_tokens=170,
        tool_call_rate=0.06,
    ),
    _App(
        name="research-summarizer",
        version="1.12.0",
        endpoint="/v1/research/summarize",
        instances=(("worker-1", "production"), ("worker-2", "production")),
        instance_weights=(0.5, 0.5),
        models=("claude-3-haiku", "claude-3-5-sonnet"),
        model_weights=(0.7, 0.3),
        template_id="summarize-brief",
        template_versions=("3",),
        template_weights=(1.0,),
        system_prompt=(
            "You help analysts digest papers and notes. Cite the retrieved "
            "sources you rely on and say so when they do not cover the question."
        ),
        categories=("stem", "humanities", "extraction", "writing"),
        retrieval_sources=("paper-archive", "analyst-notes"),
        max_tokens=170,
        tool_call_rate=0.0,
    ),
    _App(
        name="code-tutor",
        version="0.9.4",
        endpoint="/v1/tutor/chat",
        instances=(("gpu-0", "production"), ("gpu-1", "production")),
        instance_weights=(0.5, 0.5),
        models=("llama-3.1-8b-instruct",),
        model_weights=(1.0,),
        template_id="tutor-step",
        template_versions=("2", "3"),
        template_weights=(0.6, 0.4),
        system_prompt=(
            "You are a patient programming and maths tutor. Explain each step, "
            "show working code where it helps, and check the final answer."
        ),
        categories=("coding", "math", "reasoning", "stem"),
        retrieval_sources=(),
        max_tokens=420,
        tool_call_rate=0.0,
    ),
)
_APP_WEIGHTS: Final[tuple[float, ...]] = (0.5, 0.3, 0.2)

# (policy, version, categories it can report)
_POLICIES: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("pii-guard", "2.3.0", ("email", "phone_number", "postal_address")),
    ("content-safety", "2024.10", ("harassment", "self_harm", "violence", "jailbreak")),
)
_FLAG_RATE: Final[float] = 0.04
_BLOCK_RATE: Final[float] = 0.004
_REVIEWERS: Final[tuple[str, ...]] = tuple(f"reviewer-{n:02d}" for n in range(1, 7))
_REVIEW_DECISIONS: Final[tuple[str, ...]] = ("confirmed", "overturned", "escalated")

# (error_type, http status or None for a client-side timeout, weight)
_ERRORS: Final[tuple[tuple[str, int | None, float], ...]] = (
    ("rate_limit", 429, 0.5),
    ("server_error", 500, 0.3),
    ("timeout", None, 0.2),
)


# --------------------------------------------------------------------------
# Text: answers written from the question's category
# --------------------------------------------------------------------------

_OPENERS: Final[dict[str, tuple[str, ...]]] = {
    "writing": (
        "Here is a draft you can adapt.",
        "Below is a first version; adjust the tone to suit your readers.",
        "Sure, here is a piece that follows your brief.",
    ),
    "roleplay": (
        "Staying in character, here is how I would answer.",
        "Happy to play along.",
        "Speaking in the role you described:",
    ),
    "extraction": (
        "Here is what I pulled out of the text you gave me.",
        "I went through the passage and collected the requested items.",
        "These are the details I found, in the format you asked for.",
    ),
    "stem": (
        "Here is how the underlying science works.",
        "Let me go through the key ideas one at a time.",
        "The short answer comes first, then the detail.",
    ),
    "humanities": (
        "This is a broad question, so here is a structured overview.",
        "Scholars usually approach this from a few directions.",
        "Here is a balanced summary of the main views.",
    ),
    "coding": (
        "Here is one way to write it.",
        "A straightforward approach works well here.",
        "Let me sketch the algorithm before the code.",
    ),
    "math": (
        "Let us solve this step by step.",
        "We can set the problem up as follows.",
        "Start by writing down what is given.",
    ),
    "reasoning": (
        "Let us reason through the conditions one by one.",
        "The trick is to track what each statement rules out.",
        "Working from the facts we are sure of:",
    ),
}

_BODIES: Final[dict[str, tuple[str, ...]]] = {
    "writing": (
        "The opening sets the scene in a single vivid image so the reader is "
        "drawn in before any facts arrive.",
        "Each paragraph carries one idea, which keeps the piece easy to skim.",
        "I kept the sentences short where the tone should feel urgent and let "
        "them run longer where it should feel calm.",
        "Concrete details, such as names, numbers and places, do more work "
        "than adjectives.",
        "The middle section answers the most likely objection before the "
        "reader has time to raise it.",
        "A short call to action closes the piece so the reader knows what to do next.",
        "If you need a more formal register, replace the contractions and "
        "drop the rhetorical question.",
    ),
    "roleplay": (
        "First of all, thank you for trusting me with this.",
        "In my line of work we learn to listen before we speak.",
        "I would not promise anything I could not deliver, and neither should you.",
        "The real question is what you are willing to give up to get there.",
        "Let me tell you what I have seen work, and what I have seen fail.",
        "Take a breath, look at the options, and pick the one you can live "
        "with tomorrow.",
        "That is my honest view, even if it is not the one you hoped to hear.",
    ),
    "extraction": (
        "I listed every entity in the order it first appears.",
        "Where the text was ambiguous I kept the most literal reading.",
        "Dates are normalised to year, month and day.",
        "Amounts keep the currency the text used.",
        "Nothing was added that the passage does not state.",
        "Two items were mentioned twice, so I merged the duplicates.",
        "The result is valid JSON, ready to paste into your pipeline.",
    ),
    "stem": (
        "The effect comes from energy moving from a higher state to a lower one.",
        "A useful check is whether the units on both sides agree.",
        "In practice, friction and measurement error make the real value a "
        "little lower than the ideal one.",
        "The same principle explains why larger systems respond more slowly.",
        "Experiments in the last decade have confirmed the prediction to "
        "within a few percent.",
        "If you change one variable at a time, the relationship becomes "
        "easy to see on a plot.",
        "Engineers use this result every day when they size components.",
    ),
    "humanities": (
        "Economic pressures and social change reinforced each other over "
        "several decades.",
        "Primary sources from the period show a sharper disagreement than "
        "later textbooks suggest.",
        "Local institutions often mattered more than national policy.",
        "Critics point out that the benefits were unevenly shared.",
        "Supporters answer that the long-run gains outweighed the short-run costs.",
        "Comparing two regions side by side makes the difference clear.",
        "Recent research has shifted attention to ordinary people's experience.",
    ),
    "coding": (
        "The function walks the input once, so it runs in linear time.",
        "An early return handles the empty case.",
        "A dictionary keeps the lookups constant time.",
        "The tests cover an empty input, a single element and a large case.",
        "Recursion would also work, but the loop avoids deep call stacks.",
        "Type hints make the intent clear to the next reader.",
        "Edge cases with duplicates are handled by the comparison order.",
    ),
    "math": (
        "Substituting the first equation into the second removes one unknown.",
        "Collecting like terms gives a simpler expression.",
        "Dividing both sides by the common factor leaves the answer.",
        "A quick check with a concrete value confirms the result.",
        "The constraint rules out the negative root.",
        "Drawing the figure makes the right triangle easy to spot.",
        "The probability is the count of favourable cases over all cases.",
    ),
    "reasoning": (
        "The second statement cannot be true if the first one holds.",
        "That leaves only one arrangement that satisfies every clue.",
        "Checking the remaining option against each condition confirms it.",
        "The question hides an assumption that is worth stating openly.",
        "Working backwards from the final clue is quicker here.",
        "A small table keeps track of who can be where.",
        "No other ordering survives the last constraint.",
    ),
}

_CLOSERS: Final[tuple[str, ...]] = (
    "Let me know if you would like a shorter version.",
    "I hope this helps; tell me what to change.",
    "Happy to go deeper on any part of this.",
    "Ask if you want the same thing in another format.",
)

# Drift-day answers run longer: the new model version explains more.
_ELABORATIONS: Final[tuple[str, ...]] = (
    "To expand on that a little, it helps to look at the question from the "
    "other side as well.",
    "It is worth noting a few caveats before you rely on this.",
    "A common mistake is to skip the second step, so I will spell it out.",
    "For completeness, here is the same idea in slightly different words.",
    "There are also some edge cases that deserve a mention.",
    "If you have more time, a deeper treatment would compare several "
    "alternatives side by side.",
    "As a final remark, the details above may vary with your exact setup.",
    "In summary, the main point stands, but context matters a great deal.",
)

_REFUSALS: Final[tuple[str, ...]] = (
    "I'm sorry, but I can't help with that request.",
    "I can't assist with this. If you think this is a mistake, please contact support.",
    "This request is outside what I can help with, so I'll stop here.",
    "I'm not able to provide that. Is there something else I can do for you?",
)


@dataclass(frozen=True)
class _Question:
    question_id: int
    category: str
    turns: tuple[str, ...]
    answers: tuple[str, ...] | None  # the GPT-4 reference turns, where they exist


@lru_cache(maxsize=1)
def _questions_by_category() -> dict[str, tuple[_Question, ...]]:
    """Load MT-bench once; a missing file is a start error with a remedy."""
    try:
        question_lines = (_MT_BENCH / "question.jsonl").read_bytes().splitlines()
        answer_lines = (
            (_MT_BENCH / "reference_answer_gpt-4.jsonl").read_bytes().splitlines()
        )
    except OSError as exc:
        msg = f"cannot read the MT-bench fixtures under `{_MT_BENCH}`: {exc.strerror}"
        raise UsageError(msg, remedy="restore data_fixtures/real/") from exc

    answers: dict[int, tuple[str, ...]] = {}
    for line in answer_lines:
        item = orjson.loads(line)
        answers[item["question_id"]] = tuple(item["choices"][0]["turns"])

    grouped: dict[str, list[_Question]] = {}
    for line in question_lines:
        item = orjson.loads(line)
        question = _Question(
            question_id=item["question_id"],
            category=item["category"],
            turns=tuple(item["turns"]),
            answers=answers.get(item["question_id"]),
        )
        grouped.setdefault(question.category, []).append(question)
    return {category: tuple(items) for category, items in grouped.items()}


def _synthetic_answer(rng: random.Random, category: str, drifted: bool) -> str:
    """An answer assembled from the category's sentences (longer on drift days)."""
    sentences = rng.sample(_BODIES[category], rng.randint(3, 6))
    if drifted:
        sentences += rng.sample(_ELABORATIONS, rng.randint(1, 2))
    paragraphs = [rng.choice(_OPENERS[category])]
    for start in range(0, len(sentences), 3):
        paragraphs.append(" ".join(sentences[start : start + 3]))
    paragraphs.append(rng.choice(_CLOSERS))
    return "\n\n".join(paragraphs)


def _answer(rng: random.Random, question: _Question, turn: int, drifted: bool) -> str:
    """The reference answer for a turn where one exists, else a synthetic one."""
    if question.answers is not None and turn < len(question.answers):
        text = question.answers[turn]
        if drifted:
            extra = " ".join(rng.sample(_ELABORATIONS, rng.randint(2, 3)))
            text = f"{text}\n\n{extra}"
        return text
    return _synthetic_answer(rng, question.category, drifted)


# --------------------------------------------------------------------------
# Drawing one call
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    """One simulated LLM call, before it is written in either format.

    Fields the provider never returned for a failed call (version, tokens,
    cost, policy results) are ``None`` or empty here.
    """

    record_id: str
    session_id: str
    ts_start_us: int
    request: _Request
    outcome: _Outcome
    model_version: str | None
    tokens_in: int | None
    cost_usd: float | int | None
    policy_results: list[dict[str, Any]]
    reviewer: str | None
    review_decision: str | None


@dataclass(frozen=True)
class _Outcome:
    """The answered half of a call: what came back, how long it took."""

    output_messages: list[dict[str, Any]] | None
    tokens_out: int | None
    finish_reason: str | None
    latency_us: int
    status: str = "ok"
    error_type: str | None = None
    http_status: int | None = None


def _hex(rng: random.Random, bits: int) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def _text_message(role: str, content: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": content}]}


def raw_user_id(index: int) -> str:
    """The raw customer id of user ``index`` in the fixture population.

    Raw ids exist only inside the generator; files carry :func:`user_ref_for`.
    """
    return f"cust-{index:06d}"


def user_ref_for(raw_id: str) -> str:
    """The keyed pseudonym written as ``user_ref``: HMAC-SHA256, hex."""
    return hmac.new(FIXTURE_USER_KEY, raw_id.encode("utf-8"), "sha256").hexdigest()


def _number(value: float, ndigits: int) -> float | int:
    """Round, and write an integral value as an int (RFC 8785 prints no ``.0``)."""
    rounded = round(value, ndigits)
    return int(rounded) if rounded.is_integer() else rounded


def _tokens(rng: random.Random, chars: int) -> int:
    """Roughly four characters a token, with the jitter real tokenisers show."""
    return max(1, round(chars / 4 * rng.uniform(0.85, 1.15)))


@dataclass(frozen=True)
class _Request:
    """The asking half of a call: who called what, with which prompt."""

    app: _App
    instance: str
    environment: str
    model: _Model
    template_version: str
    question: _Question
    turn: int
    input_messages: list[dict[str, Any]]
    retrieval: list[dict[str, Any]]
    tokens_in: int
    user_ref: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    retrieval_span_us: tuple[int, int] | None


def _draw_call(
    rng: random.Random, index: int, day: date, ts_start_us: int, drifted: bool
) -> _Call:
    """Draw every field of one call; the order of draws fixes the output bytes."""
    request = _draw_request(rng, ts_start_us, drifted)
    policy_results = _policy_results(rng, drifted)
    outcome = _outcome(rng, request, policy_results, drifted)
    reviewer, decision = _review(rng, policy_results)
    model_version = _model_version(rng, request.model, drifted)
    ok = outcome.status == "ok"

    cost: float | int | None = None
    if ok:
        tokens_out = outcome.tokens_out or 0
        model = request.model
        usd = request.tokens_in * model.usd_per_mtok_in
        usd += tokens_out * model.usd_per_mtok_out
        cost = _number(usd / 1e6, 9)
    return _Call(
        record_id=f"{request.app.name}-{day:%Y%m%d}-{index:07d}",
        session_id=_session_id(request, day, ts_start_us),
        ts_start_us=ts_start_us,
        request=request,
        outcome=outcome,
        model_version=model_version if ok else None,
        tokens_in=request.tokens_in if ok else None,
        cost_usd=cost,
        policy_results=policy_results if ok else [],
        reviewer=reviewer if ok else None,
        review_decision=decision if ok else None,
    )


def _session_id(request: _Request, day: date, ts_start_us: int) -> str:
    """A session is one user's traffic to one app within one hour."""
    hour = ts_start_us // 3_600_000_000
    seed = f"{request.app.name}/{request.user_ref}/{day.isoformat()}/{hour}"
    return "sess-" + hashlib.sha256(seed.encode()).hexdigest()[:20]


def _draw_request(rng: random.Random, ts_start_us: int, drifted: bool) -> _Request:
    """Pick the app, instance, model, prompt, retrieved documents and user."""
    app = rng.choices(_APPS, _APP_WEIGHTS)[0]
    instance, environment = rng.choices(app.instances, app.instance_weights)[0]
    model = _MODELS[rng.choices(app.models, app.model_weights)[0]]
    template_version = rng.choices(app.template_versions, app.template_weights)[0]
    question = rng.choice(_questions_by_category()[rng.choice(app.categories)])
    user_index = min(int(USER_POOL_SIZE * rng.random() ** 2), USER_POOL_SIZE - 1)
    trace_id, span_id = _hex(rng, 128), _hex(rng, 64)

    turn, input_messages = _input_messages(rng, app, question, drifted)
    retrieval = _retrieval(rng, app)
    parent_span_id, retrieval_span_us = None, None
    if retrieval:
        parent_span_id = _hex(rng, 64)
        lead_us = rng.randint(20_000, 150_000)
        retrieval_span_us = (ts_start_us - lead_us, ts_start_us - 1_000)
    chars_in = sum(len(p["content"]) for m in input_messages for p in m["parts"])
    tokens_in = _tokens(rng, chars_in) + 12 * len(input_messages)
    tokens_in += sum(rng.randint(180, 420) for _ in retrieval)

    return _Request(
        app=app,
        instance=instance,
        environment=environment,
        model=model,
        template_version=template_version,
        question=question,
        turn=turn,
        input_messages=input_messages,
        retrieval=retrieval,
        tokens_in=tokens_in,
        user_ref=user_ref_for(raw_user_id(user_index)),
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        retrieval_span_us=retrieval_span_us,
    )


def _input_messages(
    rng: random.Random, app: _App, question: _Question, drifted: bool
) -> tuple[int, list[dict[str, Any]]]:
    """System prompt plus one user turn, or a two-turn conversation."""
    system = f"{app.system_prompt} (template {app.template_id})"
    messages = [_text_message("system", system)]
    messages.append(_text_message("user", question.turns[0]))
    if len(question.turns) < 2 or rng.random() >= _TWO_TURN_RATE:
        return 0, messages
    messages.append(_text_message("assistant", _answer(rng, question, 0, drifted)))
    messages.append(_text_message("user", question.turns[1]))
    return 1, messages


def _retrieval(rng: random.Random, app: _App) -> list[dict[str, Any]]:
    """Two to four retrieved documents, best score first; none for some apps."""
    if not app.retrieval_sources:
        return []
    items = []
    for _ in range(rng.randint(2, 4)):
        source = rng.choice(app.retrieval_sources)
        doc_id = f"{source[:4]}-{rng.randint(1, 5000):05d}"
        items.append(
            {
                "doc_id": doc_id,
                "source": source,
                "doc_sha256": hashlib.sha256(f"{source}/{doc_id}".encode()).hexdigest(),
                "score": _number(rng.uniform(0.55, 0.97), 4),
            }
        )
    items.sort(key=lambda item: -float(item["score"]))
    return items


def _policy_results(rng: random.Random, drifted: bool) -> list[dict[str, Any]]:
    """Each policy passes mostly, flags sometimes, blocks rarely (more on drift)."""
    block_rate = _BLOCK_RATE * (5 if drifted else 1)
    flag_rate = _FLAG_RATE * (2 if drifted else 1)
    results = []
    for policy, version, categories in _POLICIES:
        draw = rng.random()
        result: dict[str, Any] = {"policy": policy, "version": version}
        if draw < block_rate:
            result["outcome"] = "block"
            result["category"] = rng.choice(categories)
            result["score"] = _number(rng.uniform(0.9, 1.0), 4)
        elif draw < block_rate + flag_rate:
            result["outcome"] = "flag"
            result["category"] = rng.choice(categories)
            result["score"] = _number(rng.uniform(0.5, 0.9), 4)
        else:
            result["outcome"] = "pass"
            result["score"] = _number(rng.uniform(0.001, 0.3), 4)
        results.append(result)
    return results


def _review(
    rng: random.Random, policy_results: Sequence[Mapping[str, Any]]
) -> tuple[str | None, str | None]:
    """About half of the flagged or blocked calls get a human decision."""
    if all(result["outcome"] == "pass" for result in policy_results):
        return None, None
    if rng.random() >= 0.5:
        return None, None
    decision = rng.choices(_REVIEW_DECISIONS, (0.6, 0.3, 0.1))[0]
    return rng.choice(_REVIEWERS), decision


def _model_version(rng: random.Random, model: _Model, drifted: bool) -> str:
    """The answered version; on the drift day half of DRIFT_MODEL moves on."""
    if drifted and model.name == DRIFT_MODEL and rng.random() < 0.5:
        return DRIFT_MODEL_VERSION
    return model.version


def _latency_us(
    rng: random.Random, model: _Model, tokens_out: int, drifted: bool
) -> int:
    """Time to first token (lognormal) plus decoding time; a rare slow tail."""
    first_token = model.ttft_median_ms * rng.lognormvariate(0.0, model.ttft_sigma)
    decoding = tokens_out * model.ms_per_token * rng.lognormvariate(0.0, 0.25)
    latency_ms = first_token + decoding
    if rng.random() < 0.01:
        latency_ms *= rng.uniform(3.0, 8.0)  # queueing behind a cold start
    if drifted and model.name == DRIFT_MODEL:
        latency_ms *= 1.8
    return max(1_000, round(latency_ms * 1000))


def _outcome(
    rng: random.Random,
    request: _Request,
    policy_results: Sequence[Mapping[str, Any]],
    drifted: bool,
) -> _Outcome:
    """Error, refusal, tool call or answer, with its tokens and latency."""
    app, model = request.app, request.model
    if rng.random() < _ERROR_RATE:
        return _error_outcome(rng, model)

    if any(result["outcome"] == "block" for result in policy_results):
        text, finish = rng.choice(_REFUSALS), "content_filter"
        tokens_out = _tokens(rng, len(text))
        message = _text_message("assistant", text)
    elif rng.random() < app.tool_call_rate:
        message, finish = _tool_call_message(rng), "tool_calls"
        tokens_out = rng.randint(18, 40)
    else:
        text = _answer(rng, request.question, request.turn, drifted)
        finish = "stop"
        tokens_out = _tokens(rng, len(text))
        if tokens_out > app.max_tokens:
            # The provider stops at max_tokens: the text is cut to match.
            text = text[: len(text) * app.max_tokens // tokens_out]
            tokens_out, finish = app.max_tokens, "length"
        message = _text_message("assistant", text)

    message["finish_reason"] = finish
    latency_us = _latency_us(rng, model, tokens_out, drifted)
    return _Outcome([message], tokens_out, finish, latency_us)


def _tool_call_message(rng: random.Random) -> dict[str, Any]:
    """An assistant turn that asks the application to run a tool."""
    if rng.random() < 0.7:
        name, arguments = "lookup_order", {"order_id": f"A-{rng.randint(1000, 9999)}"}
    else:
        topic = rng.choice(("billing", "delivery", "returns"))
        name, arguments = "create_ticket", {"priority": "normal", "topic": topic}
    part = {
        "type": "tool_call",
        "id": "call_" + _hex(rng, 64),
        "name": name,
        "arguments": arguments,
    }
    return {"role": "assistant", "parts": [part]}


def _error_outcome(rng: random.Random, model: _Model) -> _Outcome:
    """A failed call: no answer, no output tokens, and its own latency."""
    error_type, http_status, _ = rng.choices(_ERRORS, [e[2] for e in _ERRORS])[0]
    if error_type == "timeout":
        latency_ms = 30_000 + rng.uniform(0.0, 400.0)
    elif http_status == 429:
        latency_ms = 40 + 60 * rng.lognormvariate(0.0, 0.4)
    else:
        latency_ms = model.ttft_median_ms * rng.lognormvariate(0.0, model.ttft_sigma)
    return _Outcome(
        output_messages=None,
        tokens_out=None,
        finish_reason=None,
        latency_us=max(1_000, round(latency_ms * 1000)),
        status="error",
        error_type=error_type,
        http_status=http_status,
    )


# --------------------------------------------------------------------------
# Timestamps spread over the day
# --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _diurnal_cdf() -> tuple[float, ...]:
    """Cumulative traffic by minute: quiet at night, busiest mid-afternoon UTC."""
    cumulative = [0.0]
    for minute in range(1440):
        phase = 2 * math.pi * (minute / 1440 - 0.375)
        cumulative.append(cumulative[-1] + 1.0 + 0.7 * math.sin(phase))
    return tuple(value / cumulative[-1] for value in cumulative)


def _offset_us(rng: random.Random, index: int, records: int) -> int:
    """Microseconds into the day of call ``index`` (non-decreasing in index).

    Stratified draws keep the calls sorted without holding them all: call ``i``
    lands in the ``i``-th of ``records`` equal slices of the traffic curve.
    """
    cdf = _diurnal_cdf()
    target = (index + rng.random()) / records
    minute = min(bisect.bisect_right(cdf, target) - 1, 1439)
    width = cdf[minute + 1] - cdf[minute]
    fraction = (target - cdf[minute]) / width if width else 0.0
    return min(int((minute + fraction) * 60_000_000), _DAY_US - 1)


def _rfc3339(day_start: datetime, offset_us: int) -> str:
    moment = day_start + timedelta(microseconds=offset_us)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _iter_calls(day: date, records: int, seed: int, drifted: bool) -> Iterator[_Call]:
    """The day's calls in time order, drawn from the day's own generator."""
    rng = random.Random(_day_seed(seed, day, "calls"))
    for index in range(records):
        offset = _offset_us(rng, index, records)
        yield _draw_call(rng, index, day, offset, drifted)


def _day_seed(seed: int, day: date, stream: str) -> int:
    """A seed for one day and one purpose, independent of hash randomisation."""
    text = f"ledgerlens-fixtures/{seed}/{day.isoformat()}/{stream}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


# --------------------------------------------------------------------------
# Canonical JSONL and its producer chains
# --------------------------------------------------------------------------


def _float_text(value: float) -> str:
    # orjson prints shortest round-trip digits like RFC 8785 does, but uses an
    # exponent from 1e-5 down (RFC 8785 from 1e-6) and from 1e16 up, and keeps
    # ".0" on integral values: those cases go through the exact encoder.
    if value.is_integer() or not 1e-5 <= abs(value) < 1e16:
        return canonical_text(value)
    return orjson.dumps(value).decode()


def _jcs(value: Any) -> str:
    """RFC 8785 text of the generator's own values, for units orjson cannot write.

    Keys here are ASCII, so code-point order is UTF-16 order; strings escape
    the same way in orjson and RFC 8785. Tests compare it with
    ``canonical_text``.
    """
    if isinstance(value, str):
        return orjson.dumps(value).decode()
    if value is None or isinstance(value, bool | int):
        return orjson.dumps(value).decode()
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dict):
        members = (f"{_jcs(key)}:{_jcs(value[key])}" for key in sorted(value))
        return "{" + ",".join(members) + "}"
    return "[" + ",".join(_jcs(item) for item in value) + "]"


_MESSAGE_KEYS: Final = frozenset({"input_messages", "output_messages"})


def _orjson_is_canonical(value: Any) -> bool:
    """True when orjson with sorted keys already writes ``value`` as RFC 8785.

    Everything here has ASCII keys and escapes strings alike in both, so only a
    float outside orjson's plain-notation range (or integral) can differ. The
    message lists hold no numbers at all and are not walked.
    """
    if isinstance(value, float):
        return not value.is_integer() and 1e-5 <= abs(value) < 1e16
    if isinstance(value, dict):
        return all(
            key in _MESSAGE_KEYS or _orjson_is_canonical(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return all(_orjson_is_canonical(item) for item in value)
    return True


def _unit_text(unit: dict[str, Any], fast: bool) -> bytes:
    if fast:
        return orjson.dumps(unit, option=orjson.OPT_SORT_KEYS)
    return _jcs(unit).encode("utf-8")


def chain_hash_for(prev_hash: str, unit_without_hash: Mapping[str, Any]) -> str:
    """``sha256(bytes.fromhex(prev) || JCS(unit without chain_hash))``, hex.

    The reference recomputation, with ``ledgerlens.integrity.jcs``; the writer
    uses a faster encoder that must agree with it byte for byte.
    """
    body = canonical_text(dict(unit_without_hash)).encode("utf-8")
    return hashlib.sha256(bytes.fromhex(prev_hash) + body).hexdigest()


def _canonical_unit(call: _Call, day_start: datetime) -> dict[str, Any]:
    """The record as the producer logs it, null fields left out."""
    unit: dict[str, Any] = {
        "record_id": call.record_id,
        "trace_id": call.request.trace_id,
        "span_id": call.request.span_id,
        "parent_span_id": call.request.parent_span_id,
        "session_id": call.session_id,
        "ts_start": _rfc3339(day_start, call.ts_start_us),
        "ts_end": _rfc3339(day_start, call.ts_start_us + call.outcome.latency_us),
        "latency_ms": _number(call.outcome.latency_us / 1000, 3),
        "app": call.request.app.name,
        "app_version": call.request.app.version,
        "environment": call.request.environment,
        "endpoint": call.request.app.endpoint,
        "provider": call.request.model.provider,
        "model": call.request.model.name,
        "model_version": call.model_version,
        "prompt_template_id": call.request.app.template_id,
        "prompt_template_version": call.request.template_version,
        "input_messages": call.request.input_messages,
        "output_messages": call.outcome.output_messages,
        "retrieval": call.request.retrieval or None,
        "tokens_in": call.tokens_in,
        "tokens_out": call.outcome.tokens_out,
        "cost_usd": call.cost_usd,
        "status": call.outcome.status,
        "error_type": call.outcome.error_type,
        "http_status": call.outcome.http_status,
        "finish_reason": call.outcome.finish_reason,
        "policy_results": call.policy_results or None,
        "reviewer": call.reviewer,
        "review_decision": call.review_decision,
        "user_ref": call.request.user_ref,
    }
    return {key: value for key, value in unit.items() if value is not None}


def _chained_line(
    unit: dict[str, Any], chain_id: str, tips: dict[str, ChainTip]
) -> bytes:
    """Link ``unit`` onto its chain, update ``tips`` and return the line bytes."""
    tip = tips.get(chain_id)
    seq = 0 if tip is None else tip.seq + 1
    prev = GENESIS_PREV if tip is None else tip.hash
    unit.update(chain_id=chain_id, chain_seq=seq, chain_prev=prev)

    fast = _orjson_is_canonical(unit)
    digest = hashlib.sha256(bytes.fromhex(prev) + _unit_text(unit, fast))
    chain_hash = digest.hexdigest()
    tips[chain_id] = ChainTip(seq, chain_hash)

    unit["chain_hash"] = chain_hash
    return _unit_text(unit, fast) + b"\n"


# --------------------------------------------------------------------------
# OTLP JSON Lines
# --------------------------------------------------------------------------


def _attr(key: str, value: Any) -> dict[str, Any]:
    """One OTLP/JSON attribute; ints as strings, as the protobuf mapping says."""
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    if isinstance(value, list):
        items = [{"stringValue": item} for item in value]
        return {"key": key, "value": {"arrayValue": {"values": items}}}
    return {"key": key, "value": {"stringValue": value}}


def _nanos(day_start_ns: int, offset_us: int) -> str:
    return str(day_start_ns + offset_us * 1000)


def _current_attributes(call: _Call) -> list[dict[str, Any]]:
    """GenAI semantic-convention names as current instrumentations write them."""
    attrs = [_attr("gen_ai.provider.name", call.request.model.provider)]
    if call.tokens_in is not None:
        attrs.append(_attr("gen_ai.usage.input_tokens", call.tokens_in))
    if call.outcome.tokens_out is not None:
        attrs.append(_attr("gen_ai.usage.output_tokens", call.outcome.tokens_out))
    messages = orjson.dumps(call.request.input_messages).decode()
    attrs.append(_attr("gen_ai.input.messages", messages))
    if call.outcome.output_messages is not None:
        output = orjson.dumps(call.outcome.output_messages).decode()
        attrs.append(_attr("gen_ai.output.messages", output))
    return attrs


def _legacy_attributes(call: _Call) -> list[dict[str, Any]]:
    """The older GenAI names: ``gen_ai.system`` and indexed prompt/completion."""
    attrs = [_attr("gen_ai.system", call.request.model.provider)]
    if call.tokens_in is not None:
        attrs.append(_attr("gen_ai.usage.prompt_tokens", call.tokens_in))
    if call.outcome.tokens_out is not None:
        attrs.append(_attr("gen_ai.usage.completion_tokens", call.outcome.tokens_out))
    for number, message in enumerate(call.request.input_messages):
        content = "".join(part["content"] for part in message["parts"])
        attrs.append(_attr(f"gen_ai.prompt.{number}.role", message["role"]))
        attrs.append(_attr(f"gen_ai.prompt.{number}.content", content))
    for number, message in enumerate(call.outcome.output_messages or ()):
        attrs.extend(_legacy_completion(number, message))
    return attrs


def _legacy_completion(number: int, message: Mapping[str, Any]) -> list[dict[str, Any]]:
    prefix = f"gen_ai.completion.{number}"
    attrs = [_attr(f"{prefix}.role", message["role"])]
    texts = [part["content"] for part in message["parts"] if part["type"] == "text"]
    if texts:
        attrs.append(_attr(f"{prefix}.content", "".join(texts)))
    calls = [part for part in message["parts"] if part["type"] == "tool_call"]
    for index, part in enumerate(calls):
        tool = f"{prefix}.tool_calls.{index}"
        attrs.append(_attr(f"{tool}.id", part["id"]))
        attrs.append(_attr(f"{tool}.name", part["name"]))
        attrs.append(
            _attr(f"{tool}.arguments", orjson.dumps(part["arguments"]).decode())
        )
    attrs.append(_attr(f"{prefix}.finish_reason", message["finish_reason"]))
    return attrs


def _llm_span(call: _Call, day_start_ns: int, current: bool) -> dict[str, Any]:
    """The client span of one call, in the current or the older GenAI dialect."""
    attrs = [
        _attr("gen_ai.operation.name", "chat"),
        _attr("gen_ai.request.model", call.request.model.name),
        _attr("gen_ai.request.max_tokens", call.request.app.max_tokens),
    ]
    attrs += _current_attributes(call) if current else _legacy_attributes(call)
    if call.outcome.status == "ok":
        attrs.append(_attr("gen_ai.response.model", call.model_version))
        attrs.append(_attr("gen_ai.response.id", f"resp-{call.request.span_id}"))
        attrs.append(
            _attr("gen_ai.response.finish_reasons", [call.outcome.finish_reason])
        )
    attrs += _app_attributes(call)

    span: dict[str, Any] = {
        "traceId": call.request.trace_id,
        "spanId": call.request.span_id,
        "name": f"chat {call.request.model.name}",
        "kind": "SPAN_KIND_CLIENT",
        "startTimeUnixNano": _nanos(day_start_ns, call.ts_start_us),
        "endTimeUnixNano": _nanos(
            day_start_ns, call.ts_start_us + call.outcome.latency_us
        ),
        "attributes": attrs,
        "status": {},
        "flags": 256,
    }
    if call.request.parent_span_id is not None:
        span["parentSpanId"] = call.request.parent_span_id
    if call.outcome.status == "error":
        span["status"] = {
            "code": "STATUS_CODE_ERROR",
            "message": call.outcome.error_type,
        }
    return span


def _app_attributes(call: _Call) -> list[dict[str, Any]]:
    """Attributes outside the GenAI conventions that the application adds."""
    attrs = [
        _attr("ledgerlens.record_id", call.record_id),
        _attr("session.id", call.session_id),
        _attr("enduser.pseudo.id", call.request.user_ref),
        _attr("http.route", call.request.app.endpoint),
        _attr("ledgerlens.prompt_template.id", call.request.app.template_id),
        _attr("ledgerlens.prompt_template.version", call.request.template_version),
    ]
    if call.cost_usd is not None:
        attrs.append(_attr("ledgerlens.cost_usd", float(call.cost_usd)))
    if call.policy_results:
        results = orjson.dumps(call.policy_results).decode()
        attrs.append(_attr("ledgerlens.policy_results", results))
    if call.reviewer is not None and call.review_decision is not None:
        attrs.append(_attr("ledgerlens.review.reviewer", call.reviewer))
        attrs.append(_attr("ledgerlens.review.decision", call.review_decision))
    if call.outcome.status == "error":
        attrs.append(_attr("error.type", call.outcome.error_type))
        if call.outcome.http_status is not None:
            attrs.append(_attr("http.response.status_code", call.outcome.http_status))
    return attrs


def _retrieval_span(
    request: _Request, span_id: str, window_us: tuple[int, int], day_start_ns: int
) -> dict[str, Any]:
    """The non-LLM retriever span that is the call's parent (OpenInference)."""
    start_us, end_us = window_us
    attrs = [_attr("openinference.span.kind", "RETRIEVER")]
    for index, item in enumerate(request.retrieval):
        prefix = f"retrieval.documents.{index}.document"
        metadata = {"source": item["source"], "sha256": item["doc_sha256"]}
        attrs.append(_attr(f"{prefix}.id", item["doc_id"]))
        attrs.append(_attr(f"{prefix}.score", float(item["score"])))
        attrs.append(_attr(f"{prefix}.metadata", orjson.dumps(metadata).decode()))
    return {
        "traceId": request.trace_id,
        "spanId": span_id,
        "name": f"retrieve {request.app.retrieval_sources[0]}",
        "kind": "SPAN_KIND_INTERNAL",
        "startTimeUnixNano": _nanos(day_start_ns, start_us),
        "endTimeUnixNano": _nanos(day_start_ns, end_us),
        "attributes": attrs,
        "status": {},
    }


_SCOPES: Final[dict[str, dict[str, str]]] = {
    "current": {"name": "opentelemetry.util.genai.handler", "version": "1.1b0"},
    "legacy": {
        "name": "opentelemetry.instrumentation.openllmetry",
        "version": "0.33.9",
    },
    "retrieval": {"name": "app.retrieval", "version": "2.0.0"},
}


@dataclass
class _OtlpBatch:
    """Spans waiting for the next export line, grouped by resource and scope."""

    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = field(
        default_factory=dict
    )
    resources: dict[tuple[str, str], _Call] = field(default_factory=dict)
    size: int = 0

    def add(self, call: _Call, scope: str, span: dict[str, Any]) -> None:
        key = (call.request.app.name, call.request.instance)
        self.resources.setdefault(key, call)
        self.groups.setdefault((*key, scope), []).append(span)
        self.size += 1

    def line(self) -> bytes:
        """One ExportTraceServiceRequest as a JSON line."""
        resource_spans = []
        for key, call in self.resources.items():
            scope_spans = [
                {"scope": _SCOPES[scope], "spans": spans}
                for (app, instance, scope), spans in self.groups.items()
                if (app, instance) == key
            ]
            resource_spans.append(
                {"resource": {"attributes": _resource(call)}, "scopeSpans": scope_spans}
            )
        return orjson.dumps({"resourceSpans": resource_spans}) + b"\n"


def _resource(call: _Call) -> list[dict[str, Any]]:
    return [
        _attr("service.name", call.request.app.name),
        _attr("service.version", call.request.app.version),
        _attr("service.instance.id", call.request.instance),
        _attr("deployment.environment.name", call.request.environment),
        _attr("telemetry.sdk.language", "python"),
        _attr("telemetry.sdk.name", "opentelemetry"),
    ]


# --------------------------------------------------------------------------
# Writing days
# --------------------------------------------------------------------------


def day_file_name(day: date, fmt: str) -> str:
    """The file name of one day: ``calls-<date>.jsonl`` or ``.otlp.jsonl``."""
    return f"calls-{day.isoformat()}{_SUFFIX[fmt]}"


class _HashingWriter:
    """Writes bytes to a file while hashing them and counting lines."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("wb")
        self.sha256 = hashlib.sha256()
        self.lines = 0

    def write(self, line: bytes) -> None:
        self._file.write(line)
        self.sha256.update(line)
        self.lines += 1

    def close(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()


def stream_day(
    path: Path,
    *,
    day: date,
    records: int,
    seed: int,
    drifted: bool = False,
    fmt: str = "ledgerlens-jsonl",
    spans_per_line: int = 1000,
    chain_tips: Mapping[str, ChainTip] | None = None,
) -> DaySummary:
    """Write one day of ``records`` calls to ``path``, one record at a time.

    Memory stays flat whatever ``records`` is (OTLP holds one export line of
    ``spans_per_line`` spans). Canonical chains continue from ``chain_tips``;
    the returned summary carries the tips to pass to the next day. The file
    appears under its name only once complete.
    """
    _check_day_args(records, fmt, spans_per_line)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    writer = _HashingWriter(partial)
    tips = dict(chain_tips or {})
    try:
        calls = _iter_calls(day, records, seed, drifted)
        if fmt == "ledgerlens-jsonl":
            spans = _write_canonical(writer, calls, day, tips)
        else:
            spans = _write_otlp(writer, calls, day, seed, spans_per_line)
    finally:
        writer.close()
    os.replace(partial, path)

    logger.info("wrote %d records of %s to %s", records, day, path)
    return DaySummary(
        path=path,
        day=day,
        fmt=fmt,
        records=records,
        spans=spans,
        lines=writer.lines,
        sha256=writer.sha256.hexdigest(),
        chain_tips=tips,
    )


def _write_canonical(
    writer: _HashingWriter, calls: Iterator[_Call], day: date, tips: dict[str, ChainTip]
) -> int:
    day_start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    count = 0
    for call in calls:
        chain_id = f"{call.request.app.name}/{call.request.instance}"
        writer.write(_chained_line(_canonical_unit(call, day_start), chain_id, tips))
        count += 1
    return count


def _write_otlp(
    writer: _HashingWriter,
    calls: Iterator[_Call],
    day: date,
    seed: int,
    spans_per_line: int,
) -> int:
    # Dialect choices come from their own generator so that both formats
    # describe exactly the same calls.
    dialect_rng = random.Random(_day_seed(seed, day, "otlp-dialect"))
    day_start_ns = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    day_start_ns *= 1_000_000_000
    batch, total = _OtlpBatch(), 0
    for call in calls:
        current = dialect_rng.random() < 0.5
        spans: list[tuple[str, dict[str, Any]]] = []
        request = call.request
        if request.parent_span_id and request.retrieval_span_us:
            parent = _retrieval_span(
                request, request.parent_span_id, request.retrieval_span_us, day_start_ns
            )
            spans.append(("retrieval", parent))
        scope = "current" if current else "legacy"
        spans.append((scope, _llm_span(call, day_start_ns, current)))
        for scope_name, span in spans:
            batch.add(call, scope_name, span)
            total += 1
            if batch.size == spans_per_line:
                writer.write(batch.line())
                batch = _OtlpBatch()
    if batch.size:
        writer.write(batch.line())
    return total


def _check_day_args(records: int, fmt: str, spans_per_line: int) -> None:
    if fmt not in FORMATS:
        msg = f"unknown fixture format `{fmt}`"
        raise UsageError(msg, remedy=f"use one of: {', '.join(FORMATS)}")
    if records < 0:
        msg = f"records per day must be zero or more, not {records}"
        raise UsageError(msg, remedy="pass --records-per-day 0 or more")
    if spans_per_line < 1:
        msg = f"spans per line must be at least 1, not {spans_per_line}"
        raise UsageError(msg, remedy="pass --spans-per-line 1 or more")


def generate_days(
    out_dir: Path,
    *,
    start: date,
    days: int,
    records_per_day: int,
    seed: int,
    drift_day: date | None,
    fmt: str,
    spans_per_line: int = 1000,
) -> list[Path]:
    """Write ``days`` consecutive days from ``start``; return the files in order.

    Each day goes to ``out_dir/<date>/calls-<date>.jsonl`` (or ``.otlp.jsonl``).
    Producer chains run across the days. ``drift_day``, if given, must be one
    of the generated days.
    """
    if days < 1:
        msg = f"days must be at least 1, not {days}"
        raise UsageError(msg, remedy="pass --days 1 or more")
    last = start + timedelta(days=days - 1)
    if drift_day is not None and not start <= drift_day <= last:
        msg = f"drift day {drift_day} is outside {start}..{last}"
        raise UsageError(msg, remedy="pick a drift day inside the generated range")

    paths: list[Path] = []
    tips: dict[str, ChainTip] = {}
    for number in range(days):
        day = start + timedelta(days=number)
        path = Path(out_dir) / day.isoformat() / day_file_name(day, fmt)
        summary = stream_day(
            path,
            day=day,
            records=records_per_day,
            seed=seed,
            drifted=day == drift_day,
            fmt=fmt,
            spans_per_line=spans_per_line,
            chain_tips=tips,
        )
        tips = dict(summary.chain_tips)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------
# Tampered variants
# --------------------------------------------------------------------------

_TAMPER_DAY: Final = date(2026, 11, 23)
_TAMPER_SEED: Final = 11
_TAMPER_RECORDS: Final = 20


def write_tampered_variants(out_dir: Path) -> dict[str, Path]:
    """Write a clean 20-record canonical day and five tampered copies of it.

    Returns the files by name (``original``, ``edited-text``, ``deleted-line``,
    ``swapped-lines``, ``inserted-line``, ``truncated``); ``expected.json``
    beside them says which line and chain each change touched.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    original = out_dir / "original.jsonl"
    stream_day(original, day=_TAMPER_DAY, records=_TAMPER_RECORDS, seed=_TAMPER_SEED)
    lines = original.read_bytes().splitlines(keepends=True)
    units = [orjson.loads(line) for line in lines]

    variants: dict[str, tuple[list[bytes], dict[str, Any]]] = {
        "edited-text": _edit_text(lines, units, 7),
        "deleted-line": _delete_line(lines, units, 10),
        "swapped-lines": _swap_lines(lines, units, 4),
        "inserted-line": _insert_line(lines, units, 12),
    }
    cut = lines[-1][: len(lines[-1]) // 2]
    variants["truncated"] = (
        [*lines[:-1], cut],
        _describe("truncated", units, len(lines) - 1, "last line cut mid-way"),
    )

    written, expected = {"original": original}, {}
    for name, (new_lines, detail) in variants.items():
        path = out_dir / f"{name}.jsonl"
        path.write_bytes(b"".join(new_lines))
        written[name] = path
        expected[path.name] = detail
    expected_path = out_dir / "expected.json"
    expected_path.write_bytes(
        orjson.dumps(expected, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        + b"\n"
    )
    return written


def _describe(
    kind: str, units: Sequence[Mapping[str, Any]], index: int, what: str
) -> dict[str, Any]:
    unit = units[index]
    return {
        "kind": kind,
        "line": index + 1,
        "record_id": unit["record_id"],
        "chain_id": unit["chain_id"],
        "chain_seq": unit["chain_seq"],
        "change": what,
    }


def _edit_text(
    lines: list[bytes], units: list[dict[str, Any]], index: int
) -> tuple[list[bytes], dict[str, Any]]:
    """Change one answer's text after chaining; its chain_hash is left as it was."""
    unit = dict(units[index])
    unit["output_messages"] = [_text_message("assistant", "Edited after the fact.")]
    unit["output_messages"][0]["finish_reason"] = unit.get("finish_reason", "stop")
    new = [*lines]
    new[index] = canonical_text(unit).encode("utf-8") + b"\n"
    what = "output_messages replaced; chain_hash kept"
    return new, _describe("edited", units, index, what)


def _next_in_chain(units: Sequence[Mapping[str, Any]], start: int) -> tuple[int, int]:
    """The first record from ``start`` on with a later record in its chain."""
    for first in range(start, len(units)):
        chain = units[first]["chain_id"]
        for second in range(first + 1, len(units)):
            if units[second]["chain_id"] == chain:
                return first, second
    msg = "no chain with two records after the start"
    raise AssertionError(msg)


def _delete_line(
    lines: list[bytes], units: list[dict[str, Any]], start: int
) -> tuple[list[bytes], dict[str, Any]]:
    """Remove a record that has a successor, so the chain shows a gap."""
    index, _ = _next_in_chain(units, start)
    new = [*lines[:index], *lines[index + 1 :]]
    return new, _describe("deleted", units, index, "line removed")


def _swap_lines(
    lines: list[bytes], units: list[dict[str, Any]], start: int
) -> tuple[list[bytes], dict[str, Any]]:
    """Swap two records of the same chain, so the chain order is broken."""
    first, second = _next_in_chain(units, start)
    new = [*lines]
    new[first], new[second] = lines[second], lines[first]
    what = f"lines {first + 1} and {second + 1} (same chain) swapped"
    return new, _describe("reordered", units, first, what)


def _insert_line(
    lines: list[bytes], units: list[dict[str, Any]], index: int
) -> tuple[list[bytes], dict[str, Any]]:
    """Insert a forged record that links correctly to the previous record.

    It reuses the ``chain_seq`` of the record it is inserted before, so only
    the repeated sequence number (a fork) gives it away.
    """
    target = units[index]
    forged = {key: value for key, value in target.items() if key != "chain_hash"}
    forged["record_id"] = target["record_id"] + "-forged"
    forged["output_messages"] = [_text_message("assistant", "A forged answer.")]
    forged["output_messages"][0]["finish_reason"] = "stop"
    forged["chain_hash"] = chain_hash_for(forged["chain_prev"], forged)
    line = canonical_text(forged).encode("utf-8") + b"\n"
    new = [*lines[:index], line, *lines[index:]]
    what = f"forged record inserted at line {index + 1}, reusing the chain_seq"
    return new, _describe("inserted", [*units[:index], forged], index, what)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="generate.py",
        description="Write deterministic synthetic LLM call logs, one file per day.",
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--records-per-day", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--drift-day", type=date.fromisoformat, default=None)
    parser.add_argument("--format", choices=FORMATS, default="ledgerlens-jsonl")
    parser.add_argument("--spans-per-line", type=int, default=1000)
    parser.add_argument(
        "--tampered",
        action="store_true",
        help="write the tampered variants into --out instead of days",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the generator from the command line; return the exit code."""
    args = _parse_args(argv)
    try:
        if args.tampered:
            paths = list(write_tampered_variants(args.out).values())
        else:
            paths = generate_days(
                args.out,
                start=args.start,
                days=args.days,
                records_per_day=args.records_per_day,
                seed=args.seed,
                drift_day=args.drift_day,
                fmt=args.format,
                spans_per_line=args.spans_per_line,
            )
    except LedgerlensError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
