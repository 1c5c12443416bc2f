"""Redfish services made of stored bodies: DMTF's published mockups and recorded peers (tests/fixtures/redfish).

A folder keeps DMTF's mockup layout: ``X/Y/index.json`` is the body of ``GET /redfish/v1/X/Y`` and
``index.json`` the ServiceRoot. Two ways to use one:

- ``MockupClient(folder)``: the ``get``/``request`` a RedfishBackend calls, in process (unit tests);
- ``serve(folder)``: a read-only HTTP server on 127.0.0.1 (integration tests drive the module against it).
  GET answers the body or a Redfish 404; POST/PATCH/PUT/DELETE answer 405 with a Redfish error body, as a
  read-only service does. Every request is counted in ``server.requests``.
"""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "redfish"
MOCKUPS = FIXTURES / "mockups"
RECORDED = FIXTURES / "recorded"
ROOT = "/redfish/v1"


def body_file(folder: Path, path: str) -> Path | None:
    """The stored body for ``path`` (``/redfish/v1/...``, query string ignored), or None."""
    path = path.split("?", 1)[0].rstrip("/")
    if path != ROOT and not path.startswith(ROOT + "/"):
        return None
    rel = path[len(ROOT) :].strip("/")
    if ".." in rel.split("/"):
        return None
    candidate = folder / rel / "index.json" if rel else folder / "index.json"
    return candidate if candidate.is_file() else None


def error_body(message: str, message_id: str = "Base.1.0.GeneralError") -> dict:
    return {"error": {"code": message_id, "message": message, "@Message.ExtendedInfo": [{"MessageId": message_id}]}}


class MockupClient:
    """A RedfishClient stand-in over a folder: answers GETs from it, refuses writes with 405 like the server.

    ``overrides`` maps a path to a body (replacing or adding one) or to None (the path answers 404).
    """

    def __init__(self, folder: Path, overrides: dict | None = None):
        self.folder = Path(folder)
        self.overrides = dict(overrides or {})
        self.calls: list[tuple] = []
        self.logins = 0

    def body(self, path: str):
        key = path.rstrip("/") or "/"
        if key in self.overrides:
            return copy.deepcopy(self.overrides[key])
        found = body_file(self.folder, path)
        return json.loads(found.read_text(encoding="utf-8")) if found else None

    def request(self, method, path, body=None, data=None, headers=None):
        from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish_client import (
            RedfishHttpError,
        )

        self.calls.append((method, path, body))
        if method != "GET":
            raise RedfishHttpError(method, path, 405, error_body(f"{method} is not allowed on this read-only mockup"))
        found = self.body(path)
        if found is None:
            raise RedfishHttpError(method, path, 404, error_body(f"{path} not found"))
        return 200, found, {}

    def get(self, path):
        return self.request("GET", path)[1]

    def post_multipart(self, path, fields):
        return self.request("POST", path)

    def logout(self):
        pass

    def paths(self, method="GET"):
        return [c[1] for c in self.calls if c[0] == method]


class _Handler(BaseHTTPRequestHandler):
    server: MockupServer

    def _answer(self, status: int, body: dict, extra_headers: dict | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("OData-Version", "4.0")
        for key, value in (extra_headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.server.requests.append(("GET", self.path))
        found = body_file(self.server.folder, self.path)
        if found is None:
            self._answer(404, error_body(f"{self.path.split('?', 1)[0]} is not in this mockup"))
            return
        self._answer(200, json.loads(found.read_text(encoding="utf-8")))

    def _read_only(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.requests.append((self.command, self.path))
        self._answer(
            405,
            error_body(
                f"{self.command} is not allowed: this mockup service is read-only", "Base.1.0.ActionNotSupported"
            ),
            {"Allow": "GET, HEAD"},
        )

    do_POST = do_PATCH = do_PUT = do_DELETE = _read_only  # noqa: N815

    def log_message(self, format, *args):  # noqa: A002 - quiet: the test output stays readable
        pass


class MockupServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, folder: Path, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.folder = Path(folder)
        self.requests: list[tuple[str, str]] = []
        self.thread = threading.Thread(target=self.serve_forever, name=f"mockup-{self.folder.name}", daemon=True)

    @property
    def baseuri(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


def serve(folder: Path, port: int = 0) -> MockupServer:
    """Start a read-only server for ``folder`` on 127.0.0.1 (a free port unless given); call ``stop()``."""
    server = MockupServer(folder, port)
    server.thread.start()
    return server
