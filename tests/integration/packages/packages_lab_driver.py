"""Drive everylayer.patch.packages with the real ansible-playbook against the lab's hosts."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK = Path(__file__).with_name("run_module.yml")
LAB_STATE = Path(os.environ.get("EVERYLAYER_LAB_DIR", "/var/tmp/everylayer-lab")) / "state.json"
INVENTORY = (
    Path(os.environ.get("EVERYLAYER_LAB_INVENTORY_DIR", REPO / "inventories" / "lab" / "generated")) / "hosts.yml"
)
PYTHON = REPO / ".venv" / "bin" / "python"


def lab(*words: str) -> str:
    """Run ``python -m lab WORDS`` from the repo root; fail the test with its output when it fails."""
    proc = subprocess.run(
        [str(PYTHON if PYTHON.exists() else sys.executable), "-m", "lab", *words],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"python -m lab {' '.join(words)} failed: {proc.stdout}{proc.stderr}")
    return proc.stdout


@contextlib.contextmanager
def fault(kind: str, host: str):
    """Inject a lab fault on ``host`` for the duration of the block; yields the lab's message (the lock holder)."""
    message = lab("fault", kind, host)
    try:
        yield message
    finally:
        lab("fault", "clear", kind, host)


def holder_pid(message: str) -> str:
    """The pid of the process holding the lock, from ``python -m lab fault lock``'s message."""
    return message.rsplit("pid", 1)[1].strip().split()[0]


def lab_hosts() -> dict:
    if not LAB_STATE.exists() or not INVENTORY.exists():
        pytest.fail(f"the lab is not up ({LAB_STATE} / {INVENTORY} missing): run `python -m lab up` as root")
    return json.loads(LAB_STATE.read_text())["hosts"]


def host_of(manager: str, preferred: str) -> dict:
    """The lab host to use for ``manager``: ``preferred`` if it exists, else the last host with that manager."""
    hosts = lab_hosts()
    if preferred in hosts:
        return hosts[preferred]
    same = sorted(name for name, h in hosts.items() if h["manager"] == manager)
    if not same:
        pytest.fail(f"the lab has no {manager} host")
    return hosts[same[-1]]


def reset_host(manager: str, preferred: str):
    """A module fixture's body: the ``manager`` host, reset to its baseline before the tests and after them."""
    h = host_of(manager, preferred)
    if h["manager"] != manager:
        pytest.fail(f"{h['name']} uses {h['manager']}, expected {manager}")
    lab("reset", h["name"])
    yield h
    lab("reset", h["name"])


def installed_versions(host: dict, names: list[str] | None = None) -> dict[str, str]:
    """Versions of lab packages read inside the host (dpkg-query or rpm through chroot), not from the module."""
    root = host["root"]
    if host["manager"] == "apt":
        argv = ["chroot", root, "dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"]
    else:
        argv = ["chroot", root, "rpm", "-qa", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\tii \n"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    versions = {}
    for line in out.splitlines():
        name, version, status = (line.split("\t") + ["", ""])[:3]
        if status.startswith(("ii", "hi")) or (status[1:2] in ("F", "U", "H") and version):
            if names is None and not (name.startswith("lab-") or name == "kernel-lab"):
                continue
            if names is None or name in names:
                versions[name] = version
    return versions


def run_module(host: str, args: dict, tmp_path: Path, check: bool = False, diff: bool = False) -> dict:
    """Run the module once on ``host`` through ansible-playbook; return its registered result."""
    out = tmp_path / f"result-{len(list(tmp_path.glob('result-*')))}.json"
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"target": host, "module_args": args, "result_file": str(out)}))
    argv = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(INVENTORY), str(PLAYBOOK), "-e", f"@{extra}"]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, env=env, check=False)
    if not out.exists():
        pytest.fail(f"ansible-playbook produced no result (rc {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr}")
    result = json.loads(out.read_text())
    result["_playbook_rc"] = proc.returncode
    result["_stdout"] = proc.stdout
    return result
