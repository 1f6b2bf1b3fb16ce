"""Producer hash chains: how a producer links its units, and how we check them.

A producer that chains its log gives every unit (one raw JSON object) four
fields: ``chain_id``, ``chain_seq`` (0, 1, 2, ... within the chain),
``chain_prev`` (the previous unit's ``chain_hash``; 64 zeros for seq 0) and

    chain_hash = hex(sha256(bytes.fromhex(chain_prev) || JCS(unit - chain_hash)))

A chain runs across files and days, so :class:`ChainVerifier` starts from the
tips the store recorded at the previous seal and hands back the new tips.

The verifier reads units in file order and sorts what it finds into kinds:

``edited``
    a unit's content no longer hashes to its ``chain_hash``; or the next unit
    links to a different hash than the one this unit carries (rewritten and
    re-hashed); or the unit at a known tip differs from the known one.
``deleted``
    a gap in ``chain_seq``: the units in it never arrived. A chain unknown to
    the state whose first unit is not seq 0 counts as missing its start.
``reordered``
    a unit read out of seq order: after later units (it fills a gap), or
    before the unit it follows.
``inserted``
    a single extra unit off the chain: it repeats a seq that the chain already
    has, or links to no known unit, and nothing continues from it.
``fork``
    two or more units off the chain that link to each other: a second history
    that diverged from the chain after some seq and went on.
``bad_genesis``
    seq 0 with a ``chain_prev`` other than 64 zeros, or 64 zeros after seq 0.
``truncated``
    the chain ends before a tip it is known to have reached (``expected_tips``).
    Without such a tip, losing the last units of a chain cannot be seen.

When two branches compete, the longer one is the chain and the other is
reported, whichever was read first. Exact repeats of a unit (the same seq and
hash) are counted as ``duplicates`` and are not a problem: ingest records them
as duplicates.

Any tampering makes a verdict fail and names the tampered seq; when tampering
and reordering are mixed, the kind given can be one of two readings of the same
input (an insertion may read as a fork). Memory per chain is bounded by
``window`` plus the anomalies found, so a day of millions of units is fine.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeGuard

import orjson

from ledgerlens.errors import IntegrityError
from ledgerlens.integrity.jcs import CanonicalizationError, canonicalize

__all__ = [
    "GENESIS_PREV",
    "ChainProblem",
    "ChainProblemKind",
    "ChainTip",
    "ChainVerdict",
    "ChainVerifier",
    "chain_hash_of",
    "link",
]

logger = logging.getLogger(__name__)

GENESIS_PREV: Final = "0" * 64
_HEX: Final = frozenset("0123456789abcdef")
_LIMIT: Final = 2**53
_PREVIOUS_SEAL: Final = "previous seal"
_DEFAULT_WINDOW: Final = 1024
_LINK: Final = ":link"

ChainProblemKind = Literal[
    "edited", "deleted", "inserted", "reordered", "truncated", "bad_genesis", "fork"
]


@dataclass(frozen=True)
class ChainTip:
    """The last unit of a chain: its seq and its ``chain_hash``."""

    seq: int
    hash: str

    def to_json(self) -> dict[str, Any]:
        """``{"seq": ..., "hash": ...}`` for the store's state file."""
        return {"seq": self.seq, "hash": self.hash}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainTip:
        """Read a tip back from :meth:`to_json` output."""
        seq, tip_hash = data.get("seq"), data.get("hash")
        if type(seq) is not int or not _is_hash(tip_hash):
            msg = "a chain tip needs an integer `seq` and a 64-digit hex `hash`"
            raise IntegrityError(msg, remedy="the store's chain state is corrupt")
        return cls(seq, tip_hash)


