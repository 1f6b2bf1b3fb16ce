"""The sealed store: layout, lock, sealing, and reading back."""

from ledgerlens.store.layout import DESCRIPTOR, SealRef, Store, create_store, open_store
from ledgerlens.store.lock import store_lock
from ledgerlens.store.reader import (
    chain_tips_before,
    locate,
    read_records,
    reference_seals,
    sealed_findings,
    sealed_from,
)
from ledgerlens.store.seal import (
    AlreadySealed,
    DayContents,
    SealResult,
    seal_day,
)

__all__ = [
    "DESCRIPTOR",
    "AlreadySealed",
    "DayContents",
    "SealRef",
    "SealResult",
    "Store",
    "chain_tips_before",
    "create_store",
    "locate",
    "open_store",
    "read_records",
    "reference_seals",
    "seal_day",
    "sealed_findings",
    "sealed_from",
    "store_lock",
]
