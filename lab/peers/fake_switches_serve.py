"""Serve one fake-switches device over SSH on 127.0.0.1. Runs with the PEER's interpreter, not the project's.

fake-switches (a third-party SSH switch emulator, Apache-2.0) pins an old Twisted, so it lives in its own
virtualenv (lab/peers/fake_switches.py makes it) and this file is the only code run inside it: it imports
nothing from the project. Usage:

    <peer-venv>/bin/python -I fake_switches_serve.py --model cisco_generic --port 3301 \
        --username admin --password-file FILE [--auto-enabled] [--hang 'show clock']

It prints ``READY <port>`` once the port listens. ``--hang CMD`` (repeatable) is the one behaviour added on
top of the emulator: the device echoes CMD and then never answers, as a device stuck in a long
``show tech`` or a dead control plane does; everything else is the emulator's own.
"""

from __future__ import annotations

import argparse
import logging
import sys


def _add_hangs(commands: list[str]) -> None:
    """Make each command in ``commands`` (exact line) swallow the line and never show a prompt again."""
    from fake_switches.command_processing.base_command_processor import BaseCommandProcessor

    original = BaseCommandProcessor.process_command

    def process_command(self, line):
        if line.strip() in commands:
            self.continue_to(lambda _line: None)  # every later line is swallowed too: no prompt, ever
            return True
        return original(self, line)

    BaseCommandProcessor.process_command = process_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cisco_generic")
    parser.add_argument("--hostname", default="fake-sw-01")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password-file", required=True, help="file whose first line is the login password")
    parser.add_argument("--enable-password-file", help="enable password (default: the login password)")
    parser.add_argument("--auto-enabled", action="store_true", help="log in at '#' instead of '>'")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hang", action="append", default=[], help="a command that never answers")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from fake_switches import switch_factory
    from fake_switches.transports.ssh_service import SwitchSshService
    from twisted.internet import reactor

    with open(args.password_file, encoding="utf-8") as handle:
        password = handle.readline().strip()
    enable = password
    if args.enable_password_file:
        with open(args.enable_password_file, encoding="utf-8") as handle:
            enable = handle.readline().strip()
    if args.hang:
        _add_hangs(args.hang)

    core = switch_factory.SwitchFactory().get(args.model, args.hostname, enable, auto_enabled=args.auto_enabled)
    service = SwitchSshService(
        ip="127.0.0.1", port=args.port, switch_core=core, users={args.username: password.encode()}
    )
    service.hook_to_reactor(reactor)
    reactor.callWhenRunning(lambda: print(f"READY {args.port}", flush=True))
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
