from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast

from aidbridge.audit.labels import visible_events_q
from aidbridge.core.viewer import viewer


def may_search_trail(p: Any) -> bool:
    """Auditors (and the platform superuser) search the whole trail; coordinators the trail of what they see."""
    return bool(p.oversees)


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_user(self, user) -> AuditEventQuerySet:  # type: ignore[no-untyped-def]
        """The whole trail for auditors (and the platform superuser); for coordinators, the events on objects
        they may see (each model's ``for_user``); nothing for anyone else. A detail page shows one object's."""
        p = viewer(user)
        if p.sees_everything:
            return self.all()
        if p.is_coordinator:
            return self.filter(visible_events_q(user))
        return self.none()

    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEvent(models.Model):
    """One audited change. Events form a hash chain: ``hash = sha256(prev_hash + body)``, where ``body`` is the
    canonical JSON of the event's payload.

    Rows are only ever inserted, by ``aidbridge.audit.services.record_event``; the chain makes an edit,
    a deletion or a reordering detectable by ``aidbridge audit verify``.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The client's own X-Request-ID, if it sent a well-formed one; never the request id itself.
    client_request_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The canonical JSON the hash covers (``services.event_body``), exactly as hashed: verification checks the
    # link over it and that the columns above still say what it says.
    body = models.TextField(blank=True, default="", db_default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # The trail filtered to one action, newest first (``AuditEventFilterSet.filter_action``).
            models.Index(fields=["action", "seq"], name="audit_action_seq_idx"),
            # Read by ``aidbridge ledger verify`` (logistics.invariants) on PostgreSQL: the latest event of each stock
            # movement and allocation line, in id order, without sorting their events (a few hundred thousand at
            # scale). Only those two types are indexed; their ids are integer primary keys.
            models.Index(F("object_type"), Cast("object_id", models.BigIntegerField()), F("seq").desc(),
                         name="audit_ledger_latest_idx",
                         condition=Q(object_type__in=["logistics.stockmovement", "allocation.allocationline"])),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id} by {self.actor_name}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise ValueError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("Audit events are append-only and cannot be deleted.")

    @property
    def object_label(self) -> str:
        return f"{self.object_type} #{self.object_id}" + (f" — {self.object_repr}" if self.object_repr else "")


class AuditChainHead(models.Model):
    """A single row holding the newest event's sequence number and hash.

    Every writer locks it (SELECT … FOR UPDATE) before appending, which serialises appends so the chain
    stays linear under concurrent writers on PostgreSQL.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class TransparencyCheckpoint(models.Model):
    """A signed tree head of the transparency log: the Merkle root over the first ``tree_size`` events.

    Signed with the log's Ed25519 key (kept in a file, never in the database); see ``aidbridge.audit.log``.
    """

    tree_size = models.PositiveBigIntegerField()
    root_hash = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    key_id = models.CharField(max_length=64)
    signature = models.CharField(max_length=100)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"checkpoint of {self.tree_size} events"
