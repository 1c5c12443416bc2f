"""fake-switches, a third-party SSH switch emulator, as a peer for the network tests.

fake-switches 1.5.0 pins Twisted<17, which does not run on current Python; with ``--no-deps`` and a current
``twisted[conch]`` its Cisco models run. It therefore gets its own virtualenv, outside the repository, made
once and reused (keyed by the package pins and the Python version):

    python -m lab.peers.fake_switches install      # what `make setup` runs; idempotent, silent when done
    python -m lab.peers.fake_switches serve --model cisco_generic --port 3301   # a device by hand

From tests::

    with FakeSwitch(tmp_path, model="cisco_generic", port=3301) as sw:
        sw.inventory_vars()   # ansible_host/port/user/password/network_os + known_hosts for its host key
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import hashlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

from lab import procs
from lab.netsim.testing import LocalDevice
from lab.procs import free_port

VERSION = "1.5.0"
#: installed with --no-deps: fake-switches' own pins (Twisted<17) cannot be met on Python 3.11
NO_DEPS = (f"fake-switches=={VERSION}", "tftpy>=0.8,<0.9", "netaddr>=1.0,<2", "lxml>=5.0,<7")
#: what fake-switches needs from Twisted, current
WITH_DEPS = ("twisted[conch]>=24.7,<27",)
SERVE = Path(__file__).with_name("fake_switches_serve.py")
#: fake-switches' fixed SSH host key (transports/ssh_service.py getRSAKeys), to pin in known_hosts
HOST_KEY_PREFIX = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC53ANLkvrZmufQsXuIZch7zrzWbevrqQpNT"
#: models and the netmiko device_type that talks to them
MODELS = {
    "cisco_generic": "cisco_ios",
    "cisco_2960_24TT_L": "cisco_ios",
    "cisco_2960_48TT_L": "cisco_ios",
    "cisco_6500": "cisco_ios",
    "arista_generic": "arista_eos",
    "juniper_generic": "juniper_junos",
    "juniper_qfx_copper_generic": "juniper_junos",
    "juniper_mx_generic": "juniper_junos",
    "dell_generic": "dell_force10",
    "dell10g_generic": "dell_os6",
    "brocade_generic": "brocade_fastiron",
}


def venv_dir() -> Path:
    """Where the peer's virtualenv lives: EVERYLAYER_PEERS_DIR, else the lab cache, keyed by pins and Python."""
    key = hashlib.sha256("\n".join((*NO_DEPS, *WITH_DEPS, sys.version.split()[0])).encode()).hexdigest()[:12]
    base = os.environ.get("EVERYLAYER_PEERS_DIR") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "everylayer-lab" / "peers"
    )
    return Path(base) / f"fake-switches-{VERSION}-{key}"


def python() -> Path:
    return venv_dir() / "bin" / "python"


def ensure_venv(quiet: bool = True) -> Path:
    """Make the peer's virtualenv unless it is already complete; returns its interpreter. Safe to race."""
    target = venv_dir()
    stamp = target / ".complete"
    if stamp.exists():
        return python()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return python()
        if not quiet:
            print(f"fake-switches: installing {VERSION} into {target}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(target)], check=True)
        pip = [str(python()), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        run = {"capture_output": True, "text": True}
        try:
            subprocess.run([*pip, "--no-deps", *NO_DEPS], check=True, **run)
            subprocess.run([*pip, *WITH_DEPS], check=True, **run)
            subprocess.run(
                [str(python()), "-c", "import fake_switches.switch_factory, twisted.conch.ssh"], check=True, **run
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(
                f"installing fake-switches into {target} failed ({' '.join(exc.cmd[:6])} ...): "
                f"{(exc.stderr or exc.stdout or '').strip()[-1500:]}"
            ) from exc
        stamp.write_text("\n".join((*NO_DEPS, *WITH_DEPS)) + "\n")
    return python()


class FakeSwitch(LocalDevice):
    """One fake-switches device on 127.0.0.1, in its own process and directory."""

    def __init__(
        self,
        root: Path,
        model: str = "cisco_generic",
        port: int = 0,
        auto_enabled: bool = False,
        hang: tuple[str, ...] = (),
        enable_password: str | None = None,
        hostname: str = "fake-sw-01",
    ) -> None:
        self.root = Path(root)
        self.model = model
        self.network_os = MODELS[model]
        self.port = port
        self.auto_enabled = auto_enabled
        self.hang = hang
        self.hostname = hostname
        self.password = secrets.token_urlsafe(12)
        self.enable_password = enable_password or secrets.token_urlsafe(12)
        self.known_hosts = self.root / "known_hosts"
        self.proc: subprocess.Popen | None = None

    def start(self) -> FakeSwitch:
        return self.launch().wait()

    def launch(self) -> FakeSwitch:
        """Start the process without waiting for it to listen (start several, then ``wait`` for each)."""
        interpreter = ensure_venv()
        self.root.mkdir(parents=True, exist_ok=True)
        for name, value in (("password", self.password), ("enable_password", self.enable_password)):
            path = self.root / name
            path.write_text(value + "\n")
            os.chmod(path, 0o600)
        self.port = self.port or free_port()
        # -I: the serve script's directory (holding this module, named like the package) stays off sys.path
        argv = [str(interpreter), "-I", str(SERVE), "--model", self.model, "--hostname", self.hostname]
        argv += ["--port", str(self.port), "--password-file", str(self.root / "password")]
        argv += ["--enable-password-file", str(self.root / "enable_password")]
        argv += ["--auto-enabled"] if self.auto_enabled else []
        for command in self.hang:
            argv += ["--hang", command]
        log = open(self.root / "peer.log", "ab")  # noqa: SIM115 - kept open for the process' life
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait(self, timeout: float = 30) -> FakeSwitch:
        procs.wait_for_port(
            "127.0.0.1", self.port, timeout, self.proc, name=f"fake-switches {self.model}", log=self.root / "peer.log"
        )
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {_host_key()}\n")
        return self


@functools.lru_cache(maxsize=1)
def _host_key() -> str:
    """The emulator's public host key, read from the installed package (it is fixed in its source)."""
    out = subprocess.run(
        [str(python()), "-c", "from fake_switches.transports.ssh_service import getRSAKeys; print(getRSAKeys()[0])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    key = " ".join(out.split()[:2])
    if not key.startswith(HOST_KEY_PREFIX):
        raise RuntimeError(f"fake-switches' host key changed ({key[:60]}...): update HOST_KEY_PREFIX after checking")
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.peers.fake_switches", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("install", help="make the peer's virtualenv (cached)")
    sub.add_parser("where", help="print the peer's interpreter")
    serve = sub.add_parser("serve", help="run one device in the foreground")
    serve.add_argument("--model", default="cisco_generic", choices=sorted(MODELS))
    serve.add_argument("--port", type=int, default=3301)
    serve.add_argument("--auto-enabled", action="store_true")
    args = parser.parse_args(argv)
    if args.cmd == "install":
        ensure_venv(quiet=False)
    elif args.cmd == "where":
        print(python())
    else:
        with FakeSwitch(
            Path(os.environ.get("TMPDIR", "/tmp")) / f"fake-switches-{args.port}",
            args.model,
            args.port,  # noqa: S108
            args.auto_enabled,
        ) as sw:
            print(f"listening on 127.0.0.1:{sw.port}; user admin, password {sw.password}, enable {sw.enable_password}")
            try:
                sw.proc.wait()
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
