"""Helpers for the rollout tests: an inventory of lab hosts with chosen waves, runs, host versions, evidence."""

from __future__ import annotations

import json
import os
import re
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
    groups: dict[str, dict] = {}
    for host, wave in waves.items():
        asset = assets[host]
        hostvars = dict(asset["vars"])
        hostvars["asset"] = {
            "name": host,
            "layers": asset["layers"],
            "platform": asset["platform"],
            "maintenance_window": (windows or {}).get(host, "always"),
        }
        groups.setdefault(f"wave_{wave}", {"hosts": {}})["hosts"][host] = hostvars
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


# The rollout role's default waves (roles/rollout/defaults/main.yml), for tests that change one field of one wave.
DEFAULT_WAVES = [
    {"name": "pilot", "serial": 1, "max_fail_percentage": 0, "gate_min_success": 1.0},
    {"name": "staged", "serial": [1, "10%", "25%"], "max_fail_percentage": 20, "gate_min_success": 0.75},
    {"name": "full", "serial": ["25%", "50%"], "max_fail_percentage": 25},
]


def waves(**fields) -> list[dict]:
    """DEFAULT_WAVES with fields changed per wave: waves(staged={"serial": [2]}, full={"serial": [1]})."""
    return [dict(wave, **fields.get(wave["name"], {})) for wave in DEFAULT_WAVES]


def inventory_waves(inventory: Path, defined: list[dict] | None = None) -> list[str]:
    """The waves (default: DEFAULT_WAVES) that have hosts in a test inventory written by write_inventory, in order."""
    groups = (yaml.safe_load(inventory.read_text())["all"].get("children")) or {}
    return [w["name"] for w in defined or DEFAULT_WAVES if (groups.get(f"wave_{w['name']}") or {}).get("hosts")]


_SHORTHAND = re.compile(r"^rollout_(?:gate_)?(pilot|staged|full)_(serial|max_fail_percentage|min_success)$")


def wave_settings(extra: dict) -> dict:
    """Test shorthand for one field of a default wave: rollout_staged_serial=[2], rollout_staged_max_fail_percentage=50,
    rollout_gate_staged_min_success=0.5 become the rollout_waves list; rollout_waves="pilot" (a string) selects waves
    (rollout_run_waves)."""
    fields: dict[str, dict] = {}
    for key in [k for k in extra if _SHORTHAND.match(k)]:
        wave, field = _SHORTHAND.match(key).groups()
        fields.setdefault(wave, {})["gate_min_success" if field == "min_success" else field] = extra.pop(key)
    if fields:
        extra["rollout_waves"] = waves(**fields)
    if isinstance(extra.get("rollout_waves"), str):
        extra["rollout_run_waves"] = extra.pop("rollout_waves")
    return extra


def rollout(inventory: Path, store: Path, **extra) -> subprocess.CompletedProcess:
    """Run playbooks/rollout.yml. Without rollout_run_waves, runs the default waves that have hosts in the inventory
    (an empty wave fails a rollout; the tests of that pass rollout_run_waves themselves)."""
    extra = wave_settings(extra)
    if "rollout_run_waves" not in extra:
        extra["rollout_run_waves"] = inventory_waves(inventory, extra.get("rollout_waves"))
    base = {
        "change_id": "CHG-TEST-1",
        "apply_names": PACKAGES,
        "reboot_policy": "never",
        "rollout_manifest_dir": str(store.parent / "manifests"),
    }
    base.update(extra)
    # staged and full need an approval record (docs/rollouts.md, "Approvals"): one for the run, for its change
    base.setdefault("rollout_approval", approval(base["change_id"] or "CHG-TEST-1"))
    return run_playbook("rollout.yml", inventory, store, base)


def approval(change_id: str, approver: str = "rollout-tests") -> dict:
    """An approval record (who, when, which change) for the waves that need one."""
    return {"approver": approver, "approved_at": "2026-01-05T09:00:00Z", "change_id": change_id}


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
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store

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


