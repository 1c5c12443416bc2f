"""Write-ahead evidence against the lab: the controller killed (SIGKILL) mid patch task, and a host stopped
mid-transaction. Afterwards verify, the report and the next scan tell the true state of every host, checked
against the package database read inside each host's chroot."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import actions
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.gate import gate_view
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError, open_store

pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
HOSTS = ["lab-apt-01", "lab-dnf-01"]
PACKAGES = ["lab-agent", "lab-cron", "lab-utils", "lab-web"]

PATCH = """
- name: Scan, then patch (the rollout's core)
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: Scan
      everylayer.patch.packages:
        state: scanned
        update_cache: false
    - name: Patch
      everylayer.patch.packages:
        state: patched
        update_cache: false
"""

SCAN = """
- name: The next scan
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: Scan
      everylayer.patch.packages:
        state: scanned
        update_cache: false
      ignore_errors: true  # noqa: ignore-errors - a host left broken is a result the evidence must show
"""


def lab_dir() -> Path:
    state = os.environ.get("EVERYLAYER_LAB_DIR")
    inv = Path(state) / "inventory" if state else REPO / "inventories" / "lab" / "generated"
    return inv


def lab_data() -> dict:
    path = lab_dir() / "lab.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: bring the lab up first (python -m lab up)")
    return json.loads(path.read_text())


def lab(*args):
    proc = subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"python -m lab {' '.join(args)}: {proc.stdout}{proc.stderr}"


def installed(host) -> dict:
    """name -> installed versions, read inside the host's chroot: the truth the evidence is checked against.

    A set: an install-only package (the kernel on rpm) keeps its old version beside the new one.
    """
    info = lab_data()["lab"]["hosts"][host]
    if info["manager"] == "apt":
        argv = ["chroot", info["root"], "dpkg-query", "-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\\n"]
    else:
        argv = ["chroot", info["root"], "rpm", "-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE} ii\\n"]
    out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2].startswith("ii"):
            found.setdefault(parts[0], set()).add(parts[1])
    return found


def env(store):
    base = {k: v for k, v in os.environ.items() if not k.startswith("EVERYLAYER_EVIDENCE")}
    base.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_CALLBACKS_ENABLED="everylayer.patch.evidence",
        EVERYLAYER_EVIDENCE_STORE=str(store),
        ANSIBLE_NOCOLOR="1",
    )
    return base


def playbook(tmp_path, name, text, store, *args, wait=True):
    path = tmp_path / f"{name}.yml"
    path.write_text(text)
    argv = [ANSIBLE_PLAYBOOK, "-i", str(lab_dir() / "hosts.yml"), str(path), "-e", f"target={','.join(HOSTS)}", *args]
    log = open(tmp_path / f"{name}.log", "w")
    proc = subprocess.Popen(
        argv, cwd=REPO, env=env(store), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    if wait:
        proc.wait(600)
        log.close()
    return proc


def records(store):
    try:
        with open_store(str(store), readonly=True) as db:
            return list(db.records())
    except EvidenceError:
        return []


def wait_for_intents(store, hosts, proc, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if {r.host for r in records(store) if r.kind == "intent"} >= set(hosts):
            return
        time.sleep(0.1)
    raise AssertionError("the patch task never started on every host")


def check_truth(store, killed_run, tmp_path):
    """The next scan, verify and the report against each host's package database."""
    playbook(tmp_path, "scan", SCAN, store)
    every = records(store)
    run = [r for r in every if r.run_id == killed_run]
    result = actions.verify_store(str(store))
    report = actions.write_report(str(tmp_path / "reports"), ["json", "html", "csv"], str(store))
    outcomes = gate_view(run, every, HOSTS)["outcomes"]
    unknown = {h["host"]: h for h in result["unknown_hosts"] if h["run_id"] == killed_run}
    for host in HOSTS:
        truth = installed(host)
        if outcomes[host] != "unknown":
            # the task reported before the kill: its change record is the truth
            change = next(r for r in run if r.host == host and r.kind == "change" and r.data.get("task") == "Patch")
            for item in change.data["changes"]:
                assert truth.get(item["component"]) == item["after"], (host, item)
            continue
        entry = unknown[host]
        scans = [r for r in every if r.host == host and r.kind == "change" and r.run_id != killed_run]
        if entry["reconciled_by"] is None:
            # the scan could not read the host (a package database left broken): it stays unknown, and says so
            assert scans == [] or scans[-1].data.get("failed"), entry
            assert any(p["problem"] == "unknown" and host in p["msg"] for p in result["problems"])
            continue
        reconcile = next(r for r in every if r.seq == entry["reconciled_by"])
        for item in reconcile.data["changed_outside"]:
            assert item["after"] in truth.get(item["component"], ()), (host, item)  # applied with nobody watching
        pending = scans[-1].data["pending"]
        assert sorted(p["component"] for p in pending) == reconcile.data["pending_now"]
        for item in pending:
            versions = truth.get(item["component"], set())
            assert item["before"] in versions and item["after"] not in versions, (host, item)  # still as it was
    assert report["totals"]["interrupted_runs"] == len(
        [r for r in result["interrupted_runs"] if r["run_id"] == killed_run]
    )
    page = Path(report["paths"]["html"]).read_text()
    if unknown:
        assert 'id="unknown-hosts"' in page and killed_run in page
    return result, outcomes, unknown


@pytest.fixture
def fresh():
    lab("reset", *HOSTS)
    yield
    lab("fault", "clear", "stop", "lab-dnf-01")
    lab("reset", *HOSTS)


def test_controller_killed_mid_patch_task(tmp_path, fresh):
    store = tmp_path / "ev.sqlite"
    proc = playbook(tmp_path, "patch", PATCH, store, "-e", "everylayer_run_id=killed-1", wait=False)
    wait_for_intents(store, HOSTS, proc)
    time.sleep(1.0)  # the package managers are at work on both hosts
    os.killpg(proc.pid, signal.SIGKILL)  # the controller and its forks die at once (kill -9 on the job)
    proc.wait(30)
    before_scan = actions.verify_store(str(store))
    assert [r["run_id"] for r in before_scan["interrupted_runs"]] == ["killed-1"]
    assert any(p["problem"] == "interrupted" for p in before_scan["problems"])
    result, outcomes, unknown = check_truth(store, "killed-1", tmp_path)
    assert unknown, f"no host was caught mid-task: {outcomes}"
    assert all(outcomes[h] in ("unknown", "patched") for h in HOSTS)


def test_host_stopped_mid_transaction(tmp_path, fresh):
    store = tmp_path / "ev.sqlite"
    proc = playbook(tmp_path, "patch", PATCH, store, "-e", "everylayer_run_id=lost-1", wait=False)
    wait_for_intents(store, HOSTS, proc)
    time.sleep(1.0)
    lab("fault", "stop", "lab-dnf-01")  # sshd and every process of the host stop: dnf dies mid-transaction
    assert proc.wait(600) != 0
    view = gate_view(records(store), records(store), HOSTS)
    assert view["outcomes"]["lab-dnf-01"] == "unknown"  # not 'unchanged': it may have upgraded before it died
    assert view["counts"]["failed"] >= 1
    lab("fault", "clear", "stop", "lab-dnf-01")
    result, outcomes, unknown = check_truth(store, "lost-1", tmp_path)
    assert "lab-dnf-01" in unknown and result["interrupted_runs"] == []  # the run itself ended
