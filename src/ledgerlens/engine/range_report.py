"""The regulatory report over a date range: re-verify each sealed day, then report.

Every day in the range is re-verified from the store's files first (the same
checks as ``verify-store``); the report states, day by day, the sealed verdict,
whether re-verification held, and which days have no seal at all.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ledgerlens.engine._jsonio import write_json
from ledgerlens.engine.audit import library_versions
from ledgerlens.engine.publish import sign_outputs, signing_options
from ledgerlens.errors import UsageError
from ledgerlens.store import open_store, sealed_findings
from ledgerlens.verification import verify_store

__all__ = ["RangeOutcome", "RangeSpec", "run_range_report"]

logger = logging.getLogger(__name__)

_SUMMED = (
    "read",
    "accepted",
    "merged",
    "duplicate",
    "lineage_only",
    "out_of_day",
    "quarantined",
)


@dataclass(frozen=True)
class RangeSpec:
    """What a regulatory report covers and how it is signed."""

    first: date
    last: date
    store: str
    out: str
    templates_dir: str | None = None
    signing_key: str | None = None
    trust_config: str | None = None
    instance: str | None = None
    no_sign: bool = False
    verify_key: str | None = None
    cert_identity: str | None = None
    cert_oidc_issuer: str | None = None

    @property
    def out_dir(self) -> Path:
        """``OUT/range-D1_D2``."""
        return (
            Path(self.out) / f"range-{self.first.isoformat()}_{self.last.isoformat()}"
        )


@dataclass(frozen=True)
class RangeOutcome:
    """The range report's verdict and files."""

    verdict: str
    exit_code: int
    out_dir: Path
    report_path: Path
    signed: bool
    days: int
    missing: list[str]


def run_range_report(spec: RangeSpec) -> RangeOutcome:
    """Re-verify the days of the range and render the signed report."""
    if spec.last < spec.first:
        raise UsageError("--to is before --from", remedy="swap them")
    store = open_store(Path(spec.store))
    check_bundle = _bundle_checker(spec)
    verification = verify_store(
        store, first=spec.first, last=spec.last, check_bundle=check_bundle
    )
    checks = {d.seal: d for d in verification.days}
    current = store.current_seals()

    days, missing = [], []
    for offset in range((spec.last - spec.first).days + 1):
        day = spec.first + timedelta(offset)
        seal = current.get(day)
        if seal is None:
            missing.append(day.isoformat())
            continue
        days.append(_day_row(seal, checks.get(seal.name), sealed_findings(seal)))

    findings = _range_findings(spec, store, days, missing, verification.problems)
    return _render_and_sign(spec, findings)


def _bundle_checker(spec: RangeSpec) -> Any:
    if not (spec.verify_key or spec.cert_identity):
        return None
    from ledgerlens.signing import VerifyOptions, verify_blob

    options = VerifyOptions(
        key_path=Path(spec.verify_key) if spec.verify_key else None,
        cert_identity=spec.cert_identity,
        cert_oidc_issuer=spec.cert_oidc_issuer,
        trust_config=Path(spec.trust_config) if spec.trust_config else None,
        instance=spec.instance,
    )
    return lambda data, bundle: verify_blob(data, bundle, options)


def _day_row(seal: Any, check: Any, findings: dict[str, Any]) -> dict[str, Any]:
    problems = list(check.problems) if check is not None else ["not re-verified"]
    return {
        "date": seal.day.isoformat(),
        "verdict": findings.get("verdict", "unknown"),
        "records": check.records if check is not None else 0,
        "seal": seal.name,
        "tree_size": check.tree_size if check is not None else 0,
        "root": check.root if check is not None else "",
        "reverified": check is not None and check.ok,
        "problems": problems,
        "counts": {k: findings.get("counts", {}).get(k, 0) for k in _SUMMED},
        "blocking_failures": [
            c["check_id"]
            for c in findings.get("checks", [])
            if c.get("severity") == "blocking" and not c.get("passed")
        ],
        "lineage": findings.get("lineage", {}),
        "inputs": findings.get("provenance", {}).get("inputs", []),
    }


def _range_findings(
    spec: RangeSpec,
    store: Any,
    days: list[dict[str, Any]],
    missing: list[str],
    store_problems: list[str],
) -> dict[str, Any]:
    totals: Counter[str] = Counter()
    lineage: dict[str, Counter[str]] = {}
    for row in days:
        totals.update(row["counts"])
        for key, counts in row.pop("lineage").items():
            lineage.setdefault(key, Counter()).update(counts)
    failed = (
        missing
        or store_problems
        or any(not d["reverified"] or d["verdict"] != "pass" for d in days)
    )
    return {
        "ledgerlens_findings": 1,
        "kind": "range-report",
        "from": spec.first.isoformat(),
        "to": spec.last.isoformat(),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "verdict": "fail" if failed else "pass",
        "store": {
            "origin": store.origin,
            "day_tz": store.day_tz,
            "path": str(Path(spec.store).resolve()),
        },
        "days": [{k: v for k, v in d.items() if k != "inputs"} for d in days],
        "missing_days": missing,
        "store_problems": store_problems,
        "totals": {k: totals[k] for k in _SUMMED},
        "lineage": {k: dict(v.most_common()) for k, v in lineage.items()},
        "provenance": {
            "inputs": [i for d in days for i in d["inputs"]],
            "checks": [],
            "versions": library_versions(),
        },
    }


def _render_and_sign(spec: RangeSpec, findings: dict[str, Any]) -> RangeOutcome:
    from ledgerlens.report import render_report

    out = spec.out_dir
    out.mkdir(parents=True, exist_ok=True)
    templates = Path(spec.templates_dir) if spec.templates_dir else None
    report = out / "range-report.pdf"
    rendered = render_report(findings, report, templates_dir=templates)
    findings["provenance"]["templates"] = rendered.templates
    write_json(out / "range-findings.json", findings)

    options = signing_options(
        signing_key=spec.signing_key,
        trust_config=spec.trust_config,
        instance=spec.instance,
        no_sign=spec.no_sign,
    )
    predicate = {
        "kind": "range-report",
        "from": findings["from"],
        "to": findings["to"],
        "verdict": findings["verdict"],
        "store_origin": findings["store"]["origin"],
    }
    signed = sign_outputs(
        out, [report, out / "range-findings.json"], report, predicate, options
    )
    verdict = findings["verdict"]
    return RangeOutcome(
        verdict,
        0 if verdict == "pass" else 1,
        out,
        report,
        signed,
        len(findings["days"]),
        findings["missing_days"],
    )