@dataclass(frozen=True)
class ChainProblem:
    """One thing wrong with a chain; ``where`` names the unit's file and line.

    ``related`` names a second unit that helps locate the problem, when there
    is one: for ``deleted``, the unit before the gap (``where`` is the one
    after it); for ``reordered``, the later unit it was read after; for
    ``inserted``, the unit on the chain that claims the same seq (with nothing
    linking to either, the chain alone cannot tell which one is genuine).
    """

    kind: ChainProblemKind
    seq: int
    where: str
    detail: str
    related: str = ""

    def to_json(self) -> dict[str, Any]:
        """The problem as written into findings (no unit content, ever)."""
        data: dict[str, Any] = {
            "kind": self.kind,
            "seq": self.seq,
            "where": self.where,
            "detail": self.detail,
        }
        if self.related:
            data["related"] = self.related
        return data


@dataclass(frozen=True)
class ChainVerdict:
    """What one chain looked like in the input.

    ``first_seq`` / ``last_seq`` are the lowest and highest seqs read (``None``
    when the chain had no unit); ``first_broken_seq`` is the lowest seq of any
    problem; ``problems`` are sorted by seq.
    """

    chain_id: str
    records: int
    first_seq: int | None
    last_seq: int | None
    ok: bool
    first_broken_seq: int | None
    problems: tuple[ChainProblem, ...] = ()
    duplicates: int = 0

    def to_json(self) -> dict[str, Any]:
        """The verdict as written into findings."""
        return {
            "chain_id": self.chain_id,
            "records": self.records,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "ok": self.ok,
            "first_broken_seq": self.first_broken_seq,
            "duplicates": self.duplicates,
            "problems": [problem.to_json() for problem in self.problems],
        }


def chain_hash_of(obj: Mapping[str, Any]) -> str:
    """The ``chain_hash`` a unit should carry, computed from its content.

    Raises :class:`~ledgerlens.errors.IntegrityError` when ``chain_prev`` is not
    64 lowercase hex digits or the unit has no canonical JSON form.
    """
    prev = obj.get("chain_prev")
    if not _is_hash(prev):
        msg = "`chain_prev` is not 64 lowercase hex digits"
        raise IntegrityError(msg, remedy="the producer must write the hex hash")
    body = {key: value for key, value in obj.items() if key != "chain_hash"}
    return hashlib.sha256(bytes.fromhex(prev) + _canonical(body)).hexdigest()


def link(
    obj: Mapping[str, Any], chain_id: str, prev_hash: str, seq: int
) -> dict[str, Any]:
    """A copy of ``obj`` chained after ``prev_hash`` as unit ``seq`` of a chain.

    Sets ``chain_id``, ``chain_seq``, ``chain_prev`` and ``chain_hash``; pass
    :data:`GENESIS_PREV` and seq 0 for a chain's first unit.
    """
    unit = {key: value for key, value in obj.items() if key != "chain_hash"}
    unit["chain_id"] = chain_id
    unit["chain_seq"] = seq
    unit["chain_prev"] = prev_hash
    unit["chain_hash"] = chain_hash_of(unit)
    return unit


class ChainVerifier:
    """Checks producer chains unit by unit, in file order, across days.

    ``state`` holds each chain's tip at the previous seal (see :meth:`tips`);
    ``expected_tips`` holds tips a chain is known to have reached (for instance
    the tips recorded when the input was first sealed): a chain that ends
    before one is ``truncated``. ``window`` bounds how many recent units per
    chain are remembered to recognise repeats and forks.
    """

    def __init__(
        self,
        state: Mapping[str, ChainTip] | None = None,
        *,
        expected_tips: Mapping[str, ChainTip] | None = None,
        window: int = _DEFAULT_WINDOW,
    ) -> None:
        self._state = dict(state or {})
        self._expected = dict(expected_tips or {})
        self._window = max(window, 1)
        self._chains: dict[str, _Chain] = {}

    @property
    def expected_tips(self) -> dict[str, ChainTip]:
        """The tips each chain is known to reach; falling short is truncation."""
        return dict(self._expected)

    def add(
        self,
        chain_id: str,
        seq: int,
        prev: str,
        hash: str,
        obj: Mapping[str, Any],
        where: str,
    ) -> None:
        """Read one unit: its chain fields, its parsed JSON object and location.

        ``seq``, ``prev`` and ``hash`` are the unit's own ``chain_seq``,
        ``chain_prev`` and ``chain_hash``; ``where`` says where it was read
        (file and line) and ends up in the problems that name this unit.
        """
        chain = self._chains.get(chain_id)
        if chain is None:
            chain = self._new_chain(chain_id, self._window)
            self._chains[chain_id] = chain
        edit = _content_problem(obj, hash)
        chain.add(_Unit(seq, prev, hash, where), edit)

    def finish(self) -> list[ChainVerdict]:
        """One verdict per chain seen or expected, sorted by chain id."""
        names = sorted(set(self._chains) | set(self._expected))
        verdicts = []
        for name in names:
            chain = self._chains.get(name) or self._new_chain(name, 1)
            verdicts.append(chain.verdict(name))
        broken = sum(not verdict.ok for verdict in verdicts)
        logger.debug("checked %d chains, %d with problems", len(verdicts), broken)
        return verdicts

    def _new_chain(self, chain_id: str, window: int) -> _Chain:
        start = self._state.get(chain_id)
        return _Chain(start, window, expected=self._expected.get(chain_id))

    def tips(self) -> dict[str, ChainTip]:
        """Every chain's tip after this input, to carry into the next day."""
        tips = dict(self._state)
        for name, chain in self._chains.items():
            if chain.tip is not None:
                tips[name] = ChainTip(chain.tip.seq, chain.tip.hash)
        return tips


