"""Our RFC 8785 encoder against the independent ``rfc8785`` package."""

from __future__ import annotations

import math
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlens.integrity.jcs import CanonicalizationError, canonical_text, canonicalize

# The range both encoders accept; see test_integers_at_the_edge_of_the_range.
SAFE_INTEGERS = st.integers(-(2**53) + 1, 2**53 - 1)
FINITE_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
# Keys above U+FFFF sort differently by UTF-16 unit than by code point.
KEYS = st.text(
    alphabet=st.sampled_from("aAzZ_0é€\ue000\uffff\U0001f600\U00010000"), max_size=4
) | st.text(max_size=6)

json_values = st.recursive(
    st.none() | st.booleans() | SAFE_INTEGERS | FINITE_FLOATS | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(value=json_values)
def test_matches_rfc8785_package(value: Any) -> None:
    assert canonicalize(value) == rfc8785.dumps(value)


@settings(max_examples=500, deadline=None)
@given(number=FINITE_FLOATS)
def test_numbers_match_rfc8785_package(number: float) -> None:
    assert canonicalize(number) == rfc8785.dumps(number)
    # The printed number reads back as the same double.
    assert float(canonical_text(number)) == number


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-123.456, "-123.456"),
        (333333333.3333333, "333333333.3333333"),
    ],
)
def test_number_forms_from_rfc8785_appendix(number: float, text: str) -> None:
    assert canonical_text(number) == text
    assert rfc8785.dumps(number).decode() == text


def test_keys_sort_by_utf16_code_units() -> None:
    value = {"\U0001f600": 1, "\ufb33": 2, "a": 3, "\u20ac": 4}

    assert canonical_text(value) == '{"a":3,"€":4,"\U0001f600":1,"\ufb33":2}'
    assert canonicalize(value) == rfc8785.dumps(value)


def test_control_characters_use_short_or_lowercase_escapes() -> None:
    text = "".join(chr(code) for code in range(0x20)) + '"\\/\x7f\u2028'

    assert canonicalize(text) == rfc8785.dumps(text)
    assert canonical_text("\x1f\n") == '"\\u001f\\n"'


@pytest.mark.parametrize(
    "value",
    [math.nan, math.inf, -math.inf, "\ud800", ["\udc80"], {"k": 2**60}, b"bytes"],
)
def test_values_without_a_canonical_form_are_rejected(value: Any) -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize(value)


def test_lone_surrogate_in_a_key_is_refused() -> None:
    with pytest.raises(CanonicalizationError, match="lone surrogate U\\+DC80"):
        canonicalize({"\udc80": 1})


_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n"}
_SHORT |= {"\r": "\\r", "\t": "\\t"}


def _rfc8785_string(text: str) -> str:
    """Section 3.2.2.2 of RFC 8785, character by character."""
    out = []
    for char in text:
        if char in _SHORT:
            out.append(_SHORT[char])
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def test_every_code_point_is_escaped_as_the_rfc_says() -> None:
    # All of the first 0x3000 code points, then every seventh up to U+10FFFF.
    codes = [*range(0x3000), *range(0x3000, 0x110000, 7)]
    text = "".join(chr(c) for c in codes if not 0xD800 <= c <= 0xDFFF)
    expected = _rfc8785_string(text)

    assert canonical_text(text) == expected
    assert canonical_text({text: text}) == "{" + expected + ":" + expected + "}"


def test_the_first_lone_surrogate_of_a_string_is_named() -> None:
    with pytest.raises(CanonicalizationError, match="lone surrogate U\\+D801"):
        canonicalize("ok \ud801 then \udc80")


def test_integers_at_the_edge_of_the_range() -> None:
    assert canonicalize(2**53 - 1) == rfc8785.dumps(2**53 - 1) == b"9007199254740991"
    # NOTE: our encoder also accepts +-2**53, which the rfc8785 package refuses
    # (it keeps to the I-JSON range). Leaves and chains never rely on it.
    with pytest.raises(rfc8785.IntegerDomainError):
        rfc8785.dumps(2**53)
