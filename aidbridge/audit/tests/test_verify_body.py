"""The stored ``body`` (the text each hash covers): every tampering is named alike by the walk in Python and, on
PostgreSQL, by the walk in the database; and the migration fills the body of events written without one."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import DataError, ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidbridge.audit import verify
from aidbridge.audit.models import AuditChainHead, AuditEvent
from aidbridge.audit.services import GENESIS_HASH, body_hash, canonical_json, event_body, event_payload, record_event
from aidbridge.audit.verify import Report, verify_chain

TABLE = AuditEvent._meta.db_table
ON_POSTGRES = connection.vendor == "postgresql"
fill_bodies = importlib.import_module("aidbridge.audit.migrations.0005_event_body").fill_bodies


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _both() -> Report:
    """The walk in Python, and on PostgreSQL the one in the database too, which must agree with it exactly."""
    python = verify_chain(in_database=False, batch=4)
    if ON_POSTGRES:
        database = verify_chain(in_database=True)
        assert (database.verified, database.finding) == (python.verified, python.finding)
    return python


def _edit_column(seq: int) -> None:
    _sql(f"UPDATE {TABLE} SET actor_name = %s WHERE seq = %s", ["mallory", seq])


def _edit_json_column(seq: int) -> None:
    _sql(f"UPDATE {TABLE} SET after = %s WHERE seq = %s", [json.dumps({"forged": True}), seq])


def _edit_created_at(seq: int) -> None:
    event = AuditEvent.objects.get(seq=seq)
    _sql(f"UPDATE {TABLE} SET created_at = %s WHERE seq = %s", [event.created_at.replace(year=2001), seq])


def _add_client_request_id(seq: int) -> None:
    _sql(f"UPDATE {TABLE} SET client_request_id = %s WHERE seq = %s", ["forged", seq])


def _edit_body(seq: int) -> None:
    event = AuditEvent.objects.get(seq=seq)
    _sql(f"UPDATE {TABLE} SET body = %s WHERE seq = %s",
         [canonical_json({**event_payload(event), "actor_name": "mallory"}), seq])


def _edit_body_and_column(seq: int) -> None:
    _edit_body(seq)
    _edit_column(seq)


def _edit_body_column_and_hash(seq: int) -> None:
    """An edit that re-computes the event's own hash: the next event's link then points at nothing."""
    event = AuditEvent.objects.get(seq=seq)
    body = canonical_json({**event_payload(event), "actor_name": "mallory"})
    _sql(f"UPDATE {TABLE} SET actor_name = %s, body = %s, hash = %s WHERE seq = %s",
         ["mallory", body, body_hash(event.prev_hash, body), seq])


def _delete(seq: int) -> None:
    _sql(f"DELETE FROM {TABLE} WHERE seq = %s", [seq])


def _swap(seq: int) -> None:
    _sql(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [1_000_000, seq])
    _sql(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [seq, seq + 1])
    _sql(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [seq + 1, 1_000_000])


def _renumber(seq: int) -> None:
    _sql(f"UPDATE {TABLE} SET seq = seq + 1000 WHERE seq >= %s", [seq])


def _insert_at_zero(seq: int) -> None:
    first = AuditEvent.objects.get(seq=1)
    payload = {**event_payload(first), "action": "forged", "before": None, "after": None}
    body = canonical_json(payload)
    _sql(f"INSERT INTO {TABLE} (seq, created_at, actor_name, action, object_type, object_id, object_repr, "
         "request_id, prev_hash, hash, body) VALUES (0, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
         [first.created_at, first.actor_name, "forged", first.object_type, first.object_id, first.object_repr,
          first.request_id, GENESIS_HASH, body_hash(GENESIS_HASH, body), body])


def _delete_newest(seq: int) -> None:
    _delete(AuditEvent.objects.order_by("-seq").first().seq)


def _move_head(seq: int) -> None:
    AuditChainHead.objects.filter(pk=1).update(seq=seq)


def _drop_head(seq: int) -> None:
    AuditChainHead.objects.all().delete()


def _alter(statement: str) -> None:
    """An ALTER TABLE of the trail inside the test's transaction (undone with it): the foreign keys checked at commit
    are checked first, as PostgreSQL alters no table with checks pending."""
    _sql("SET CONSTRAINTS ALL IMMEDIATE", [])
    _sql(statement, [])
    _sql("SET CONSTRAINTS ALL DEFERRED", [])


def _drop_parsed_body() -> None:
    """On PostgreSQL, make ``body_json`` (the body parsed when written) a plain column, which can then be written."""
    if ON_POSTGRES:
        _alter(f"ALTER TABLE {TABLE} ALTER COLUMN body_json DROP EXPRESSION")


def _garbage_body(seq: int) -> None:
    """A body that is not JSON, under a hash re-computed over it (on PostgreSQL, once the body is no longer parsed
    when written: a body that is not JSON is refused then)."""
    _drop_parsed_body()
    event = AuditEvent.objects.get(seq=seq)
    _sql(f"UPDATE {TABLE} SET body = %s, hash = %s WHERE seq = %s",
         ["not json", body_hash(event.prev_hash, "not json"), seq])


def _edit_column_and_parsed_body(seq: int) -> None:
    """A column edited, and the parsed body written to say the same, once it is no longer generated: the walk must
    not take it for the body."""
    _drop_parsed_body()
    _edit_column(seq)
    if ON_POSTGRES:
        _sql(f"UPDATE {TABLE} SET body_json = jsonb_set(body_json, '{{actor_name}}', %s) WHERE seq = %s",
             [json.dumps("mallory"), seq])


@pytest.mark.parametrize(("tamper", "seq", "kind", "words"), [
    (_edit_column, 5, "edited", "event #5 (.*) was edited: its content no longer matches its hash"),
    (_edit_json_column, 6, "edited", "was edited"),
    (_edit_created_at, 3, "edited", "was edited"),
    (_add_client_request_id, 7, "edited", "was edited"),
    (_edit_body, 5, "edited", "was edited"),
    (_edit_body_and_column, 5, "edited", "was edited"),
    (_edit_body_column_and_hash, 5, "deleted", r"event\(s\) before #6 .* were deleted"),
    (_garbage_body, 4, "edited", "event #4 .* was edited"),
    (_edit_column_and_parsed_body, 5, "edited", "event #5 .* was edited"),
    (_delete, 7, "deleted", r"event\(s\) before #8 .* were deleted"),
    (_swap, 4, "reordered", "event #4 .* was reordered"),
    (_renumber, 6, "inserted", "event #1006 .* is out of sequence: expected #6"),
    (_insert_at_zero, 0, "inserted", "event #0 .* is out of sequence: expected #1"),
    (_delete_newest, None, "deleted", "the newest event"),
    (_move_head, 2, "head", "does not match the last event"),
    (_drop_head, None, "head", "the chain head is missing"),
])
def test_every_tampering_is_named_alike_by_both_walks(world, tamper: Callable[[int], None], seq: int | None,
                                                      kind: str, words: str):
    total = AuditEvent.objects.count()
    assert total > 10
    assert _both().ok
    tamper(seq)
    report = _both()
    assert report.finding is not None
    assert report.finding.kind == kind
    assert re.search(words, report.finding.message), report.finding.message
    if kind != "head" and seq not in (None, 0) and tamper is not _renumber:
        first_bad = seq + 1 if tamper in (_edit_body_column_and_hash, _delete) else seq
        assert report.finding.seq == first_bad
        assert report.verified == first_bad - 1 - (1 if tamper is _delete else 0)


def test_the_walk_in_the_database_holds_one_row(world):
    if not ON_POSTGRES:
        pytest.skip("the walk in the database is PostgreSQL's")
    with CaptureQueriesContext(connection) as queries:
        report = verify_chain()
    assert report.ok and report.verified == AuditEvent.objects.count()
    walks = [q["sql"] for q in queries if TABLE in q["sql"] and "pg_attribute" not in q["sql"]]
    assert walks[0].startswith("LOCK TABLE")  # the parsed body stays what it was found to be
    walks = walks[1:]
    assert len(walks) == 1  # the walk only: one row comes back, the first bad event or the last, counted as walked
    assert "LIMIT 1" in walks[0] and "sha256" in walks[0]
    assert "body_json" in walks[0] and "body::jsonb" not in walks[0]  # the body parsed when written, not again


def _columns() -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, TABLE)}


def _parsed_in_walk() -> str:
    """How the walk in the database took each body, as its query says."""
    with CaptureQueriesContext(connection) as queries:
        assert verify_chain(in_database=True).ok
    walk = next(q["sql"] for q in queries if "sha256" in q["sql"])
    return "stored" if "body_json" in walk else "parsed" if "body::jsonb" in walk else "?"


def test_the_body_is_parsed_when_written_and_not_again(world):
    """On PostgreSQL ``body_json`` is the body as ``jsonb``, kept by PostgreSQL: a body that is not JSON is refused
    when written, and the column itself cannot be written."""
    if not ON_POSTGRES:
        assert "body_json" not in _columns()
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE body_json IS DISTINCT FROM body::jsonb")
        assert cursor.fetchone() == (0,)
    assert _parsed_in_walk() == "stored"
    event = AuditEvent.objects.order_by("seq")[3]
    with pytest.raises(DataError), transaction.atomic():
        _sql(f"UPDATE {TABLE} SET body = %s, hash = %s WHERE seq = %s",
             ["not json", body_hash(event.prev_hash, "not json"), event.seq])
    with pytest.raises(ProgrammingError), transaction.atomic():
        _sql(f"UPDATE {TABLE} SET body_json = %s WHERE seq = %s", [json.dumps({}), event.seq])


def test_a_parsed_body_no_longer_generated_is_not_used(world):
    """With its expression dropped (or changed), ``body_json`` is a column like any other: the walk parses each body
    itself. The change is transactional, so it is undone with the test (the next test finds the column generated)."""
    if not ON_POSTGRES:
        pytest.skip("the body is parsed when written on PostgreSQL only")
    with transaction.atomic():
        _drop_parsed_body()
        assert _parsed_in_walk() == "parsed"
        transaction.set_rollback(True)
    assert _parsed_in_walk() == "stored"
    with transaction.atomic():
        _alter(f"ALTER TABLE {TABLE} DROP COLUMN body_json")
        _alter(f"ALTER TABLE {TABLE} ADD COLUMN body_json jsonb GENERATED ALWAYS AS ('{{}}'::jsonb) STORED")
        assert _parsed_in_walk() == "parsed"
        transaction.set_rollback(True)
    assert _parsed_in_walk() == "stored"


def test_the_migration_adds_the_parsed_body_on_postgres_only(world):
    module = importlib.import_module("aidbridge.audit.migrations.0008_event_body_json")
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name, execute=_alter)
    with transaction.atomic():
        module._run(module.DROP)(apps, editor)  # the reverse
        assert "body_json" not in _columns()
        assert verify_chain().ok
        module._run(module.ADD)(apps, editor)
        assert ("body_json" in _columns()) is ON_POSTGRES
        if ON_POSTGRES:
            assert _parsed_in_walk() == "stored"
        assert verify_chain().ok
        transaction.set_rollback(True)


def test_every_event_stores_the_text_its_hash_covers(world):
    for event in AuditEvent.objects.order_by("seq"):
        assert event.body == event_body(event) == canonical_json(event_payload(event))
        assert body_hash(event.prev_hash, event.body) == event.hash


def test_the_migration_fills_the_body_record_event_writes(world):
    written = dict(AuditEvent.objects.values_list("pk", "body"))
    assert all(written.values())
    AuditEvent.objects.filter(pk__in=list(written)[::2]).update(body="")  # as if written before the column
    filled = fill_bodies(apps, SimpleNamespace(connection=connection))
    assert filled == len(list(written)[::2])
    assert dict(AuditEvent.objects.values_list("pk", "body")) == written
    assert fill_bodies(apps, SimpleNamespace(connection=connection)) == 0  # nothing left to fill
    assert verify_chain().ok


def test_the_migration_fills_in_batches(world, monkeypatch):
    module = importlib.import_module("aidbridge.audit.migrations.0005_event_body")
    monkeypatch.setattr(module, "BATCH", 3)
    written = dict(AuditEvent.objects.values_list("pk", "body"))
    AuditEvent.objects.update(body="")
    with CaptureQueriesContext(connection) as queries:
        assert fill_bodies(apps, SimpleNamespace(connection=connection)) == len(written)
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert len(reads) == -(-len(written) // 3) + 1 and all("LIMIT 3" in sql for sql in reads)
    assert dict(AuditEvent.objects.values_list("pk", "body")) == written


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | _TEXT
    | st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_TEXT, children, max_size=3),
    max_leaves=8)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.none() | st.dictionaries(_TEXT, _JSON, max_size=4),
       after=st.none() | st.dictionaries(_TEXT, _JSON, max_size=4), repr_=_TEXT)
def test_property_whatever_an_event_holds_both_walks_accept_it_and_name_an_edit(world, before, after, repr_):
    """Any JSON content ``record_event`` writes (text in any script, control characters, big integers, floats,
    nesting) is accepted as it is by both walks, and an edit of its ``after`` column alone is named on it."""
    with transaction.atomic():
        event = record_event(actor=None, action="property.check", object_type="audit.property", object_id="1",
                             object_repr=repr_ or "x", before=before, after=after)
    assert _both().ok
    _sql(f"UPDATE {TABLE} SET after = %s WHERE seq = %s", [json.dumps({"edited": [after]}), event.seq])
    report = _both()
    assert report.finding is not None and (report.finding.seq, report.finding.kind) == (event.seq, "edited")
    _sql(f"DELETE FROM {TABLE} WHERE seq = %s", [event.seq])  # back to an intact trail for the next example
    head = AuditEvent.objects.order_by("-seq").first()
    AuditChainHead.objects.filter(pk=1).update(seq=head.seq, hash=head.hash)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tamper", [_edit_column, _edit_body, _delete, _swap, _renumber, _edit_body_column_and_hash])
@pytest.mark.parametrize("where", ["last of a range", "first of a range", "inside a range"])
def test_the_walk_in_parallel_ranges_names_what_the_single_walk_names(world, tamper: Callable[[int], None],
                                                                      where: str):
    """The trail split into three ranges walked on connections of their own: a tampering at a range's edge or
    inside one is named as the walk in Python names it, and an intact trail is all verified."""
    if not ON_POSTGRES:
        pytest.skip("the walk in the database is PostgreSQL's")
    assert not connection.in_atomic_block
    total = AuditEvent.objects.count()
    assert total >= 12
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    edge = total // 3  # the first range holds the first total // 3 events
    seq = {"last of a range": seqs[edge - 1], "first of a range": seqs[edge], "inside a range": seqs[edge + 2]}[where]
    intact = verify_chain(in_database=True, parts=3)
    assert intact.ok and intact.verified == total
    tamper(seq)
    python = verify_chain(in_database=False, batch=4)
    parallel = verify_chain(in_database=True, parts=3)
    assert python.finding is not None
    assert (parallel.verified, parallel.finding) == (python.verified, python.finding)


@pytest.mark.django_db(transaction=True)
def test_the_trail_is_counted_once_to_choose_and_split_the_ranges(world, monkeypatch):
    """From ``PARALLEL_MIN`` events the walk is split into ``PARTS`` ranges: the events are counted once for both,
    and not again when the walk is done (the ranges count what they walk)."""
    if not ON_POSTGRES:
        pytest.skip("the walk in the database is PostgreSQL's")
    total = AuditEvent.objects.count()
    for minimum, splits in ((total + 1, 0), (total, verify.PARTS - 1)):
        monkeypatch.setattr(verify, "PARALLEL_MIN", minimum)
        with CaptureQueriesContext(connection) as queries:
            report = verify_chain()
        assert report.ok and report.verified == total
        statements = [q["sql"].lower() for q in queries]
        assert sum("count(*)" in sql for sql in statements) == 1
        assert sum("limit 1 offset" in sql for sql in statements) == splits
