"""CPU cost of recording one change result, old tree against new (the callback's own work, no Ansible around it).

    python benchmarks/evidence/record_cost.py [--old OLD_TREE] [--records 3000] [--rounds 3]

OLD_TREE is a checkout of an earlier commit (e.g. `git worktree add /tmp/old <commit>` or `git archive`); each
round runs both trees in fresh processes, interleaved, and prints the medians and their ratio. Without --old
only the current tree is measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

WORKER = r"""
import json, os, sys, tempfile, time
sys.path.insert(0, os.path.join(sys.argv[1], ".collections"))
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.recorder import Recorder
try:
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.redact import ordered, secret_values
except ImportError:
    ordered = secret_values = None
count = int(sys.argv[2])
result = {
    "changed": True, "layer": "os", "msg": "upgraded 1 package from https://repo.example/debian",
    "changes": [{"component": "lab-agent", "kind": "package", "before": "1.0-1", "after": "1.1-1",
                 "advisories": ["CVE-2026-0001"], "severity": "high", "reboot_required": False}],
    "pending": [{"component": "lab-cron", "before": "1.0-1", "after": "1.2-1"}], "reboot_required": False,
    "rollback": {"strategy": "packages", "data": {"lab-agent": "1.0-1"}},
    "invocation": {"module_args": {"state": "patched", "names": ["lab-agent"]}},
}
with tempfile.TemporaryDirectory() as tmp:
    rec = Recorder(target=os.path.join(tmp, "ev.sqlite"))
    rec.start({"user": "bench"})
    started = time.process_time()
    for i in range(count):
        if secret_values is not None:
            secrets = ordered(secret_values(result) | secret_values({"state": "patched"}))
            rec.task_result(f"h{i % 6}", "Patch", "everylayer.patch.packages", dict(result), "ok", False,
                            {"state": "patched"}, None, secrets)
        else:
            rec.task_result(f"h{i % 6}", "Patch", "everylayer.patch.packages", dict(result), "ok", False,
                            {"state": "patched"})
    print(json.dumps({"cpu": time.process_time() - started, "records": rec.written}))
    rec.close()
"""


def measure(tree: Path, records: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(WORKER)
    out = subprocess.run(
        [sys.executable, handle.name, str(tree), str(records)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)["cpu"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", type=Path)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    new, old = [], []
    for _ in range(args.rounds):
        if args.old:
            old.append(measure(args.old, args.records))
        new.append(measure(REPO, args.records))
    line = f"new: {statistics.median(new) * 1000 / args.records:.3f} ms CPU per record"
    if old:
        ratio = statistics.median(new) / statistics.median(old)
        line += f"; old: {statistics.median(old) * 1000 / args.records:.3f} ms; new/old {ratio:.2f}x"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
