"""A model of the Windows Update Agent behind the simulated host, answering windows_updates' operations.

State lives in one JSON file (``state.json``) so a test can set faults between runs and a "reboot" keeps it:
a catalogue of updates (id, KB, title, categories, MSRC severity, release date, size, reboot behaviour,
uninstallable, superseded_by, requires (offered only once that update is installed and booted), CVEs,
package identity), what is downloaded and installed (installed updates
that need a reboot stay ``pending`` until one), the history, the pending-reboot flag, the boot id, and
faults on demand:

- ``download_fail`` / ``install_fail``: ``{KB: HRESULT}``: that update's download/install result is 4
  (failed) with that HRESULT, as IUpdateDownloader/IUpdateInstaller report it per update;
- ``search_fail``: an HRESULT thrown by IUpdateSearcher.Search (as the COM call throws it);
- ``drop_during_install``: N: the next N install operations finish on the host but the WinRM connection
  drops before the answer;
- ``reboot_never_returns``: after ``shutdown /r`` the listener never answers again;
- ``reappear_after_reboot``: ``[KB, ...]``: these updates install, then fail during the reboot (history
  result 4, HRESULT 0x800F0922) and are applicable again.

Uninstall: IUpdateInstaller.Uninstall for uninstallable updates; an update WUA will not uninstall
(``uninstallable: false``, 0x80240028) is removed as DISM ``Remove-WindowsPackage`` would when the call names
its package identity (``package_identities``: KB -> identity; a wrong identity fails with 0x800F0805, no WUA
history entry either way). A package identity is known once the update is installed (the install result and the
search of installed updates carry it), as ``Get-WindowsPackage`` gives it on a host.

Not modelled: real applicability rules, WSUS approvals, download progress, per-update EULAs, hidden
updates, the servicing stack, wusa, and what DISM really does to the component store.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path

from .wsman import DropConnection

DEFAULT_CATALOGUE = Path(__file__).with_name("catalogue.json")
REBOOT_FAILED = "0x800F0922"
UNINSTALL_NOT_ALLOWED = "0x80240028"  # WU_E_UNINSTALL_NOT_ALLOWED
INVALID_PACKAGE = "0x800F0805"  # CBS_E_INVALID_PACKAGE: DISM knows no package of that name
OPERATIONS = ("search", "download", "install", "uninstall", "history")
SERVER_SELECTIONS = ("default", "managed_server", "windows_update")


class ModuleFail(Exception):
    pass


class Model:
    def __init__(self, directory: Path, *, hostname: str = "LAB-WIN-01", user: str = "ansible"):
        Path(directory).mkdir(parents=True, exist_ok=True)
        self.path = Path(directory) / "state.json"
        self.log_path = Path(directory) / "calls.log"
        self.hostname, self.user = hostname, user
        self.lock = threading.RLock()
        if not self.path.exists():
            self.save(initial_state())

    # -- state -----------------------------------------------------------------------------------------
    def load(self) -> dict:
        return json.loads(self.path.read_text())

    def save(self, state: dict) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
        tmp.replace(self.path)

    def note(self, line: str) -> None:
        with self.lock, self.log_path.open("a") as fh:
            fh.write(line + "\n")

    def boot_id(self) -> int:
        return self.load()["boot_id"]

    def reboot(self) -> None:
        with self.lock:
            state = self.load()
            state["rebooting_until"] = time.time() + float(state.get("reboot_seconds", 1.0))
            self.save(state)

    def is_down(self) -> bool:
        with self.lock:
            state = self.load()
            if state["faults"].get("reboot_never_returns") and state.get("rebooting_until"):
                return True
            until = state.get("rebooting_until") or 0
            if not until:
                return False
            if time.time() < until:
                return True
            self._finish_boot(state)
            self.save(state)
            return False

    def _finish_boot(self, state: dict) -> None:
        state["rebooting_until"] = 0
        state["boot_id"] += 1
        state["pending_reboot"] = False
        reappear = set(state["faults"].get("reappear_after_reboot") or ())
        for uid, entry in list(state["installed"].items()):
            update = _by_id(state, uid)
            if entry.get("pending") and update and update["kb"] in reappear:
                del state["installed"][uid]
                state["history"].append(_history(update, "install", 4, REBOOT_FAILED))
            else:
                entry["pending"] = False

    # -- the module's operations (the contract of plugins/modules/windows_updates.ps1) ------------------
    def module(self, args: dict) -> dict:
        op = args.get("operation")
        if op not in OPERATIONS:
            return {"failed": True, "msg": f"value of operation must be one of: {', '.join(OPERATIONS)}, got: {op}"}
        selection = args.get("server_selection") or "default"
        if selection not in SERVER_SELECTIONS:
            return {
                "failed": True,
                "msg": f"value of server_selection must be one of: {', '.join(SERVER_SELECTIONS)}, got: {selection}",
            }
        with self.lock:
            state = self.load()
            try:
                result = getattr(self, "_op_" + op)(state, args)
            except ModuleFail as exc:
                return {"failed": True, "msg": str(exc), **getattr(exc, "extra", {})}
            finally:
                pass
            self.save(state)
            if op == "install" and state["faults"].get("drop_during_install", 0) > 0:
                state["faults"]["drop_during_install"] -= 1
                self.save(state)
                raise DropConnection()
        result.setdefault("changed", False)
        result["reboot_required"] = state["pending_reboot"]
        return result

    def _applicable(self, state: dict) -> list[dict]:
        ids = {u["id"] for u in state["catalogue"]}
        out = []
        for update in state["catalogue"]:
            if update["id"] in state["installed"]:
                continue
            if update.get("superseded_by") in ids:
                continue
            needs = update.get("requires")  # a prerequisite (servicing stack before a cumulative update)
            if needs and (needs not in state["installed"] or state["installed"][needs].get("pending")):
                continue
            out.append(update)
        return out

    def _op_search(self, state: dict, args: dict) -> dict:
        hresult = state["faults"].get("search_fail")
        if hresult:
            exc = ModuleFail(f"Failed to search for updates: Exception from HRESULT: {hresult}")
            exc.extra = {"hresult": hresult}
            raise exc
        result = {"updates": [_public(u, state) for u in self._applicable(state)]}
        if args.get("include_installed"):
            result["installed"] = [
                {**_public(_by_id(state, uid), state), "pending_reboot": bool(entry.get("pending"))}
                for uid, entry in sorted(state["installed"].items())
                if _by_id(state, uid)
            ]
        return result

    def _targets(self, state: dict, args: dict) -> list[dict]:
        ids = args.get("update_ids") or []
        if not ids:
            raise ModuleFail("update_ids is required for this operation")
        applicable = {u["id"]: u for u in self._applicable(state)}
        missing = [i for i in ids if i not in applicable]
        if missing:
            raise ModuleFail(f"update ids not found among the applicable updates: {', '.join(missing)}")
        return [applicable[i] for i in ids]

    def _download(self, state: dict, update: dict) -> dict:
        hresult = state["faults"].get("download_fail", {}).get(update["kb"])
        if hresult:
            return _result(update, 4, hresult)
        if update["id"] not in state["downloaded"]:
            state["downloaded"].append(update["id"])
        return _result(update, 2, "0x00000000")

    def _op_download(self, state: dict, args: dict) -> dict:
        before = set(state["downloaded"])
        results = [self._download(state, u) for u in self._targets(state, args)]
        return {"changed": set(state["downloaded"]) != before, "results": results}

    def _op_install(self, state: dict, args: dict) -> dict:
        results = []
        for update in self._targets(state, args):
            res = self._download(state, update)
            if res["result_code"] == 2:
                hresult = state["faults"].get("install_fail", {}).get(update["kb"])
                if hresult:
                    res = _result(update, 4, hresult)
                else:
                    reboot = update.get("reboot_behavior", "never") != "never"
                    state["installed"][update["id"]] = {"date": _now(), "pending": reboot}
                    state["pending_reboot"] = state["pending_reboot"] or reboot
                    res = dict(_result(update, 2, "0x00000000"), reboot_required=reboot)
                res["package_identity"] = update.get("package_identity") if res["result_code"] == 2 else None
                state["history"].append(_history(update, "install", res["result_code"], res["hresult"]))
            results.append(res)
        return {"changed": any(r["result_code"] in (2, 3) for r in results), "results": results}

    def _op_uninstall(self, state: dict, args: dict) -> dict:
        kbs = args.get("kbs") or []
        if not kbs:
            raise ModuleFail("kbs is required for operation uninstall")
        results = []
        for kb in kbs:
            found = [u for u in state["catalogue"] if u["kb"] == kb and u["id"] in state["installed"]]
            if not found:
                results.append(
                    {"kb": kb, "id": None, "title": None, "result_code": 0, "hresult": "0x00000000", "absent": True}
                )
                continue
            update = found[0]
            identity = (args.get("package_identities") or {}).get(kb)
            if not update.get("uninstallable", True) and identity:
                results.append(self._dism_remove(state, update, identity))
                continue
            if not update.get("uninstallable", True):
                res = _result(update, 4, UNINSTALL_NOT_ALLOWED)
            else:
                del state["installed"][update["id"]]
                if update["id"] in state["downloaded"]:
                    state["downloaded"].remove(update["id"])
                reboot = update.get("reboot_behavior", "never") != "never"
                state["pending_reboot"] = state["pending_reboot"] or reboot
                res = dict(_result(update, 2, "0x00000000"), reboot_required=reboot)
            state["history"].append(_history(update, "uninstall", res["result_code"], res["hresult"]))
            results.append(res)
        return {"changed": any(r["result_code"] == 2 for r in results), "results": results}

    def _dism_remove(self, state: dict, update: dict, identity: str) -> dict:
        """Remove-WindowsPackage -Online -PackageName <identity> -NoRestart: no WUA history entry."""
        res = {**_result(update, 2, "0x00000000"), "method": "dism", "package_identity": identity}
        if identity != update.get("package_identity"):
            return {
                **res,
                "result_code": 4,
                "hresult": INVALID_PACKAGE,
                "error": f"Remove-WindowsPackage -PackageName {identity}: The specified package is not valid Windows package.",
            }
        del state["installed"][update["id"]]
        if update["id"] in state["downloaded"]:
            state["downloaded"].remove(update["id"])
        reboot = update.get("reboot_behavior", "never") != "never"
        state["pending_reboot"] = state["pending_reboot"] or reboot
        self.note(f"dism remove {identity}")
        return {**res, "reboot_required": reboot}

    def _op_history(self, state: dict, args: dict) -> dict:
        return {"history": list(state["history"])}


def _by_id(state: dict, uid: str) -> dict | None:
    return next((u for u in state["catalogue"] if u["id"] == uid), None)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _release_date(update: dict) -> str:
    if "release_days_ago" in update:
        day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=int(update["release_days_ago"]))
        return day.isoformat() + "T00:00:00Z"
    return update["release_date"]


def _public(update: dict, state: dict) -> dict:
    """One update as the module's search reports it (IUpdate properties, see windows_updates.ps1)."""
    return {
        "id": update["id"],
        "revision": update.get("revision", 200),
        "kb": [update["kb"]],
        "title": update["title"],
        "categories": list(update["categories"]),
        # the category of type UpdateClassification (the catalogue lists it first, its products after)
        "classification": update.get("classification", (update["categories"] or [None])[0]),
        "msrc_severity": update.get("msrc_severity"),
        "release_date": _release_date(update),
        "size": update.get("size", 0),
        "reboot_behavior": update.get("reboot_behavior", "never"),
        "uninstallable": bool(update.get("uninstallable", True)),
        "superseded_update_ids": [u["id"] for u in state["catalogue"] if u.get("superseded_by") == update["id"]],
        "cves": list(update.get("cves", [])),
        "downloaded": update["id"] in state["downloaded"],
        # the CBS package exists once the update is installed (Get-WindowsPackage on the host)
        "package_identity": update.get("package_identity") if update["id"] in state["installed"] else None,
    }


def _result(update: dict, code: int, hresult: str) -> dict:
    return {"id": update["id"], "kb": update["kb"], "title": update["title"], "result_code": code, "hresult": hresult}


def _history(update: dict, operation: str, code: int, hresult: str) -> dict:
    return {
        "id": update["id"],
        "kb": update["kb"],
        "title": update["title"],
        "operation": operation,
        "result_code": code,
        "hresult": hresult,
        "date": _now(),
    }


def initial_state(catalogue: list[dict] | None = None) -> dict:
    return {
        "boot_id": 133000000000000000,
        "reboot_seconds": 1.0,
        "rebooting_until": 0,
        "pending_reboot": False,
        "catalogue": catalogue if catalogue is not None else json.loads(DEFAULT_CATALOGUE.read_text()),
        "installed": {},
        "downloaded": [],
        "history": [],
        "faults": {},
    }
