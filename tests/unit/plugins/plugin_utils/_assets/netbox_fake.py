"""A local HTTP(S) server that answers like NetBox's REST API from the recorded responses in fixtures/netbox/.

The pages (see fixtures/netbox/README.md) are what a NetBox 4.x at http://netbox.example.com with
MAX_PAGE_SIZE = 5 answers; the server serves the page that starts at the request's ``offset`` and rewrites
that base URL to its own (NetBox builds its ``next`` links from the request's host the same way).
It records every request (path, query, Authorization header) for the tests to assert on.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509  # a dependency of ansible-core
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "netbox"
RECORDED_BASE = "http://netbox.example.com"
TOKEN = "0123456789abcdef0123456789abcdef01234567"


def recorded_pages(endpoint):
    """The recorded pages of ``dcim/devices`` or ``virtualization/virtual-machines``, in order."""
    stem = endpoint.replace("/", "-")
    return [json.loads(path.read_text()) for path in sorted(FIXTURES.glob(f"{stem}.page*.json"))]


class FakeNetbox:
    """``with FakeNetbox() as nb:`` serves on 127.0.0.1, an ephemeral port; ``nb.url`` is its base URL.

    ``mode``: ``ok``, ``forbidden`` (every request 403 as with a wrong token), ``html`` (200 with a non-JSON
    body, as a login page or a proxy would). ``tls``: ``(certfile, keyfile)`` to serve HTTPS.
    """

    def __init__(self, mode="ok", token=TOKEN, tls=None):
        self.mode = mode
        self.token = token
        self.tls = tls
        self.requests = []
        self._server = None
        self._thread = None

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def __enter__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                fake.answer(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def queries(self, path):
        """The query dicts (value lists) of the requests made to ``path``."""
        return [query for seen, query, _ in self.requests if seen == path]

    def answer(self, handler):
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        self.requests.append((parts.path, query, handler.headers.get("Authorization")))
        if self.mode == "html":
            return self._send(handler, 200, "<html><body>Please log in</body></html>", "text/html")
        if self.mode == "forbidden" or handler.headers.get("Authorization") != f"Token {self.token}":
            return self._send(handler, 403, json.dumps({"detail": "Invalid token"}))
        endpoint = parts.path.removeprefix("/api/").strip("/")
        pages = recorded_pages(endpoint)
        if not pages:
            return self._send(handler, 404, json.dumps({"detail": "Not found."}))
        if query.get("ordering") == ["-last_updated"]:
            every = [item for page in pages for item in page["results"]]
            every.sort(key=lambda item: datetime.datetime.fromisoformat(item["last_updated"]), reverse=True)
            limit = int(query.get("limit", ["0"])[0]) or len(every)
            body = {"count": len(every), "next": None, "previous": None, "results": every[:limit]}
            return self._send(handler, 200, json.dumps(body))
        offset = int(query.get("offset", ["0"])[0])
        start = 0
        for page in pages:
            if start == offset:
                return self._send(handler, 200, json.dumps(page).replace(RECORDED_BASE, self.url))
            start += len(page["results"])
        return self._send(handler, 400, json.dumps({"detail": f"no recorded page at offset {offset}"}))

    @staticmethod
    def _send(handler, status, body, content_type="application/json"):
        data = body.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("API-Version", "4.3")
        handler.end_headers()
        handler.wfile.write(data)


def self_signed(directory):
    """A CA and a server certificate for 127.0.0.1 signed by it: ``(ca.pem, (cert.pem, key.pem))``."""
    now = datetime.datetime.now(datetime.UTC)

    def build(subject, issuer, public_key, signing_key, ca, san=None):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            # key identifiers: Python 3.13's default context verifies strictly (VERIFY_X509_STRICT) and refuses
            # a certificate without an Authority Key Identifier ("Missing Authority Key Identifier")
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = build("test NetBox CA", "test NetBox CA", ca_key.public_key(), ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    san = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    cert = build("127.0.0.1", "test NetBox CA", key.public_key(), ca_key, False, san)
    directory = Path(directory)
    (directory / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return directory / "ca.pem", (str(directory / "cert.pem"), str(directory / "key.pem"))
