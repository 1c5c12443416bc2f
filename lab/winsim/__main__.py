"""``python -m lab.winsim --port P --dir D [--user U --password W] [--tls-cert C --tls-key K]``: one simulated
Windows host on 127.0.0.1 until killed. NTLM users come from D/ntlm_users (written here)."""

from __future__ import annotations

import argparse
import os
import ssl
import sys
from pathlib import Path

from .host import Host
from .wsman import WsmanServer
from .wua import Model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lab.winsim")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--user", default="ansible")
    ap.add_argument("--password", default="Lab-Passw0rd!")
    ap.add_argument("--hostname", default="LAB-WIN-01")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    opts = ap.parse_args(argv)
    opts.dir.mkdir(parents=True, exist_ok=True)
    users = opts.dir / "ntlm_users"
    users.write_text(f"{opts.hostname}:{opts.user}:{opts.password}\n")
    users.chmod(0o600)
    os.environ["NTLM_USER_FILE"] = str(users)  # read by pyspnego's NTLM acceptor
    tls = None
    if opts.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(opts.tls_cert, opts.tls_key)
    host = Host(Model(opts.dir, hostname=opts.hostname, user=opts.user))
    server = WsmanServer(("127.0.0.1", opts.port), host, tls_context=tls, basic_users={opts.user: opts.password})
    print(f"winsim listening on 127.0.0.1:{opts.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
