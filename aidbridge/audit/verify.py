"""Re-check the audit chain: every event's hash, every link, and the head."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import DataError, connection, transaction

from aidbridge.audit import log, merkle, transparency
from aidbridge.audit.models import AuditChainHead, AuditEvent, TransparencyCheckpoint
from aidbridge.audit.services import GENESIS_HASH, body_hash
from aidbridge.core.parallel import THREADS, on_own_connections


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


# The columns the hash covers, then the position, the hashes and the body: read as tuples, never as model instances.
_COLUMNS = ("created_at", "actor_id", "actor_name", "action", "object_type", "object_id", "object_repr", "before",
            "after", "request_id", "client_request_id", "seq", "prev_hash", "hash", "body")
# ``canonical_json``'s encoder, made once rather than once per event.
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode
BATCH = 5000


def _body(created_at: dt.datetime, actor_id: int | None, actor_name: str, action: str, object_type: str,
          object_id: str, object_repr: str, before: Any, after: Any, request_id: str, client_request_id: str) -> str:
    """``event_body(event)`` from the column values, without building the event: what the body must say."""
    payload: dict[str, Any] = {
        "created_at": created_at.isoformat(), "actor_id": actor_id, "actor_name": actor_name, "action": action,
        "object_type": object_type, "object_id": object_id, "object_repr": object_repr, "before": before,
        "after": after, "request_id": request_id,
    }
    if client_request_id:
        payload["client_request_id"] = client_request_id
    return _encode(payload)


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
    the two conversions the comparison needs (the JSON columns parsed, ``created_at`` made aware), not the ORM's
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


@dataclass(frozen=True)
class _Bad:
    """The first event, by position, that does not hold, and which of its checks failed (in the order named)."""

    seq: int
    action: str
    prev_hash: str
    previous_seq: int  # the position of the event before it in the walk (0 for the first)
    content_ok: bool  # sha256(prev_hash + body) == hash, and the columns say what the body says
    link_ok: bool  # prev_hash is the hash of the event before it
    seq_ok: bool  # its position is the next one


@dataclass(frozen=True)
class _Walk:
    verified: int  # events that hold, before the first bad one (all of them when none is bad)
    last_seq: int
    last_hash: str
    bad: _Bad | None


def _walk_in_python(batch: int) -> _Walk:
    """Each event's link re-hashed over its body with hashlib, and its body compared with the canonical JSON of
    its columns, one batch of column tuples at a time."""
    prev = GENESIS_HASH
    count = 0
    last_seq = 0
    for rows in _batches(batch):
        for row in rows:
            seq, prev_hash, stored, body = row[11], row[12], row[13], row[14]
            content_ok = body_hash(prev_hash, body) == stored and _body(*row[:11]) == body
            if not content_ok or prev_hash != prev or seq != last_seq + 1:
                return _Walk(count, last_seq, prev, _Bad(seq, row[3], prev_hash, last_seq, content_ok,
                                                         prev_hash == prev, seq == last_seq + 1))
            prev = stored
            last_seq = seq
            count += 1
    return _Walk(count, last_seq, prev, None)


# The walk as one query on PostgreSQL. ``lag`` over the positions gives the hash and the position each event must
# follow; each event's link is re-hashed over its body text (``sha256``); once that holds, its body as ``jsonb``
# (``{parsed}``, taken once: ``OFFSET 0`` keeps the planner from taking it again for every key) is compared key by
# key with its columns as JSON values: ``created_at`` as a moment, ``client_request_id`` as absent when empty (a body
# whose hash holds has no other key); ``OFFSET 0`` again, so that each event is checked once, not once for each use
# of the result below. One row comes back: the first event that does not hold, or when all hold, the
# last one (its place in the range is how many were walked), so the database streams the trail and the process holds
# one row. The body as ``jsonb`` is the column PostgreSQL generates from it when written
# (:data:`_STORED`) while that still holds; else each body is parsed here (:data:`_PARSED`), and one that is not JSON
# under a hash that matches it (a forged rewrite) makes the query fail: the walk in Python then names it.
_AGREE = """(SELECT (b ->> 'created_at')::timestamptz = created_at
        AND b -> 'actor_id' = COALESCE(to_jsonb(actor_id), 'null'::jsonb) AND b ->> 'actor_name' = actor_name
        AND b ->> 'action' = action AND b ->> 'object_type' = object_type AND b ->> 'object_id' = object_id
        AND b ->> 'object_repr' = object_repr AND b -> 'before' = COALESCE("before", 'null'::jsonb)
        AND b -> 'after' = COALESCE("after", 'null'::jsonb) AND b ->> 'request_id' = request_id
        AND COALESCE(b ->> 'client_request_id', '') = client_request_id
        FROM (SELECT {parsed} OFFSET 0) AS parsed (b))"""
_WALK = f"""
WITH walk AS (
    SELECT *, row_number() OVER w AS n, lag(hash, 1, %s) OVER w AS expected_link,
           lag(seq, 1, %s::bigint) OVER w AS previous_seq
    FROM {{table}} WHERE seq > %s AND seq <= %s WINDOW w AS (ORDER BY seq)
), checked AS (
    SELECT n, seq, action, prev_hash, previous_seq, hash,
           COALESCE(CASE WHEN encode(sha256(convert_to(prev_hash || body, 'UTF8')), 'hex') = hash
                         THEN {_AGREE} END, false) AS content_ok,
           prev_hash = expected_link AS link_ok, seq = previous_seq + 1 AS seq_ok
    FROM walk OFFSET 0
), ranked AS (
    SELECT *, content_ok AND link_ok AND seq_ok AS holds FROM checked
)
SELECT n, seq, action, prev_hash, previous_seq, content_ok, link_ok, seq_ok, hash FROM ranked
ORDER BY holds, CASE WHEN holds THEN -seq ELSE seq END LIMIT 1
"""
# Each body parsed in the walk: most of its time on a trail of pledge-sized events.
_PARSED = "body::jsonb"
# The body parsed when it was written (migration audit/0008_event_body_json, PostgreSQL only). The stored value is
# compressed, and each ``->`` on the column would decompress it again: ``'{}' || b`` is ``b`` itself for an object,
# decompressed once (a body that is no object has none of the keys either way).
_STORED = "'{}'::jsonb || body_json"
# ``body_json`` as the migration makes it: generated from ``body`` (this is how PostgreSQL prints the expression) and
# of type ``jsonb``. Anything else (its expression dropped to write it, a column of that name made otherwise, or a
# PostgreSQL that prints the expression differently) and the walk parses each body instead.
_GENERATED = ("s", "(NULLIF(body, ''::text))::jsonb", "jsonb")


def _parsed_body(table: str) -> str:
    """How the walk takes each body as ``jsonb``: :data:`_STORED` while ``body_json`` is still generated from
    ``body`` as the migration made it, else :data:`_PARSED`.

    The table is locked first (against changes of its definition only; reads and writes go on), so that the column
    stays what it is found to be until the transaction ends: the parallel ranges run while the caller's is open.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN ACCESS SHARE MODE")
        cursor.execute("SELECT a.attgenerated, pg_get_expr(d.adbin, d.adrelid), format_type(a.atttypid, NULL) "
                       "FROM pg_attribute AS a JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                       "WHERE a.attrelid = %s::regclass AND a.attname = 'body_json' AND NOT a.attisdropped", [table])
        return _STORED if cursor.fetchone() == _GENERATED else _PARSED


#: Below this many events the walk is one query; above it, ``PARTS`` queries over consecutive ranges of the trail,
#: each on its own connection, so that each runs on a core of its own.
PARALLEL_MIN = 50_000
PARTS = THREADS
_LAST = 2**63 - 1  # past any position


def _walk_range(table: str, parsed: str, after: tuple[int, int, str],
                upto: int) -> tuple[int, int, str, _Bad | None]:
    """The walk over positions ``after[0]`` < seq <= ``upto``, when the event it must follow has position and hash
    ``after[1:]``: (the place in the range of the first event that does not hold, its position, "", that event),
    or when all hold, (how many were walked, the last one's position and hash, ``None``). Each body is taken as
    ``jsonb`` by ``parsed`` (:func:`_parsed_body`)."""
    above, previous_seq, previous_hash = after
    with connection.cursor() as cursor:
        cursor.execute(_WALK.format(table=table, parsed=parsed), [previous_hash, previous_seq, above, upto])
        row = cursor.fetchone()
    if row is None:
        return 0, previous_seq, previous_hash, None
    n, seq, action, prev_hash, previous_seq, content_ok, link_ok, seq_ok, hash_ = row
    if content_ok and link_ok and seq_ok:
        return n, seq, hash_, None
    return n, seq, "", _Bad(seq, action, prev_hash, previous_seq, content_ok, link_ok, seq_ok)


def _walk_in_database(parts: int | None = 1) -> _Walk:
    """The walk in PostgreSQL: one query, or ``parts`` queries over consecutive ranges in parallel threads, each on
    a connection of its own (with ``None``, ``PARTS`` from ``PARALLEL_MIN`` events, else one).

    The ranges split the trail at existing events: the range after one starts from that event's position and
    hash, which is what its first event must link to and follow, so every pair of neighbours is checked once,
    and the first failure is the one at the smallest position. The last range runs to the end of the trail, events
    written during the walk included; the events walked are counted as they are walked. The threads read
    committed data; the caller is not inside a transaction then.
    """
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    parsed = _parsed_body(table)
    # (events before the range, (the position it starts after, the position and hash its first event follows));
    # the first range starts before position 0, so that an event slipped in at 0 is walked too.
    starts: list[tuple[int, tuple[int, int, str]]] = [(0, (-1, 0, GENESIS_HASH))]
    if parts is None or parts > 1:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")
            (total,) = cursor.fetchone()
            if parts is None:
                parts = PARTS if total >= PARALLEL_MIN else 1
            for k in range(1, parts if total >= 2 * parts else 1):
                cursor.execute(f"SELECT seq, hash FROM {table} ORDER BY seq LIMIT 1 OFFSET %s",
                               [k * total // parts - 1])
                seq, hash_ = cursor.fetchone()
                starts.append((k * total // parts, (seq, seq, hash_)))
    bounds = [(after, nxt[1][0]) for (_, after), nxt in zip(starts, [*starts[1:], (0, (_LAST, 0, ""))], strict=True)]
    if len(bounds) == 1:
        walked = [_walk_range(table, parsed, *bounds[0])]
    else:
        walked = on_own_connections([partial(_walk_range, table, parsed, after, upto) for after, upto in bounds],
                                    threads=len(bounds))
    bad = [(before + n, first) for (before, _), (n, _, _, first) in zip(starts, walked, strict=True) if first]
    if bad:
        n, first = min(bad, key=lambda b: b[1].seq)
        return _Walk(n - 1, first.previous_seq, "", first)
    _, last_seq, last_hash, _ = walked[-1]
    return _Walk(sum(n for n, *_ in walked), last_seq, last_hash, None)


def _finding(bad: _Bad) -> Finding:
    seq, action = bad.seq, bad.action
    if not bad.content_ok:
        return Finding(seq, "edited", f"event #{seq} ({action}) was edited: its content no longer matches its hash")
    if not bad.link_ok:
        if AuditEvent.objects.filter(hash=bad.prev_hash).exists():
            return Finding(seq, "reordered", f"event #{seq} ({action}) was reordered: it follows a different event "
                                             "than the one it was written after")
        return Finding(seq, "deleted", f"event(s) before #{seq} ({action}) were deleted: its link points at an event "
                                       "that no longer exists")
    return Finding(seq, "inserted", f"event #{seq} ({action}) is out of sequence: expected #{bad.previous_seq + 1}, "
                                    "so an event was inserted or renumbered")


def verify_chain(*, batch: int | None = None, in_database: bool | None = None, parts: int | None = None) -> Report:
    """Walk the chain in sequence order and stop at the first event that does not hold.

    - edited: the event's body no longer matches its hash, or its columns no longer say what its body says;
    - reordered: its link points at an event that exists but is not the one before it;
    - deleted: its link points at nothing (the events before it are gone), or the newest events are gone;
    - inserted: its position is not the next one (an event slipped in at seq 0, or renumbered);
    - head: the chain head row is missing, or does not record the last event's position and hash.

    On PostgreSQL (``in_database`` by default) the walk is one query that returns one row, the first event that does
    not hold or else the last, or, from ``PARALLEL_MIN`` events, ``parts`` such queries (``PARTS`` by default: one
    per core, up to four) over consecutive ranges of the trail in parallel, on committed data only (inside a
    transaction, one query); elsewhere, or with ``in_database=False``, it streams: one batch of rows (``BATCH`` by
    default) is in memory at a time, as tuples of column values. Either way a broken link is looked up by its hash
    (a unique index) only when one is found, and both name the same event with the same finding.
    """
    began = time.perf_counter()
    if in_database is None:
        in_database = connection.vendor == "postgresql"
    walk = None
    if in_database:
        if connection.in_atomic_block:  # other connections would not see what this transaction wrote
            parts = 1
        try:
            with transaction.atomic():
                walk = _walk_in_database(parts)
        except DataError:
            # A body that is not JSON (or a created_at in it that is no moment) under a hash that matches it: a
            # rewrite, which the walk in Python names at its position.
            walk = None
    if walk is None:
        walk = _walk_in_python(batch or BATCH)
    count, last_seq = walk.verified, walk.last_seq

    def report(finding: Finding | None) -> Report:
        return Report(count, finding, time.perf_counter() - began)

    if walk.bad is not None:
        return report(_finding(walk.bad))
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if count:
            return report(Finding(last_seq, "head", f"the chain head is missing (the trail has {count} events)"))
        return report(None)
    if head.seq > last_seq:
        return report(Finding(head.seq, "deleted", f"the newest event(s) after #{last_seq} were deleted: the chain "
                                                   f"head records #{head.seq}"))
    if (head.seq, head.hash) != (last_seq, walk.last_hash):
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
