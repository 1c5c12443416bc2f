"""sushy-tools (OpenStack's Redfish emulator, Apache-2.0) as a third-party test peer for the firmware module.

It runs on libvirt's built-in ``test:///default`` driver (no hypervisor): one ComputerSystem ``test`` and its
Manager, an UpdateService whose SimpleUpdate takes ComputerSystem URIs in ``Targets`` and bumps that system's
``BiosVersion`` (it never fetches the ImageURI), no FirmwareInventory behind its advertised link, no
SessionService (HTTP basic auth from an htpasswd file with bcrypt hashes).

sushy-tools and ``libvirt-python`` (built from source against Debian's ``libvirt-dev`` with ``pkg-config``) live in
their own virtualenv under the cache directory, never in the project's .venv:

    python -m lab.peers.sushy install     # idempotent; make setup runs it; prints nothing when done already
    python -m lab.peers.sushy where       # the virtualenv's path

Tests start one emulator with ``start(directory)`` (TLS with a private CA, basic auth, a free 127.0.0.1 port).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path

from lab import procs
from lab.bmcsim import pki

# libvirt-python 9.0.0 matches Debian 12's libvirt 9.0.0 (newer bindings need newer libvirt headers).
PINS = ("sushy-tools==2.2.0", "libvirt-python==9.0.0")
LIBVIRT_URI = "test:///default"
START_TIMEOUT = 60.0


class PeerError(RuntimeError):
    """The peer could not be installed or started; the message says why and what to do."""


def cache_root(env=os.environ) -> Path:
    """EVERYLAYER_PEERS_DIR, else the lab cache's peers/ (where every test peer's virtualenv lives)."""
    if env.get("EVERYLAYER_PEERS_DIR"):
        return Path(env["EVERYLAYER_PEERS_DIR"]).absolute()
    xdg = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", "/root")) / ".cache")
    return Path(xdg).absolute() / "everylayer-lab" / "peers"


def venv_dir(env=os.environ) -> Path:
    """The peer's virtualenv, keyed by the pins (one for every project venv and Python of the matrix)."""
    key = hashlib.sha256("\n".join(PINS).encode()).hexdigest()[:12]
    return cache_root(env) / f"sushy-tools-{key}"


def _ready(venv: Path) -> bool:
    """Installed completely, and its interpreter still runs (the Python it was made from may be gone)."""
    if not ((venv / ".installed").is_file() and (venv / "bin" / "sushy-emulator").is_file()):
        return False
    try:
        probe = subprocess.run([str(venv / "bin" / "python"), "-c", "import libvirt, sushy_tools"], check=False)
    except OSError:  # its interpreter is gone (a dangling link to a removed Python)
        return False
    return probe.returncode == 0


def _run(argv, what):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
        raise PeerError(f"{what} failed (exit {proc.returncode}): {' '.join(argv)}\n" + "\n".join(tail))


def ensure_installed(log=print) -> Path:
    """Create the peer's virtualenv once (a lock serialises parallel callers); return its path."""
    venv = venv_dir()
    if _ready(venv):
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / ".sushy-tools.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _ready(venv):
            return venv
        if (
            not shutil.which("pkg-config")
            or subprocess.run(["pkg-config", "--exists", "libvirt"], check=False).returncode
        ):
            raise PeerError(
                "sushy-tools needs libvirt-python, which builds against Debian's libvirt-dev with pkg-config: "
                "install them (they are in scripts/apt-packages.txt; make setup does it)."
            )
        log(f"peers: installing {', '.join(PINS)} into {venv} (once)")
        shutil.rmtree(venv, ignore_errors=True)  # a run stopped half-way left no stamp: start again
        base = getattr(sys, "_base_executable", None) or sys.executable
        _run([base, "-m", "venv", str(venv)], "creating the sushy-tools virtualenv")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        _run([*pip, *PINS], "pip install " + " ".join(PINS))
        (venv / ".installed").write_text("\n".join(PINS) + "\n")
    return venv


