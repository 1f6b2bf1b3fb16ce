"""The verification package's public surface matches what its modules define."""

from __future__ import annotations

import ast
import inspect
from types import ModuleType

import pytest

import ledgerlens.verification as verification
from ledgerlens.verification import chains, proof, store, witness

MODULES = [chains, proof, store, witness]


def _public_names(module: ModuleType) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    names: set[str] = set()
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


def test_the_package_exports_every_module_export() -> None:
    exported = {name for module in MODULES for name in module.__all__}

    assert set(verification.__all__) == exported
    assert all(getattr(verification, name) is not None for name in exported)
