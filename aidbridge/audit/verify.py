"""Re-check the audit chain: every event's hash, every link, and the head."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection

from aidbridge.audit import log, merkle, transparency
from aidbridge.audit.models import AuditChainHead, AuditEvent, TransparencyCheckpoint
from aidbridge.audit.services import GENESIS_HASH


@dataclass(frozen=True)
class Finding:
    seq: int
    kind: str  # "edited", "deleted", "reordered", "inserted", "head" or "checkpoint"
    message: str


@dataclass(frozen=True)
class Report:
    verified: int
    finding: Finding | None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.finding is None

    @property
    def per_second(self) -> float:
        """Events checked per second of wall time (0 when the walk took no measurable time)."""
        return self.verified / self.seconds if self.seconds > 0 else 0.0


# The columns the hash covers, then the position and the hashes: read as tuples, never as model instances.
_COLUMNS = ("created_at", "actor_id", "actor_name", "action", "object_type", "object_id", "object_repr", "before",
            "after", "request_id", "client_request_id", "seq", "prev_hash", "hash")
# ``canonical_json``'s encoder, made once rather than once per event.
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode
BATCH = 5000


def _event_hash(prev_hash: str, created_at: dt.datetime, actor_id: int | None, actor_name: str, action: str,
                object_type: str, object_id: str, object_repr: str, before: Any, after: Any, request_id: str,
                client_request_id: str) -> str:
    """``chain_hash(prev_hash, event_payload(event))`` from the column values, without building the event."""
    payload: dict[str, Any] = {
        "created_at": created_at.isoformat(), "actor_id": actor_id, "actor_name": actor_name, "action": action,
        "object_type": object_type, "object_id": object_id, "object_repr": object_repr, "before": before,
        "after": after, "request_id": request_id,
    }
    if client_request_id:
        payload["client_request_id"] = client_request_id
    return hashlib.sha256((prev_hash + _encode(payload)).encode("utf-8")).hexdigest()


def _decode(raw: Any) -> Any:
    """A JSON column as the database driver returns it (text on SQLite and, with Django's loaders, PostgreSQL)."""
    return json.loads(raw) if isinstance(raw, str | bytes) else raw


def _moment(raw: Any) -> dt.datetime:
    """``created_at`` as the model would hold it: aware, in UTC (SQLite returns the stored text)."""
    value = dt.datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _batches(batch: int) -> Iterator[list[tuple[Any, ...]]]:
    """The events in sequence order, ``batch`` rows at a time (keyset pagination on the unique ``seq``): memory
    holds one batch, whatever the trail's length, on every database.

    The rows are read with the query Django compiles, through the driver's cursor: column tuples, with only
    the two conversions the hash needs (the JSON columns parsed, ``created_at`` made aware), not the ORM's
    per-value converters.
    """
    qs = AuditEvent.objects.order_by("seq").values_list(*_COLUMNS)
    after = -1  # seq 0 included: an event slipped in before #1 must be walked too
    with connection.cursor() as cursor:
        while True:
            sql, params = qs.filter(seq__gt=after)[:batch].query.sql_with_params()
            cursor.execute(sql, params)
            rows = [(_moment(r[0]), *r[1:7], _decode(r[7]), _decode(r[8]), *r[9:]) for r in cursor.fetchall()]
            if not rows:
                return
            yield rows
            after = rows[-1][11]


def verify_chain(*, batch: int | None = None) -> Report:
    """Walk the chain in sequence order and stop at the first event that does not hold.

    - edited: the event's content no longer matches its own hash;
    - reordered: its link points at an event that exists but is not the one before it;
    - deleted: its link points at nothing (the events before it are gone), or the newest events are gone;
    - inserted: its position is not the next one (an event slipped in at seq 0, or renumbered);
    - head: the chain head row is missing, or does not record the last event's position and hash.

    The walk streams: one batch of rows (``BATCH`` by default) is in memory at a time, as tuples of column
    values, and a broken link is looked up by its hash (a unique index) only when one is found.
    """
    began = time.perf_counter()
    prev = GENESIS_HASH
    count = 0
    last_seq = 0

    def report(finding: Finding | None) -> Report:
        return Report(count, finding, time.perf_counter() - began)

    for rows in _batches(batch or BATCH):
        for row in rows:
            seq, prev_hash, stored = row[11], row[12], row[13]
            if _event_hash(prev_hash, *row[:11]) != stored:
                return report(Finding(seq, "edited", f"event #{seq} ({row[3]}) was edited: its content no longer "
                                                     "matches its hash"))
            if prev_hash != prev:
                if AuditEvent.objects.filter(hash=prev_hash).exists():
                    return report(Finding(seq, "reordered", f"event #{seq} ({row[3]}) was reordered: it follows a "
                                                            "different event than the one it was written after"))
                return report(Finding(seq, "deleted", f"event(s) before #{seq} ({row[3]}) were deleted: its link "
                                                      "points at an event that no longer exists"))
            if seq != last_seq + 1:
                return report(Finding(seq, "inserted", f"event #{seq} ({row[3]}) is out of sequence: expected "
                                                       f"#{last_seq + 1}, so an event was inserted or renumbered"))
            prev = stored
            last_seq = seq
            count += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if count:
            return report(Finding(last_seq, "head", f"the chain head is missing (the trail has {count} events)"))
        return report(None)
    if head.seq > last_seq:
        return report(Finding(head.seq, "deleted", f"the newest event(s) after #{last_seq} were deleted: the chain "
                                                   f"head records #{head.seq}"))
    if (head.seq, head.hash) != (last_seq, prev):
        return report(Finding(last_seq, "head",
                              f"the chain head (#{head.seq}) does not match the last event (#{last_seq})"))
    return report(None)


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
