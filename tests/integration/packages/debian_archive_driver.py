"""Drive everylayer.patch.packages with the real ansible-playbook against a real-archive chroot (lab/realdeb)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK = Path(__file__).with_name("run_module.yml")
CVE_RE = re.compile(r"\bCVE-\d{4}-\d{4,}\b")
# Ports of this tier (3700-3799): the changelog server, and one nothing listens on (an unreachable server).
CHANGELOG_PORT = 3701
CLOSED_PORT = 3799


def run_module(host, args: dict, tmp_path: Path, check: bool = False) -> dict:
    """Run the module once on the chroot host through ansible-playbook; return its registered result."""
    out = tmp_path / f"result-{len(list(tmp_path.glob('result-*')))}.json"
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"target": host.name, "module_args": args, "result_file": str(out)}))
    argv = [str(REPO / ".venv/bin/ansible-playbook"), "-i", str(host.inventory()), str(PLAYBOOK), "-e", f"@{extra}"]
    if check:
        argv.append("--check")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, env=env, check=False)
    if not out.exists():
        pytest.fail(f"ansible-playbook produced no result (rc {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr}")
    result = json.loads(out.read_text())
    result["_stdout"] = proc.stdout
    return result


def names(entries) -> set[str]:
    return {e["component"] for e in entries}


def changelog_entries(text: str):
    """[(version, entry text)] of a Debian changelog, newest first."""
    found = []
    for line in text.splitlines():
        head = re.match(r"^(\S+) \(([^)]+)\) ", line)
        if head:
            found.append([head.group(2), ""])
        elif found:
            found[-1][1] += line + "\n"
    return [(v, t) for v, t in found]


def cves_since(text: str, installed_source_version: str) -> set[str]:
    """CVE ids named in the entries newer than the installed source version (read until that header)."""
    ids: set[str] = set()
    for version, body in changelog_entries(text):
        if version == installed_source_version:
            break
        ids.update(CVE_RE.findall(body))
    return ids


def run_playbook(host, playbook: Path, extra_vars: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run one of the collection's playbooks against the chroot host; fail the test with its output on error."""
    extra = tmp_path / "playbook-extra.json"
    extra.write_text(json.dumps(extra_vars))
    argv = [str(REPO / ".venv/bin/ansible-playbook"), "-i", str(host.inventory()), str(playbook), "-e", f"@{extra}"]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        pytest.fail(f"{playbook.name} failed (rc {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-1000:]}")
    return proc
