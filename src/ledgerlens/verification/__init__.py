"""Re-verifying a store from its files alone: leaves, hashes, checkpoints, gaps."""

from ledgerlens.verification.store import DayCheck, StoreReport, verify_store

__all__ = ["DayCheck", "StoreReport", "verify_store"]
