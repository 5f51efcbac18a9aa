"""Append events to the audit trail. Called by every service function inside its own transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from typing import Any

from django.db import models, transaction
from django.db.models.fields.files import FieldFile

from aidbridge.audit.models import AuditChainHead, AuditEvent
from aidbridge.core import clock
from aidbridge.core.requestid import current_client_request_id, current_request_id

GENESIS_HASH = "0" * 64


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, FieldFile):
        return value.name or None
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's concrete field values, as JSON-safe data (foreign keys by id)."""
    return {field.attname: _jsonable(getattr(obj, field.attname)) for field in obj._meta.concrete_fields}


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """What the hash covers: everything but the hashes and the position.

    The position (``seq``) is left out on purpose: order is proven by the ``prev_hash`` links, so moving an
    event shows up as a broken link (reordered) rather than as an edit.

    ``client_request_id`` is covered only when it is set: events written before the field existed (all of them
    with ``""``) keep the payload, and so the hash, they were written with, while a client id added to, changed
    on or removed from any event breaks its hash.
    """
    payload: dict[str, Any] = {
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
    }
    if event.client_request_id:
        payload["client_request_id"] = event.client_request_id
    return payload


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return body_hash(prev_hash, canonical_json(payload))


def body_hash(prev_hash: str, body: str) -> str:
    """The link over an event's stored ``body`` (the canonical JSON of its payload)."""
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def event_body(event: AuditEvent) -> str:
    """The exact text an event's hash covers, stored beside it as ``body`` so that verification hashes it as it
    is, without re-encoding the columns: ``hash == sha256(prev_hash + body)``."""
    return canonical_json(event_payload(event))


def actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    return str(getattr(actor, "username", actor))


def record_event(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the caller's transaction, so the change and its event commit together."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must be called inside the service's transaction.atomic block")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    user = actor if getattr(actor, "pk", None) is not None and hasattr(actor, "username") else None
    event = AuditEvent(
        seq=head.seq + 1,
        created_at=clock.now(),
        actor=user,
        actor_name=actor_label(actor),
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=object_id or (str(obj.pk) if obj is not None else ""),
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        before=json.loads(canonical_json(before)) if before is not None else None,
        after=json.loads(canonical_json(after)) if after is not None else None,
        request_id=current_request_id(),
        client_request_id=current_client_request_id(),
        prev_hash=head.hash,
    )
    event.body = event_body(event)
    event.hash = body_hash(head.hash, event.body)
    event.save()
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


def changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return before != after
