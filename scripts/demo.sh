#!/usr/bin/env bash
# The main job of `make demo`: scan the lab, roll a patch set out pilot -> staged -> full under a governance baseline
# (an exception, a KEV-expedited update, approvals) with a fault injected in the staged wave, print the compliance
# summary before and after, then verify the evidence and render its report. Safe to run again: hosts start from their
# baseline every time. Expects the lab to be up (make lab-up) and the venv in $VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
export ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_NOCOLOR=${ANSIBLE_NOCOLOR:-}
# The lab's generated inventory (python -m lab up writes it; EVERYLAYER_LAB_INVENTORY_DIR moves it, docs/lab.md)
LAB_JSON=${EVERYLAYER_LAB_INVENTORY_DIR:-inventories/lab/generated}/lab.json
INVENTORY=inventories/lab/assets.yml
STATE=${EVERYLAYER_DEMO_DIR:-$HOME/.local/share/everylayer/demo}
mkdir -p "$STATE" && chmod 0700 "$STATE"
if [ -n "${EVERYLAYER_LAB_INVENTORY_DIR:-}" ]; then  # a lab elsewhere: the same asset map, reading its lab.json
  sed "s|path: generated/lab.json|path: $LAB_JSON|" inventories/lab/assets.yml >"$STATE/lab.assets.yml"
  INVENTORY="$STATE/lab.assets.yml"
fi
export EVERYLAYER_EVIDENCE_STORE=${EVERYLAYER_EVIDENCE_STORE:-$STATE/evidence.sqlite}
OS_HOSTS=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(d["lab"]["hosts"]))' \
  "$LAB_JSON")
FAULT_HOST=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(next(a["name"] for a in d["assets"] if a.get("wave") == "staged" and a["platform"].get("package_manager") == "apt"))' \
  "$LAB_JSON")

NET_DEVICES=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(" ".join(a["name"] for a in d["assets"] if "network" in a["layers"]))' "$LAB_JSON")
# The lab's simulated Windows host (service winhost; absent with EVERYLAYER_LAB_WINDOWS=0)
WIN_HOSTS=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(" ".join(a["name"] for a in d["assets"] if "windows" in a["layers"]))' "$LAB_JSON")

say() { printf '\n==== %s\n' "$*"; }

say "Resetting the lab's Linux hosts and network devices to their baseline"
# shellcheck disable=SC2086
"$PY" -m lab reset $OS_HOSTS
for device in $NET_DEVICES; do "$PY" -m lab fault netdev baseline "$device"; done
for host in $WIN_HOSTS; do "$PY" -m lab fault winhost baseline "$host"; done

say "Scan: pending updates per host (nothing changes)"
# Recorded in the evidence: a scan is when an update was first seen pending, where time to remediate starts.
ANSIBLE_CALLBACKS_ENABLED=everylayer.patch.evidence "$VENV/bin/ansible-playbook" -i "$INVENTORY" playbooks/scan.yml

# Governance (docs/governance.md): the baseline approves critical updates now, the others after their delay, rejects
# the kernel, and expedites what the KEV catalogue lists (the lab's lab-agent CVE, scripts/demo_governance/kev-lab.json
# - lab data in CISA's format); an exception keeps lab-web off one staged host until it expires (in 10 days, so the
# rollout lists it as expiring soon); staged and full run under the CAB's approval record.
GOV="$PWD/scripts/demo_governance"
EXC_HOST=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); staged=[a["name"] for a in d["assets"]
  if a.get("wave") == "staged" and "os" in a["layers"]]; print(([h for h in staged if h != sys.argv[2]] or staged)[0])' \
  "$LAB_JSON" "$FAULT_HOST")
