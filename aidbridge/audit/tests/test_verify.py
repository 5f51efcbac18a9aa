"""`aidbridge audit verify` finds an edited, a deleted or a reordered event, each tampered by raw SQL (every kind, on
both walks: test_verify_body.py)."""

from __future__ import annotations

import re
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from aidbridge.audit.models import AuditEvent
from aidbridge.audit.services import body_hash, chain_hash, event_payload
from aidbridge.audit.verify import _COLUMNS, _body, verify_chain
from aidbridge.conftest import requires_postgres

TABLE = AuditEvent._meta.db_table


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_untouched_chain_verifies(world):
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert re.fullmatch(rf"{AuditEvent.objects.count()} events verified \(\d+\.\d s, [\d,]+ events/s\)",
                        out.getvalue().strip())


def test_the_walk_recomputes_the_body_each_event_was_written_with(world):
    for event in AuditEvent.objects.order_by("seq"):
        row = AuditEvent.objects.values_list(*_COLUMNS).get(pk=event.pk)
        assert _body(*row[:11]) == event.body
        assert body_hash(event.prev_hash, event.body) == chain_hash(event.prev_hash, event_payload(event))


def test_the_walk_holds_one_batch_at_a_time(world):
    """The walk in Python (on SQLite, or asked for): memory is bounded by the batch, the events are read in
    LIMITed keyset pages, never all at once (not even their hashes), and a later batch's tampering is still
    found."""
    total = AuditEvent.objects.count()
    assert total > 10
    with CaptureQueriesContext(connection) as queries:
        assert verify_chain(batch=3, in_database=False).ok
    reads = [q["sql"] for q in queries if TABLE in q["sql"]]
    assert len(reads) == -(-total // 3) + 1  # every full or partial page, then the empty one that ends the walk
    assert all("LIMIT 3" in sql for sql in reads)
    _sql(f"UPDATE {TABLE} SET object_repr = %s WHERE seq = %s", ["forged", total - 1])
    report = verify_chain(batch=3, in_database=False)
    assert (report.finding.seq, report.finding.kind, report.verified) == (total - 1, "edited", total - 2)


def test_an_edited_event_is_named(world):
    _sql(f"UPDATE {TABLE} SET actor_name = %s WHERE seq = %s", ["mallory", 5])
    report = verify_chain()
    assert (report.finding.seq, report.finding.kind) == (5, "edited")
    with pytest.raises(CommandError, match="event #5 .* was edited"):
        call_command("audit", "verify")


def test_a_deleted_event_is_named(world):
    _sql(f"DELETE FROM {TABLE} WHERE seq = %s", [7])
    report = verify_chain()
    assert (report.finding.seq, report.finding.kind) == (8, "deleted")
    with pytest.raises(CommandError, match="before #8 .* were deleted"):
        call_command("audit", "verify")


def test_deleting_the_newest_event_is_caught_by_the_head(world):
    last = AuditEvent.objects.order_by("-seq").first()
    _sql(f"DELETE FROM {TABLE} WHERE seq = %s", [last.seq])
    report = verify_chain()
    assert report.finding.kind == "deleted" and "newest" in report.finding.message


def test_a_reordered_event_is_named(world):
    # Swap the positions of events 4 and 5 (a temporary value dodges the unique constraint).
    _sql(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [1_000_000, 4])
    _sql(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [4, 5])
    _sql(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [5, 1_000_000])
    report = verify_chain()
    assert (report.finding.seq, report.finding.kind) == (4, "reordered")
    with pytest.raises(CommandError, match="reordered"):
        call_command("audit", "verify")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_linear_chain(personas):
    from aidbridge.catalogue import services

    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for k in range(5):
                services.create_item(actor=personas.coordinator, code=f"C-{n}-{k}", name="x", supply_class="I",
                                     unit="each", weight_t="0.1")
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = verify_chain()
    assert report.ok, report.finding
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
