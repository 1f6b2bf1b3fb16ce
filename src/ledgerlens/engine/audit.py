"""The nightly audit as five plain stages: ingest, check, seal, render, sign.

Each stage reads the run's :class:`AuditSpec` and the files earlier stages left
in the run's work folder, and writes its own; nothing but paths and small dicts
passes between them, so the Prefect flow can run each as a task and the CLI can
call them in a row. A failed check is a verdict, not an exception: only a run
that cannot proceed raises.
"""

from __future__ import annotations

import json
import logging
import platform
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from ledgerlens._resources import file_entry, packaged_dir
from ledgerlens.engine._jsonio import read_json, write_json
from ledgerlens.engine.check_input import (
    check_columns,
    drift_columns,
    lineage_summary,
    read_for_checks,
)
from ledgerlens.engine.day import DayIngest, assemble_day
from ledgerlens.engine.publish import sign_outputs, signing_options
from ledgerlens.engine.spec import AuditSpec
from ledgerlens.errors import StartError, UsageError
from ledgerlens.findings import CheckResult, verdict_of
from ledgerlens.progress import NullProgress, Progress
from ledgerlens.record import check_frame, empty_frame
from ledgerlens.store import (
    AlreadySealed,
    DayContents,
    Store,
    chain_tips_before,
    create_store,
    locate,
    open_store,
    reference_seals,
    seal_day,
    sealed_findings,
    sealed_from,
)
from ledgerlens.store.layout import DESCRIPTOR, SealRef

__all__ = [
    "AuditOutcome",
    "library_versions",
    "open_or_create_store",
    "run_audit",
    "stage_check",
    "stage_ingest",
    "stage_render",
    "stage_seal",
    "stage_sign",
]

logger = logging.getLogger(__name__)

_VERSIONED = (
    "polars",
    "pyarrow",
    "pandas",
    "great-expectations",
    "evidently",
    "jinja2",
    "weasyprint",
    "sigstore",
    "prefect",
    "cryptography",
    "matplotlib",
    "orjson",
)


@dataclass(frozen=True)
class AuditOutcome:
    """How a run ended: its verdict, exit code and where its artefacts are."""

    verdict: str
    exit_code: int
    out_dir: Path
    findings_path: Path
    report_path: Path
    signed: bool
    reused_seal: bool


def run_audit(spec: AuditSpec, progress: Progress | None = None) -> AuditOutcome:
    """Run every stage in this process and return the outcome."""
    progress = progress or NullProgress()
    stage_ingest(spec, progress)
    stage_check(spec)
    stage_seal(spec)
    stage_render(spec)
    return stage_sign(spec)


def open_or_create_store(spec: AuditSpec) -> Store:
    """Open the run's store, creating it on first use."""
    root = Path(spec.store)
    if root.exists() and not root.is_dir():
        msg = f"--store {root} is a file, not a folder"
        raise StartError(msg, remedy="point --store at a store folder or a new path")
    if (root / DESCRIPTOR).exists():
        store = open_store(root)
        if store.day_tz != spec.day_tz and spec.day_tz != "UTC":
            msg = f"the store cuts days in {store.day_tz}, not {spec.day_tz}"
            raise UsageError(msg, remedy="day_tz is fixed when a store is created")
        return store
    if root.exists() and any(root.iterdir()):
        msg = f"{root} exists, is not empty, and holds no ledgerlens store"
        raise StartError(msg, remedy="point --store at an empty or new folder")
    logger.info("creating a new store at %s (origin %s)", root, spec.origin)
    return create_store(root, origin=spec.origin, day_tz=spec.day_tz)


# --- ingest -------------------------------------------------------------------