EXPIRES=$("$PY" -c 'import datetime as d; print(d.datetime.now(d.timezone.utc).date() + d.timedelta(days=10))')
(umask 077 && cat >"$STATE/exceptions.yml" <<EOF
exceptions:
  - id: EXC-DEMO-1
    assets: ["$EXC_HOST"]
    packages: [lab-web]
    reason: lab-web 1.2 changes the proxy headers this host's application reads; retested next sprint
    owner: web-team
    approver: ciso
    approved: $(date -u +%Y-%m-%d)
    expires: $EXPIRES
EOF
)
DEMO_GOVERNANCE=$("$PY" -c 'import json,sys,datetime as d; print(json.dumps({
  "rollout_baseline": {"policy": sys.argv[1] + "/policy.yml", "kev": sys.argv[1] + "/kev-lab.json"},
  "rollout_exceptions": sys.argv[2],
  "rollout_approval": {"approver": "demo-cab", "change_id": "DEMO-1", "comment": "the demo CAB approves staged and full",
    "approved_at": d.datetime.now(d.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}}))' "$GOV" "$STATE/exceptions.yml")
"$VENV/bin/ansible-inventory" -i "$INVENTORY" --list >"$STATE/inventory.json"
say "Compliance before the rollout (every asset-layer of the map, from the evidence)"
"$PY" scripts/demo_compliance.py "Before" "$EVERYLAYER_EVIDENCE_STORE" "$STATE/inventory.json" "$GOV/policy.yml" \
  "$GOV/kev-lab.json" "$STATE/exceptions.yml"

say "Fault: the maintainer script of lab-agent fails on $FAULT_HOST (a staged host)"
"$PY" -m lab fault fail-script "$FAULT_HOST" lab-agent:upgrade

# The default waves, with a wider failure budget in staged so that the fault is rolled back and the rollout goes on.
DEMO_WAVES='{"rollout_waves": [{"name": "pilot"}, {"name": "staged", "serial": [2], "max_fail_percentage": 50,
  "gate_min_success": 0.5}, {"name": "full", "serial": ["25%", "50%"], "max_fail_percentage": 25}]}'
say "Rollout pilot -> staged -> full (change DEMO-1); $FAULT_HOST is expected to fail and be rolled back"
if [ -n "$WIN_HOSTS" ]; then
  echo "Windows: $WIN_HOSTS (pilot) installs its updates over WinRM, rebooting in rounds; pilot freezes their exact"
  echo "update ids into the manifest next to the package versions (docs/windows.md, 'In a rollout')"
fi
set +e
ANSIBLE_CALLBACKS_ENABLED=everylayer.patch.evidence "$VENV/bin/ansible-playbook" -i "$INVENTORY" \
  playbooks/rollout.yml --limit 'layer_os:layer_network:layer_windows:localhost' \
  -e change_id=DEMO-1 -e approver=demo -e "$DEMO_WAVES" -e "$DEMO_GOVERNANCE" \
  -e rollout_manifest_dir="$STATE/manifests" -e rollout_policy_file="$PWD/inventories/lab/policy.yml"
rc=$?
set -e
"$PY" -m lab fault clear fail-script "$FAULT_HOST" lab-agent:upgrade
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
  echo "rollout failed unexpectedly (exit $rc)" >&2
  exit "$rc"
fi

say "Outcome per wave, read back from the evidence"
outcome=0
"$VENV/bin/ansible-inventory" -i "$INVENTORY" --list >"$STATE/inventory.json"
"$PY" scripts/demo_outcome.py "$EVERYLAYER_EVIDENCE_STORE" "$STATE/inventory.json" "$FAULT_HOST" || outcome=$?

say "Compliance after the rollout (every asset-layer of the map, from the evidence)"
"$PY" scripts/demo_compliance.py "After" "$EVERYLAYER_EVIDENCE_STORE" "$STATE/inventory.json" "$GOV/policy.yml" \
  "$GOV/kev-lab.json" "$STATE/exceptions.yml"

say "Evidence: verify the chain and render the report"
"$VENV/bin/ansible-playbook" playbooks/report.yml -e report_dest="$STATE/reports"
echo
echo "Evidence store: $EVERYLAYER_EVIDENCE_STORE"
echo "Report:         $STATE/reports/evidence-report.html"
exit "$outcome"
