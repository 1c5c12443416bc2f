# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signed runs and signed receipts: what a rewrite of the store cannot fake without the key.

The hash chain alone is unkeyed: whoever can write the store can edit a record and recompute every hash
after it. A run's ``run_end`` record therefore carries a signature (HMAC-SHA256 with a shared secret, or
Ed25519 with a private key through ``cryptography``) over the seq and content of every record the run wrote,
and the receipt (run id, head hash and seq) is signed too and published outside the store: an append-only
receipt log, ansible-runner's artifact data, AWX's set_stats. The key never enters the store, a log or a
report: only its ``key_id`` (a digest that reveals nothing of it).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import os

from .chain import canonical

KEY_ENV = "EVERYLAYER_EVIDENCE_SIGNING_KEY"  # the key itself (an AWX credential injects it), never an option value
MIN_HMAC_BYTES = 16
RUN_CONTEXT = "everylayer.patch evidence run v1"
RECEIPT_CONTEXT = "everylayer.patch evidence receipt v1"
RECEIPT_FIELDS = ("run_id", "head", "head_seq", "records", "digest")


class SigningError(Exception):
    """A key cannot be read or used; the message names the source, never the key."""


class Signer:
    """HMAC-SHA256 (``alg`` hmac-sha256) or Ed25519 (``alg`` ed25519); Ed25519 from a public key only verifies."""

    def __init__(self, alg, key_id, secret=None, private=None, public=None):
        self.alg, self.key_id = alg, key_id
        self._secret, self._private, self._public = secret, private, public

    @property
    def can_sign(self) -> bool:
        return self._secret is not None or self._private is not None

    def sign(self, message: bytes) -> str:
        if self._secret is not None:
            return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
        if self._private is None:
            raise SigningError("an Ed25519 public key can verify but not sign")
        return base64.b64encode(self._private.sign(message)).decode("ascii")

    def check(self, message: bytes, signature) -> bool:
        if not isinstance(signature, str):
            return False
        if self._secret is not None:
            return hmac.compare_digest(self.sign(message), signature)
        from cryptography.exceptions import InvalidSignature

        try:
            self._public.verify(base64.b64decode(signature.encode("ascii"), validate=True), message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def __repr__(self):  # never the key
        return f"Signer(alg={self.alg}, key_id={self.key_id})"


def load_key(material: bytes, source: str) -> Signer:
    """A PEM Ed25519 key (private: signs and verifies; public: verifies), anything else an HMAC secret."""
    text = material.strip()
    if text.startswith(b"-----BEGIN"):
        return _ed25519(text, source)
    if len(text) < MIN_HMAC_BYTES:
        raise SigningError(f"the signing key from {source} is shorter than {MIN_HMAC_BYTES} bytes")
    key_id = hashlib.sha256(b"everylayer key id\0" + text).hexdigest()[:16]
    return Signer("hmac-sha256", key_id, secret=text)


def _ed25519(pem: bytes, source: str) -> Signer:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:  # pragma: no cover - ansible-core itself depends on cryptography
        raise SigningError(f"the Ed25519 key from {source} needs the Python library cryptography") from None
    try:
        if b"PRIVATE KEY" in pem.split(b"\n", 1)[0]:
            private = serialization.load_pem_private_key(pem, password=None)
            public = private.public_key()
        else:
            private, public = None, serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"the key from {source} is not a usable PEM key: {str(exc).splitlines()[0]}") from None
    if not isinstance(public, ed25519.Ed25519PublicKey):
        raise SigningError(f"the PEM key from {source} is not an Ed25519 key (only Ed25519 and HMAC secrets are used)")
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return Signer("ed25519", hashlib.sha256(raw).hexdigest()[:16], private=private, public=public)


def key_from(path=None, value=None, environ=None) -> Signer | None:
    """The signer from ``value`` (key material), else ``path`` (a key file), else ``$EVERYLAYER_EVIDENCE_SIGNING_KEY``."""
    environ = os.environ if environ is None else environ
    if value:
        return load_key(value.encode("utf-8") if isinstance(value, str) else value, "the signing_key option")
    if path:
        path = os.path.expanduser(path)
        try:
            mode = os.stat(path).st_mode
            with open(path, "rb") as handle:
                material = handle.read()
        except OSError as exc:
            raise SigningError(f"the signing key file {path} cannot be read: {exc.strerror}") from None
        if mode & 0o077 and b"PUBLIC KEY" not in material[:40]:
            raise SigningError(
                f"the signing key file {path} is readable by other users (mode {oct(mode & 0o777)}): chmod 600 it"
            )
        return load_key(material, f"file {path}")
    if environ.get(KEY_ENV):
        return load_key(environ[KEY_ENV].encode("utf-8"), f"environment variable {KEY_ENV}")
    return None