@dataclass(slots=True)
class _Unit:
    seq: int
    prev: str
    hash: str
    where: str
    # Position on the chain as currently read (0, 1, ...): tells how many units
    # a competing branch would replace.
    pos: int = -1


@dataclass(slots=True)
class _Gap:
    """Seqs ``first``..``last`` are missing before the unit ``after``.

    ``anchor`` is the hash of the unit before the gap.
    """

    first: int
    last: int
    anchor: str
    after: str
    where: str


@dataclass(slots=True)
class _Chain:
    """The running state of one chain while its units are read."""

    start: ChainTip | None
    window: int
    expected: ChainTip | None = None
    tip: _Unit | None = None
    recent: OrderedDict[str, _Unit] = field(default_factory=OrderedDict)
    gaps: dict[str, _Gap] = field(default_factory=dict)
    orphans: dict[str, _Unit] = field(default_factory=dict)
    # An orphan by the hash it links to, to adopt it once its parent arrives.
    children: dict[str, str] = field(default_factory=dict)
    # Late units placed into the gap before a unit, by that unit's hash: if the
    # unit leaves the chain, they become orphans again.
    fills: dict[str, list[_Unit]] = field(default_factory=dict)
    # Seq of each recently read unit by hash, to tell repeats from insertions.
    seen: OrderedDict[str, int] = field(default_factory=OrderedDict)
    problems: list[ChainProblem] = field(default_factory=list)
    # Problems that hold only while a unit stays on the chain, by its hash.
    placed: dict[str, ChainProblem] = field(default_factory=dict)
    records: int = 0
    duplicates: int = 0
    low: int | None = None
    high: int | None = None
    next_pos: int = 0
    reached_expected: bool = False

    def __post_init__(self) -> None:
        if self.start is not None:
            self._advance(_Unit(self.start.seq, "", self.start.hash, _PREVIOUS_SEAL))
            self.seen[self.start.hash] = self.start.seq

    def add(self, unit: _Unit, edit: str | None) -> None:
        """Place one unit: on the chain, into a gap, or aside as an orphan."""
        self.records += 1
        self.low = unit.seq if self.low is None else min(self.low, unit.seq)
        self.high = unit.seq if self.high is None else max(self.high, unit.seq)
        if edit is not None:
            self._report("edited", unit.seq, unit.where, edit)

        next_seq = 0 if self.tip is None else self.tip.seq + 1
        if self.seen.get(unit.hash) == unit.seq:
            self.duplicates += 1
            return
        self._remember(unit)
        if self._extends_tip(unit):
            self._advance(unit)
        elif unit.hash in self.gaps:
            self._fill_gap(unit)
        elif unit.seq > next_seq:
            self._jump(unit, next_seq)
        elif unit.seq == next_seq and unit.prev not in self.orphans:
            self._broken_link(unit)
        else:
            self._add_orphan(unit)
            self._maybe_switch(unit)
        self._adopt_children()

    def _add_orphan(self, unit: _Unit) -> None:
        self.orphans[unit.hash] = unit
        self.children[unit.prev] = unit.hash

    def _take_orphan(self, unit_hash: str) -> _Unit | None:
        unit = self.orphans.pop(unit_hash, None)
        if unit is not None and self.children.get(unit.prev) == unit_hash:
            del self.children[unit.prev]
        return unit

    def _adopt_children(self) -> None:
        """Orphans that were read before the unit they follow join the chain."""
        while self.tip is not None:
            child = self.orphans.get(self.children.get(self.tip.hash, ""))
            if child is None or child.seq != self.tip.seq + 1:
                return
            self._take_orphan(child.hash)
            detail = "read before the unit it follows"
            self._place(child, "reordered", child.seq, detail)
            self._advance(child)

    def _remember(self, unit: _Unit) -> None:
        self.seen[unit.hash] = unit.seq
        if len(self.seen) > self.window:
            self.seen.popitem(last=False)

    def _extends_tip(self, unit: _Unit) -> bool:
        if self.tip is None:
            return unit.seq == 0 and unit.prev == GENESIS_PREV
        return unit.seq == self.tip.seq + 1 and unit.prev == self.tip.hash

    def _advance(self, unit: _Unit) -> None:
        unit.pos = self.next_pos
        self.next_pos += 1
        self.tip = unit
        self.recent[unit.hash] = unit
        if len(self.recent) > self.window:
            self.recent.popitem(last=False)
        if self.expected is not None and unit.hash == self.expected.hash:
            self.reached_expected = True

    def _report(
        self,
        kind: ChainProblemKind,
        seq: int,
        where: str,
        detail: str,
        related: str = "",
    ) -> None:
        related = "" if related == where else related
        self.problems.append(ChainProblem(kind, seq, where, detail, related))

    def _place(
        self,
        unit: _Unit,
        kind: ChainProblemKind,
        seq: int,
        detail: str,
        related: str = "",
    ) -> None:
        """Report a problem that a later switch of branches may withdraw."""
        related = "" if related == unit.where else related
        self.placed[unit.hash] = ChainProblem(kind, seq, unit.where, detail, related)

    def _jump(self, unit: _Unit, next_seq: int) -> None:
        """A unit beyond the next seq: the ones between are missing (for now)."""
        if unit.prev == GENESIS_PREV:
            detail = f"seq {unit.seq} carries the genesis `chain_prev`"
            self._place(unit, "bad_genesis", unit.seq, detail)
        elif self.tip is not None and unit.prev == self.tip.hash:
            detail = f"seq jumps from {self.tip.seq} to {unit.seq} on an intact link"
            self._place(unit, "deleted", next_seq, detail)
        else:
            anchor = GENESIS_PREV if self.tip is None else self.tip.hash
            gap = _Gap(next_seq, unit.seq - 1, anchor, unit.hash, unit.where)
            self.gaps[unit.prev] = gap
        self._advance(unit)
        late = self._take_orphan(unit.prev)
        if late is not None:
            self._fill_gap(late)

    def _fill_gap(self, unit: _Unit) -> None:
        """A late unit that a gap was waiting for; it may pull in more orphans."""
        while True:
            gap = self.gaps.pop(unit.hash)
            detail = "read after a later unit"
            self._place(unit, "reordered", unit.seq, detail, related=gap.where)
            self.fills.setdefault(gap.after, []).append(unit)
            if unit.seq <= gap.first or unit.prev == gap.anchor:
                if unit.prev != gap.anchor:
                    problem = self._link_problem(self._before(gap), unit.seq)
                    self.placed[unit.hash + _LINK] = problem
                return
            rest = _Gap(gap.first, unit.seq - 1, gap.anchor, gap.after, gap.where)
            self.gaps[unit.prev] = rest
            late = self._take_orphan(unit.prev)
            if late is None:
                return
            unit = late

    def _broken_link(self, unit: _Unit) -> None:
        """The next seq, but linked to something other than the tip."""
        if self.tip is None:
            detail = "seq 0 does not carry the genesis `chain_prev`"
            self._place(unit, "bad_genesis", 0, detail)
        else:
            tip = self.tip
            detail = f"seq {unit.seq} ({unit.where}) links to another unit than this"
            self.placed[unit.hash] = ChainProblem("edited", tip.seq, tip.where, detail)
        self._advance(unit)

    def _maybe_switch(self, orphan: _Unit) -> None:
        """Make a branch of orphans the chain once it is longer than what it forks.

        The units it replaces become orphans, so the branch that stops is the
        one reported, whichever was read first.
        """
        branch = self._branch_through(orphan)
        fork = self._fork_position(branch[0])
        assert self.tip is not None  # an orphan always has a chain beside it
        if fork is None or len(branch) <= self.tip.pos - fork:
            return
        # Late units already placed into gaps count for the chain they fill.
        placed_late = sum(
            len(self.fills.get(unit.hash, ()))
            for unit in self.recent.values()
            if unit.pos > fork
        )
        if len(branch) <= self.tip.pos - fork + placed_late:
            return

        while self.recent and next(reversed(self.recent.values())).pos > fork:
            _, dropped = self.recent.popitem()
            self._demote(dropped)
        self.next_pos = fork + 1
        for member in branch:
            self._take_orphan(member.hash)
            self._advance(member)

    def _fork_position(self, root: _Unit) -> int | None:
        """Position of the chain unit a branch root follows (-1: genesis)."""
        if root.prev == GENESIS_PREV and root.seq == 0:
            # Only when the whole chain so far is still in the window.
            first = next(iter(self.recent.values()), None)
            complete = self.start is None and first is not None and first.pos == 0
            return -1 if complete else None
        parent = self.recent.get(root.prev)
        if parent is None or root.seq != parent.seq + 1:
            return None
        return parent.pos

    def _demote(self, unit: _Unit) -> None:
        self._add_orphan(unit)
        self.placed.pop(unit.hash, None)
        for key, gap in list(self.gaps.items()):
            if gap.after == unit.hash:
                del self.gaps[key]
        for late in self.fills.pop(unit.hash, []):
            self.placed.pop(late.hash, None)
            self.placed.pop(late.hash + _LINK, None)
            self._add_orphan(late)

    def _branch_through(self, orphan: _Unit) -> list[_Unit]:
        """The orphans linked to ``orphan``, before and after it, oldest first."""
        branch = self._branch_ending(orphan.hash)
        seen = {unit.hash for unit in branch}
        child = self.orphans.get(self.children.get(orphan.hash, ""))
        while child is not None and child.hash not in seen:
            seen.add(child.hash)
            branch.append(child)
            child = self.orphans.get(self.children.get(child.hash, ""))
        return branch

    def _branch_ending(self, last_hash: str) -> list[_Unit]:
        """The orphans linked back from ``last_hash``, oldest first."""
        branch = []
        seen: set[str] = set()
        current = self.orphans.get(last_hash)
        while current is not None and current.hash not in seen:
            seen.add(current.hash)
            branch.append(current)
            current = self.orphans.get(current.prev)
        branch.reverse()
        return branch

    def verdict(self, chain_id: str) -> ChainVerdict:
        """Close the open gaps and orphans into problems and sum up the chain."""
        self._reattach_ahead()
        self.problems.extend(self.placed.values())
        self.placed.clear()
        self._close_gaps()
        self._close_orphans()
        if self.expected is not None:
            self._check_expected(self.expected)
        problems = tuple(sorted(self.problems, key=lambda p: (p.seq, p.kind)))
        return ChainVerdict(
            chain_id=chain_id,
            records=self.records,
            first_seq=self.low,
            last_seq=self.high,
            ok=not problems,
            first_broken_seq=problems[0].seq if problems else None,
            problems=problems,
            duplicates=self.duplicates,
        )

    def _reattach_ahead(self) -> None:
        """Orphans beyond the tip that a branch switch set aside go back on.

        Read alone at the end, such a unit would have been taken the same way:
        as following a gap, or as a broken link when it is the next seq.
        """
        while self.tip is not None:
            tip = self.tip
            ahead = [
                unit
                for unit in self.orphans.values()
                if unit.seq > tip.seq and unit.prev not in self.orphans
            ]
            if not ahead:
                return
            first = min(ahead, key=lambda unit: unit.seq)
            self._take_orphan(first.hash)
            if first.seq > tip.seq + 1:
                self._jump(first, tip.seq + 1)
            elif first.prev == tip.hash:
                self._advance(first)
            else:
                self._broken_link(first)
            self._adopt_children()

    def _close_gaps(self) -> None:
        """Gaps still open are deletions, less the orphans that fall inside."""
        for awaited, gap in self.gaps.items():
            inside: dict[int, _Unit] = {}
            for unit in sorted(self.orphans.values(), key=lambda u: u.seq):
                if gap.first <= unit.seq <= gap.last:
                    inside.setdefault(unit.seq, unit)
            self._settle_gap(awaited, gap, list(inside.values()))
        self.gaps.clear()

    def _settle_gap(self, awaited: str, gap: _Gap, inside: list[_Unit]) -> None:
        """Report a gap's late units, its missing seqs, and any broken link."""
        before = self._before(gap)
        for unit in inside:
            self._take_orphan(unit.hash)
            detail = "read out of seq order; its neighbours are missing"
            self._report("reordered", unit.seq, unit.where, detail, gap.where)
            self._report_missing(before.seq + 1, unit.seq - 1, gap.where, before)
            if unit.seq == before.seq + 1 and unit.prev != before.hash:
                self.problems.append(self._link_problem(before, unit.seq))
            before = unit
        self._report_missing(before.seq + 1, gap.last, gap.where, before)
        if before.seq == gap.last and before.hash != awaited:
            self.problems.append(self._link_problem(before, gap.last + 1))

    def _before(self, gap: _Gap) -> _Unit:
        """The unit before a gap, or a stand-in when it is not remembered."""
        anchor = self.recent.get(gap.anchor)
        where = gap.where if anchor is None else anchor.where
        return _Unit(gap.first - 1, "", gap.anchor, where)

    @staticmethod
    def _link_problem(unit: _Unit, next_seq: int) -> ChainProblem:
        """The unit at ``next_seq`` links to another hash than ``unit`` has."""
        if unit.seq < 0:
            detail = "seq 0 does not carry the genesis `chain_prev`"
            return ChainProblem("bad_genesis", 0, unit.where, detail)
        detail = f"seq {next_seq} links to another unit than this"
        return ChainProblem("edited", unit.seq, unit.where, detail)

    def _report_missing(
        self, first: int, last: int, where: str, before: _Unit | None = None
    ) -> None:
        if first > last:
            return
        span = f"seq {first}" if first == last else f"seqs {first}..{last}"
        related = "" if before is None or before.seq < 0 else before.where
        detail = f"{span} missing before this unit"
        self._report("deleted", first, where, detail, related)

    def _close_orphans(self) -> None:
        """One orphan alone is an inserted unit; linked orphans are a fork."""
        children: dict[str, list[_Unit]] = {}
        for unit in self.orphans.values():
            children.setdefault(unit.prev, []).append(unit)
        roots = [u for u in self.orphans.values() if u.prev not in self.orphans]
        for root in roots:
            size = _branch_size(root, children)
            if size == 1:
                detail = self._inserted_detail(root)
                rival = self._rival_of(root)
                self._report("inserted", root.seq, root.where, detail, rival)
            else:
                detail = f"a second branch of {size} units leaves the chain here"
                self._report("fork", root.seq, root.where, detail)
        self.orphans.clear()

    def _rival_of(self, unit: _Unit) -> str:
        """Where the chain's own unit of the same seq and link was read, if any."""
        for other in self.recent.values():
            if other.seq == unit.seq and other.prev == unit.prev:
                return other.where
        return ""

    def _inserted_detail(self, unit: _Unit) -> str:
        parent = self.recent.get(unit.prev)
        if parent is not None:
            return f"links to seq {parent.seq} but repeats seq {unit.seq}"
        if unit.prev == GENESIS_PREV:
            return "a second unit claiming to start the chain"
        return f"seq {unit.seq} links to no unit of the chain"

    def _check_expected(self, expected: ChainTip) -> None:
        tip = self.tip
        if tip is None or tip.seq < expected.seq:
            reached = "no unit" if tip is None else f"seq {tip.seq}"
            detail = f"the chain ends at {reached} but had reached seq {expected.seq}"
            where = "end of input" if tip is None else tip.where
            self._report("truncated", 0 if tip is None else tip.seq + 1, where, detail)
        elif not self.reached_expected:
            detail = f"no unit at seq {expected.seq} matches the known tip"
            self._report("edited", expected.seq, tip.where, detail)