@dataclass
class RunningSushy:
    process: subprocess.Popen
    port: int
    ca_path: str
    username: str
    password: str
    log_path: Path
    system_uri: str = ""
    manager_uri: str = ""
    calls: list = field(default_factory=list)

    @property
    def baseuri(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def get(self, path: str) -> dict:
        """GET a resource as the tests' own eyes (same CA and credentials as the module)."""
        token = b64encode(f"{self.username}:{self.password}".encode()).decode()
        url = self.baseuri + path  # https only: built from our own port
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})  # noqa: S310
        context = ssl.create_default_context(cafile=self.ca_path)
        with urllib.request.urlopen(request, timeout=10, context=context) as resp:  # noqa: S310 - https only
            return json.loads(resp.read())

    def bios_version(self) -> str:
        return self.get(self.system_uri)["BiosVersion"]

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        procs.stop(self.process, grace=10, kill_wait=10)


def _htpasswd(venv: Path, username: str, password: str) -> str:
    """An htpasswd line with a bcrypt hash (the only digest sushy-tools accepts), made by the peer's bcrypt."""
    code = "import sys, bcrypt; print(bcrypt.hashpw(sys.stdin.read().encode(), bcrypt.gensalt(rounds=4)).decode())"
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], input=password, capture_output=True, text=True, check=True
    )
    return f"{username}:{proc.stdout.strip()}\n"


def start(directory: Path, username: str = "admin", password: str | None = None) -> RunningSushy:
    """Start sushy-emulator with TLS (own CA) and basic auth on a free 127.0.0.1 port; wait until it answers.

    Without ``password`` a random one is made (``RunningSushy.password``)."""
    password = password or secrets.token_urlsafe(16)
    venv = ensure_installed()
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = pki.ensure_ca(directory / "ca")
    (directory / "tls").mkdir(exist_ok=True)
    cert, key = pki.ensure_server_cert(directory / "tls", "sushy", ca_cert, ca_key)
    auth = directory / "htpasswd"
    auth.write_text(_htpasswd(venv, username, password))
    auth.chmod(0o600)
    port = procs.free_port()
    config = directory / "emulator.conf"
    config.write_text(
        "\n".join(
            [
                "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'",
                f"SUSHY_EMULATOR_LISTEN_PORT = {port}",
                f"SUSHY_EMULATOR_LIBVIRT_URI = {LIBVIRT_URI!r}",
                f"SUSHY_EMULATOR_SSL_CERT = {str(cert)!r}",
                f"SUSHY_EMULATOR_SSL_KEY = {str(key)!r}",
                f"SUSHY_EMULATOR_AUTH_FILE = {str(auth)!r}",
                "",
            ]
        )
    )
    log_path = directory / "emulator.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(venv / "bin" / "sushy-emulator"), "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    peer = RunningSushy(process, port, str(ca_cert), username, password, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise PeerError(f"sushy-emulator exited with {process.returncode} at start:\n{peer.log_tail()}")
        try:
            systems = peer.get("/redfish/v1/Systems")
            break
        except (OSError, urllib.error.URLError, ValueError):
            if time.monotonic() > deadline:
                peer.stop()
                raise PeerError(
                    f"sushy-emulator did not answer within {START_TIMEOUT:.0f}s:\n{peer.log_tail()}"
                ) from None
            time.sleep(0.2)
    peer.system_uri = systems["Members"][0]["@odata.id"]
    peer.manager_uri = peer.get("/redfish/v1/Managers")["Members"][0]["@odata.id"]
    return peer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.peers.sushy", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["install", "where"])
    args = parser.parse_args(argv)
    try:
        venv = ensure_installed() if args.command == "install" else venv_dir()
    except PeerError as exc:
        print(f"peers: {exc}", file=sys.stderr)
        return 2
    if args.command == "where":
        print(venv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
