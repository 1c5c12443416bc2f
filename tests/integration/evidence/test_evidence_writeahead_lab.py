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
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.gate import gate_view
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError

from lab.state import processes_in_root

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


def playbook(tmp_path, name, text, store, *args, wait=True, hosts=HOSTS, inventory=None):
    path = Path(text) if text.endswith(".yml") else tmp_path / f"{name}.yml"
    if path.parent == tmp_path:
        path.write_text(text)
    inventory = inventory or lab_dir() / "hosts.yml"
    argv = [ANSIBLE_PLAYBOOK, "-i", str(inventory), str(path), "-e", f"target={','.join(hosts)}", *args]
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


def wait_for_transaction(host, proc, timeout=240):
    """Until the host's package database shows the first upgrade: the transaction is under way."""
    baseline = installed(host)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if installed(host) != baseline:
            return
        time.sleep(0.05)
    raise AssertionError(f"{host}: no package changed while the patch task ran")


PACKAGE_TOOLS = ("AnsiballZ", "apt-get", "dpkg", "dnf", "rpm", "zypper")


def busy(root: str) -> list:
    """The package transactions still running inside a host's chroot (a process whose root is the chroot)."""
    found = []
    for pid in processes_in_root(Path(root)):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended meanwhile
        if any(tool in argv for tool in PACKAGE_TOOLS):
            found.append(argv)
    return found


def wait_for_quiet(hosts, timeout=300):
    """Until no package transaction runs on the hosts.

    A controller killed with -9 does not stop what its modules started on the hosts: the module and its apt or
    dnf go on with nobody watching (as on real servers). The truth is read once they have ended.
    """
    deadline = time.monotonic() + timeout
    for host in hosts:
        root = lab_data()["lab"]["hosts"][host]["root"]
        while busy(root):
            if time.monotonic() > deadline:
                raise AssertionError(f"{host}: package transactions still running after {timeout} s: {busy(root)}")
            time.sleep(0.2)


def check_truth(store, killed_run, tmp_path, hosts=HOSTS):
    """The next scan, verify and the report against each host's package database."""
    wait_for_quiet(hosts)
    playbook(tmp_path, "scan", SCAN, store, hosts=hosts)
    every = records(store)
    run = [r for r in every if r.run_id == killed_run]
    result = actions.verify_store(str(store))
    report = actions.write_report(str(tmp_path / "reports"), ["json", "html", "csv"], str(store))
    outcomes = gate_view(run, every, hosts)["outcomes"]
    unknown = {h["host"]: h for h in result["unknown_hosts"] if h["run_id"] == killed_run}
    for host in hosts:
        truth = installed(host)
        scans = [r for r in every if r.host == host and r.kind == "change" and r.run_id != killed_run]
        if scans and not scans[-1].data.get("failed"):
            for item in scans[-1].data["pending"]:  # what the next scan says is still to do: as it was
                versions = truth.get(item["component"], set())
                assert item["before"] in versions and item["after"] not in versions, (host, item)
        if outcomes[host] == "patched":
            # the task reported before the kill: its change record is the truth
            for rec in run:
                if rec.host == host and rec.kind == "change" and rec.data.get("changes") and not rec.data["simulated"]:
                    for item in rec.data["changes"]:
                        assert item["after"] in truth.get(item["component"], ()), (host, item)
            continue
        if outcomes[host] != "unknown":
            continue
        entry = unknown[host]
        if entry["reconciled_by"] is None:
            # the scan could not read the host (a package database left broken): it stays unknown, and says so
            assert scans == [] or scans[-1].data.get("failed"), entry
            assert any(p["problem"] == "unknown" and host in p["msg"] for p in result["problems"])
            continue
        reconcile = next(r for r in every if r.seq == entry["reconciled_by"])
        for item in reconcile.data["changed_outside"] or []:
            assert item["after"] in truth.get(item["component"], ()), (host, item)  # applied with nobody watching
        assert sorted(p["component"] for p in scans[-1].data["pending"]) == reconcile.data["pending_now"]
    interrupted = [r for r in result["interrupted_runs"] if r["run_id"] == killed_run]
    assert report["totals"]["interrupted_runs"] == len(interrupted)
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
    wait_for_transaction("lab-dnf-01", proc)  # dnf has upgraded its first package
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
    wait_for_transaction("lab-dnf-01", proc)
    lab("fault", "stop", "lab-dnf-01")  # sshd and every process of the host stop: dnf dies mid-transaction
    assert proc.wait(600) != 0
    view = gate_view(records(store), records(store), HOSTS)
    assert view["outcomes"]["lab-dnf-01"] == "unknown"  # not 'unchanged': it may have upgraded before it died
    assert view["counts"]["failed"] >= 1
    lab("fault", "clear", "stop", "lab-dnf-01")
    result, outcomes, unknown = check_truth(store, "lost-1", tmp_path)
    assert "lab-dnf-01" in unknown and result["interrupted_runs"] == []  # the run itself ended


def rollout_inventory(path: Path, hosts) -> Path:
    """The pilot wave of the rollout: the lab hosts with their asset record (as the assets inventory gives it)."""
    assets = {a["name"]: a for a in lab_data()["assets"]}
    pilot = {}
    for host in hosts:
        asset = assets[host]
        pilot[host] = dict(asset["vars"])
        pilot[host]["asset"] = {
            "name": host,
            "layers": asset["layers"],
            "platform": asset["platform"],
            "maintenance_window": "always",
        }
    path.write_text(json.dumps({"all": {"children": {"wave_pilot": {"hosts": pilot}}}}))
    return path


def test_controller_killed_mid_rollout(tmp_path, fresh):
    """playbooks/rollout.yml, killed while its pilot wave patches the first host (serial 1)."""
    store = tmp_path / "ev.sqlite"
    hosts = ["lab-dnf-01", "lab-apt-01"]
    inventory = rollout_inventory(tmp_path / "inventory.json", hosts)
    extra = {
        "change_id": "CHG-KILL-1",
        "everylayer_run_id": "rollout-killed-1",
        "reboot_policy": "never",
        "rollout_run_waves": ["pilot"],
        "rollout_manifest_dir": str(tmp_path / "manifests"),
    }
    playbook(tmp_path, "prescan", SCAN, store, hosts=hosts)  # the estate's scan before the rollout (scan.yml)
    proc = playbook(
        tmp_path,
        "rollout",
        str(REPO / "playbooks" / "rollout.yml"),
        store,
        "-e",
        json.dumps(extra),
        wait=False,
        hosts=hosts,
        inventory=inventory,
    )
    wait_for_intents(store, hosts[:1], proc)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    run = [r for r in records(store) if r.run_id == "rollout-killed-1"]
    assert run and run[0].kind == "run_start" and not any(r.kind == "run_end" for r in run)
    result, outcomes, unknown = check_truth(store, "rollout-killed-1", tmp_path, hosts)
    assert "rollout-killed-1" in [r["run_id"] for r in result["interrupted_runs"]]
    assert outcomes[hosts[0]] in ("unknown", "patched") and outcomes[hosts[1]] == "untouched"
    if hosts[0] in unknown and unknown[hosts[0]]["reconciled_by"]:
        # the scan before the rollout is the baseline: what the killed task applied is named, package by package
        assert isinstance(unknown[hosts[0]]["changed_outside"], list)
