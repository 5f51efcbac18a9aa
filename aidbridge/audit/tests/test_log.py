"""The transparency log: signed checkpoints, proofs, the `log` command, the API, and `audit verify --checkpoint`."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from aidbridge.audit import log, merkle, transparency
from aidbridge.audit.models import AuditChainHead, AuditEvent, TransparencyCheckpoint
from aidbridge.audit.services import GENESIS_HASH, body_hash, canonical_json, event_payload
from aidbridge.audit.tasks import checkpoint_log
from aidbridge.audit.verify import verify_chain, verify_checkpoints

TABLE = AuditEvent._meta.db_table


@pytest.fixture(autouse=True)
def log_key(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "keys" / "log_key"
    monkeypatch.setenv("AIDBRIDGE_LOG_KEY", str(path))
    return path


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _checkpoint_file(tmp_path: Path, name: str = "cp.json") -> tuple[Path, dict]:
    path = tmp_path / name
    call_command("log", "checkpoint", "--output", str(path), stdout=StringIO())
    return path, json.loads(path.read_text())


def _public_key() -> str:
    out = StringIO()
    call_command("log", "public-key", "--hex", stdout=out)
    return out.getvalue().strip()


def test_the_key_is_created_once_with_mode_0600_and_identified_by_its_hash(db, log_key):
    assert not log_key.exists()
    key = log.signing_key()
    assert stat.S_IMODE(os.stat(log_key).st_mode) == 0o600
    assert log.signing_key().public_key().public_bytes_raw() == key.public_key().public_bytes_raw()
    assert transparency.key_id(key.public_key()) == hashlib.sha256(key.public_key().public_bytes_raw()).hexdigest()
    pem = StringIO()
    call_command("log", "public-key", stdout=pem)
    assert pem.getvalue().startswith("-----BEGIN PUBLIC KEY-----")
    assert transparency.raw_public_key(transparency.load_public_key(pem.getvalue())).hex() == _public_key()


def test_a_checkpoint_is_signed_over_every_event_and_stored(world, tmp_path):
    path, cp = _checkpoint_file(tmp_path)
    hashes = [merkle.leaf_hash(log.canonical_event(e).encode()) for e in AuditEvent.objects.order_by("seq")]
    assert cp["tree_size"] == len(hashes) == AuditEvent.objects.count() > 5
    assert cp["root_hash"] == merkle.mth(hashes).hex()
    assert cp["timestamp"].endswith("Z") and set(cp) == set(transparency.CHECKPOINT_FIELDS)
    assert TransparencyCheckpoint.objects.get().root_hash == cp["root_hash"]
    key = transparency.load_public_key(_public_key())
    assert transparency.verify_checkpoint(cp, key) == (cp["tree_size"], bytes.fromhex(cp["root_hash"]))
    for field, value in (("tree_size", cp["tree_size"] - 1), ("root_hash", "0" * 64),
                         ("timestamp", "2000-01-01T00:00:00.000000Z")):
        with pytest.raises(transparency.ProofError):
            transparency.verify_checkpoint({**cp, field: value}, key)


def test_a_proof_verifies_offline_and_a_changed_one_does_not(world, tmp_path):
    event = AuditEvent.objects.order_by("seq")[3]
    proof_file = tmp_path / "proof.json"
    call_command("log", "prove", "--event", str(event.pk), "--output", str(proof_file), stdout=StringIO())
    bundle = json.loads(proof_file.read_text())
    assert (bundle["leaf_index"], bundle["event_id"]) == (3, event.pk)
    assert bundle["canonical_event"] == log.canonical_event(event)
    key = transparency.load_public_key(_public_key())
    assert "leaf 3" in transparency.verify_bundle(bundle, key)
    out = StringIO()
    call_command("log", "verify-proof", str(proof_file), "--public-key", _public_key(), stdout=out)
    assert out.getvalue().startswith("Verified:")
    forged = {**bundle, "canonical_event": bundle["canonical_event"].replace(event.actor_name, "mallory")}
    forged_leaf = {**forged, "leaf_hash": merkle.leaf_hash(forged["canonical_event"].encode()).hex()}
    for bad in (forged, forged_leaf, {**bundle, "leaf_index": 4}, {**bundle, "path": bundle["path"][:-1]}):
        with pytest.raises(transparency.ProofError):
            transparency.verify_bundle(bad, key)
    other_key = transparency.load_public_key(log.Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex())
    with pytest.raises(transparency.ProofError, match="different key"):
        transparency.verify_bundle(bundle, other_key)


def test_verify_proof_needs_no_database(world, tmp_path):
    proof_file = tmp_path / "proof.json"
    call_command("log", "prove", "--event", str(AuditEvent.objects.order_by("seq")[1].pk), "--output",
                 str(proof_file), stdout=StringIO())
    key_file = tmp_path / "log.pem"
    pem = StringIO()
    call_command("log", "public-key", stdout=pem)
    key_file.write_text(pem.getvalue())
    env = {**os.environ, "AIDBRIDGE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
           "AIDBRIDGE_VAR_DIR": str(tmp_path / "empty-var"), "AIDBRIDGE_LOG_KEY": str(tmp_path / "no-key")}
    env.pop("AIDBRIDGE_TESTING", None)

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "aidbridge", "log", "verify-proof", str(path),
                               "--public-key", str(key_file)], env=env, capture_output=True, text=True, timeout=120)

    ok = run(proof_file)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("Verified: event")
    bundle = json.loads(proof_file.read_text())
    bundle["checkpoint"]["root_hash"] = "ab" * 32
    proof_file.write_text(json.dumps(bundle))
    bad = run(proof_file)
    assert bad.returncode != 0 and "NOT VERIFIED" in bad.stderr
    assert not (tmp_path / "no-key").exists()


def test_consistency_between_two_checkpoints(world, personas, tmp_path):
    old_path, old = _checkpoint_file(tmp_path, "old.json")
    from aidbridge.catalogue import services

    services.create_item(actor=personas.coordinator, code="LOG-1", name="x", supply_class="I", unit="each",
                         weight_t="0.1")
    new_path, new = _checkpoint_file(tmp_path, "new.json")
    assert new["tree_size"] > old["tree_size"]
    out = tmp_path / "consistency.json"
    call_command("log", "consistency", str(old_path), str(new_path), "--output", str(out), stdout=StringIO())
    key = transparency.load_public_key(_public_key())
    bundle = json.loads(out.read_text())
    assert "extends" in transparency.verify_bundle(bundle, key)
    with pytest.raises(transparency.ProofError):
        transparency.verify_bundle({**bundle, "old": new, "new": old}, key)
    with pytest.raises(CommandError, match="larger"):
        call_command("log", "consistency", str(new_path), str(old_path), stdout=StringIO())


def test_api_serves_checkpoint_proofs_and_consistency(world, personas, login):
    assert login(personas.auditor).get("/api/v1/log/checkpoint").status_code == 404  # none yet
    old = log.make_checkpoint()
    event = AuditEvent.objects.order_by("seq")[2]
    from aidbridge.catalogue import services

    services.create_item(actor=personas.coordinator, code="LOG-2", name="x", supply_class="I", unit="each",
                         weight_t="0.1")
    new = log.make_checkpoint()
    key = log.signing_key().public_key()
    auditor = login(personas.auditor)
    cp = auditor.get("/api/v1/log/checkpoint").json()
    assert cp == log.as_dict(new)
    proof = auditor.get(f"/api/v1/log/proof/{event.pk}").json()
    assert "leaf 2" in transparency.verify_bundle(proof, key)
    consistency = login(personas.donor_de).get(f"/api/v1/log/consistency?old={old.tree_size}").json()
    assert "extends" in transparency.verify_bundle(consistency, key)
    assert login(personas.donor_de).get(f"/api/v1/log/proof/{event.pk}").status_code == 404
    assert login(personas.outsider).get(f"/api/v1/log/proof/{event.pk}").status_code == 404
    assert auditor.get("/api/v1/log/proof/999999").status_code == 404
    assert login(None).get("/api/v1/log/checkpoint").status_code == 401


def test_approving_a_run_enqueues_a_checkpoint(world, personas, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from aidbridge.allocation import run_services as runs
    from aidbridge.allocation.tasks import execute_run

    run = runs.start_run(actor=personas.coordinator)
    execute_run.call(run.pk)
    run.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        runs.approve_run(actor=personas.coordinator, run=run)
    assert DBTaskResult.objects.filter(task_path__endswith="checkpoint_log").count() == 1
    assert checkpoint_log.call() == AuditEvent.objects.count()
    assert TransparencyCheckpoint.objects.get().tree_size == AuditEvent.objects.count()


# --- audit verify --checkpoint ------------------------------------------------------------------------------


def _verify(*files: Path) -> str:
    out = StringIO()
    call_command("audit", "verify", "--checkpoint", *map(str, files), stdout=out)
    return out.getvalue()


def test_the_untouched_trail_extends_its_checkpoints(world, personas, tmp_path):
    first, _ = _checkpoint_file(tmp_path, "a.json")
    from aidbridge.catalogue import services

    services.create_item(actor=personas.coordinator, code="LOG-3", name="x", supply_class="I", unit="each",
                         weight_t="0.1")
    second, _ = _checkpoint_file(tmp_path, "b.json")
    assert "extends 2 checkpoint(s)" in _verify(first, second)


def test_truncation_is_named(world, tmp_path):
    path, cp = _checkpoint_file(tmp_path)
    last = AuditEvent.objects.order_by("-seq").first()
    _sql(f"DELETE FROM {TABLE} WHERE seq = %s", [last.seq])
    # Also repair the head, so only the checkpoint can tell.
    prev = AuditEvent.objects.order_by("-seq").first()
    AuditChainHead.objects.filter(pk=1).update(seq=prev.seq, hash=prev.hash)
    assert verify_chain().ok
    with pytest.raises(CommandError, match=rf"truncated.*#{cp['tree_size']} onwards"):
        _verify(path)


def _rewrite_from(seq: int, **changes) -> None:
    """Edit event ``seq`` and re-compute the chain from there on, as an attacker with database access would."""
    prev = AuditEvent.objects.get(seq=seq).prev_hash
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        for field, value in (changes if event.seq == seq else {}).items():
            setattr(event, field, value)
        body = canonical_json(event_payload(event))
        new_hash = body_hash(prev, body)
        _sql(f"UPDATE {TABLE} SET actor_name = %s, prev_hash = %s, hash = %s, body = %s WHERE id = %s",
             [event.actor_name, prev, new_hash, body, event.pk])
        prev = new_hash
    AuditChainHead.objects.filter(pk=1).update(hash=prev)


def test_a_rewrite_that_recomputes_the_chain_is_caught_by_the_checkpoint(world, personas, tmp_path):
    early, _ = _checkpoint_file(tmp_path, "early.json")
    size = AuditEvent.objects.count()
    from aidbridge.catalogue import services

    services.create_item(actor=personas.coordinator, code="LOG-4", name="x", supply_class="I", unit="each",
                         weight_t="0.1")
    late, _ = _checkpoint_file(tmp_path, "late.json")
    _rewrite_from(size + 1, actor_name="mallory")  # after the early checkpoint, within the late one
    assert verify_chain().ok
    assert _verify(early)
    with pytest.raises(CommandError, match=rf"rewritten.*first bad position is #{size + 1}$"):
        _verify(early, late)


def test_an_edit_insertion_or_reordering_is_named_at_its_position(world, tmp_path):
    path, _ = _checkpoint_file(tmp_path)
    _sql(f"UPDATE {TABLE} SET actor_name = %s WHERE seq = %s", ["mallory", 4])
    with pytest.raises(CommandError, match="event #4 .* was edited"):
        _verify(path)
    _sql(f"UPDATE {TABLE} SET actor_name = %s WHERE seq = %s", [AuditEvent.objects.get(seq=5).actor_name, 4])
    _sql(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [1_000_000, 4])
    _sql(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [4, 5])
    _sql(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [5, 1_000_000])
    finding = verify_checkpoints([json.loads(path.read_text())])
    assert finding is not None and finding.seq in (4, 5)


def test_a_bad_checkpoint_signature_fails(world, tmp_path):
    path, cp = _checkpoint_file(tmp_path)
    path.write_text(json.dumps({**cp, "root_hash": "cd" * 32}))
    with pytest.raises(CommandError, match="signature does not verify"):
        _verify(path)


# --- the chain walk's own gaps ------------------------------------------------------------------------------


def test_an_event_inserted_at_seq_zero_is_caught(world):
    first = AuditEvent.objects.get(seq=1)
    body = canonical_json({**event_payload(first), "action": "forged", "before": None, "after": None})
    _sql(f"INSERT INTO {TABLE} (seq, created_at, actor_name, action, object_type, object_id, object_repr, "
         "request_id, prev_hash, hash, body) VALUES (0, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
         [first.created_at, first.actor_name, "forged", first.object_type, first.object_id, first.object_repr,
          first.request_id, GENESIS_HASH, body_hash(GENESIS_HASH, body), body])
    report = verify_chain()
    assert (report.finding.seq, report.finding.kind) == (0, "inserted")
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_a_missing_or_inconsistent_head_fails(world):
    AuditChainHead.objects.filter(pk=1).update(seq=1)
    assert verify_chain().finding.kind == "head"
    AuditChainHead.objects.all().delete()
    report = verify_chain()
    assert report.finding.kind == "head" and "missing" in report.finding.message
    with pytest.raises(CommandError, match="head is missing"):
        call_command("audit", "verify")


def test_api_refuses_ids_no_column_can_hold(world, personas, login):
    auditor = login(personas.auditor)
    assert auditor.get(f"/api/v1/log/proof/{2**70}").status_code == 422
    assert auditor.get(f"/api/v1/log/consistency?old={2**70}").status_code == 422
    assert auditor.get("/api/v1/log/consistency?old=1").status_code == 404  # no checkpoints yet
