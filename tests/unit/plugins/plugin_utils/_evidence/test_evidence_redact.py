"""No secret reaches the evidence: credential-like keys are redacted at any depth."""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.redact import REDACTED, is_secret_key, redact


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "db_password",
        "ansible_become_pass",
        "passwd",
        "secret",
        "client_secret",
        "api_token",
        "token",
        "apikey",
        "api-key",
        "private_key",
        "ssh_key",
        "key",
        "snmp_community",
        "credentials",
        "Authorization",
        "cookie",
        "session_id",
        "vault_pass",
    ],
)
def test_credential_keys_are_secret(key):
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "passed",
        "component",
        "before",
        "after",
        "advisories",
        "reboot_required",
        "rollback",
        "keyboard",
        "layer",
        "monkey_patch",
    ],
)
def test_ordinary_keys_are_kept(key):
    assert not is_secret_key(key)


def test_redacts_at_any_depth_and_keeps_shape():
    value = {"a": [{"b": {"password": "x", "ok": 1}}, ("t", {"api_token": "y"})], "token": None, "n": float("nan")}
    assert redact(value) == {
        "a": [{"b": {"password": REDACTED, "ok": 1}}, ["t", {"api_token": REDACTED}]],
        "token": None,
        "n": None,
    }


def test_redacts_secret_looking_values():
    assert redact({"blob": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc"}) == {"blob": REDACTED}
    assert redact(["$ANSIBLE_VAULT;1.1;AES256\n3131"]) == [REDACTED]
