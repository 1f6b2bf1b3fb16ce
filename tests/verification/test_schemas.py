"""The JSON Schemas in docs/schemas/ accept the files a real audit wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from .conftest import DAYS, REPO

SCHEMAS = REPO / "docs" / "schemas"


def _schema(name: str) -> Any:
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _seals(store: Path) -> list[Path]:
    return sorted((store / "seals").iterdir())


def test_every_sealed_manifest_follows_its_schema(sealed_store: Path) -> None:
    schema = _schema("manifest.schema.json")
    seals = _seals(sealed_store)

    for seal in seals:
        jsonschema.validate(json.loads((seal / "manifest.json").read_text()), schema)
    assert len(seals) == len(DAYS)


def test_sealed_and_published_findings_follow_their_schema(sealed_store: Path) -> None:
    schema = _schema("findings.schema.json")
    published = sealed_store.parent / "out" / DAYS[-1] / "findings.json"

    for seal in _seals(sealed_store):
        jsonschema.validate(json.loads((seal / "findings.json").read_text()), schema)
    document = json.loads(published.read_text())
    jsonschema.validate(document, schema)
    assert document["integrity"]["tree_size"] == 123


def test_a_manifest_with_a_float_is_refused(sealed_store: Path) -> None:
    manifest = json.loads((_seals(sealed_store)[0] / "manifest.json").read_text())
    manifest["counts"]["read"] = 40.5

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(manifest, _schema("manifest.schema.json"))
