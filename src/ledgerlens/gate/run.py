"""The promotion gate as plain stages: load, evaluate, render, sign.

Like the nightly audit, each stage reads the run's :class:`GateSpec` and the
files earlier stages left in the run's work folder, so the Prefect flow runs
each as a task with paths between them, and the CLI calls them in a row. A
``block`` or ``hold`` is a result, not an exception.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import shutil
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from ledgerlens._resources import file_entry
from ledgerlens.engine._jsonio import read_json, write_json
from ledgerlens.engine.publish import sign_outputs, signing_options
from ledgerlens.gate.evaluate import (
    EXIT_CODES,
    Pairing,
    decide,
    evaluate_metrics,
    pair_items,
)
from ledgerlens.gate.policy import GatePolicy, load_policy
from ledgerlens.integrity.jcs import canonicalize

__all__ = [
    "DECISION_FILE",
    "REPORT_FILE",
    "GateOutcome",
    "GateSpec",
    "run_gate",
    "stage_evaluate",
    "stage_load",
    "stage_render",
    "stage_sign",
]

logger = logging.getLogger(__name__)

DECISION_FILE = "gate-decision.json"
REPORT_FILE = "gate-report.pdf"
_SUMMARY_FILE = "gate-summary.md"
_JUNIT_FILE = "gate-junit.xml"
_DRIFT_FILE = "gate-drift.html"
_SIDES = ("baseline", "candidate")


@dataclass(frozen=True)
class GateSpec:
    """What one gate run compares, with which policy, and where it writes.

    It holds no secret: an identity token or key passphrase reaches signing
    through the environment.
    """

    baseline: str
    candidate: str
    out: str
    run_id: str
    policy: str | None = None
    format: str | None = None
    naive_tz: str | None = None
    templates_dir: str | None = None
    signing_key: str | None = None
    trust_config: str | None = None
    instance: str | None = None
    no_sign: bool = False
    summary_md: str | None = None
    junit: str | None = None

    @property
    def out_dir(self) -> Path:
        """Where the decision, report and evidence pack go."""
        return Path(self.out)

    @property
    def work_dir(self) -> Path:
        """Scratch space between stages, removed when the run ends."""
        return self.out_dir / f".gate-work-{self.run_id}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form (for Prefect parameters)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GateSpec:
        """Read the JSON-safe form back."""
        return cls(**dict(data))


@dataclass(frozen=True)
class GateOutcome:
    """How a gate run ended: the decision, its exit code and its files."""

    decision: str
    exit_code: int
    out_dir: Path
    decision_path: Path
    report_path: Path
    signed: bool


def run_gate(spec: GateSpec) -> GateOutcome:
    """Run every stage in this process and return the outcome."""
    stage_load(spec)
    stage_evaluate(spec)
    stage_render(spec)
    return stage_sign(spec)


# --- load ---------------------------------------------------------------------


def stage_load(spec: GateSpec) -> dict[str, Any]:
    """Read both sides into record frames in the work folder; count every unit."""
    load_policy(Path(spec.policy) if spec.policy else None)  # fail early on a bad one
    work = spec.work_dir
    work.mkdir(parents=True, exist_ok=True)
    summary = {}
    for side in _SIDES:
        location = spec.baseline if side == "baseline" else spec.candidate
        frame, info = _load_side(location, spec)
        frame.write_parquet(work / f"{side}.parquet")
        summary[side] = info
    write_json(work / "load.json", summary)
    return {side: summary[side]["records"] for side in _SIDES}


def _load_side(location: str, spec: GateSpec) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Every accepted record of one side, exact duplicates (same id) dropped once."""
    from ledgerlens.ingest import IngestOptions, discover_sources, read_units
    from ledgerlens.record import records_frame

    sources = discover_sources(location)
    options = IngestOptions(
        format=spec.format, naive_tz=spec.naive_tz, ingest_run_id=spec.run_id
    )
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    rows, seen = [], set()
    files = []
    for source in sources:
        formats: Counter[str] = Counter()
        for unit in read_units(source, options):
            formats[unit.source_format] += 1
            outcome: str = unit.outcome
            if outcome == "accepted" and unit.record is not None:
                if unit.record["record_id"] in seen:
                    outcome = "duplicate"
                else:
                    seen.add(unit.record["record_id"])
                    rows.append(unit.record)
            if unit.reason:
                reasons[unit.reason] += 1
            outcomes[outcome] += 1
        files.append(_file_row(source, formats))

    frame = records_frame(rows)
    return frame, {
        "path": location,
        **_input_digest(files),
        "files": files,
        "records": frame.height,
        "units": dict(sorted(outcomes.items())),
        "quarantine_reasons": dict(sorted(reasons.items())),
    }