def stage_ingest(spec: AuditSpec, progress: Progress | None = None) -> dict[str, Any]:
    """Read every source, give every unit its outcome, write the day's frames."""
    from ledgerlens.ingest import IngestOptions, discover_sources, read_units
    from ledgerlens.ingest.reader import check_options

    progress = progress or NullProgress()
    options = IngestOptions(
        format=spec.format, naive_tz=spec.naive_tz, ingest_run_id=spec.run_id
    )
    check_options(options)  # before anything is created or read
    store = open_or_create_store(spec)
    sources = discover_sources(spec.logs)
    inputs = [{"uri": s.uri, "sha256": s.sha256, "bytes": s.size} for s in sources]
    work = spec.work_dir
    work.mkdir(parents=True, exist_ok=True)

    reused = _reusable_seal(store, spec, inputs)
    if reused is not None:
        # A seal is never rewritten: its checks and verdict stand, whatever
        # flags this run was given (--strict, --allow-empty, --checks).
        logger.warning(
            "%s is already sealed from these inputs as %s: reusing its checks and "
            "verdict (pass --reseal to check it again with this run's settings)",
            spec.day,
            reused.name,
        )
        summary = {"reused_seal": reused.name, "inputs": inputs}
        write_json(work / "ingest.json", summary)
        return summary

    files = progress.task(f"ingesting {len(sources)} file(s)", len(sources))
    units = progress.task("units read", None)
    counter = _Counter(units)
    day = assemble_day(
        _units_of(sources, options, read_units, files),
        day=spec.day,
        zone=store.zone,
        sources=inputs,
        chain_state=chain_tips_before(store, spec.day),
        on_unit=counter.tick,
        records_sink=work / "records.parquet",
        lineage_sink=work / "lineage.parquet",
        side_sink=work / "side.jsonl",
    )
    counter.flush()
    progress.done(files)
    progress.done(units)
    _attach_formats(day, inputs)

    summary = _ingest_summary(day, inputs)
    write_json(work / "ingest.json", summary)
    logger.info(
        "read %d units: %d accepted, %d quarantined",
        day.counts["read"],
        day.counts["accepted"],
        day.counts["quarantined"],
    )
    return {"counts": {k: v for k, v in day.counts.items() if k != "by_source"}}


class _Counter:
    """Advances a progress handle in steps, so counting costs nothing per unit."""

    _STEP = 5_000

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.pending = 0

    def tick(self) -> None:
        self.pending += 1
        if self.pending == self._STEP:
            self.flush()

    def flush(self) -> None:
        self.handle.advance(self.pending)
        self.pending = 0


def _units_of(sources: Any, options: Any, read_units: Any, bar: Any) -> Any:
    for source in sources:
        yield from read_units(source, options)
        bar.advance()


def _attach_formats(day: DayIngest, inputs: list[dict[str, Any]]) -> None:
    for entry in inputs:
        entry["format"] = day.formats.get(entry["uri"], "unknown")
    for row in day.counts["by_source"]:
        row["format"] = day.formats.get(row["uri"], "unknown")


def _ingest_summary(day: DayIngest, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "reused_seal": None,
        "inputs": inputs,
        "counts": day.counts,
        "chains": day.chains,
        "chain_tips": day.chain_tips,
        "duplicates": day.duplicates,
        "conflicts": day.conflicts,
        "out_of_day": day.out_of_day,
        "merged": day.merged,
    }


def _reusable_seal(
    store: Store, spec: AuditSpec, inputs: list[dict[str, Any]]
) -> SealRef | None:
    """The day's current seal when it was made from exactly these inputs."""
    current = store.current_seals().get(spec.day)
    if current is None or spec.reseal:
        return None
    if sealed_from(current, inputs):
        return current
    msg = f"{spec.day} is already sealed ({current.name}) from other inputs"
    raise UsageError(msg, remedy="pass --reseal to append a superseding seal")


# --- check --------------------------------------------------------------------


