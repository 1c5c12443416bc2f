"""Benchmark the assets inventory plugin against plain YAML, YAML + constructed and a bare add_host floor.

Usage (from the repository root):
    .venv/bin/python benchmarks/assets/run.py 10000 [100000 ...] [--skip yaml,constructed] [--workdir DIR]

Each case is one `ansible-inventory --list` subprocess; wall time and its peak RSS (getrusage of a
per-case child) are reported, then ratios. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / ".collections"))
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

CASES = ("floor", "yaml", "constructed", "assets", "assets_cold_cache", "assets_warm_cache")


def measure(argv, env, out):
    """Run argv in a fresh child interpreter that reports the wall time and peak RSS of argv alone."""
    probe = (
        "import json,resource,subprocess,sys,time;"
        "t=time.perf_counter();"
        "r=subprocess.run(sys.argv[2:],stdout=open(sys.argv[1],'w'),stderr=subprocess.PIPE,text=True);"
        "w=time.perf_counter()-t;"
        "print(json.dumps({'rc':r.returncode,'wall':w,"
        "'rss_mb':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024,'err':r.stderr[-2000:]}))"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(out), *argv], env=env, capture_output=True, text=True,
                          check=True)
    result = json.loads(done.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {result['err']}")
    return result


def prepare(size, workdir):
    from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.build import AssetMap

    generate(size, workdir)
    config = yaml.safe_load((workdir / "assets.yml").read_text())
    data = AssetMap(config["sources"], str(workdir)).build()
    hostvars = {name: hv for name, hv, _groups in data["hosts"]}
    (workdir / "floor.json").write_text(json.dumps(hostvars))
    with open(workdir / "hosts.yml", "w", encoding="utf-8") as handle:
        yaml.dump({"all": {"hosts": hostvars}}, handle, Dumper=yaml.CSafeDumper, default_flow_style=False)


def run_size(size, skip, workdir):
    workdir.mkdir(parents=True, exist_ok=True)
    prepare(size, workdir)
    (workdir / "ansible.cfg").write_text(
        f"[defaults]\ncollections_path = {REPO / '.collections'}\ninventory_plugins = {HERE / 'plugins/inventory'}\n"
    )
    env = {**os.environ, "ANSIBLE_CONFIG": str(workdir / "ansible.cfg")}
    inventory = str(Path(sys.executable).with_name("ansible-inventory"))
    argvs = {
        "floor": ["-i", "floor.yml"],
        "yaml": ["-i", "hosts.yml"],
        "constructed": ["-i", "hosts.yml", "-i", "constructed.yml"],
        "assets": ["-i", "assets.yml"],
        "assets_cold_cache": ["-i", "cached_assets.yml"],
        "assets_warm_cache": ["-i", "cached_assets.yml"],
    }
    results = {}
    for case in CASES:
        if case in skip:
            continue
        if case == "assets_cold_cache":
            for stale in (workdir / "cache").glob("*"):
                stale.unlink()
        argv = [inventory, *[str(workdir / a) if a.endswith(".yml") else a for a in argvs[case]], "--list"]
        started = time.strftime("%H:%M:%S")
        results[case] = measure(argv, env, workdir / f"out-{case}.json")
        print(f"# {started} {size} {case}: {results[case]['wall']:.1f} s, {results[case]['rss_mb']:.0f} MB",
              file=sys.stderr, flush=True)
    return results


def table(size, results):
    floor, plain = results.get("floor"), results.get("yaml")
    rows = [f"| {size:,} | case | wall s | peak MB | time / floor | time / YAML | memory / YAML |", "|---|---|---|---|---|---|---|"]
    for case, res in results.items():
        ratio_floor = f"{res['wall'] / floor['wall']:.2f}" if floor else "-"
        ratio_yaml = f"{res['wall'] / plain['wall']:.2f}" if plain else "-"
        mem_yaml = f"{res['rss_mb'] / plain['rss_mb']:.2f}" if plain else "-"
        rows.append(f"| | {case} | {res['wall']:.1f} | {res['rss_mb']:.0f} | {ratio_floor} | {ratio_yaml} | {mem_yaml} |")
    if "assets_cold_cache" in results and "assets_warm_cache" in results:
        speedup = results["assets_cold_cache"]["wall"] / results["assets_warm_cache"]["wall"]
        rows.append(f"| | cached run speed-up (cold / warm) | {speedup:.2f}x | | | | |")
    return "\n".join(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10000])
    parser.add_argument("--skip", default="", help="comma-separated cases to skip: " + ",".join(CASES))
    parser.add_argument("--workdir", type=Path, help="keep the generated data here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    every = {}
    for size in args.sizes:
        if args.workdir:
            every[size] = run_size(size, skip, args.workdir / str(size))
        else:
            with tempfile.TemporaryDirectory(prefix="assets-bench-") as tmp:
                every[size] = run_size(size, skip, Path(tmp))
        print(table(size, every[size]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(every, indent=2))
    del resource  # only the probe uses it


if __name__ == "__main__":
    main()