def _file_row(source: Any, formats: Counter[str]) -> dict[str, Any]:
    fmt = formats.most_common(1)[0][0] if formats else "empty"
    return {
        "uri": source.uri,
        "sha256": source.sha256,
        "bytes": source.size,
        "format": fmt,
    }


def _input_digest(files: list[dict[str, Any]]) -> dict[str, str]:
    """The side's sha256: its file's, or that of the JCS list of its files."""
    if len(files) == 1:
        return {"sha256": files[0]["sha256"], "sha256_of": "file"}
    listing = [{"uri": f["uri"], "sha256": f["sha256"]} for f in files]
    listing.sort(key=lambda entry: entry["uri"])
    digest = hashlib.sha256(canonicalize(listing)).hexdigest()
    return {"sha256": digest, "sha256_of": "manifest"}


# --- evaluate -----------------------------------------------------------------


def stage_evaluate(spec: GateSpec) -> dict[str, Any]:
    """Test every metric, run quality and drift, and write the decision record."""
    from ledgerlens.drift import run_drift
    from ledgerlens.quality import run_quality

    work = spec.work_dir
    policy = load_policy(Path(spec.policy) if spec.policy else None)
    loaded = read_json(work / "load.json")
    baseline = pl.read_parquet(work / "baseline.parquet")
    candidate = pl.read_parquet(work / "candidate.parquet")

    quality = {
        "baseline": run_quality(
            baseline, policy.quality_suite, reference_row_counts=[]
        ),
        "candidate": run_quality(
            candidate, policy.quality_suite, reference_row_counts=[baseline.height]
        ),
    }
    pairing = pair_items(baseline, candidate, policy)
    metrics = evaluate_metrics(baseline, candidate, policy, pairing)
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    drift = run_drift(
        candidate, baseline, policy.drift_settings, html_out=work / _DRIFT_FILE
    )

    drift_columns = [
        # The gate decides what blocks; the drift file's own severity does not.
        {
            **{k: v for k, v in column.items() if k != "severity"},
            "blocking": column["column"] in policy.drift_blocking,
        }
        for column in drift.columns
    ]
    drift_blocked = [
        c["column"] for c in drift_columns if c["blocking"] and c["drifted"]
    ]
    quality_failed = [
        f"{side}:{r.check_id}"
        for side, results in quality.items()
        for r in results
        if r.blocking_failure
    ]
    decision = decide(
        metrics, drift_blocked=drift_blocked, quality_failed=quality_failed
    )
    record = _decision_record(
        spec, policy, loaded, pairing, metrics, decision, drift, drift_columns, quality
    )
    write_json(work / DECISION_FILE, record)
    logger.info("gate decision: %s", decision)
    return {"decision": decision}


def _decision_record(
    spec: GateSpec,
    policy: GatePolicy,
    loaded: Mapping[str, Any],
    pairing: Pairing,
    metrics: list[Any],
    decision: str,
    drift: Any,
    drift_columns: list[dict[str, Any]],
    quality: Mapping[str, list[Any]],
) -> dict[str, Any]:
    from ledgerlens.engine.audit import library_versions

    rows = [m.to_json() for m in metrics]
    return {
        "ledgerlens_findings": 1,
        "kind": "promotion-gate",
        "run_id": spec.run_id,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "decision": decision,
        "exit_code": EXIT_CODES[decision],
        "reasons": _reasons(decision, rows, drift_columns, quality),
        "metrics": rows,
        "alpha": policy.alpha,
        "correction": policy.correction,
        "bootstrap": {"resamples": policy.resamples, "seed": policy.seed},
        "pairing": pairing.to_json(),
        "policy": {
            "name": policy.name,
            "version": policy.version,
            "origin": policy.source,
            "sha256": policy.sha256,
        },
        "inputs": {side: dict(loaded[side]) for side in _SIDES},
        "quality": {
            side: [r.to_json() for r in results] for side, results in quality.items()
        },
        "drift": {
            "sample": dict(drift.sample),
            "columns": drift_columns,
            "evidently_html": _DRIFT_FILE if drift.html_path else None,
        },
        "provenance": {
            "inputs": [
                {**f, "side": side} for side in _SIDES for f in loaded[side]["files"]
            ],
            "checks": [
                file_entry(policy.path, policy.source),
                file_entry(policy.quality_suite, str(policy.quality_suite.parent)),
                file_entry(policy.drift_settings, str(policy.drift_settings.parent)),
            ],
            "versions": library_versions(),
        },
    }