# -- network devices and BMCs of the lab (tests/integration/rollout/test_rollout_layers.py) -------------------------
NET_DEVICES = ["lab-ios-01", "lab-nxos-01", "lab-eos-01", "lab-junos-01"]
BMCS = ["lab-bmc-01", "lab-bmc-02"]


def write_layer_inventory(
    path: Path, waves: dict[str, str], hostvars: dict[str, dict], assets: dict[str, dict]
) -> Path:
    """Like write_inventory, for any lab asset (OS host, network device, BMC), with extra host vars and asset fields."""
    data = lab_data()
    known = {a["name"]: a for a in data["assets"]}
    groups: dict[str, dict] = {}
    for host, wave in waves.items():
        asset = known[host]
        entry = dict(asset["vars"], **hostvars.get(host, {}))
        entry["asset"] = {
            "name": host,
            "layers": asset["layers"],
            "platform": asset["platform"],
            "criticality": asset.get("criticality"),
            "maintenance_window": "always",
            **assets.get(host, {}),
        }
        groups.setdefault(f"wave_{wave}", {"hosts": {}})["hosts"][host] = entry
    path.write_text(yaml.safe_dump({"all": {"children": groups}}, sort_keys=True))
    return path


def netdev_state(device: str) -> dict:
    """The simulator's durable state of a lab network device (image, version, boot list, up)."""
    asset = next(a for a in lab_data()["assets"] if a["name"] == device)
    return json.loads(Path(asset["vars"]["everylayer_netdev_state"]).read_text())


def netdev_boot(work: Path, targets: dict[str, tuple[str, str]]) -> None:
    """Make each device run the given (image file, version) through network_image state=rolled_back.

    The image must be on the device's flash (the lab keeps the baseline and target images there). Devices that
    already run the version are left alone. Used to put the lab's devices at a known image before a test and
    back where they were after it.
    """
    work.mkdir(parents=True, exist_ok=True)
    play = [
        {
            "name": "boot the given images",
            "hosts": ",".join(targets),
            "gather_facts": False,
            "tasks": [
                {
                    "name": "boot the image",
                    "everylayer.patch.network_image": {
                        "state": "rolled_back",
                        "rollback": {
                            "file": "{{ netdev_targets[inventory_hostname][0] }}",
                            "version": "{{ netdev_targets[inventory_hostname][1] }}",
                        },
                        "backup_dir": str(work / "backups"),
                        "reload_poll_interval": 1,
                        "reload_timeout": 120,
                    },
                }
            ],
        }
    ]
    (work / "boot.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    inventory = LAB_JSON.parent / "hosts.yml"
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    argv = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", str(inventory), str(work / "boot.yml")]
    argv += ["-e", json.dumps({"netdev_targets": {k: list(v) for k, v in targets.items()}})]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=600)
    (work / "boot.log").write_text(proc.stdout + proc.stderr)
    assert proc.returncode == 0, f"could not boot {targets}: {proc.stdout[-3000:]}{proc.stderr[-1000:]}"


def bmc_versions(bmc: str) -> dict[str, str]:
    """Component -> version of a lab BMC, read from its Redfish FirmwareInventory (TLS verified with the lab CA)."""
    import base64
    import ssl
    import urllib.request

    asset = next(a for a in lab_data()["assets"] if a["name"] == bmc)["vars"]
    context = ssl.create_default_context(cafile=asset["everylayer_bmc_ca_path"])
    token = base64.b64encode(f"{asset['everylayer_bmc_username']}:{asset['everylayer_bmc_password']}".encode()).decode()

    def get(path: str) -> dict:
        request = urllib.request.Request(
            asset["everylayer_bmc_baseuri"] + path, headers={"Authorization": f"Basic {token}"}
        )
        with urllib.request.urlopen(request, context=context, timeout=10) as resp:  # noqa: S310 - https to the lab BMC
            return json.loads(resp.read())

    members = get("/redfish/v1/UpdateService/FirmwareInventory")["Members"]
    return {m["Id"]: m["Version"] for m in (get(x["@odata.id"]) for x in members)}
