"""Each ingest module's __all__ names exactly its public objects."""

from __future__ import annotations

import ast
import importlib
import inspect
import typing

import pytest

MODULES = [
    "ledgerlens.ingest",
    "ledgerlens.ingest.interface",
    "ledgerlens.ingest.sources",
    "ledgerlens.ingest.detect",
    "ledgerlens.ingest.registry",
    "ledgerlens.ingest.reader",
    "ledgerlens.ingest.canonical",
    "ledgerlens.ingest.otlp",
    "ledgerlens.ingest.genai",
    "ledgerlens.ingest.timeparse",
    "ledgerlens.ingest.vcr",
    "ledgerlens.ingest.har",
    "ledgerlens.ingest.phoenix",
    "ledgerlens.ingest.litellm",
    "ledgerlens.ingest.langfuse",
    "ledgerlens.ingest.openai_batch",
    "ledgerlens.ingest.parquet",
    "ledgerlens.ingest.mt_bench",
    "ledgerlens.ingest.otlp_events",
    "ledgerlens.ingest.s3",
    "ledgerlens.ingest._chat",
    "ledgerlens.ingest._exchange",
    "ledgerlens.ingest._sse",
    "ledgerlens.ingest._units",
]


def _defined_public_names(source: str) -> set[str]:
    """Names a module defines at top level (not imports), without a leading _."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_") and n not in {"logger"}}


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_the_public_names_defined_here(name: str) -> None:
    module = importlib.import_module(name)
    defined = _defined_public_names(inspect.getsource(module))
    if name != "ledgerlens.ingest":  # the package only re-exports
        assert defined == set(module.__all__)
    for attr in module.__all__:
        value = getattr(module, attr)
        # Constants and type aliases carry no docstring of their own.
        documented = attr.isupper() or typing.get_origin(value) is not None
        assert documented or value.__doc__, attr


def test_package_exports_the_pipeline_interface() -> None:
    import ledgerlens.ingest as ingest

    assert set(ingest.__all__) == {
        "FORMATS",
        "Adapter",
        "IngestOptions",
        "Sample",
        "SourceFile",
        "Unit",
        "discover_sources",
        "read_units",
    }
