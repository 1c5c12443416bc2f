"""The lab as a whole: up, down, status, reset. Faults live in lab/faults.py, the reboot loop in lab/supervisor.py."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

from lab import hosts, inventory, procs, state
from lab.base import ensure_base
from lab.config import REPO_ROOT, LabError, Settings, host_names, host_port, manager_plan
from lab.publish import published
from lab.services import LabContext, discover
from lab.system import port_in_use, port_open, preflight, run

REPO_SERVER = "repo-http"
SUPERVISOR = "supervisor"


def _repos():
    """lab.repos when it is installed in the tree, else None (hosts-only mode: BASE without package repos)."""
    if os.environ.get("EVERYLAYER_LAB_NO_REPOS"):
        return None
    try:
        from lab import repos
    except ImportError:
        return None
    return repos if hasattr(repos, "build") else None


def selected_services() -> list:
    """The lab services to run: all discovered, or those named in EVERYLAYER_LAB_SERVICES ("none": none)."""
    found = discover()
    wanted = os.environ.get("EVERYLAYER_LAB_SERVICES")
    if wanted is None or wanted.strip() in ("", "all"):
        return found
    names = {n.strip() for n in wanted.split(",") if n.strip() and n.strip() != "none"}
    unknown = names - {s.name for s in found}
    if unknown:
        raise LabError(f"EVERYLAYER_LAB_SERVICES names unknown service(s): {', '.join(sorted(unknown))}")
    return [s for s in found if s.name in names]


class Lab:
    def __init__(self, settings: Settings, say=print):
        self.s = settings
        self.say = say
        self.ssh_dir = settings.state_dir / "ssh"
        self.key = self.ssh_dir / "id_ed25519"
        self.known_hosts = self.ssh_dir / "known_hosts"
        self.base_url = f"http://127.0.0.1:{settings.repo_port}/"

    # --- helpers ---------------------------------------------------------------------------------

    def _ensure_key(self) -> str:
        self.ssh_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.key.exists():
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "everylayer-lab", "-f", str(self.key)])
        return self.key.with_suffix(".pub").read_text()

    def context(self, data: dict) -> LabContext:
        def spawn(name, argv, *, cwd=None, env=None, log=None):
            return state.spawn(data, f"service:{name}", argv, cwd=cwd, env=env, log=log)

        ctx = LabContext(
            state_dir=self.s.state_dir,
            port_base=self.s.port_base,
            repo_root=REPO_ROOT,
            spawn=spawn,
            kill=lambda name: state.kill(data, f"service:{name}"),
            pid=lambda name: state.pid_of(data, f"service:{name}"),
        )
        ctx.hosts = {name: Path(h["root"]) for name, h in data["hosts"].items()}
        return ctx

    def configure(self, data: dict):
        repos = _repos()
        if repos is None or not data["lab"].get("repos"):
            return None
        return lambda root, manager: repos.configure_host(root, manager, self.base_url)

    def _check_port(self, data: dict, port: int, owner: str) -> None:
        if state.alive(data["pids"].get(owner)) and data["lab"].get("ports", {}).get(owner) == port:
            return
        if port_in_use(port):
            raise LabError(
                f"port {port} on 127.0.0.1 (for {owner}) is already in use by another program: stop it, or choose "
                "other ports with --port-base / EVERYLAYER_LAB_PORT_BASE (see docs/lab.md)"
            )

    # --- up ----------------------------------------------------------------------------------------

    def up(self, count: int) -> int:
        preflight()
        started = time.monotonic()
        base = ensure_base(self.s.cache_dir, self.say)
        repos = _repos()
        rs = None
        zypper_ok = True
        if repos is None:
            self.say("warning: lab/repos is not available: hosts-only mode (no lab package repositories)")
        else:
            from lab.repos import labcopy

            # the lab serves its own copy: a runtime publish (python -m lab publish) changes this lab only
            rs, _ = labcopy.ensure(repos.build(self.s.cache_dir), self.s.state_dir)
            zypper_ok = repos.zypper_usable()
        plan = manager_plan(count, zypper_ok)
        names = host_names(plan)
        if not zypper_ok:
            self.say("warning: lab.repos reports zypper unusable here: the zypper hosts are dnf hosts")
        pubkey = self._ensure_key()
        # Layers are built (or found) before taking the lab lock, so reboots are not held up meanwhile.
        layers = {m: str(repos.baseline_layer(rs, base, m, self.s.cache_dir)) if rs else "" for m in set(plan)}
        with state.locked(self.s.state_dir) as data:
            hosts.prune_mounts(data)
            state.prune_dead(data)
            data["lab"].update(
                {
                    "port_base": self.s.port_base,
                    "repo_port": self.s.repo_port,
                    "base": str(base),
                    "repos": rs is not None,
                    "zypper": zypper_ok,
                    "count": count,
                }
            )
            wanted = {}
            for index, (name, manager) in enumerate(zip(names, plan, strict=True), start=1):
                lower = [layers[manager], str(base)] if layers[manager] else [str(base)]
                root = hosts.paths(self.s.state_dir, name)["root"]
                wanted[name] = {
                    "name": name,
                    "manager": manager,
                    "index": index,
                    "port": host_port(self.s.port_base, index),
                    "ordinal": int(name.rsplit("-", 1)[1]),
                    "lower": lower,
                    "root": str(root),
                    "state_dir": str(self.s.state_dir),
                    "stopped": False,
                }
            # Hosts that are gone from the plan or changed (port, layers) are taken down first.
            for name, old in list(data["hosts"].items()):
                new = wanted.get(name)
                if new is None or any(old.get(k) != new[k] for k in ("port", "lower", "manager")):
                    hosts.destroy(data, old)
                    del data["hosts"][name]
                    data["faults"].pop(name, None)
            for name, h in wanted.items():
                self._check_port(data, h["port"], hosts.sshd_name(name))
            if rs is not None:
                self._check_port(data, self.s.repo_port, REPO_SERVER)
                if data["lab"].get("serve_dir") != str(rs.serve_dir):
                    state.kill(data, REPO_SERVER)  # the repositories were rebuilt elsewhere: serve the new ones
                if not state.alive(data["pids"].get(REPO_SERVER)):
                    argv = [
                        sys.executable,
                        "-m",
                        "http.server",
                        "--bind",
                        "127.0.0.1",
                        str(self.s.repo_port),
                        "--directory",
                        str(rs.serve_dir),
                    ]
                    state.spawn(data, REPO_SERVER, argv, log=self.s.state_dir / "repo-http.log")
                data["lab"].setdefault("ports", {})[REPO_SERVER] = self.s.repo_port
                data["lab"]["serve_dir"] = str(rs.serve_dir)
            configure = self.configure(data)
            for name, h in wanted.items():
                h["stopped"] = data["hosts"].get(name, {}).get("stopped", False)
                data["hosts"][name] = h
                hosts.start(data, h, pubkey, configure)
                data["lab"].setdefault("ports", {})[hosts.sshd_name(name)] = h["port"]
            self._ensure_supervisor(data)
            late = hosts.wait_ready(data, [h for h in wanted.values() if not h["stopped"]])
            if late:
                raise LabError(
                    f"sshd did not come up on {', '.join(late)}; see {self.s.state_dir}/hosts/<name>/sshd.log"
                )
            if rs is not None:
                log = self.s.state_dir / "repo-http.log"
                try:
                    procs.wait_for_port("127.0.0.1", self.s.repo_port, 10, name=REPO_SERVER, log=log)
                except procs.ProcessError as exc:
                    raise LabError(f"the repository server did not start: {exc}") from exc
            rc = self._services_up_and_write(data)
        self.say(
            f"lab up: {len(wanted)} hosts in {time.monotonic() - started:.1f} s "
            f"(state {self.s.state_dir}, inventory {self.s.inventory_dir}/hosts.yml)"
        )
        return rc

    def _ensure_supervisor(self, data: dict) -> None:
        code = _code_version()
        if state.alive(data["pids"].get(SUPERVISOR)) and data["lab"].get("supervisor_code") == code:
            return
        state.kill(data, SUPERVISOR)  # dead, or running older lab code
        data["lab"]["supervisor_code"] = code
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        argv = [sys.executable, "-m", "lab.supervisor", "--state-dir", str(self.s.state_dir)]
        state.spawn(data, SUPERVISOR, argv, cwd=str(REPO_ROOT), env=env, log=self.s.state_dir / "supervisor.log")
        state.save(self.s.state_dir / "state.json", data)  # we hold the lock: let the supervisor see itself

    def _services_up_and_write(self, data: dict) -> int:
        ctx = self.context(data)
        service_assets: dict[str, list[dict]] = {}
        rc = 0
        for service in selected_services():
            try:
                service_assets[service.name] = service.up(ctx) or []
            except Exception as exc:  # a broken service must not take the Linux hosts down with it
                self.say(f"error: service {service.name} failed to start: {exc}")
                rc = 1
        self.write_inventory(data, service_assets)
        data["lab"]["services"] = sorted(service_assets)
        return rc

    def host_started(self, data: dict, name: str) -> None:
        """After a host boots again (reset, start, reboot): services that run inside it (fwupd) start again.

        Calls every running service's idempotent ``up``; a failure is reported, not raised.
        """
        ran = data["lab"].get("services") or []
        ctx = self.context(data)
        for service in discover():
            if service.name in ran:
                try:
                    service.up(ctx)
                except Exception as exc:
                    self.say(f"warning: service {service.name} did not restart after {name} came back: {exc}")

    def write_inventory(self, data: dict, service_assets: dict[str, list[dict]]) -> None:
        entries, host_assets = [], []
        for h in sorted(data["hosts"].values(), key=lambda h: h["index"]):
            entries.append((h["port"], hosts.host_public_keys(self.s.state_dir, h["name"])))
            info = hosts.os_release(Path(h["root"]))
            host_assets.append(inventory.host_asset(h, self.key, self.known_hosts, info))
        self.known_hosts.write_text(inventory.known_hosts_lines(entries))
        lab_info = {
            "state_dir": str(self.s.state_dir),
            "port_base": self.s.port_base,
            "repo_url": self.base_url if data["lab"].get("repos") else None,
            "private_key": str(self.key),
            "known_hosts": str(self.known_hosts),
            "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "hosts": {
                h["name"]: {"root": h["root"], "manager": h["manager"], "port": h["port"]}
                for h in data["hosts"].values()
            },
        }
        inv, lab_json = inventory.render(lab_info, host_assets, service_assets)
        inventory.write_files(self.s.inventory_dir, inv, lab_json)
        inventory.write_files(self.s.state_dir / "inventory", inv, lab_json)

    # --- down / status / reset --------------------------------------------------------------------

    def down(self) -> None:
        preflight()
        started = time.monotonic()
        if not (self.s.state_dir / "state.json").exists():
            self.say(f"nothing to do: no lab state in {self.s.state_dir}")
            return
        with state.locked(self.s.state_dir) as data:
            ctx = self.context(data)
            ran = data["lab"].get("services")
            for service in reversed([s for s in discover() if ran is None or s.name in ran]):
                try:
                    service.down(ctx)
                except Exception as exc:
                    self.say(f"warning: service {service.name} failed to stop cleanly: {exc}")
            state.kill(data, SUPERVISOR)
            for h in sorted(data["hosts"].values(), key=lambda h: -h["index"]):
                hosts.destroy(data, h)
            for name in reversed(list(data["pids"])):
                state.kill(data, name)
            hosts.unmount(data, None)
            data["hosts"].clear()
            data["faults"].clear()
            data["lab"].pop("ports", None)
            left = [m["path"] for m in data["mounts"]]
        if left:
            raise LabError(f"could not unmount: {', '.join(left)}")
        for directory in (self.s.inventory_dir, self.s.state_dir / "inventory"):
            for name in ("hosts.yml", "lab.json"):
                (directory / name).unlink(missing_ok=True)
        self.say(f"lab down in {time.monotonic() - started:.1f} s")

    def status(self) -> dict:
        data = state.read(self.s.state_dir)
        rows = []
        for h in sorted(data["hosts"].values(), key=lambda h: h["index"]):
            sshd = state.alive(data["pids"].get(hosts.sshd_name(h["name"])))
            up = sshd and port_open(h["port"])
            rows.append(
                {
                    "name": h["name"],
                    "port": h["port"],
                    "manager": h["manager"],
                    "state": "up" if up else ("stopped" if h.get("stopped") else "down"),
                    "faults": sorted(data["faults"].get(h["name"], {})),
                }
            )
        services = {}
        ctx = self.context(data)
        for service in selected_services():
            try:
                services[service.name] = service.status(ctx)
            except Exception as exc:
                services[service.name] = {"error": str(exc)}
        return {
            "state_dir": str(self.s.state_dir),
            "hosts": rows,
            "repo_server": {
                "port": self.s.repo_port,
                "up": state.alive(data["pids"].get(REPO_SERVER)),
                "serve_dir": data["lab"].get("serve_dir"),
                "published": published(self.s),
            },
            "supervisor": state.alive(data["pids"].get(SUPERVISOR)),
            "services": services,
        }

    def reset(self, names: list[str]) -> None:
        preflight()
        pubkey = self._ensure_key()
        with state.locked(self.s.state_dir) as data:
            unknown = [n for n in names if n not in data["hosts"]]
            if unknown:
                raise LabError(f"unknown host(s): {', '.join(unknown)} (see python -m lab status)")
            hosts.prune_mounts(data)
            configure = self.configure(data)
            for name in names:
                h = data["hosts"][name]
                hosts.destroy(data, h)
                h["stopped"] = False
                data["faults"].pop(name, None)
                hosts.start(data, h, pubkey, configure)
            late = hosts.wait_ready(data, [data["hosts"][n] for n in names])
            if late:
                raise LabError(f"sshd did not come back on {', '.join(late)}")
            for name in names:
                self.host_started(data, name)
        self.say(f"reset {', '.join(names)}: back to the baseline")


def _code_version() -> str:
    """Modification times of the lab's own modules: a supervisor started from older code is replaced."""
    lab_dir = REPO_ROOT / "lab"
    return ",".join(str(p.stat().st_mtime_ns) for p in sorted(lab_dir.glob("*.py")))
