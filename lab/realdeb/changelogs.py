"""Serve the candidates' own changelogs, taken from their .deb files, where apt's changelog URI override
(``Acquire::Changelogs::URI::Override::Origin::Debian``) points: the distribution's changelog server is not
reachable from CI, and these are the very files that server would return."""

from __future__ import annotations

import gzip
import http.server
import io
import subprocess
import tarfile
import threading
from pathlib import Path
from urllib.parse import unquote


def deb_fields(deb: Path) -> dict[str, str]:
    out = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True).stdout
    fields: dict[str, str] = {}
    for line in out.splitlines():
        if line[:1] not in (" ", "\t") and ":" in line:
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    return fields


def source_of(fields: dict[str, str]) -> tuple[str, str]:
    """(source name, source version) of a binary package: ``Source: name (version)`` for binNMUs."""
    source = fields.get("Source") or fields["Package"]
    name, _, rest = source.partition(" ")
    version = rest.strip("() ") or fields["Version"]
    return name, version


def changelog_of(deb: Path, package: str) -> str | None:
    """The Debian changelog in the .deb's data: usr/share/doc/<package>/changelog.Debian.gz, or changelog.gz for a
    Debian-native package (apt, tzdata...), which has no separate upstream changelog. None when the doc directory
    is a link to a sibling package's or the file is absent."""
    proc = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True)
    found = {}
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        for member in tar:
            name = member.name.lstrip("./")
            for wanted in ("changelog.Debian.gz", "changelog.gz"):
                if name == f"usr/share/doc/{package}/{wanted}" and member.isfile():
                    found[wanted] = gzip.decompress(tar.extractfile(member).read()).decode("utf-8", errors="replace")
    if "changelog.Debian.gz" in found:
        return found["changelog.Debian.gz"]
    native = found.get("changelog.gz")
    # a native package's changelog.gz is in Debian changelog format: "<source> (<version>) <suite>; urgency=..."
    return native if native and "urgency=" in native.split("\n", 1)[0] else None


def collect(debs: list[Path]) -> dict[tuple[str, str], str]:
    """{(source, source version without epoch): changelog text} from the given .debs (one binary per source
    that carries the real file; binaries whose doc directory links to a sibling's are skipped)."""
    found: dict[tuple[str, str], str] = {}
    for deb in sorted(debs):
        fields = deb_fields(deb)
        name, version = source_of(fields)
        key = (name, version.split(":", 1)[-1])
        if key in found:
            continue
        text = changelog_of(deb, fields["Package"])
        if text:
            found[key] = text
    return found


class _Handler(http.server.BaseHTTPRequestHandler):
    logs: dict[tuple[str, str], str] = {}
    served: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        # apt asks for <base>/<component>/<prefix>/<source>/<source>_<version>/changelog
        parts = unquote(self.path).strip("/").split("/")
        text = None
        if len(parts) >= 2 and parts[-1] == "changelog" and "_" in parts[-2]:
            source, _, version = parts[-2].partition("_")
            text = self.logs.get((source, version))
        self.served.append(self.path)
        if text is None:
            self.send_error(404, "no such changelog")
            return
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class ChangelogServer:
    """A local HTTP server on 127.0.0.1:port serving ``logs``; ``url`` is the override apt gets."""

    def __init__(self, logs: dict[tuple[str, str], str], port: int):
        handler = type("Handler", (_Handler,), {"logs": logs, "served": []})
        self.handler = handler
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{port}/changelogs/@CHANGEPATH@/changelog"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def served(self) -> list[str]:
        return self.handler.served

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
