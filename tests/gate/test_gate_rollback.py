"""``ledgerlens rollback-target`` on a store of two passing days and a failed one."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from gate_support import load_generator

from ledgerlens.cli import main
from ledgerlens.engine.audit import run_audit
from ledgerlens.engine.spec import AuditSpec, new_run_id
from ledgerlens.gate import rollback_target
from ledgerlens.store import open_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Days 1-2 as generated (passing); day 3 only ``code-tutor`` traffic on a
    new template version ``tutor-step@4`` and model snapshot, which fails its
    audit (its model_version mix drifts, a blocking check)."""
    generator = load_generator()
    root = tmp_path_factory.mktemp("rollback")
    files = generator.generate_days(
        root / "logs",
        start=date(2026, 11, 23),
        days=3,
        records_per_day=80,
        seed=5,
        drift_day=None,
        fmt="ledgerlens-jsonl",
    )
    third = Path(files[2])
    kept = []
    for line in third.read_text().splitlines():
        record = json.loads(line)
        if record["app"] == "code-tutor":
            record["prompt_template_version"] = "4"
            if "model_version" in record:
                record["model_version"] = "llama-next"
            kept.append(json.dumps(record, sort_keys=True))
    third.write_text("\n".join(kept) + "\n")

    for offset, path in enumerate(files):
        spec = AuditSpec(
            day=date(2026, 11, 23 + offset),
            logs=str(Path(path).parent),
            store=str(root / "store"),
            out=str(root / "out"),
            run_id=new_run_id(),
            no_sign=True,
        )
        outcome = run_audit(spec)
        assert outcome.verdict == ("fail" if offset == 2 else "pass")
    return root / "store"


def test_the_newest_version_whose_days_all_passed_is_named(store: Path) -> None:
    answer = rollback_target(open_store(store))
    templates = {t.name: t for t in answer.templates}
    models = {t.name: t for t in answer.models}

    tutor = templates["tutor-step"]
    assert tutor.version == "3"
    assert [d.day.isoformat() for d in tutor.evidence] == ["2026-11-23", "2026-11-24"]
    assert {d.verdict for d in tutor.evidence} == {"pass"}
    assert tutor.rejected == {"4": ("2026-11-25",)}

    llama = models["llama-3.1-8b-instruct"]
    assert llama.version == "meta-llama/Llama-3.1-8B-Instruct@rev-0e9e39f2"
    assert llama.rejected == {"llama-next": ("2026-11-25",)}
    assert templates["support-answer"].version == "8"
    assert answer.days == 3 and answer.found


def test_evidence_days_carry_their_checkpoints(store: Path) -> None:
    answer = rollback_target(open_store(store))
    tutor = next(t for t in answer.templates if t.name == "tutor-step")
    seals = open_store(store).current_seals()

    for day in tutor.evidence:
        note = (seals[day.day].path / "checkpoint.note").read_text()
        assert str(day.tree_size) in note.splitlines()
        assert day.seal == seals[day.day].name
        assert len(day.root) == 64
        assert day.checkpoint_signed is False  # the store was audited --no-sign


def test_cli_prints_targets_and_json(store: Path) -> None:
    runner = CliRunner()

    text = runner.invoke(main, ["rollback-target", "--store", str(store)])
    data = runner.invoke(main, ["rollback-target", "--store", str(store), "--json"])

    assert text.exit_code == 0, text.output
    assert "prompt template tutor-step: 3 (passed on 2026-11-23, 2026-11-24)" in (
        text.output.splitlines()
    )
    assert "  not 4: seen on failed day(s) 2026-11-25" in text.output.splitlines()
    answer = json.loads(data.output)
    assert answer["days_sealed"] == 3
    tutor = next(t for t in answer["prompt_templates"] if t["name"] == "tutor-step")
    assert tutor["version"] == "3"


def test_no_store_is_exit_3(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["rollback-target", "--store", str(tmp_path / "none")]
    )

    assert result.exit_code == 3
    assert "no ledgerlens store" in result.output
