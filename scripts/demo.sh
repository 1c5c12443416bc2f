#!/usr/bin/env bash
# The main job of `make demo`: scan the lab, roll a patch set out pilot -> staged -> full with a fault injected
# in the staged wave, then verify the evidence and render its report. Safe to run again: hosts start from their
# baseline every time. Expects the lab to be up (make lab-up) and the venv in $VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
export ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_NOCOLOR=${ANSIBLE_NOCOLOR:-}
INVENTORY=inventories/lab/assets.yml
STATE=${EVERYLAYER_DEMO_DIR:-$HOME/.local/share/everylayer/demo}
mkdir -p "$STATE" && chmod 0700 "$STATE"
export EVERYLAYER_EVIDENCE_STORE=${EVERYLAYER_EVIDENCE_STORE:-$STATE/evidence.sqlite}
OS_HOSTS=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(d["lab"]["hosts"]))' \
  inventories/lab/generated/lab.json)
FAULT_HOST=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(next(a["name"] for a in d["assets"] if a.get("wave") == "staged" and a["platform"].get("package_manager") == "apt"))' \
  inventories/lab/generated/lab.json)

NET_DEVICES=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(" ".join(a["name"] for a in d["assets"] if "network" in a["layers"]))' inventories/lab/generated/lab.json)

say() { printf '\n==== %s\n' "$*"; }

say "Resetting the lab's Linux hosts and network devices to their baseline"
# shellcheck disable=SC2086
"$PY" -m lab reset $OS_HOSTS
for device in $NET_DEVICES; do "$PY" -m lab fault netdev baseline "$device"; done

say "Scan: pending updates per host (nothing changes)"
# Recorded in the evidence: a scan is when an update was first seen pending, where time to remediate starts.
ANSIBLE_CALLBACKS_ENABLED=everylayer.patch.evidence "$VENV/bin/ansible-playbook" -i "$INVENTORY" playbooks/scan.yml

say "Fault: the maintainer script of lab-agent fails on $FAULT_HOST (a staged host)"
"$PY" -m lab fault fail-script "$FAULT_HOST" lab-agent:upgrade

# The default waves, with a wider failure budget in staged so that the fault is rolled back and the rollout goes on.
DEMO_WAVES='{"rollout_waves": [{"name": "pilot"}, {"name": "staged", "serial": [2], "max_fail_percentage": 50,
  "gate_min_success": 0.5}, {"name": "full", "serial": ["25%", "50%"], "max_fail_percentage": 25}]}'
say "Rollout pilot -> staged -> full (change DEMO-1); $FAULT_HOST is expected to fail and be rolled back"
set +e
ANSIBLE_CALLBACKS_ENABLED=everylayer.patch.evidence "$VENV/bin/ansible-playbook" -i "$INVENTORY" \
  playbooks/rollout.yml --limit 'layer_os:layer_network:localhost' \
  -e change_id=DEMO-1 -e approver=demo -e "$DEMO_WAVES" \
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

say "Evidence: verify the chain and render the report"
"$VENV/bin/ansible-playbook" playbooks/report.yml -e report_dest="$STATE/reports"
echo
echo "Evidence store: $EVERYLAYER_EVIDENCE_STORE"
echo "Report:         $STATE/reports/evidence-report.html"
exit "$outcome"
