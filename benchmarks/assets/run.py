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

CASES = ("floor", "assets", "assets_cold_cache", "assets_warm_cache", "yaml", "constructed")


def measure(argv, env, out):
    """Run argv in a fresh child interpreter that reports the wall time and peak RSS of argv alone."""
    probe = (
        "import json,resource,subprocess,sys,time;"
        "t=time.perf_counter();"
        "r=subprocess.run(sys.argv[2:],stdout=open(sys.argv[1],'w'),stderr=subprocess.PIPE,text=True);"
        "w=time.perf_counter()-t;"
        "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(json.dumps({'rc':r.returncode,'wall':w,'cpu':u.ru_utime+u.ru_stime,"
        "'rss_mb':u.ru_maxrss/1024,'err':r.stderr[-2000:]}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(out), *argv], env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    if result["rc"] != 0 or "Unable to parse" in result["err"]:
        raise SystemExit(f"{' '.join(argv)} failed: {result['err']}")
    return result


def prepare(size, workdir):
    from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.build import AssetMap, host_entries

    generate(size, workdir)
    config = yaml.safe_load((workdir / "assets.yml").read_text())
    data = AssetMap(config["sources"], str(workdir)).build()
    hostvars = {name: hv for name, hv, _groups in host_entries(data)}
    (workdir / "floor.json").write_text(json.dumps(hostvars))
    with open(workdir / "hosts.yml", "w", encoding="utf-8") as handle:
        yaml.dump({"all": {"hosts": hostvars}}, handle, Dumper=yaml.CSafeDumper, default_flow_style=False)


def plugin_phase(workdir):
    """In-process: the plugin's own work (read, merge, waves) against reading the same map from the jsonfile cache."""
    from ansible.plugins.loader import cache_loader
    from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.build import AssetMap

    config = yaml.safe_load((workdir / "assets.yml").read_text())
    started = time.perf_counter()
    AssetMap(config["sources"], str(workdir)).build()
    built = time.perf_counter() - started
    cache = cache_loader.get("jsonfile", _uri=str(workdir / "cache"), _timeout=0, _prefix="ansible_inventory_")
    (key,) = cache.keys()
    started = time.perf_counter()
    cache.get(key)
    loaded = time.perf_counter() - started
    return {"build_s": built, "cache_load_s": loaded, "speedup": built / loaded}


def run_size(size, skip, workdir, record, reuse=False):
    workdir.mkdir(parents=True, exist_ok=True)
    if not (reuse and (workdir / "hosts.yml").exists() and (workdir / "floor.json").exists()):
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
        if case == "assets_warm_cache":
            results["plugin_phase"] = plugin_phase(workdir)
        record(size, results)
        print(
            f"# {started} {size} {case}: {results[case]['wall']:.1f} s, {results[case]['rss_mb']:.0f} MB",
            file=sys.stderr,
            flush=True,
        )
    return results


def table(size, results):
    """Markdown rows. CPU seconds (user + system) are the ratios to trust on a shared machine; wall is shown too."""
    results = dict(results)
    phase = results.pop("plugin_phase", None)
    floor, plain = results.get("floor"), results.get("yaml")

    def ratio(res, base, key):
        return f"{res[key] / base[key]:.2f}" if base and key in res and key in base else "-"

    rows = [
        f"| {size:,} | case | wall s | CPU s | peak MB | CPU / floor | CPU / YAML | wall / floor | wall / YAML "
        "| memory / YAML |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case, res in results.items():
        cpu = f"{res['cpu']:.1f}" if "cpu" in res else "-"
        rows.append(
            f"| | {case} | {res['wall']:.1f} | {cpu} | {res['rss_mb']:.0f} | {ratio(res, floor, 'cpu')} "
            f"| {ratio(res, plain, 'cpu')} | {ratio(res, floor, 'wall')} | {ratio(res, plain, 'wall')} "
            f"| {ratio(res, plain, 'rss_mb')} |"
        )
    cold, warm = results.get("assets_cold_cache"), results.get("assets_warm_cache")
    if cold and warm:
        rows.append(
            f"| | cached run speed-up, whole command (cold / warm) | CPU {ratio(cold, warm, 'cpu')}x "
            f"| wall {ratio(cold, warm, 'wall')}x | | | | | | |"
        )
    if phase:
        rows.append(
            f"| | plugin phase: build {phase['build_s']:.2f} s / cache load {phase['cache_load_s']:.2f} s "
            f"| {phase['speedup']:.1f}x | | | | | | | |"
        )
    return "\n".join(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10000])
    parser.add_argument("--skip", default="", help="comma-separated cases to skip: " + ",".join(CASES))
    parser.add_argument("--workdir", type=Path, help="keep the generated data here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    parser.add_argument("--reuse", action="store_true", help="keep the data already generated in --workdir")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    every = {}

    def record(size, results):
        every[size] = results
        if args.json:
            args.json.write_text(json.dumps(every, indent=2))

    for size in args.sizes:
        if args.workdir:
            run_size(size, skip, args.workdir / str(size), record, args.reuse)
        else:
            with tempfile.TemporaryDirectory(prefix="assets-bench-") as tmp:
                run_size(size, skip, Path(tmp), record)
        print(table(size, every[size]), flush=True)


if __name__ == "__main__":
    main()