def stage_check(spec: AuditSpec) -> dict[str, Any]:
    """Run the quality suite and the drift report on the day's records."""
    work = spec.work_dir
    ingest = read_json(work / "ingest.json")
    if ingest["reused_seal"]:
        return {"reused_seal": ingest["reused_seal"]}

    from ledgerlens.drift import run_drift
    from ledgerlens.quality import run_quality

    store = open_store(Path(spec.store))
    checks_dir, checks_origin = _checks_dir(spec)
    columns = check_columns(checks_dir / "quality.json")
    records = read_for_checks(work / "records.parquet", columns)
    reference, reference_info, reference_counts = _reference(store, spec)

    results = _ingest_checks(ingest, spec)
    results += run_quality(
        records,
        checks_dir / "quality.json",
        reference_row_counts=reference_counts,
        declared_empty=spec.allow_empty,
    )
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    drift = run_drift(
        records,
        reference,
        checks_dir / "drift.json",
        html_out=spec.out_dir / "drift.html",
    )
    results += list(drift.results)

    checks = {
        "checks": [r.to_json() for r in results],
        "drift": {
            "reference": reference_info,
            "sample": dict(drift.sample),
            "columns": [dict(c) for c in drift.columns],
            "evidently_html": "drift.html",
        },
        "lineage": lineage_summary(work / "records.parquet"),
        "latency_ms": _latency(records),
        "check_files": [
            file_entry(checks_dir / n, checks_origin)
            for n in ("quality.json", "drift.json")
        ],
    }
    write_json(work / "checks.json", checks)
    return {"verdict": verdict_of(results), "checks": len(results)}


def _checks_dir(spec: AuditSpec) -> tuple[Path, str]:
    if spec.checks_dir:
        path = Path(spec.checks_dir)
        for name in ("quality.json", "drift.json"):
            if not (path / name).is_file():
                msg = f"--checks {path} has no {name}"
                raise UsageError(msg, remedy="copy the packaged checks/ and edit them")
        return path, str(path.resolve())
    return packaged_dir("checks"), "packaged"


def _reference(
    store: Store, spec: AuditSpec
) -> tuple[pl.DataFrame, dict[str, Any], list[int]]:
    """Drift's reference records and the reference days' record counts."""
    columns = drift_columns()
    if spec.reference:
        frame = _reference_from_logs(spec, columns)
        info = {"days": [], "rows": frame.height, "path": spec.reference}
        return frame, info, [frame.height]

    seals = reference_seals(store, spec.day, spec.reference_days)
    frames = [read_for_checks(locate(store, s, "records"), columns) for s in seals]
    counts = [f.height for f in frames]
    frame = pl.concat(frames) if frames else check_frame(empty_frame().select(columns))
    info = {
        "days": [s.day.isoformat() for s in seals],
        "rows": frame.height,
        "path": None,
    }
    return frame, info, counts


def _reference_from_logs(spec: AuditSpec, columns: list[str]) -> pl.DataFrame:
    from ledgerlens.ingest import IngestOptions, discover_sources, read_units
    from ledgerlens.record import records_frame

    assert spec.reference is not None
    options = IngestOptions(format=spec.format, naive_tz=spec.naive_tz)
    rows = [
        unit.record
        for source in discover_sources(spec.reference)
        for unit in read_units(source, options)
        if unit.outcome == "accepted" and unit.record is not None
    ]
    return check_frame(records_frame(rows).select(columns))


def _ingest_checks(ingest: Mapping[str, Any], spec: AuditSpec) -> list[CheckResult]:
    counts = ingest["counts"]
    broken = [c for c in ingest["chains"] if not c["ok"]]
    quarantined = counts["quarantined"]
    return [
        CheckResult(
            "ingest.quarantine",
            "ingest",
            "blocking" if spec.strict else "warning",
            quarantined == 0,
            f"{quarantined} of {counts['read']} units quarantined"
            + (f" ({_reasons(counts)})" if quarantined else ""),
            {
                "quarantined": quarantined,
                "read": counts["read"],
                "reasons": counts["quarantine_reasons"],
            },
        ),
        CheckResult(
            "ingest.conflicting_duplicates",
            "ingest",
            "warning",
            not ingest["conflicts"],
            f"{len(ingest['conflicts'])} span ids logged twice with different content",
            {"conflicts": ingest["conflicts"][:50]},
        ),
        CheckResult(
            "integrity.producer_chains",
            "integrity",
            "blocking",
            not broken,
            f"{len(ingest['chains'])} producer chains, {len(broken)} broken"
            + "".join(
                f"; {c['chain_id']} first broken at seq {c['first_broken_seq']}"
                for c in broken[:5]
            ),
            {
                "chains": len(ingest["chains"]),
                "broken": [c["chain_id"] for c in broken],
            },
        ),
    ]


def _reasons(counts: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in counts["quarantine_reasons"].items())


