"""The simulated host speaks WinRM as a Windows listener does: pywinrm and Ansible's winrm connection,
unmodified, authenticate with NTLM and seal every message."""

from __future__ import annotations

import subprocess

import pytest
import requests
import winrm
from winrm.exceptions import InvalidCredentialsError

from lab.winsim import testing

REPO = testing.REPO


def _session(host, password=None, encryption="always"):
    return winrm.Session(
        f"http://127.0.0.1:{host.port}/wsman",
        auth=(f"LAB-WIN-01\\{host.user}", password or host.password),
        transport="ntlm",
        message_encryption=encryption,
    )


def test_pywinrm_ntlm_sealed_commands(winhost):
    assert _session(winhost).run_cmd("hostname").std_out == b"LAB-WIN-01\r\n"
    result = _session(winhost).run_ps("Write-Output 'sealed both ways'")
    assert (result.status_code, result.std_out) == (0, b"sealed both ways\r\n")


def test_unknown_command_fails_as_powershell_does(winhost):
    result = _session(winhost).run_ps("Get-Frobnicator")
    assert result.status_code == 1
    assert b"is not recognized" in result.std_err


def test_wrong_password_is_rejected(winhost):
    with pytest.raises(InvalidCredentialsError):
        _session(winhost, password="wrong").run_cmd("hostname")


def test_unencrypted_soap_after_ntlm_is_refused(winhost):
    """AllowUnencrypted=false: a listener refuses plain SOAP on HTTP even from an authenticated client."""
    with pytest.raises(Exception) as info:
        _session(winhost, encryption="never").run_cmd("hostname")
    assert "400" in str(info.value)


def test_unauthenticated_request_gets_negotiate_challenge(winhost):
    reply = requests.post(f"http://127.0.0.1:{winhost.port}/wsman", data=b"<x/>", timeout=5)
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"].startswith("Negotiate")


def test_ansible_raw_over_winrm(winhost, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(testing.inventory_yaml({"lab-win-01": winhost.hostvars()}))
    run = subprocess.run(
        [str(REPO / ".venv/bin/ansible"), "all", "-i", str(inventory), "-m", "ansible.builtin.raw", "-a", "hostname"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "LAB-WIN-01" in run.stdout


@pytest.fixture(scope="module")
def tls_winhost(tmp_path_factory):
    running = testing.start(tmp_path_factory.mktemp("winsim-tls"), tls=True)
    yield running
    running.stop()


def _raw(hostvars, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(testing.inventory_yaml({"lab-win-01": hostvars}))
    return subprocess.run(
        [str(REPO / ".venv/bin/ansible"), "all", "-i", str(inventory), "-m", "ansible.builtin.raw", "-a", "hostname"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_basic_over_https_with_certificate_validation(tls_winhost, tmp_path):
    run = _raw(tls_winhost.https_hostvars(), tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "LAB-WIN-01" in run.stdout


def test_https_certificate_from_an_unknown_ca_is_refused(tls_winhost, tmp_path):
    hostvars = tls_winhost.https_hostvars()
    del hostvars["ansible_winrm_ca_trust_path"]  # validation stays on: the lab CA is not trusted
    run = _raw(hostvars, tmp_path)
    assert run.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in run.stdout + run.stderr


def test_basic_is_not_offered_over_plain_http(winhost):
    reply = requests.post(
        f"http://127.0.0.1:{winhost.port}/wsman", data=b"<x/>", auth=("ansible", winhost.password), timeout=5
    )
    assert reply.status_code == 401
    assert "Basic" not in reply.headers.get("WWW-Authenticate", "")
