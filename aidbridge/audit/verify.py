"""Re-check the audit chain: every event's hash, every link, and the head."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aidbridge.audit import log, merkle, transparency
from aidbridge.audit.models import AuditChainHead, AuditEvent, TransparencyCheckpoint
from aidbridge.audit.services import GENESIS_HASH, chain_hash, event_payload


@dataclass(frozen=True)
class Finding:
    seq: int
    kind: str  # "edited", "deleted", "reordered", "inserted", "head" or "checkpoint"
    message: str


@dataclass(frozen=True)
class Report:
    verified: int
    finding: Finding | None

    @property
    def ok(self) -> bool:
        return self.finding is None


def verify_chain(*, batch: int = 2000) -> Report:
    """Walk the chain in sequence order and stop at the first event that does not hold.

    - edited: the event's content no longer matches its own hash;
    - reordered: its link points at an event that exists but is not the one before it;
    - deleted: its link points at nothing (the events before it are gone), or the newest events are gone;
    - inserted: its position is not the next one (an event slipped in at seq 0, or renumbered);
    - head: the chain head row is missing, or does not record the last event's position and hash.
    """
    known = set(AuditEvent.objects.values_list("hash", flat=True))
    prev = GENESIS_HASH
    count = 0
    last_seq = 0
    qs = AuditEvent.objects.order_by("seq")
    start = -1  # seq 0 included: an event slipped in before #1 must be walked too
    while True:
        events = list(qs.filter(seq__gt=start)[:batch])
        if not events:
            break
        for event in events:
            if chain_hash(event.prev_hash, event_payload(event)) != event.hash:
                return Report(count, Finding(event.seq, "edited",
                                             f"event #{event.seq} ({event.action}) was edited: its content no longer "
                                             "matches its hash"))
            if event.prev_hash != prev:
                if event.prev_hash in known:
                    return Report(count, Finding(event.seq, "reordered",
                                                 f"event #{event.seq} ({event.action}) was reordered: it follows a "
                                                 "different event than the one it was written after"))
                return Report(count, Finding(event.seq, "deleted",
                                             f"event(s) before #{event.seq} ({event.action}) were deleted: its link "
                                             "points at an event that no longer exists"))
            if event.seq != last_seq + 1:
                return Report(count, Finding(event.seq, "inserted",
                                             f"event #{event.seq} ({event.action}) is out of sequence: expected "
                                             f"#{last_seq + 1}, so an event was inserted or renumbered"))
            prev = event.hash
            last_seq = event.seq
            count += 1
        start = events[-1].seq
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if count:
            return Report(count, Finding(last_seq, "head", f"the chain head is missing (the trail has {count} events)"))
        return Report(count, None)
    if head.seq > last_seq:
        return Report(count, Finding(head.seq, "deleted",
                                     f"the newest event(s) after #{last_seq} were deleted: the chain head records "
                                     f"#{head.seq}"))
    if (head.seq, head.hash) != (last_seq, prev):
        return Report(count, Finding(last_seq, "head",
                                     f"the chain head (#{head.seq}) does not match the last event (#{last_seq})"))
    return Report(count, None)


def verify_checkpoints(checkpoints: list[dict[str, Any]]) -> Finding | None:
    """Does the trail still extend every signed checkpoint? The first failure, else None.

    Each checkpoint's signature is checked with the log key; then the events are re-hashed as leaves, in
    order, and the tree over the first ``tree_size`` must have the checkpoint's root. The chain is walked
    first, so an edit, deletion, insertion or reordering that breaks it is named at its exact position; a
    rewrite that re-computed the chain too is named by the smallest checkpoint it breaks, narrowed down
    between the checkpoints still matching.
    """
    public_key = log.signing_key().public_key()
    given = []
    for cp in checkpoints:
        try:
            given.append(transparency.verify_checkpoint(cp, public_key))
        except transparency.ProofError as exc:
            return Finding(0, "checkpoint", f"a checkpoint is not valid: {exc}")
    stored = []
    for row in TransparencyCheckpoint.objects.all():  # our own signed heads narrow a rewrite down further
        try:
            stored.append(transparency.verify_checkpoint(log.as_dict(row), public_key))
        except transparency.ProofError:
            continue  # not signed by the current key (or damaged): only the given checkpoints are binding
    chain = verify_chain()
    if chain.finding is not None:
        return chain.finding
    _, hashes = log.leaves()
    for size, root in sorted(given):
        if size > len(hashes):
            return Finding(len(hashes) + 1, "deleted",
                           f"the trail was truncated: it has {len(hashes)} events, the checkpoint covers {size}; "
                           f"position #{len(hashes) + 1} onwards is gone")
        if merkle.mth(hashes, size) != root:
            # A changed leaf changes every larger tree head: bracket it between the signed heads that still
            # match and the smallest one that does not.
            known = sorted({(s, r) for s, r in [*given, *stored] if s <= size})
            good, bad = 0, size
            for s, r in known:
                if merkle.mth(hashes, s) == r:
                    good = max(good, s)
                else:
                    bad = s
                    break
            where = f"#{bad}" if good + 1 == bad else f"between #{good + 1} and #{bad}"
            return Finding(good + 1, "checkpoint",
                           f"the trail was rewritten: the first {size} events no longer match the signed "
                           f"checkpoint; the first bad position is {where}")
    return None