def _latency(records: pl.DataFrame) -> dict[str, float | None]:
    latency = records["latency_ms"].drop_nulls()
    if latency.is_empty():
        return {"p50": None, "p95": None, "p99": None}
    return {
        f"p{q}": round(float(latency.quantile(q / 100, "linear") or 0.0), 3)
        for q in (50, 95, 99)
    }


# --- seal ---------------------------------------------------------------------


def stage_seal(spec: AuditSpec) -> dict[str, Any]:
    """Commit the day to the store and record what the seal holds."""
    work = spec.work_dir
    store = open_store(Path(spec.store))
    ingest = read_json(work / "ingest.json")
    if ingest["reused_seal"]:
        seal = next(s for s in store.seals() if s.name == ingest["reused_seal"])
        integrity = _integrity_of(seal, sealed_findings(seal))
        write_json(work / "integrity.json", integrity)
        return integrity

    checks = read_json(work / "checks.json")
    findings = _sealed_findings(spec, store, ingest, checks)
    contents = DayContents(
        day=spec.day,
        records=work / "records.parquet",
        lineage=work / "lineage.parquet",
        side_units=work / "side.jsonl",
        findings=findings,
        inputs=ingest["inputs"],
        counts={k: v for k, v in ingest["counts"].items() if k != "by_source"},
        chain_tips=ingest["chain_tips"],
    )
    try:
        seal = seal_day(store, contents, reseal=spec.reseal).seal
    except AlreadySealed as done:
        # A run started at the same time sealed the same inputs first.
        logger.info(
            "%s was sealed meanwhile as %s; reusing it", spec.day, done.seal.name
        )
        seal = done.seal
        findings = sealed_findings(seal)
    integrity = _integrity_of(seal, findings)
    write_json(work / "integrity.json", integrity)
    return integrity


def _sealed_findings(
    spec: AuditSpec, store: Store, ingest: Mapping[str, Any], checks: Mapping[str, Any]
) -> dict[str, Any]:
    results = [CheckResult.from_json(c) for c in checks["checks"]]
    return {
        "ledgerlens_findings": 1,
        "kind": "nightly-audit",
        "date": spec.day.isoformat(),
        "run_id": spec.run_id,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "verdict": verdict_of(results),
        "store": {"origin": store.origin, "day_tz": store.day_tz},
        "counts": ingest["counts"],
        "checks": checks["checks"],
        "drift": checks["drift"],
        "chains": ingest["chains"],
        "duplicates": ingest["duplicates"][:200],
        "conflicts": ingest["conflicts"][:200],
        "out_of_day": ingest["out_of_day"][:200],
        "merged": ingest.get("merged", [])[:200],
        "lineage": checks["lineage"],
        "latency_ms": checks["latency_ms"],
        "provenance": {
            "inputs": ingest["inputs"],
            "checks": checks["check_files"],
            "versions": library_versions(),
        },
    }


def _integrity_of(seal: SealRef, findings: Mapping[str, Any]) -> dict[str, Any]:
    from ledgerlens.integrity.checkpoint import Checkpoint

    note = (seal.path / "checkpoint.note").read_bytes()
    checkpoint = Checkpoint.parse(note)
    manifest = json.loads((seal.path / "manifest.json").read_text())
    return {
        "records": manifest["records"],
        "leaves_sealed": manifest["records"] + 1,
        "tree_size": checkpoint.tree_size,
        "root": checkpoint.root.hex(),
        "seal": seal.name,
        "seal_seq": seal.seq,
        "checkpoint": note.decode("utf-8"),
        "previous_tree_size": checkpoint.prev_size or 0,
        "supersedes": manifest.get("supersedes"),
        "chains": findings.get("chains", []),
    }


def library_versions() -> dict[str, str]:
    """Versions of ledgerlens, Python and the libraries a report depends on."""
    versions = {
        "ledgerlens": _version("ledgerlens"),
        "python": platform.python_version(),
    }
    versions.update({name: _version(name) for name in _VERSIONED})
    return versions


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


# --- render -------------------------------------------------------------------


