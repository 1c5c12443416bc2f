# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The windows_updates loop: search, select, download/install, reboot, search again, in rounds.

The target is reached through a small interface so unit tests drive the loop without Ansible:
``call(operation, **args) -> dict`` (the module's result; raises :class:`ConnectionLost`),
``reboot(timeout)`` (returns when the host answers with a new boot id; raises :class:`RebootTimeout`) and
``reconnect(timeout)`` (returns when the host answers again).
"""

from __future__ import annotations

from . import record
from .hresult import RESULT_CODES, describe
from .selection import Selection

STATES = ("scanned", "downloaded", "patched", "rolled_back")


class ConnectionLost(Exception):
    """The WinRM connection dropped during a call (the call may still have run on the host)."""


class RebootTimeout(Exception):
    pass


class ModuleFailed(Exception):
    def __init__(self, operation: str, result: dict):
        super().__init__(f"{operation}: {result.get('msg', 'failed')}")
        self.result = result


def _kb(update: dict) -> str:
    return (update.get("kb") or [update.get("id")])[0] if isinstance(update.get("kb"), list) else update.get("kb")


def _chronological(history: list[dict]) -> list[dict]:
    """Oldest first, whatever order the host listed them in (QueryHistory lists the newest first)."""
    return sorted(history, key=lambda item: str(item.get("date") or ""))


class Run:
    def __init__(
        self,
        target,
        selection: Selection,
        *,
        state: str = "patched",
        reboot: bool = False,
        max_rounds: int = 3,
        reboot_timeout: int = 1200,
        server_selection: str = "default",
        kbs=(),
        package_identities=None,
        check_mode: bool = False,
    ):
        self.target, self.selection, self.state = target, selection, state
        self.reboot, self.max_rounds, self.reboot_timeout = reboot, max(1, int(max_rounds)), reboot_timeout
        self.server_selection, self.kbs, self.check_mode = server_selection, list(kbs or ()), check_mode
        # KB -> CBS package identity (the change record's rollback.data.updates): what DISM removes when WUA will not
        self.package_identities = {k: v for k, v in (package_identities or {}).items() if v}
        self.rounds: list[dict] = []
        self.failures: list[str] = []
        self.installed: list[dict] = []
        self.removed: list[dict] = []
        self.left_out: list[dict] = []
        self.reboot_required = False
        self.rebooted = 0
        self.messages: list[str] = []

    # -- target calls ----------------------------------------------------------------------------------
    def _call(self, operation: str, **args) -> dict:
        result = self.target.call(operation, server_selection=self.server_selection, **args)
        if result.get("failed"):
            raise ModuleFailed(operation, result)
        if "reboot_required" in result:
            self.reboot_required = bool(result["reboot_required"])
        return result

    def _search(self, include_installed: bool = False) -> dict:
        return self._call("search", include_installed=include_installed)

    def _do_reboot(self) -> None:
        self.target.reboot(self.reboot_timeout)
        self.rebooted += 1
        self.reboot_required = bool(self._search().get("reboot_required"))

    # -- states ----------------------------------------------------------------------------------------
    def execute(self) -> dict:
        try:
            getattr(self, "_" + self.state)()
        except ModuleFailed as exc:
            hres = exc.result.get("hresult")
            self.failures.append(str(exc) + (f" [{describe(hres)}]" if hres else ""))
        except RebootTimeout as exc:
            self.failures.append(f"reboot: {exc}")
        except ConnectionLost as exc:
            self.failures.append(f"connection lost and not resumed: {exc}")
        return self.result()

    def _scanned(self) -> None:
        found = self._search(include_installed=bool(self.selection.update_ids))
        self.selected, self.left_out = self.selection.split(found["updates"])
        if self.selection.update_ids:  # which of the frozen ids the host has installed (a rollout's postcheck)
            wanted = set(self.selection.update_ids)
            self.installed_now = [
                {"id": u["id"], "kb": _kb(u), "pending_reboot": bool(u.get("pending_reboot"))}
                for u in found.get("installed", [])
                if u["id"] in wanted
            ]

    def _check_manifest(self, found: dict) -> None:
        if self.selection.update_ids:
            missing = self.selection.missing_ids(found["updates"], found.get("installed", []))
            if missing:
                raise ModuleFailed(
                    "search",
                    {"msg": "frozen update ids neither applicable nor installed on this host: " + ", ".join(missing)},
                )

    def _downloaded(self) -> None:
        found = self._search(include_installed=bool(self.selection.update_ids))
        self._check_manifest(found)
        self.selected, self.left_out = self.selection.split(found["updates"])
        todo = [u for u in self.selected if not u.get("downloaded")]
        self.downloaded_now = [] if self.check_mode else todo
        if todo and not self.check_mode:
            result = self._call("download", update_ids=[u["id"] for u in todo])
            self._collect_failures("download", result, {u["id"]: u for u in todo})
        elif todo:
            self.downloaded_now = todo

    def _patched(self) -> None:
        installed_in: dict[str, int] = {}
        reappeared: set[str] = set()
        self.selected = []
        for number in range(1, self.max_rounds + 1):
            found = self._search(include_installed=number == 1 and bool(self.selection.update_ids))
            if number == 1:
                self._check_manifest(found)
            selected, self.left_out = self.selection.split(found["updates"])
            self.selected = selected
            for update in selected:
                if update["id"] in installed_in and update["id"] not in reappeared:
                    reappeared.add(update["id"])
                    self._reappeared(update, installed_in[update["id"]])
            selected = [u for u in selected if u["id"] not in installed_in]
            if not selected or self.check_mode:
                if self.check_mode:
                    self.installed = list(selected)
                break
            entry = {
                "round": number,
                "selected": [_kb(u) for u in selected],
                "installed": [],
                "failed": [],
                "resumed": False,
                "rebooted": False,
            }
            self.rounds.append(entry)
            by_id = {u["id"]: u for u in selected}
            try:
                result = self._call("install", update_ids=list(by_id))
            except ConnectionLost:
                result = self._resume(by_id, entry)
            ok = self._collect_failures("install", result, by_id, entry)
            identities = {i.get("id"): i.get("package_identity") for i in result.get("results", [])}
            for uid in ok:
                installed_in[uid] = number
                # the CBS package exists once installed: the install names it (for a DISM rollback)
                self.installed.append(dict(by_id[uid], package_identity=identities.get(uid)))
                entry["installed"].append(_kb(by_id[uid]))
            if not ok:
                break  # nothing installed this round: another round would fail the same way
            if self.reboot_required:
                if not self.reboot:
                    self.messages.append("a reboot is required to finish; reboot is false, so no more rounds")
                    break
                self._do_reboot()
                entry["rebooted"] = True
            if number == self.max_rounds:
                rest = self.selection.split(self._search()["updates"])[0]
                self.selected = rest
                if rest:
                    self.messages.append(f"max_rounds ({self.max_rounds}) reached with {len(rest)} update(s) left")
        if self.check_mode:
            self.selected = []  # the forecast is in changes
        else:
            done = set(installed_in) - reappeared
            self.selected = [u for u in self.selected if u["id"] not in done]

    def _resume(self, by_id: dict, entry: dict) -> dict:
        """The connection dropped during install: reconnect, then read what the host did from its history."""
        entry["resumed"] = True
        self.target.reconnect(self.reboot_timeout)
        history = _chronological(self._call("history")["history"])
        latest: dict[str, dict] = {}
        for item in history:
            if item["id"] in by_id and item.get("operation") == "install":
                latest[item["id"]] = item
        results = []
        for uid, update in by_id.items():
            item = latest.get(uid)
            if item is None:
                results.append(
                    {
                        "id": uid,
                        "kb": _kb(update),
                        "result_code": 0,
                        "hresult": "0x00000000",
                        "note": "not in the history after the connection dropped: not installed",
                    }
                )
            else:
                results.append(dict(item))
        self.reboot_required = bool(self._search().get("reboot_required"))
        return {"results": results}

    def _reappeared(self, update: dict, round_number: int) -> None:
        last = None
        for item in _chronological(self._call("history")["history"]):
            if item["id"] == update["id"] and item.get("operation") == "install":
                last = item
        cause = f"; the history's last install result: {describe(last['hresult'])}" if last else ""
        self.failures.append(
            f"{_kb(update)} ({update.get('title')}) was installed in round {round_number} and is "
            f"applicable again after the reboot{cause}"
        )
        self.installed = [u for u in self.installed if u["id"] != update["id"]]

    def _collect_failures(self, operation: str, result: dict, by_id: dict, entry: dict | None = None) -> list[str]:
        ok = []
        for item in result.get("results", []):
            code = int(item.get("result_code", 4))
            if code in (2, 3):
                ok.append(item["id"])
                continue
            update = by_id.get(item["id"], {})
            text = (
                f"{operation} of {item.get('kb') or _kb(update)} ({item.get('title') or update.get('title')}) "
                f"{RESULT_CODES.get(code, code)}: {describe(item.get('hresult'))}"
            )
            for extra in ("note", "error"):
                if item.get(extra):
                    text += f" ({item[extra]})"
            self.failures.append(text)
            if entry is not None:
                entry["failed"].append(item.get("kb") or _kb(update))
        return ok

    def _rolled_back(self) -> None:
        if not self.kbs:
            raise ModuleFailed(
                "uninstall", {"msg": "state rolled_back needs kbs (the change record's rollback.data.kbs)"}
            )
        found = self._search(include_installed=True)
        installed = {k: u for u in found.get("installed", []) for k in u.get("kb", [])}
        present = [installed[k] for k in self.kbs if k in installed]
        self.selected, self.left_out = [], []
        if self.check_mode:
            self.removed = [u for u in present if self._removable(u)]
            for u in present:
                if not self._removable(u):
                    self.failures.append(
                        f"{_kb(u)} ({u.get('title')}) cannot be uninstalled: {describe('0x80240028')}"
                        "; no package identity in the change record for DISM"
                    )
            return
        if not present:
            return
        # only what WUA will not uninstall goes to DISM
        identities = {
            _kb(u): self.package_identities[_kb(u)]
            for u in present
            if not u.get("uninstallable") and _kb(u) in self.package_identities
        }
        result = self._call("uninstall", kbs=[_kb(u) for u in present], package_identities=identities or None)
        self.methods = {i.get("id"): i.get("method") or "wua" for i in result.get("results", [])}
        by_id = {u["id"]: u for u in present}
        ok = self._collect_failures("uninstall", result, by_id)
        self.removed = [by_id[i] for i in ok]
        if self.removed and self.reboot_required and self.reboot:
            self._do_reboot()
        after = self._search(include_installed=True)
        still = {k for u in after.get("installed", []) for k in u.get("kb", [])}
        for update in self.removed:
            if _kb(update) in still:
                self.failures.append(f"{_kb(update)} is still installed after the uninstall")

    def _removable(self, update: dict) -> bool:
        """WUA uninstalls it, or WUA will not and DISM can (the change record names its package)."""
        return bool(update.get("uninstallable")) or _kb(update) in self.package_identities

    # -- result ----------------------------------------------------------------------------------------
    def result(self) -> dict:
        removing = self.state == "rolled_back"
        changes = (
            [record.update_change(u, removed=True) for u in self.removed]
            if removing
            else ([record.update_change(u) for u in self.installed] if self.state == "patched" else [])
        )
        pending = (
            [record.update_change(u) for u in getattr(self, "selected", [])] if self.state != "rolled_back" else []
        )
        methods = getattr(self, "methods", {})
        for entry in changes if removing else []:
            entry["details"]["method"] = methods.get(entry["details"]["id"]) or (
                "wua"
                if next((u for u in self.removed if u["id"] == entry["details"]["id"]), {}).get("uninstallable")
                else "dism"
            )
        if self.rebooted and not self.reboot_required and not self.check_mode:
            for entry in changes:  # the host says no reboot is pending: the reboots this run made satisfied them
                entry["reboot_required"] = False
        rollback_data = record.rollback_block(self.installed if self.state == "patched" else [])
        out = record.build(changes, pending, self.reboot_required, rollback_data, simulated=self.check_mode)
        downloaded = getattr(self, "downloaded_now", [])
        out.update(
            changed=bool(changes) or bool(downloaded),
            state=self.state,
            rounds=self.rounds,
            rebooted=self.rebooted,
            filtered=self.left_out,
            downloaded=[_kb(u) for u in downloaded],
            failed_updates=list(self.failures),
        )
        if hasattr(self, "installed_now"):
            out["installed"] = self.installed_now
        if self.failures:
            out["failed"] = True
            out["msg"] = "; ".join(self.failures)
        else:
            verb = {"scanned": "found", "downloaded": "downloaded", "patched": "installed", "rolled_back": "removed"}[
                self.state
            ]
            count = {
                "scanned": len(getattr(self, "selected", [])),
                "downloaded": len(downloaded),
                "patched": len(self.installed),
                "rolled_back": len(self.removed),
            }[self.state]
            out["msg"] = " ".join(
                [f"{count} update(s) {verb}" + (" (check mode)" if self.check_mode else ""), *self.messages]
            )
        return out
