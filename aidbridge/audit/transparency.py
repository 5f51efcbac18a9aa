"""Signed checkpoints and proof bundles of the transparency log: pure Python, no Django, no database.

A donor verifies a bundle with this module and the log's public key alone (``aidbridge log verify-proof``).

Formats (all JSON; hashes are lowercase hex, the signature is standard base64):

- checkpoint: ``{"tree_size", "root_hash", "timestamp", "key_id", "signature"}``. ``timestamp`` is ISO 8601
  UTC; ``key_id`` is the hex SHA-256 of the raw 32-byte Ed25519 public key; ``signature`` is Ed25519 over
  ``signed_message`` (four lines: the format tag, tree size, root hash, timestamp; then the key id).
- inclusion bundle: ``{"type": "inclusion", "event_id", "leaf_index", "tree_size", "canonical_event",
  "leaf_hash", "path": [hex…], "checkpoint": {…}}``; ``canonical_event`` is the event's canonical JSON, and
  ``leaf_hash = SHA-256(0x00 ‖ canonical_event as UTF-8)``.
- consistency bundle: ``{"type": "consistency", "old": checkpoint, "new": checkpoint, "proof": [hex…]}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from aidbridge.audit import merkle

FORMAT = "aidbridge-transparency-log/v1"
CHECKPOINT_FIELDS = ("tree_size", "root_hash", "timestamp", "key_id", "signature")


class ProofError(Exception):
    """A checkpoint or proof that does not verify; the message says why."""


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public_key(key)).hexdigest()


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key given as PEM or as 64 hex digits (the raw key)."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ProofError("the public key is not an Ed25519 key")
            return key
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    except (ValueError, TypeError) as exc:
        raise ProofError(f"unreadable public key: {exc}") from exc


def signed_message(tree_size: int, root_hash: str, timestamp: str, kid: str) -> bytes:
    return f"{FORMAT}\n{tree_size}\n{root_hash}\n{timestamp}\n{kid}\n".encode()


def sign_checkpoint(private_key: Ed25519PrivateKey, tree_size: int, root_hash: str, timestamp: str) -> dict[str, Any]:
    kid = key_id(private_key.public_key())
    signature = private_key.sign(signed_message(tree_size, root_hash, timestamp, kid))
    return {"tree_size": tree_size, "root_hash": root_hash, "timestamp": timestamp, "key_id": kid,
            "signature": base64.b64encode(signature).decode("ascii")}


def _hash(value: Any, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ProofError(f"{what} is not a 64-digit hex SHA-256 hash")
    return raw


def verify_checkpoint(checkpoint: Any, public_key: Ed25519PublicKey) -> tuple[int, bytes]:
    """Check a checkpoint's shape, key id and signature; return its (tree size, root hash)."""
    if not isinstance(checkpoint, dict) or any(f not in checkpoint for f in CHECKPOINT_FIELDS):
        raise ProofError(f"a checkpoint needs the fields {', '.join(CHECKPOINT_FIELDS)}")
    size = checkpoint["tree_size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ProofError("the checkpoint's tree_size is not a non-negative integer")
    root = _hash(checkpoint["root_hash"], "the checkpoint's root_hash")
    if checkpoint["key_id"] != key_id(public_key):
        raise ProofError("the checkpoint was signed by a different key (key_id does not match the public key)")
    try:
        signature = base64.b64decode(str(checkpoint["signature"]), validate=True)
        public_key.verify(signature, signed_message(size, root.hex(), str(checkpoint["timestamp"]),
                                                    checkpoint["key_id"]))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise ProofError("the checkpoint's signature does not verify") from exc
    return size, root


def _path(values: Any, what: str) -> list[bytes]:
    if not isinstance(values, list):
        raise ProofError(f"{what} is not a list")
    return [_hash(v, f"an entry of {what}") for v in values]


def verify_inclusion_bundle(bundle: dict[str, Any], public_key: Ed25519PublicKey) -> str:
    size, root = verify_checkpoint(bundle.get("checkpoint"), public_key)
    if bundle.get("tree_size") != size:
        raise ProofError("the proof's tree_size differs from its checkpoint's")
    leaf = _hash(bundle.get("leaf_hash"), "leaf_hash")
    canonical = bundle.get("canonical_event")
    if canonical is not None and merkle.leaf_hash(str(canonical).encode("utf-8")) != leaf:
        raise ProofError("canonical_event does not hash to leaf_hash")
    index = bundle.get("leaf_index")
    if not isinstance(index, int) or isinstance(index, bool):
        raise ProofError("leaf_index is not an integer")
    if not merkle.verify_inclusion(leaf, index, size, _path(bundle.get("path"), "path"), root):
        raise ProofError(f"the inclusion proof does not verify: leaf {index} is not in the signed tree of {size}")
    return f"event {bundle.get('event_id')} is leaf {index} of the signed tree of {size} events ({root.hex()})"


def verify_consistency_bundle(bundle: dict[str, Any], public_key: Ed25519PublicKey) -> str:
    old_size, old_root = verify_checkpoint(bundle.get("old"), public_key)
    new_size, new_root = verify_checkpoint(bundle.get("new"), public_key)
    if not merkle.verify_consistency(old_size, new_size, _path(bundle.get("proof"), "proof"), old_root, new_root):
        raise ProofError(f"the consistency proof does not verify: the tree of {new_size} does not extend the tree "
                         f"of {old_size}")
    return f"the signed tree of {new_size} events extends the signed tree of {old_size}"


def verify_bundle(bundle: Any, public_key: Ed25519PublicKey) -> str:
    """Verify any bundle (inclusion, consistency, or a bare checkpoint); a sentence on success, else ProofError."""
    if not isinstance(bundle, dict):
        raise ProofError("the file is not a JSON object")
    kind = bundle.get("type")
    if kind == "inclusion":
        return verify_inclusion_bundle(bundle, public_key)
    if kind == "consistency":
        return verify_consistency_bundle(bundle, public_key)
    if kind is None and "signature" in bundle:
        size, root = verify_checkpoint(bundle, public_key)
        return f"the checkpoint of {size} events ({root.hex()}) is signed by the log's key"
    raise ProofError(f"unknown proof type {kind!r}")
