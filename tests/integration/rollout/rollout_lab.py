"""Helpers for the rollout tests: an inventory of lab hosts with chosen waves, runs, host versions, evidence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
LAB_JSON = (
    Path(os.environ.get("EVERYLAYER_LAB_INVENTORY_DIR") or REPO / "inventories" / "lab" / "generated") / "lab.json"
)
PACKAGES = ["lab-agent", "lab-cron"]  # a small patch set keeps each rollout short
OS_HOSTS = ["lab-apt-01", "lab-apt-02", "lab-apt-03", "lab-dnf-01", "lab-dnf-02", "lab-zypper-01"]


def lab_data() -> dict:
    if not LAB_JSON.exists():
        raise AssertionError(f"{LAB_JSON} is missing: bring the lab up first (python -m lab up)")
    return json.loads(LAB_JSON.read_text())


def lab(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"python -m lab {' '.join(args)} failed: {proc.stdout}{proc.stderr}"
    return proc.stdout


def reset(*hosts: str) -> None:
    lab("reset", *hosts)


def write_inventory(path: Path, waves: dict[str, str], windows: dict[str, str] | None = None) -> Path:
    """A YAML inventory of the given lab hosts in the given waves, each with an `asset` record."""
    data = lab_data()
    assets = {a["name"]: a for a in data["assets"]}
    groups: dict[str, dict] = {"wave_pilot": {"hosts": {}}, "wave_staged": {"hosts": {}}, "wave_full": {"hosts": {}}}
    for host, wave in waves.items():
        asset = assets[host]
        hostvars = dict(asset["vars"])
        hostvars["asset"] = {
            "name": host,
            "layers": asset["layers"],
            "platform": asset["platform"],
            "maintenance_window": (windows or {}).get(host, "always"),
        }
        groups[f"wave_{wave}"]["hosts"][host] = hostvars
    path.write_text(yaml.safe_dump({"all": {"children": groups}}, sort_keys=True))
    return path


def run_playbook(playbook: str, inventory: Path, store: Path, extra: dict, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_CALLBACKS_ENABLED="everylayer.patch.evidence",
        EVERYLAYER_EVIDENCE_STORE=str(store),
        ANSIBLE_NOCOLOR="1",
    )
    argv = [
        str(Path(sys.executable).with_name("ansible-playbook")),
        "-i",
        str(inventory),
        str(REPO / "playbooks" / playbook),
    ]
    argv += ["-e", json.dumps(extra), *args]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=1200)
    (store.parent / f"{playbook}.log").write_text(proc.stdout + proc.stderr)  # kept beside the store for diagnosis
    return proc


def rollout(inventory: Path, store: Path, **extra) -> subprocess.CompletedProcess:
    base = {
        "change_id": "CHG-TEST-1",
        "apply_names": PACKAGES,
        "reboot_policy": "never",
        "rollout_manifest_dir": str(store.parent / "manifests"),
    }
    base.update(extra)
    return run_playbook("rollout.yml", inventory, store, base)


def versions(host: str, names=PACKAGES) -> dict[str, str | None]:
    """Installed versions read inside the host's chroot (dpkg for apt hosts, rpm otherwise)."""
    info = lab_data()["lab"]["hosts"][host]
    found = {}
    for name in names:
        if info["manager"] == "apt":
            argv = ["chroot", info["root"], "dpkg-query", "-W", "-f", "${Version}", name]
        else:
            argv = ["chroot", info["root"], "rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", name]
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        found[name] = proc.stdout.strip() if proc.returncode == 0 else None
    return found


BASELINE = {"lab-agent": "1.0-1", "lab-cron": "1.0-1"}
PATCHED = {"lab-agent": "1.2-1", "lab-cron": "1.1-1"}


def evidence(store: Path) -> list[dict]:
    """Every record of the store as dicts (seq, run_id, kind, host, data)."""
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import open_store

    with open_store(str(store)) as db:
        return [
            {"seq": r.seq, "run_id": r.run_id, "kind": r.kind, "host": r.host, "data": r.data} for r in db.records()
        ]


def decisions(store: Path, kind: str) -> list[dict]:
    return [
        r["data"]["decision"]
        for r in evidence(store)
        if r["kind"] == "decision" and r["data"]["decision"].get("kind") == kind
    ]


def verify(store: Path) -> dict:
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import verify_store

    return verify_store(str(store))
