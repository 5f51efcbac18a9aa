"""``/log``: the audit trail's transparency log — the latest signed checkpoint, inclusion and consistency proofs.

Checkpoints and consistency proofs carry only sizes and hashes: every authenticated user may fetch them. An
inclusion proof carries the event itself, so it follows the trail's visibility (auditors see every event,
coordinators the events on what they see; for anyone else, and for events outside their view, 404).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from aidbridge.audit import log, transparency
from aidbridge.audit.models import AuditEvent, TransparencyCheckpoint
from aidbridge.core.api import ERRORS, NOT_FOUND, READ_ERRORS, DbInt, actor, get_visible_or_404
from aidbridge.core.errors import Conflict

router = Router(tags=["transparency log"])


class CheckpointOut(Schema):
    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    signature: str


class InclusionProofOut(Schema):
    type: str
    event_id: int
    leaf_index: int
    tree_size: int
    canonical_event: str
    leaf_hash: str
    path: list[str]
    checkpoint: CheckpointOut


class ConsistencyProofOut(Schema):
    type: str
    old: CheckpointOut
    new: CheckpointOut
    proof: list[str]


def _latest_or_404() -> TransparencyCheckpoint:
    latest = log.latest_checkpoint()
    if latest is None:
        raise Http404(NOT_FOUND)
    return latest


def _checkpoint(size: int) -> TransparencyCheckpoint:
    found = TransparencyCheckpoint.objects.filter(tree_size=size).order_by("-id").first()
    if found is None:
        raise Http404(NOT_FOUND)
    return found


@router.get("/log/checkpoint", response={200: CheckpointOut, **READ_ERRORS})
def latest_checkpoint(request: HttpRequest) -> Any:
    """The latest signed checkpoint (tree size, root hash, timestamp, key id, Ed25519 signature in base64)."""
    return log.as_dict(_latest_or_404())


@router.get("/log/proof/{event_id}", response={200: InclusionProofOut, 409: ERRORS[409], **READ_ERRORS})
def inclusion_proof(request: HttpRequest, event_id: DbInt) -> Any:
    """An event's inclusion proof against the latest checkpoint (auditors and coordinators, events they see)."""
    event = get_visible_or_404(AuditEvent.objects.for_user(actor(request)), event_id)
    try:
        return log.inclusion_bundle(event, log.as_dict(_latest_or_404()))
    except (log.LogError, transparency.ProofError) as exc:
        raise Conflict(f"The trail does not match the signed checkpoint: {exc}") from exc


@router.get("/log/consistency", response={200: ConsistencyProofOut, 409: ERRORS[409], **READ_ERRORS})
def consistency_proof(request: HttpRequest, old: DbInt, new: DbInt | None = None) -> Any:
    """Proof that the checkpoint of size ``new`` (default: the latest) extends the checkpoint of size ``old``."""
    newer = _latest_or_404() if new is None else _checkpoint(new)
    try:
        return log.consistency_bundle(log.as_dict(_checkpoint(old)), log.as_dict(newer))
    except (log.LogError, transparency.ProofError) as exc:
        raise Conflict(f"The trail does not match the signed checkpoint: {exc}") from exc
