"""Store the text each event's hash covers beside it (``AuditEvent.body``), filled for the existing events."""

from typing import Any

from django.db import migrations, models

from aidbridge.audit.services import event_body

BATCH = 2000
_COLUMNS = ("created_at", "actor_id", "actor_name", "action", "object_type", "object_id", "object_repr", "before",
            "after", "request_id", "client_request_id")


def fill_bodies(apps: Any, schema_editor: Any) -> int:
    """Give every event without a body the one ``record_event`` writes: the canonical JSON of its columns.

    Events are read in keyset batches on the primary key and written with one UPDATE per batch (on PostgreSQL
    over ``unnest``ed arrays, elsewhere one statement per row through ``executemany``); ``AuditEvent.save``
    refuses updates on purpose, so no model is saved. An event edited before this runs gets the body of its edited
    columns, which its hash does not match: verification still names it. Returns how many bodies were written.
    """
    connection = schema_editor.connection
    model = apps.get_model("audit", "AuditEvent")
    table = connection.ops.quote_name(model._meta.db_table)
    pending = model.objects.filter(body="").order_by("pk")
    written, after = 0, 0
    while True:
        rows = list(pending.filter(pk__gt=after).values_list("pk", *_COLUMNS)[:BATCH])
        if not rows:
            return written
        bodies = [event_body(model(**dict(zip(_COLUMNS, row[1:], strict=True)))) for row in rows]
        ids = [row[0] for row in rows]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"UPDATE {table} AS e SET body = v.body FROM unnest(%s::bigint[], %s::text[]) "
                               "AS v(id, body) WHERE e.id = v.id", [ids, bodies])
            else:
                cursor.executemany(f"UPDATE {table} SET body = %s WHERE id = %s", list(zip(bodies, ids, strict=True)))
        written += len(rows)
        after = ids[-1]


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_client_request_id'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='body',
            field=models.TextField(blank=True, db_default='', default=''),
        ),
        migrations.RunPython(fill_bodies, migrations.RunPython.noop),
    ]
