"""``python -m lab up|down|status|reset HOST...|fault ...|publish ...|unpublish``: the lab's command line."""

from __future__ import annotations

import argparse
import json
import os
import sys

from lab.config import DEFAULT_HOSTS, LabError, Settings

EPILOG = """environment: EVERYLAYER_LAB_DIR (state dir, default /var/tmp/everylayer-lab),
EVERYLAYER_LAB_PORT_BASE (default 2200: sshd of host i listens on base+i; the package repository on
8480 + (base-2200)//10), EVERYLAYER_LAB_REPO_PORT, EVERYLAYER_LAB_INVENTORY_DIR. See docs/lab.md."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lab", description="The everylayer.patch lab estate.", epilog=EPILOG
    )
    parser.add_argument("--state-dir", help="state directory (env EVERYLAYER_LAB_DIR)")
    parser.add_argument("--port-base", type=int, help="sshd port base (env EVERYLAYER_LAB_PORT_BASE)")
    parser.add_argument("--repo-port", type=int, help="package repository HTTP port (env EVERYLAYER_LAB_REPO_PORT)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="build (once) and start the lab; safe to repeat")
    up.add_argument("--hosts", type=int, default=DEFAULT_HOSTS, help="number of Linux hosts (default 6)")
    sub.add_parser("down", help="stop every process and remove every mount the lab made")
    status = sub.add_parser("status", help="hosts, ports, managers, faults and services")
    status.add_argument("--json", action="store_true")
    reset = sub.add_parser("reset", help="wipe hosts back to their baseline and start them again")
    reset.add_argument("hosts", nargs="+", metavar="HOST")
    fault = sub.add_parser("fault", help="inject or clear a fault: fault [clear] KIND HOST [ARGS]; fault list")
    fault.add_argument("words", nargs=argparse.REMAINDER)
    publish = sub.add_parser(
        "publish",
        help="publish a newer version of a manifest package into THIS lab's repositories; prints the version",
    )
    publish.add_argument("package", help="a package of lab/repos/manifest.yml, e.g. lab-agent")
    publish.add_argument("version", nargs="?", help="e.g. 3.0-1; default: the next major version (N+1.0-1)")
    publish.add_argument("--type", default="bugfix", help="security, bugfix (default) or enhancement")
    publish.add_argument("--severity", help="Critical, Important (high), Moderate (medium) or Low")
    publish.add_argument("--cves", nargs="+", default=[], metavar="CVE", help="CVE ids (security updates)")
    publish.add_argument("--change", action="append", default=[], help="changelog line (repeatable)")
    sub.add_parser("unpublish", help="drop every version published at runtime from THIS lab's repositories")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.resolve(args.state_dir, args.port_base, args.repo_port)
        return _dispatch(args, settings)
    except LabError as exc:
        print(f"lab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `python -m lab status | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(args, settings: Settings) -> int:
    from lab.core import Lab

    lab = Lab(settings)
    if args.command == "up":
        return lab.up(args.hosts)
    if args.command == "down":
        lab.down()
        return 0
    if args.command == "status":
        info = lab.status()
        print(json.dumps(info, indent=2) if args.json else format_status(info))
        return 0
    if args.command == "reset":
        lab.reset(args.hosts)
        return 0
    if args.command in ("publish", "unpublish"):
        return _publishing(args, settings)
    from lab import faults

    if not args.words or args.words[0] in ("list", "-h", "--help"):
        print(faults.describe())
        return 0
    print(faults.inject(lab, args.words))
    return 0


def _publishing(args, settings: Settings) -> int:
    from lab import publish

    if args.command == "unpublish":
        dropped = publish.unpublish(settings)
        names = ", ".join(f"{p['package']} {p['version']}" for p in dropped) or "nothing was published"
        print(f"unpublished: {names}")
        return 0
    cves = tuple(c.strip() for word in args.cves for c in word.split(",") if c.strip())
    version = publish.publish(
        settings,
        args.package,
        args.version,
        type=args.type,
        severity=args.severity,
        cves=cves,
        changes=tuple(args.change),
    )
    print(version)
    return 0


def format_status(info: dict) -> str:
    if not info["hosts"]:
        return f"lab is down (state {info['state_dir']})"
    lines = [f"{'HOST':16} {'PORT':>5}  {'MANAGER':8} {'STATE':8} FAULTS"]
    for row in info["hosts"]:
        lines.append(
            f"{row['name']:16} {row['port']:>5}  {row['manager']:8} {row['state']:8} {','.join(row['faults']) or '-'}"
        )
    repo = info["repo_server"]
    lines.append(
        f"repository http://127.0.0.1:{repo['port']}/ {'up' if repo['up'] else 'down'}; "
        f"supervisor {'up' if info['supervisor'] else 'down'}"
    )
    for item in repo.get("published", []):
        lines.append(f"published at runtime: {item['package']} {item['version']} ({item['type']})")
    for name, status in info["services"].items():
        lines.append(f"service {name}: {json.dumps(status, sort_keys=True)}")
    return "\n".join(lines)
