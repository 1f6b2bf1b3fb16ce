"""The integrity package's public surface, and what it must not import."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from types import ModuleType

import pytest

import ledgerlens.integrity as integrity
from ledgerlens.integrity import chain, checkpoint, leaf, merkle

MODULES = [chain, checkpoint, leaf, merkle]


def _public_names(module: ModuleType) -> set[str]:
    """Top-level names the module's own source defines, less private ones."""
    tree = ast.parse(inspect.getsource(module))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")} - {"logger"}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_all_lists_exactly_the_public_names(module: ModuleType) -> None:
    assert set(module.__all__) == _public_names(module)


def test_package_exports_every_module_export() -> None:
    exported = set(integrity.__all__)

    for module in MODULES:
        assert set(module.__all__) <= exported
    assert {"canonicalize", "canonical_text", "CanonicalizationError"} <= exported
    assert all(hasattr(integrity, name) for name in exported)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_public_object_has_a_docstring(module: ModuleType) -> None:
    undocumented = [
        name
        for name in module.__all__
        if (inspect.isclass(obj := getattr(module, name)) or inspect.isfunction(obj))
        and not inspect.getdoc(obj)
    ]

    assert undocumented == []


def test_importing_integrity_pulls_in_no_heavy_library() -> None:
    # A fresh interpreter: the test session itself has polars loaded already.
    heavy = ["polars", "pandas", "prefect", "great_expectations", "evidently"]
    code = (
        "import sys, ledgerlens.integrity\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
