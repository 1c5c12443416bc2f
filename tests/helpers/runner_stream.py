"""ansible-runner's streaming mode as AWX drives its execution nodes: ``transmit | worker | process``.

The control side packs a job (``streamer="transmit"``), an execution node runs it (``ansible-runner worker``,
here a separate process with none of the controller's environment: everything it needs travels in the job, as
with AWX over Receptor), and the control side unpacks the event stream (``streamer="process"``) into the usual
artifacts. ``slices`` splits hosts the way AWX job slicing does (host i into slice i mod N).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ansible_runner

RUNNER = str(Path(sys.executable).with_name("ansible-runner"))


def slices(hosts, count):
    """AWX job slicing: host i of the inventory goes to slice i mod ``count``."""
    return [hosts[index::count] for index in range(count)]


def node_env():
    """An execution node's environment: PATH and HOME only; the job brings its own (envvars) and nothing leaks in."""
    bindir = str(Path(sys.executable).parent)
    return {"PATH": os.pathsep.join([bindir, "/usr/sbin", "/usr/bin", "/sbin", "/bin"]), "HOME": os.environ["HOME"]}


def transmit(private_data_dir, ident, **job) -> bytes:
    path = Path(private_data_dir).with_name(f"{Path(private_data_dir).name}-{ident}.transmit")
    with open(path, "wb") as out:  # runner's stream_dir wants a named file, as AWX hands it a socket's file
        ansible_runner.run(private_data_dir=str(private_data_dir), ident=ident, streamer="transmit", _output=out, **job)
    payload = path.read_bytes()
    path.unlink()
    return payload


def work(payload: bytes, timeout=600) -> bytes:
    """One execution node: ``ansible-runner worker`` reading the job on stdin, events on stdout."""
    proc = subprocess.run(
        [RUNNER, "worker", "--delete"],
        input=payload,
        capture_output=True,
        env=node_env(),
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ansible-runner worker exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def process(private_data_dir, ident, stream: bytes):
    return ansible_runner.run(
        private_data_dir=str(private_data_dir),
        ident=ident,
        streamer="process",
        _input=io.BytesIO(stream),
        quiet=True,
    )


def stream_job(private_data_dir, ident, **job):
    """transmit | worker | process for one job; the runner result (status, rc, events, artifact_dir)."""
    return process(private_data_dir, ident, work(transmit(private_data_dir, ident, **job)))


def stream_jobs(jobs):
    """Several jobs at once, each on its own execution node: ``jobs`` are (private_data_dir, ident, job kwargs)."""
    payloads = [(pdd, ident, transmit(pdd, ident, **job)) for pdd, ident, job in jobs]
    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        streams = list(pool.map(lambda item: work(item[2]), payloads))
    return [process(pdd, ident, stream) for (pdd, ident, _payload), stream in zip(payloads, streams, strict=True)]
