"""Run a simulated BMC and an image server inside a test process, on free ports."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from . import config as cfg
from . import pki
from .images import make_image
from .server import TlsServer, make_server

IMAGES = {
    "BMC": ["1.45.0", "1.46.0", "1.47.0", "1.20.0"],
    "BIOS": ["2.2.4", "2.3.0", "2.1.0"],
    "NIC1": ["25.5.6", "25.6.0"],
    "CPLD": ["3.1", "3.2"],
}


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - base-class signature
        pass


@dataclass
class RunningBmc:
    directory: Path
    config: dict
    server: TlsServer
    images: ThreadingHTTPServer

    @property
    def baseuri(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    @property
    def ca_path(self) -> str:
        return str(self.directory / "pki" / "ca.pem")

    @property
    def image_base(self) -> str:
        return f"http://127.0.0.1:{self.images.server_address[1]}"

    @property
    def image_dir(self) -> Path:
        return self.directory / "images"

    def image_uri(self, component: str, version: str) -> str:
        return f"{self.image_base}/{component.lower()}-{version}.bin"

    def image_path(self, component: str, version: str) -> str:
        return str(self.image_dir / f"{component.lower()}-{version}.bin")

    def set_faults(self, **faults) -> None:
        cfg.write_faults(self.config, faults)

    def version(self, component: str) -> str:
        with self.server.bmc.lock:
            return self.server.bmc.components[component]["version"]

    @property
    def image_transfers(self) -> int:
        """Update requests that sent or pointed at an image so far (resets do not count)."""
        with self.server.bmc.lock:
            return self.server.bmc.image_transfers

    def stop(self) -> None:
        for srv in (self.server, self.images):
            srv.shutdown()
            srv.server_close()


def start(directory: Path, step_seconds: float = 0.05, reset_seconds: float = 1.5) -> RunningBmc:
    """Start a BMC on an ephemeral port (TLS from a fresh CA in ``directory``) plus its image server."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = pki.ensure_ca(directory / "pki")
    cert, key = pki.ensure_server_cert(directory / "pki", "bmc", ca_cert, ca_key)
    images = directory / "images"
    images.mkdir(exist_ok=True)
    for component, versions in IMAGES.items():
        for version in versions:
            (images / f"{component.lower()}-{version}.bin").write_bytes(make_image(component, version))
    (images / "corrupt.bin").write_bytes(b"this is not a firmware image\n")
    conf = cfg.default_config("test-bmc", 0, str(cert), str(key), str(directory))
    conf.update(step_seconds=step_seconds, reset_seconds=reset_seconds)
    server = make_server(conf)
    conf["port"] = server.server_address[1]
    files = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietFiles, directory=str(images)))
    files.daemon_threads = True
    for srv in (server, files):
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return RunningBmc(directory, conf, server, files)
