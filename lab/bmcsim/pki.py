"""A private CA and a server certificate for 127.0.0.1, made with the openssl CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def ensure_ca(directory: Path) -> tuple[Path, Path]:
    """Create (once) a CA key and certificate in ``directory``; return (cert, key)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "ca.pem", directory / "ca.key"
    if not (cert.exists() and key.exists()):
        _openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-sha256",
            "-days",
            "3650",
            "-subj",
            "/CN=everylayer lab BMC CA",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        )
        key.chmod(0o600)
    return cert, key


def ensure_server_cert(directory: Path, name: str, ca_cert: Path, ca_key: Path) -> tuple[Path, Path]:
    """Create (once) a certificate for ``name`` valid for 127.0.0.1 and localhost; return (cert, key)."""
    cert, key, csr = directory / f"{name}.pem", directory / f"{name}.key", directory / f"{name}.csr"
    if cert.exists() and key.exists():
        return cert, key
    ext = directory / f"{name}.ext"
    ext.write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
    )
    _openssl(
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(csr)
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca_cert),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-days",
        "825",
        "-sha256",
        "-extfile",
        str(ext),
        "-out",
        str(cert),
    )
    key.chmod(0o600)
    csr.unlink()
    ext.unlink()
    return cert, key
