"""ansible-runner's streaming mode as AWX drives its execution nodes: ``transmit | worker | process``.

The control side packs a job (``streamer="transmit"``), an execution node runs it (``ansible-runner worker``,
here a separate process with none of the controller's environment: everything it needs travels in the job, as
with AWX over Receptor), and the control side unpacks the event stream (``streamer="process"``) into the usual
artifacts. ``slices`` splits hosts the way AWX job slicing does (host i into slice i mod N); ``private_data_dir``
and ``job_env`` make a job that records signed evidence (the streaming tests and benchmarks/slicing).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ansible_runner

RUNNER = str(Path(sys.executable).with_name("ansible-runner"))
REPO = Path(__file__).resolve().parents[2]
#: the evidence signing key's file in a job's private data dir (env/, where AWX's credential injectors put files)
KEY_FILE = "evidence_signing.key"


def slices(hosts, count):
    """AWX job slicing: host i of the inventory goes to slice i mod ``count``."""
    return [hosts[index::count] for index in range(count)]


def private_data_dir(root: Path, name: str, playbook_text: str, inventory: Path, key: str) -> Path:
    """A job's private data dir as AWX writes it: project/play.yml, the inventory, and the signing key under env/."""
    pdd = root / name
    (pdd / "project").mkdir(parents=True)
    (pdd / "inventory").mkdir()
    (pdd / "env").mkdir(mode=0o700)
    (pdd / "project" / "play.yml").write_text(playbook_text)
    shutil.copy(inventory, pdd / "inventory" / "hosts.yml")
    key_file = pdd / "env" / KEY_FILE
    key_file.write_text(key)
    key_file.chmod(0o600)
    return pdd


def job_env(store: str, receipts: Path, **extra: str) -> dict:
    """What a job carries to its node: the evidence callback, the store DSN, the key file (relative to the project
    directory, where the node's ansible-playbook runs) and the receipt log."""
    return {
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"),
        "ANSIBLE_CALLBACKS_ENABLED": "everylayer.patch.evidence",
        "EVERYLAYER_EVIDENCE_STORE": store,
        "EVERYLAYER_EVIDENCE_SIGNING_KEY_FILE": f"../env/{KEY_FILE}",
        "EVERYLAYER_EVIDENCE_RECEIPT_LOG": str(receipts),
        "ANSIBLE_NOCOLOR": "1",
        **extra,
    }


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
