"""Start a real, throwaway PostgreSQL server for tests (Debian's postgresql package, no mock).

initdb + pg_ctl in a temporary directory, listening on 127.0.0.1 at a free port with a password
(scram-sha-256). As root the server runs as the ``postgres`` user through runuser, as PostgreSQL
refuses to run as root. The binaries are found under /usr/lib/postgresql/<version>/bin.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time


class PostgresUnavailable(RuntimeError):
    """The postgresql package is missing or the server would not start."""


def find_bindir() -> str:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if not candidates:
        raise PostgresUnavailable(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install the Debian package 'postgresql' (scripts/apt-packages.txt)"
        )
    return os.path.dirname(candidates[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self, base_dir=None):
        self.bindir = find_bindir()
        self.base = tempfile.mkdtemp(prefix="everylayer-pg-", dir=base_dir)
        self.datadir = os.path.join(self.base, "data")
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.user = "evidence"
        self.run_as = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable(
                    "running as root needs the 'postgres' system user (created by the postgresql package)"
                ) from exc
            self.run_as = "postgres"

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/evidence"

    def _cmd(self, argv):
        if self.run_as:
            return ["runuser", "-u", self.run_as, "--"] + argv
        return argv

    def start(self):
        pwfile = os.path.join(self.base, "pw")
        with open(pwfile, "w") as handle:
            handle.write(self.password + "\n")
        if self.run_as:
            info = pwd.getpwnam(self.run_as)
            for path in (self.base, pwfile):
                os.chown(path, info.pw_uid, info.pw_gid)
        os.chmod(self.base, 0o700)
        self._run(
            [
                os.path.join(self.bindir, "initdb"),
                "-D",
                self.datadir,
                "-U",
                self.user,
                "--pwfile",
                pwfile,
                "--auth",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        self.start_server()
        self._run(
            [
                os.path.join(self.bindir, "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "evidence",
            ],
            env={"PGPASSWORD": self.password},
        )
        return self

    def start_server(self):
        """Start (or restart) the server on the same data directory and port."""
        opts = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.base} -c fsync=on -c max_connections=50"
        self._run(
            [
                os.path.join(self.bindir, "pg_ctl"),
                "-D",
                self.datadir,
                "-l",
                os.path.join(self.base, "server.log"),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )

    def stop_server(self, mode="immediate"):
        """Stop the server but keep its data (a database outage)."""
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-m", mode, "-w", "stop"])

    def _run(self, argv, env=None):
        full_env = dict(os.environ, **(env or {}))
        proc = subprocess.run(
            self._cmd(argv), capture_output=True, text=True, env=full_env, cwd=self.base, timeout=120, check=False
        )
        if proc.returncode != 0:
            log = ""
            log_path = os.path.join(self.base, "server.log")
            if os.path.exists(log_path):
                with open(log_path) as handle:
                    log = handle.read()[-2000:]
            raise PostgresUnavailable(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.strip()} {log}")
        return proc

    def stop(self):
        ctl = os.path.join(self.bindir, "pg_ctl")
        if os.path.exists(os.path.join(self.datadir, "postmaster.pid")):
            subprocess.run(
                self._cmd([ctl, "-D", self.datadir, "-m", "fast", "-w", "stop"]),
                capture_output=True,
                cwd=self.base,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.base, ignore_errors=True)

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise PostgresUnavailable("PostgreSQL did not accept connections")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