def stage_render(spec: AuditSpec) -> dict[str, Any]:
    """Write ``findings.json`` and render the PDF report."""
    from ledgerlens.report import render_report

    work = spec.work_dir
    store = open_store(Path(spec.store))
    integrity = read_json(work / "integrity.json")
    seal = next(s for s in store.seals() if s.name == integrity["seal"])
    findings = dict(sealed_findings(seal))
    findings["store"] = {**findings["store"], "path": str(Path(spec.store).resolve())}
    findings["integrity"] = integrity
    if not (spec.out_dir / "drift.html").exists():
        findings["drift"] = {**findings["drift"], "evidently_html": None}

    out = spec.out_dir
    out.mkdir(parents=True, exist_ok=True)
    templates = Path(spec.templates_dir) if spec.templates_dir else None
    rendered = render_report(
        findings, work / "audit-report.pdf", templates_dir=templates
    )
    findings["provenance"] = {**findings["provenance"], "templates": rendered.templates}
    write_json(work / "findings.json", findings)
    write_json(work / "quarantine-summary.json", _quarantine_summary(findings))
    (work / "checkpoint.note").write_text(integrity["checkpoint"])
    return {"verdict": findings["verdict"]}


def _quarantine_summary(findings: Mapping[str, Any]) -> dict[str, Any]:
    counts = findings["counts"]
    return {
        "date": findings["date"],
        "quarantined": counts["quarantined"],
        "out_of_day": counts["out_of_day"],
        "reasons": counts["quarantine_reasons"],
        "by_source": [
            {
                "uri": s["uri"],
                "quarantined": s["quarantined"],
                "out_of_day": s["out_of_day"],
            }
            for s in counts["by_source"]
        ],
    }


# --- sign ---------------------------------------------------------------------


def stage_sign(spec: AuditSpec) -> AuditOutcome:
    """Publish the run's artefacts into ``OUT/D`` and sign them in one session."""
    work, out = spec.work_dir, spec.out_dir
    integrity = read_json(work / "integrity.json")
    findings = read_json(work / "findings.json")
    reused = bool(read_json(work / "ingest.json").get("reused_seal"))
    names = [
        "audit-report.pdf",
        "findings.json",
        "quarantine-summary.json",
        "checkpoint.note",
    ]
    for name in names:
        _publish(work / name, out / name)
    artefacts = [out / n for n in names]
    if (out / "drift.html").exists() and findings["drift"].get("evidently_html"):
        artefacts.append(out / "drift.html")

    store = open_store(Path(spec.store))
    seal = next(s for s in store.seals() if s.name == integrity["seal"])
    options = signing_options(
        signing_key=spec.signing_key,
        trust_config=spec.trust_config,
        instance=spec.instance,
        no_sign=spec.no_sign,
    )
    signed = sign_outputs(
        out,
        artefacts,
        out / "audit-report.pdf",
        _predicate(findings, integrity),
        options,
        before=lambda signer: [_sign_checkpoint(seal, out, signer)],
    )

    shutil.rmtree(work, ignore_errors=True)
    verdict = findings["verdict"]
    return AuditOutcome(
        verdict=verdict,
        exit_code=0 if verdict == "pass" else 1,
        out_dir=out,
        findings_path=out / "findings.json",
        report_path=out / "audit-report.pdf",
        signed=signed,
        reused_seal=reused,
    )


def _sign_checkpoint(seal: SealRef, out: Path, signer: Any) -> Path:
    """Sign the seal's checkpoint note, once: an existing signature is kept."""
    sealed_bundle = seal.path / "checkpoint.note.sigstore.json"
    if not sealed_bundle.exists():
        bundle = signer.sign_blob((seal.path / "checkpoint.note").read_bytes())
        write_json(sealed_bundle, bundle)
    target = out / "checkpoint.note.sigstore.json"
    shutil.copyfile(sealed_bundle, target)
    return target


def _predicate(
    findings: Mapping[str, Any], integrity: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "kind": "nightly-audit",
        "date": findings["date"],
        "run_id": findings["run_id"],
        "verdict": findings["verdict"],
        "store_origin": findings["store"]["origin"],
        "seal": integrity["seal"],
        "tree_size": integrity["tree_size"],
        "root": integrity["root"],
    }


def _publish(source: Path, target: Path) -> None:
    """Move a finished artefact into ``OUT/D``, replacing an earlier run's copy."""
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
