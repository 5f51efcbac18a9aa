"""The audit trail as a transparency log: leaves, signed checkpoints, proofs (the database side).

Each event is a leaf: ``SHA-256(0x00 ‖ canonical_json(event_payload(event)))``, in ``seq`` order. A checkpoint
recomputes the root over every event (linear time; no stored tree yet) and signs it with the log key, kept in
the file ``AIDBRIDGE_LOG_KEY`` (default ``<VAR_DIR>/log_key``), created with mode 0600 on first use.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from aidbridge.audit import merkle, transparency
from aidbridge.audit.models import AuditEvent, TransparencyCheckpoint
from aidbridge.audit.services import canonical_json, event_payload
from aidbridge.core import clock


def key_path() -> Path:
    return Path(os.environ.get("AIDBRIDGE_LOG_KEY") or settings.VAR_DIR / "log_key")


def signing_key() -> Ed25519PrivateKey:
    """The log's private key, generated on first use (PEM, PKCS#8, file mode 0600)."""
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def canonical_event(event: AuditEvent) -> str:
    return canonical_json(event_payload(event))


def leaf_of(event: AuditEvent) -> bytes:
    return merkle.leaf_hash(canonical_event(event).encode("utf-8"))


def leaves() -> tuple[list[int], list[bytes]]:
    """Every event's id and leaf hash, in log order (by ``seq``)."""
    ids, hashes = [], []
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        ids.append(event.pk)
        hashes.append(leaf_of(event))
    return ids, hashes


def format_timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def as_dict(cp: TransparencyCheckpoint) -> dict[str, Any]:
    return {"tree_size": cp.tree_size, "root_hash": cp.root_hash, "timestamp": format_timestamp(cp.timestamp),
            "key_id": cp.key_id, "signature": cp.signature}


def make_checkpoint() -> TransparencyCheckpoint:
    """Sign and store the tree head over every event now in the trail."""
    _, hashes = leaves()
    now = clock.now()
    signed = transparency.sign_checkpoint(signing_key(), len(hashes), merkle.mth(hashes).hex(),
                                          format_timestamp(now))
    return TransparencyCheckpoint.objects.create(
        tree_size=signed["tree_size"], root_hash=signed["root_hash"], timestamp=now, key_id=signed["key_id"],
        signature=signed["signature"],
    )


def latest_checkpoint() -> TransparencyCheckpoint | None:
    return TransparencyCheckpoint.objects.order_by("-id").first()


class LogError(Exception):
    pass


def _matching(checkpoint: dict[str, Any], hashes: list[bytes]) -> tuple[int, bytes]:
    """The checkpoint's size and root, after checking its signature and that the database still matches it."""
    size, root = transparency.verify_checkpoint(checkpoint, signing_key().public_key())
    if size > len(hashes):
        raise LogError(f"the trail has {len(hashes)} events, fewer than the checkpoint's {size}")
    if merkle.mth(hashes, size) != root:
        raise LogError(f"the first {size} events no longer hash to the checkpoint's root")
    return size, root


def inclusion_bundle(event: AuditEvent, checkpoint: dict[str, Any]) -> dict[str, Any]:
    ids, hashes = leaves()
    size, _ = _matching(checkpoint, hashes)
    index = ids.index(event.pk)
    if index >= size:
        raise LogError(f"event {event.pk} is newer than the checkpoint of {size} events; make a new checkpoint")
    canonical = canonical_event(event)
    return {"type": "inclusion", "event_id": event.pk, "leaf_index": index, "tree_size": size,
            "canonical_event": canonical, "leaf_hash": hashes[index].hex(),
            "path": [h.hex() for h in merkle.inclusion_path(index, hashes, size)], "checkpoint": checkpoint}


def consistency_bundle(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    _, hashes = leaves()
    old_size, _ = _matching(old, hashes)
    new_size, _ = _matching(new, hashes)
    if old_size > new_size:
        raise LogError(f"the old checkpoint ({old_size} events) is larger than the new one ({new_size})")
    return {"type": "consistency", "old": old, "new": new,
            "proof": [h.hex() for h in merkle.consistency_proof(old_size, hashes, new_size)]}
