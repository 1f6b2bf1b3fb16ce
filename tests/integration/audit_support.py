"""Constants shared by the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "data_fixtures" / "real"
PASSWORD = "integration-test-passphrase"
