"""Re-check the audit chain: every event's hash, every link, and the head."""

from __future__ import annotations

from dataclasses import dataclass

from aidbridge.audit.models import AuditChainHead, AuditEvent
from aidbridge.audit.services import GENESIS_HASH, chain_hash, event_payload


@dataclass(frozen=True)
class Finding:
    seq: int
    kind: str  # "edited", "deleted" or "reordered"
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
    - deleted: its link points at nothing (the events before it are gone), or the newest events are gone.
    """
    known = set(AuditEvent.objects.values_list("hash", flat=True))
    prev = GENESIS_HASH
    count = 0
    last_seq = 0
    qs = AuditEvent.objects.order_by("seq")
    start = 0
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
            prev = event.hash
            last_seq = event.seq
            count += 1
        start = events[-1].seq
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.hash != prev:
        return Report(count, Finding(head.seq, "deleted",
                                     f"the newest event(s) after #{last_seq} were deleted: the chain head records "
                                     f"#{head.seq}"))
    return Report(count, None)