def _branch_size(root: _Unit, children: Mapping[str, list[_Unit]]) -> int:
    size, pending = 0, [root]
    while pending:
        unit = pending.pop()
        size += 1
        pending.extend(children.get(unit.hash, ()))
    return size


def _content_problem(obj: Mapping[str, Any], claimed: str) -> str | None:
    """Why a unit's content does not match its ``chain_hash``, or ``None``."""
    try:
        actual = chain_hash_of(obj)
    except IntegrityError as error:
        return error.message
    if actual != claimed:
        return "content does not hash to its `chain_hash`"
    return None


def _is_hash(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) == 64 and _HEX.issuperset(value)


class _NotPlain(Exception):
    """The value needs the full JCS encoder."""


def _canonical(value: Any) -> bytes:
    """RFC 8785 bytes of a parsed JSON unit, fast for the common shapes.

    orjson with sorted keys gives JCS bytes for strings, integers within
    +-2**53, ``null``, booleans, lists and objects whose keys sort the same in
    code points as in UTF-16 units (no key above U+D7FF). Floats are swapped for
    pre-encoded fragments from :mod:`ledgerlens.integrity.jcs`; anything else
    goes through that encoder whole. Tests compare this with both encoders.
    """
    try:
        return orjson.dumps(_plain(value), option=orjson.OPT_SORT_KEYS)
    except (_NotPlain, orjson.JSONEncodeError):
        pass
    try:
        return canonicalize(value)
    except ValueError as error:
        # CanonicalizationError, or (for a lone surrogate in a key) the bare
        # UnicodeEncodeError that jcs.py lets through.
        reason = error if isinstance(error, CanonicalizationError) else "lone surrogate"
        msg = f"unit has no canonical JSON form: {reason}"
        raise IntegrityError(msg, remedy="the producer wrote invalid JSON") from None