def _reasons(
    decision: str,
    rows: list[dict[str, Any]],
    drift_columns: list[dict[str, Any]],
    quality: Mapping[str, list[Any]],
) -> list[dict[str, Any]]:
    """The rows that explain the decision, each with its numbers and p-value."""
    blocking = [r for r in rows if r["severity"] == "blocking"]
    if decision == "promote":
        return blocking
    if decision == "block":
        chosen = [r for r in blocking if r["status"] == "regression"]
        chosen += [
            _drift_reason(c) for c in drift_columns if c["blocking"] and c["drifted"]
        ]
        return chosen
    chosen = [r for r in blocking if r["status"] != "non_inferior"]
    chosen += [
        _quality_reason(side, r)
        for side, results in quality.items()
        for r in results
        if r.blocking_failure
    ]
    return chosen


def _drift_reason(column: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "metric": f"drift.{column['column']}",
        "kind": "drift",
        "status": "drifted",
        "baseline": None,
        "candidate": column["score"],
        "margin": {"kind": "threshold", "value": column["threshold"], "limit": None},
        "ci": None,
        "p_value": None,
        "summary": (
            f"drift.{column['column']}: {column['method']} {column['score']} above "
            f"its blocking threshold {column['threshold']}"
        ),
    }


def _quality_reason(side: str, result: Any) -> dict[str, Any]:
    return {
        "metric": f"quality.{side}.{result.check_id}",
        "kind": "quality",
        "status": "failed",
        "baseline": None,
        "candidate": None,
        "margin": None,
        "ci": None,
        "p_value": None,
        "summary": f"{side} data: {result.summary}",
    }


# --- render -------------------------------------------------------------------


def stage_render(spec: GateSpec) -> dict[str, Any]:
    """The PDF, the Markdown summary and the JUnit XML from the decision record."""
    from ledgerlens.gate.outputs import junit_xml, markdown_summary
    from ledgerlens.report import render_report

    work = spec.work_dir
    record = read_json(work / DECISION_FILE)
    templates = Path(spec.templates_dir) if spec.templates_dir else None
    # The report's running footer names a store origin; a gate has none.
    shown = {**record, "store": {"origin": f"promotion gate {record['run_id']}"}}
    rendered = render_report(shown, work / REPORT_FILE, templates_dir=templates)
    record["provenance"]["templates"] = rendered.templates
    write_json(work / DECISION_FILE, record)
    (work / _SUMMARY_FILE).write_text(markdown_summary(record))
    (work / _JUNIT_FILE).write_text(junit_xml(record))
    return {"decision": record["decision"]}


# --- sign ---------------------------------------------------------------------


def stage_sign(spec: GateSpec) -> GateOutcome:
    """Publish the run's files into ``--out`` and sign them in one session."""
    work, out = spec.work_dir, spec.out_dir
    record = read_json(work / DECISION_FILE)
    names = [DECISION_FILE, REPORT_FILE, _SUMMARY_FILE, _JUNIT_FILE]
    if (work / _DRIFT_FILE).exists():
        names.append(_DRIFT_FILE)
    for name in names:
        _publish(work / name, out / name)
    _copy_requested(out / _SUMMARY_FILE, spec.summary_md)
    _copy_requested(out / _JUNIT_FILE, spec.junit)

    options = signing_options(
        signing_key=spec.signing_key,
        trust_config=spec.trust_config,
        instance=spec.instance,
        no_sign=spec.no_sign,
    )
    predicate = {
        "kind": "promotion-gate",
        "run_id": record["run_id"],
        "decision": record["decision"],
        "baseline_sha256": record["inputs"]["baseline"]["sha256"],
        "candidate_sha256": record["inputs"]["candidate"]["sha256"],
        "policy_sha256": record["policy"]["sha256"],
    }
    signed = sign_outputs(
        out, [out / n for n in names], out / REPORT_FILE, predicate, options
    )
    shutil.rmtree(work, ignore_errors=True)
    return GateOutcome(
        decision=record["decision"],
        exit_code=int(record["exit_code"]),
        out_dir=out,
        decision_path=out / DECISION_FILE,
        report_path=out / REPORT_FILE,
        signed=signed,
    )


def _copy_requested(source: Path, target: str | None) -> None:
    """Write a copy where the user asked (e.g. ``$GITHUB_STEP_SUMMARY``)."""
    if target is None:
        return
    path = Path(target)
    if path.resolve() != source.resolve():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)


def _publish(source: Path, target: Path) -> None:
    """Move a finished file into ``--out``, replacing an earlier run's copy."""
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
