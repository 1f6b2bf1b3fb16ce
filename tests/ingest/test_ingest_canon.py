"""The fast canonical encoder gives exactly the bytes of integrity.jcs."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlens.ingest._canon import canonical_json
from ledgerlens.integrity.jcs import CanonicalizationError, canonical_text

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


def test_every_code_point_escapes_as_the_reference_does() -> None:
    points = [*range(0xD800), *range(0xE000, 0x110000)]
    text = "".join(chr(p) for p in points)
    assert canonical_json(text) == canonical_text(text)
    for point in range(0x80):
        assert canonical_json(chr(point)) == canonical_text(chr(point))


def test_keys_above_the_bmp_sort_in_utf16_order() -> None:
    value = {"\ue000": 1, "\U0001f600": 2, "a": 3}
    assert canonical_json(value) == canonical_text(value)
    assert canonical_json(value).index("\U0001f600") < canonical_json(value).index(
        "\ue000"
    )


@pytest.mark.parametrize(
    "value", [1.0, -0.0, 1e21, 1e-7, 0.1, [1.5, {"x": 2.0}], 2**53 - 1]
)
def test_numbers_match(value: Any) -> None:
    assert canonical_json(value) == canonical_text(value)


@pytest.mark.parametrize("value", [2**53, float("nan"), {1: "a"}, "\ud800", b"x"])
def test_what_has_no_canonical_form_is_refused(value: Any) -> None:
    with pytest.raises(CanonicalizationError):
        canonical_json(value)


@settings(max_examples=2000)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_float_matches_the_reference(value: float) -> None:
    assert canonical_json(value) == canonical_text(value)
    assert canonical_json({"k": [value]}) == canonical_text({"k": [value]})


@pytest.mark.parametrize(
    "value",
    [1e-5, 0.000012345, 1.5e-6, 9999999999999998.5, 1e16 + 2.0, 1.0e16, 0.7, 123.456],
)
def test_floats_at_the_edges_of_orjsons_plain_range(value: float) -> None:
    assert canonical_json([value]) == canonical_text([value])


@settings(max_examples=300)
@given(_JSON)
def test_any_json_value_matches_the_reference(value: Any) -> None:
    assert canonical_json(value) == canonical_text(value)