def _plain(value: Any) -> Any:
    """``value`` with floats replaced by JCS fragments; copies only what changes."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if -_LIMIT <= value <= _LIMIT:
            return value
        raise _NotPlain
    if kind is float:
        if not math.isfinite(value):
            raise _NotPlain
        return orjson.Fragment(canonicalize(value))
    if kind is dict:
        return _plain_object(value)
    if kind is list:
        return _plain_array(value)
    raise _NotPlain


def _plain_object(value: dict[Any, Any]) -> dict[str, Any]:
    copy: dict[str, Any] | None = None
    for key, item in value.items():
        if type(key) is not str or not (key.isascii() or max(key) < "\ud800"):
            raise _NotPlain
        kind = type(item)
        if kind is str or (kind is int and -_LIMIT <= item <= _LIMIT):
            continue
        plain = _plain(item)
        if plain is not item:
            if copy is None:
                copy = dict(value)
            copy[key] = plain
    return value if copy is None else copy


def _plain_array(value: list[Any]) -> list[Any]:
    copy: list[Any] | None = None
    for index, item in enumerate(value):
        kind = type(item)
        if kind is str or (kind is int and -_LIMIT <= item <= _LIMIT):
            continue
        plain = _plain(item)
        if plain is not item:
            if copy is None:
                copy = list(value)
            copy[index] = plain
    return value if copy is None else copy
