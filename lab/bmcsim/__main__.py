"""Run one simulated BMC: ``python -m lab.bmcsim --config CONFIG.json``."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from . import config as cfg
from .server import make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.bmcsim", description=__doc__)
    parser.add_argument("--config", required=True, type=Path, help="JSON config written by the lab or a test")
    args = parser.parse_args(argv)
    server = make_server(cfg.load(args.config))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