# --- what is signed ---------------------------------------------------------------------------------------------
def content_hash(rec) -> str:
    """A record's content without its chain link: a rewrite of other runs' records leaves it unchanged."""
    material = canonical([rec.seq, rec.run_id, int(rec.run_seq), rec.kind, rec.host, rec.recorded_at, rec.body])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def ranges(seqs) -> list:
    """[1, 2, 3, 7, 8] -> [[1, 3], [7, 8]]: the seqs a run wrote, compact even when runs interleave."""
    out = []
    for seq in seqs:
        if out and seq == out[-1][1] + 1:
            out[-1][1] = seq
        else:
            out.append([seq, seq])
    return out


def expand(spans) -> list:
    return [seq for first, last in spans for seq in range(int(first), int(last) + 1)]


def run_digest(run_id, hashes) -> str:
    return hashlib.sha256(canonical([RUN_CONTEXT, run_id, list(hashes)]).encode("utf-8")).hexdigest()


def sign_run(signer: Signer, run_id, entries) -> dict:
    """The ``signature`` of a run_end body over every record this run wrote before it: ``entries`` are
    (seq, content_hash) pairs in the order written."""
    digest = run_digest(run_id, [digest for _seq, digest in entries])
    return {
        "alg": signer.alg,
        "key_id": signer.key_id,
        "seqs": ranges([seq for seq, _digest in entries]),
        "count": len(entries),
        "digest": digest,
        "sig": signer.sign(canonical([RUN_CONTEXT, run_id, digest]).encode("utf-8")),
    }


def check_run(signer: Signer, run_id, signature: dict, by_seq: dict, pruned_through=0):
    """None when the signature holds for the stored records, else why not (``by_seq``: seq -> Record)."""
    if not isinstance(signature, dict) or not isinstance(signature.get("seqs"), list):
        return "its signature block is malformed"
    if signature.get("key_id") != signer.key_id or signature.get("alg") != signer.alg:
        return (
            f"it is signed with key {signature.get('key_id')} ({signature.get('alg')}), "
            f"not the verifying key {signer.key_id} ({signer.alg})"
        )
    if not signer.check(
        canonical([RUN_CONTEXT, run_id, signature.get("digest")]).encode("utf-8"), signature.get("sig")
    ):
        return "its signature does not match (forged or altered signature block)"
    seqs = expand(signature["seqs"])
    if seqs and seqs[0] <= pruned_through:
        return None  # records of the run were pruned by retention: the signature can no longer be recomputed
    missing = [seq for seq in seqs if seq not in by_seq or by_seq[seq].run_id != run_id]
    if missing:
        return f"records {ranges(missing)} that the run signed are missing or belong to another run"
    if run_digest(run_id, [content_hash(by_seq[seq]) for seq in seqs]) != signature.get("digest"):
        return "the records it signed were changed after signing (digest mismatch)"
    return None


def sign_receipt(signer: Signer, receipt: dict) -> dict:
    fields = [receipt.get(name) for name in RECEIPT_FIELDS]
    message = canonical([RECEIPT_CONTEXT, *fields]).encode("utf-8")
    return dict(receipt, signature={"alg": signer.alg, "key_id": signer.key_id, "sig": signer.sign(message)})


def check_receipt(signer: Signer, receipt: dict):
    sig = receipt.get("signature")
    if not isinstance(sig, dict):
        return "the receipt is not signed"
    if sig.get("key_id") != signer.key_id:
        return f"the receipt is signed with key {sig.get('key_id')}, not the verifying key {signer.key_id}"
    message = canonical([RECEIPT_CONTEXT, *[receipt.get(name) for name in RECEIPT_FIELDS]]).encode("utf-8")
    return None if signer.check(message, sig.get("sig")) else "the receipt's signature does not match its content"


# --- the receipt log: one JSON line per run, appended, never rewritten ---------------------------------------------
def append_receipt(path, receipt: dict) -> str:
    path = os.path.abspath(os.path.expanduser(path))
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, (json.dumps(receipt, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def read_receipts(path) -> list:
    """Every receipt of the log as (line number, receipt); a line that is not a receipt is an error naming it."""
    path = os.path.expanduser(path)
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as exc:
        raise SigningError(f"the receipt log {path} cannot be read: {exc.strerror}") from None
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            receipt = json.loads(line)
        except ValueError as exc:
            raise SigningError(f"the receipt log {path} line {number} is not JSON: {exc.msg}") from None
        if not isinstance(receipt, dict) or not receipt.get("run_id") or not receipt.get("head"):
            raise SigningError(f"the receipt log {path} line {number} is not a receipt (needs run_id and head)")
        out.append((number, receipt))
    return out
