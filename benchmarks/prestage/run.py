"""Benchmark: time inside the maintenance window with pre-staging (playbooks/prestage.yml before the window)
against the plain patch playbook (downloads inside the window), on the real Debian archive (lab/realdeb).

    .venv/bin/python benchmarks/prestage/run.py [--rounds 2] [--rate-kib 4096] [--latency-ms 40] [--json OUT]

Run from the repo root, as root. Each round bootstraps two fresh chroots of the release suite (lab/realdeb, an
empty apt archive cache each) with the machine's -updates/-security sources; the patch set is frozen once as a
manifest (the security suite's candidates, as a pilot's rollback.data.after would be) and both windows install
exactly it with update_cache=false and apt_changelogs=false (metadata refreshed before the window in both cases).
Every package download goes through a local throttling HTTP proxy (--rate-kib KiB/s, --latency-ms before each
response), standing for a WAN mirror: the machine's own mirror is a fast local snapshot. Plain and pre-staged
rounds are interleaved; the medians and their ratio come from this one invocation.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from lab.realdeb.host import RealDebHost  # noqa: E402

PROXY_PORT = 3710
ANSIBLE = REPO / ".venv" / "bin" / "ansible-playbook"


class ThrottlingProxy:
    """A plain-HTTP forward proxy on 127.0.0.1 that answers after ``latency`` and streams at ``rate`` bytes/s."""

    def __init__(self, port: int, rate: int, latency: float):
        outer = self
        self.bytes = 0
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):  # noqa: N802
                time.sleep(latency)
                try:
                    upstream = direct.open(self.path, timeout=60)
                except urllib.error.HTTPError as exc:
                    self.send_error(exc.code)
                    return
                except OSError as exc:
                    self.send_error(502, str(exc))
                    return
                with upstream:
                    self.send_response(upstream.status)
                    for key in ("Content-Type", "Content-Length", "Last-Modified", "ETag"):
                        if upstream.headers.get(key):
                            self.send_header(key, upstream.headers[key])
                    self.end_headers()
                    started, sent = time.monotonic(), 0
                    while chunk := upstream.read(65536):
                        self.wfile.write(chunk)
                        sent += len(chunk)
                        ahead = sent / rate - (time.monotonic() - started)
                        if ahead > 0:
                            time.sleep(ahead)
                    outer.bytes += sent

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def playbook(path: Path, hosts: str, args: dict) -> Path:
    play = [
        {
            "name": "window",
            "hosts": hosts,
            "gather_facts": False,
            "tasks": [{"name": "patch", "everylayer.patch.packages": args, "register": "r"}],
        }
    ]
    path.write_text(json.dumps(play))
    return path


def ansible(argv: list[str]) -> float:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    started = time.monotonic()
    proc = subprocess.run([str(ANSIBLE), *argv], cwd=REPO, capture_output=True, text=True, env=env, check=False)
    took = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"ansible-playbook {' '.join(argv)} failed (rc {proc.returncode}):\n{proc.stdout[-3000:]}")
    return took


def one_round(workdir: Path, manifest: dict, prestaged: bool, proxy: ThrottlingProxy) -> dict:
    with RealDebHost(workdir, name="bench", say=lambda *_: None, seed=False) as host:
        (host.root / "etc/apt/apt.conf.d/95wan-proxy").write_text(
            f'Acquire::http::Proxy "http://127.0.0.1:{PROXY_PORT}";\n'
        )
        for deb in host.debs():
            deb.unlink()
        inventory = host.inventory()
        figures = {"prestaged": prestaged}
        if prestaged:
            extra = workdir / "prestage.json"
            extra.write_text(
                json.dumps({"prestage_hosts": "bench", "prestage_manifest": manifest, "prestage_update_cache": False})
            )
            figures["before_window_s"] = ansible(["-i", str(inventory), "playbooks/prestage.yml", "-e", f"@{extra}"])
        args = {"state": "patched", "manifest": manifest, "update_cache": False, "apt_changelogs": False}
        before = proxy.bytes
        figures["window_s"] = ansible(["-i", str(inventory), str(playbook(workdir / "window.json", "bench", args))])
        figures["window_download_bytes"] = proxy.bytes - before
        changed = {n for n, v in host.dpkg_list().items() if manifest.get(n) == v}
        if changed != set(manifest):
            raise SystemExit(f"the window did not install the manifest: missing {sorted(set(manifest) - changed)}")
        return figures


def _stop(signum, _frame):
    raise SystemExit(f"stopped by signal {signum}")  # unwinds the context managers: mounts are removed


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rate-kib", type=int, default=4096, help="proxy bandwidth in KiB/s (default 4096)")
    parser.add_argument("--latency-ms", type=int, default=40, help="proxy delay before each response (default 40)")
    parser.add_argument("--json", type=Path)
    opts = parser.parse_args()
    rate, latency = opts.rate_kib * 1024, opts.latency_ms / 1000
    runs = []
    with (
        tempfile.TemporaryDirectory(prefix="prestage-bench-") as tmp,
        ThrottlingProxy(PROXY_PORT, rate, latency) as proxy,
    ):
        with RealDebHost(Path(tmp) / "probe", name="bench", say=print) as probe:
            manifest = {n: v for n, (v, suites) in probe.upgradable().items() if "-security" in suites}
        order = [False, True, True, False] * ((opts.rounds + 1) // 2)
        for i, prestaged in enumerate(order[: 2 * opts.rounds]):
            figures = one_round(Path(tmp) / f"round-{i}", manifest, prestaged, proxy)
            runs.append(figures)
            print(json.dumps(figures), flush=True)
    plain = statistics.median(r["window_s"] for r in runs if not r["prestaged"])
    staged = statistics.median(r["window_s"] for r in runs if r["prestaged"])
    before_window = statistics.median(r["before_window_s"] for r in runs if r["prestaged"])
    size = statistics.median(r["window_download_bytes"] for r in runs if not r["prestaged"])
    summary = {
        "packages": len(manifest),
        "download_mib": round(size / 1048576, 1),
        "rate_kib_s": opts.rate_kib,
        "latency_ms": opts.latency_ms,
        "rounds": opts.rounds,
        "window_plain_s": round(plain, 1),
        "window_prestaged_s": round(staged, 1),
        "prestage_before_window_s": round(before_window, 1),
        "ratio": round(staged / plain, 2),
        "runs": runs,
    }
    print(json.dumps(summary, indent=1))
    print()
    print("| set | proxy | window, plain | window, pre-staged | ratio | pre-stage (before the window) |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {len(manifest)} security updates, {summary['download_mib']} MiB | {opts.rate_kib} KiB/s, {opts.latency_ms} ms |"
        f" {plain:.1f} s | {staged:.1f} s | {staged / plain:.2f}x | {before_window:.1f} s |"
    )
    if opts.json:
        opts.json.write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
