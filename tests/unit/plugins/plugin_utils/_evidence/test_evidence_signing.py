"""Signed runs and receipts (issue 18 item 6): the alice -> mallory rewrite is caught, on both backends."""

import json
import os
import subprocess
import sys

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import signing
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import keyed_options, verify_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.recorder import Recorder
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

REWRITE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "helpers", "evidence_rewrite.py")
SECRET = "s3cr3t-hmac-key-for-evidence-0123456789"
CHANGE = {"layer": "os", "changes": [{"name": "openssl", "before": "3.0.1", "after": "3.0.2"}], "changed": True}


def record_run(target, signer, log, approver="alice", run_id=None):
    rec = Recorder(target=target, signer=signer, receipt_log=log, run_id=run_id)
    rec.start({"approver": approver, "change_ticket": "CHG-1"})
    rec.intent("web1", "Patch", "everylayer.patch.packages", "u1", state="latest")
    rec.task_result("web1", "Patch", "everylayer.patch.packages", dict(CHANGE), "ok", task_uuid="u1")
    rec.run_end({"web1": {"ok": 1, "changed": 1}})
    assert rec.publish_receipt() == (log if log else None)
    receipt = rec.receipt()
    rec.close()
    return receipt


def attack(target):
    out = subprocess.run([sys.executable, REWRITE, target], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "records edited: 1", out


def kinds(result):
    return sorted({p["problem"] for p in result["problems"]})


@pytest.fixture
def signer():
    return signing.load_key(SECRET.encode(), "test")


def test_the_rewrite_fools_the_unkeyed_chain_but_not_the_key_or_the_receipt_log(store_target, signer, tmp_path):
    log = str(tmp_path / "receipts.jsonl")
    receipt = record_run(store_target, signer, log)
    record_run(store_target, signer, log, approver="bob")
    keyed = {"signer": signer, "require_signature": True, "receipts": signing_receipts(log)}
    clean = verify_store(store_target, keyed=keyed)
    assert clean["verified"], clean["problems"]
    assert len(clean["signed_runs"]) == 2 and clean["receipts_checked"] == 2
    assert "signature" in json.dumps(next(iter(_run_end(store_target))))

    attack(store_target)
    unkeyed = verify_store(store_target)
    assert unkeyed["verified"], "the attack is what the issue says: the unkeyed chain verifies after it"
    with_key = verify_store(store_target, keyed={"signer": signer})
    assert not with_key["verified"] and kinds(with_key) == ["signature"]
    assert f"run {receipt['run_id']}" in with_key["problems"][0]["msg"]
    assert "changed after signing" in with_key["problems"][0]["msg"]
    with_log = verify_store(store_target, keyed={"receipts": signing_receipts(log)})
    assert not with_log["verified"] and kinds(with_log) == ["receipt"]
    # both receipts' heads are gone: the rewrite re-hashed every record after alice's run_start
    assert len(with_log["problems"]) == 2 and "not in the store" in with_log["problems"][0]["msg"]


def signing_receipts(log):
    return keyed_options(receipt_log=log)["receipts"]


def _run_end(target):
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store

    with open_store(target, readonly=True) as db:
        return [rec.data for rec in db.records() if rec.kind == "run_end"]


def test_require_signature_names_an_unsigned_run_and_a_missing_run(store_target, signer, tmp_path):
    log = str(tmp_path / "receipts.jsonl")
    record_run(store_target, None, None, run_id="unsigned-run")
    record_run(store_target, signer, log, run_id="signed-run")
    keyed = {"signer": signer, "require_signature": False, "receipts": []}
    assert verify_store(store_target, keyed=keyed)["unsigned_runs"] == ["unsigned-run"]
    assert verify_store(store_target, keyed=keyed)["verified"]
    strict = verify_store(store_target, keyed=dict(keyed, require_signature=True))
    assert kinds(strict) == ["unsigned"] and "unsigned-run" in strict["problems"][0]["msg"]
    assert verify_store(store_target, run_id="signed-run", keyed=dict(keyed, require_signature=True))["verified"]
    ghost = {"run_id": "ghost-run", "head": "ab" * 32, "head_seq": 99}
    missing = verify_store(store_target, keyed=dict(keyed, receipts=[("artifact", ghost)]))
    assert kinds(missing) == ["missing_run"]


def test_a_forged_signature_block_and_another_key_are_named(store_target, signer, tmp_path):
    record_run(store_target, signer, None, run_id="r1")
    other = signing.load_key(b"another-key-of-sufficient-length", "test")
    wrong = verify_store(store_target, keyed={"signer": other})
    assert kinds(wrong) == ["signature"] and "not the verifying key" in wrong["problems"][0]["msg"]
    no_key = verify_store(store_target, keyed={"require_signature": True})
    assert kinds(no_key) == ["signature"] and "no verifying key" in no_key["problems"][0]["msg"]


def test_a_receipt_whose_head_was_moved_or_signature_forged_is_named(store_target, signer, tmp_path):
    receipt = record_run(store_target, signer, None, run_id="r1")
    assert signing.check_receipt(signer, receipt) is None
    forged = dict(receipt, head_seq=receipt["head_seq"] + 5)
    result = verify_store(store_target, keyed={"signer": signer, "receipts": [("set_stats", forged)]})
    assert kinds(result) == ["receipt"]
    assert any("signature does not match" in p["msg"] for p in result["problems"])
    assert any("is record" in p["msg"] for p in result["problems"])


def test_ed25519_signs_with_the_private_key_and_verifies_with_the_public_one(store_target, tmp_path):
    private = ed25519.Ed25519PrivateKey.generate()
    key_file, pub_file = tmp_path / "ev.key", tmp_path / "ev.pub"
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file.write_bytes(pem)
    key_file.chmod(0o600)
    pub_file.write_bytes(
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    pub_file.chmod(0o644)
    log = str(tmp_path / "receipts.jsonl")
    signer = signing.key_from(path=str(key_file))
    assert signer.alg == "ed25519" and signer.can_sign
    record_run(store_target, signer, log)
    keyed = keyed_options(signing_key_file=str(pub_file), require_signature=True, receipt_log=log)
    assert not keyed["signer"].can_sign
    assert verify_store(store_target, keyed=keyed)["verified"]
    attack(store_target)
    result = verify_store(store_target, keyed=keyed)
    assert kinds(result) == ["receipt", "signature"]


def test_key_material_never_reaches_the_store_the_log_or_the_result(tmp_path, signer):
    target, log = str(tmp_path / "ev.sqlite"), str(tmp_path / "receipts.jsonl")
    record_run(target, signer, log)
    result = verify_store(target, keyed=keyed_options(signing_key=SECRET, require_signature=True, receipt_log=log))
    assert result["verified"]
    for path in (target, target + "-wal", log):
        if os.path.exists(path):
            with open(path, "rb") as handle:
                assert SECRET.encode() not in handle.read()
    assert SECRET not in json.dumps(result) and SECRET not in repr(signer)
    assert oct(os.stat(log).st_mode & 0o777) == "0o600"


def test_bad_keys_and_logs_are_named(tmp_path):
    loose = tmp_path / "loose.key"
    loose.write_text(SECRET)
    loose.chmod(0o644)
    with pytest.raises(signing.SigningError, match="readable by other users"):
        signing.key_from(path=str(loose))
    with pytest.raises(signing.SigningError, match="shorter than 16 bytes"):
        signing.key_from(value="short")
    with pytest.raises(signing.SigningError, match="cannot be read"):
        signing.key_from(path=str(tmp_path / "absent.key"))
    bad_pem = b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"
    with pytest.raises(signing.SigningError, match="not a usable PEM key"):
        signing.load_key(bad_pem, "test")
    log = tmp_path / "receipts.jsonl"
    log.write_text('{"run_id": "a", "head": "b"}\nnot json\n')
    with pytest.raises(signing.SigningError, match="line 2 is not JSON"):
        signing.read_receipts(str(log))
    assert signing.key_from(environ={signing.KEY_ENV: SECRET}).alg == "hmac-sha256"


def test_the_callbacks_receipt_log_may_not_exist_yet_but_a_named_one_must(tmp_path, monkeypatch):
    absent = str(tmp_path / "none" / "receipts.jsonl")
    monkeypatch.setenv("EVERYLAYER_EVIDENCE_RECEIPT_LOG", absent)
    assert keyed_options()["receipts"] == []  # no run has ended yet: nothing published to check
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError

    with pytest.raises(EvidenceError, match="cannot be read"):
        keyed_options(receipt_log=absent)


def test_a_record_appended_to_a_signed_run_is_named(store_target, signer):
    """The chain links it and the receipt's head is still there: only the run's signature can tell."""
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store

    receipt = record_run(store_target, signer, None, run_id="r1")
    with open_store(store_target) as db:  # an attacker with the formula appends a record claiming run r1
        forged = db.append("r1", 3, "change", "web2", dict(CHANGE, task="Patch"))
    assert verify_store(store_target)["verified"]  # unkeyed: a valid link at the head
    receipts = [("log", receipt)]
    assert verify_store(store_target, keyed={"receipts": receipts})["verified"]  # the head is still in the store
    result = verify_store(store_target, keyed={"signer": signer, "receipts": receipts})
    assert kinds(result) == ["unsigned"] and f"record {forged.seq} (change, host web2)" in result["problems"][0]["msg"]


def test_slices_sharing_a_run_id_verify_and_a_slice_that_never_ended_is_named(store_target, signer):
    record_run(store_target, signer, None, run_id="rollout-1")
    record_run(store_target, signer, None, run_id="rollout-1", approver="alice")
    assert verify_store(store_target, keyed={"signer": signer, "require_signature": True})["verified"]
    killed = Recorder(target=store_target, signer=signer, run_id="rollout-1")
    killed.start({"approver": "alice"})
    killed.intent("web3", "Patch", "everylayer.patch.packages", "u9", state="latest")
    killed.close()  # the controller of this slice died: no run_end, no signature
    result = verify_store(store_target, keyed={"signer": signer})
    unsigned = [p for p in result["problems"] if p["problem"] == "unsigned"]
    assert kinds(result) == ["unknown", "unsigned"] and len(unsigned) == 2  # its run_start and its intent
