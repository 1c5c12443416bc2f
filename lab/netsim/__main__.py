"""Run one simulated device: python -m lab.netsim --platform cisco_ios --name lab-ios-01 --port 2300 --dir DIR."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from .server import DIALECTS, Simulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lab.netsim", description=__doc__)
    parser.add_argument("--platform", required=True, choices=sorted(DIALECTS))
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True, help="device directory (flash/, state.json, faults.json)")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password-file", type=Path, required=True, help="file holding the login password")
    parser.add_argument("--host-key", type=Path, help="host key (made if missing; default DIR/ssh_host_ed25519_key)")
    parser.add_argument("--reload-delay", type=float, default=3.0, help="seconds a reload keeps the device down")
    parser.add_argument("--enable-secret-file", type=Path, help="log in to user mode (>); 'enable' asks this secret")
    parser.add_argument("--boot-mode", choices=["bundle", "install"], default="bundle", help="IOS-XE boot mode")
    parser.add_argument("--stack", type=int, default=1, help="number of stack members (IOS-XE)")
    parser.add_argument("--authorized-keys", type=Path, help="accept these public keys (publickey authentication)")
    parser.add_argument("--no-password", action="store_true", help="refuse password authentication")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args.dir.mkdir(parents=True, exist_ok=True)
    sim = Simulator(
        args.dir,
        args.platform,
        args.name,
        args.port,
        args.user,
        None if args.no_password else args.password_file.read_text().strip(),
        args.host_key or args.dir / "ssh_host_ed25519_key",
        args.reload_delay,
        enable_secret=args.enable_secret_file.read_text().strip() if args.enable_secret_file else None,
        boot_mode=args.boot_mode,
        stack=args.stack,
        authorized_keys=args.authorized_keys,
    )

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, sim.stopped.set)
        await sim.run()

    asyncio.run(run())


if __name__ == "__main__":
    main()
