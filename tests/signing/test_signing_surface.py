"""The package's public surface and its import cost."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

MODULES = [
    "ledgerlens.signing",
    "ledgerlens.signing.api",
    "ledgerlens.signing.bundle",
    "ledgerlens.signing.dsse",
    "ledgerlens.signing.keyless",
    "ledgerlens.signing.keys",
    "ledgerlens.signing.pack",
]
HEAVY = [
    "sigstore",
    "polars",
    "pandas",
    "prefect",
    "great_expectations",
    "evidently",
    "requests",
    "pydantic",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_exactly_the_public_functions_and_classes(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)

    defined_here = {
        attribute
        for attribute, value in vars(module).items()
        if not attribute.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == name
    }
    assert defined_here <= exported
    assert all(hasattr(module, attribute) for attribute in exported)
    for attribute in exported:
        value = getattr(module, attribute)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), f"{name}.{attribute} has no docstring"


def test_the_package_re_exports_the_facade() -> None:
    import ledgerlens.signing as signing
    from ledgerlens.signing import api, keys, pack

    for module in (api, keys, pack):
        for attribute in set(module.__all__) & set(signing.__all__):
            assert getattr(signing, attribute) is getattr(module, attribute)


def test_importing_the_package_loads_no_heavy_library() -> None:
    # A fresh interpreter: this test process has imported sigstore already.
    code = (
        "import sys, ledgerlens.signing\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == ""
