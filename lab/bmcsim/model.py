"""The simulated BMC's state: firmware components, sessions, tasks, resets and faults."""

from __future__ import annotations

import secrets
import ssl
import threading
import time
import urllib.request
from datetime import UTC, datetime

from . import config as cfg
from .images import ImageError, read_manifest, version_key

INVENTORY = "/redfish/v1/UpdateService/FirmwareInventory"
APPLY_TIMES = ["Immediate", "OnReset", "AtMaintenanceWindowStart", "InMaintenanceWindowOnReset"]
FOREVER = float("inf")


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# Message texts of the DMTF Update 1.0 and TaskEvent 1.0 registries (%1, %2 are the MessageArgs).
REGISTRY = {
    "TaskStarted": "The task with Id '%1' has started.",
    "AwaitToUpdate": "Awaiting for an action to proceed with installing image '%1' on '%2'.",
    "TransferringToComponent": "Image '%1' is being transferred to '%2'.",
    "VerifyingAtComponent": "Image '%1' is being verified at '%2'.",
    "InstallingOnComponent": "Image '%1' is being installed on '%2'.",
    "ApplyingOnComponent": "Image '%1' is being applied on '%2'.",
    "AwaitToActivate": "Awaiting for an action to proceed with activating image '%1' on '%2'.",
    "UpdateSuccessful": "Device '%1' successfully updated with image '%2'.",
    "TransferFailed": "Transfer of image '%1' to '%2' failed.",
    "VerificationFailed": "Verification of image '%1' at '%2' failed.",
    "ApplyFailed": "Installation of image '%1' to '%2' failed.",
    "UpdateNotApplicable": "Image '%1' was not applicable to device '%2'.",
    "UpdateSkippedSameVersion": "Device '%1' skipped the update with image '%2' because the same version is already "
    "installed.",
    "UpdateSkippedVersionTooLow": "Device '%1' skipped the update with image '%2' due to the minimum version "
    "requirement.",
}


def message(registry_id: str, args: list, severity: str = "OK", text: str = "") -> dict:
    args = [str(a) for a in args]
    template = REGISTRY.get(registry_id.rsplit(".", 1)[-1], "")
    for index, arg in enumerate(args, 1):
        template = template.replace(f"%{index}", arg)
    full = " ".join(part for part in (template, text) if part)
    return {"MessageId": registry_id, "MessageArgs": args, "Severity": severity, "Message": full}


class Task:
    def __init__(self, task_id: str, name: str):
        self.id = task_id
        self.name = name
        self.monitor = secrets.token_hex(8)
        self.state = "New"
        self.status = "OK"
        self.percent = 0
        self.messages: list[dict] = []
        self.start = now_iso()
        self.end: str | None = None

    def body(self) -> dict:
        body = {
            "@odata.type": "#Task.v1_7_4.Task",
            "@odata.id": f"/redfish/v1/TaskService/Tasks/{self.id}",
            "Id": self.id,
            "Name": self.name,
            "TaskState": self.state,
            "TaskStatus": self.status,
            "PercentComplete": self.percent,
            "StartTime": self.start,
            "TaskMonitor": f"/redfish/v1/TaskService/TaskMonitors/{self.monitor}",
            "Messages": list(self.messages),
        }
        if self.end:
            body["EndTime"] = self.end
        return body

    @property
    def done(self) -> bool:
        return self.end is not None  # set by Bmc._finish, whatever word the final state is


class Bmc:
    """All mutable state behind one lock; task workers run in their own threads."""

    def __init__(self, config: dict):
        self.config = config
        self.lock = threading.RLock()
        self.sessions: dict[str, str] = {}
        self.tasks: dict[str, Task] = {}
        self.monitors: dict[str, str] = {}
        self.down_until = 0.0
        self.resets = 0  # manager resets
        self.system_resets = 0
        #: update requests that sent or pointed at an image (push or SimpleUpdate) since the simulator started;
        #: a reset never counts, so a test can prove an activation transferred nothing
        self.image_transfers = 0
        self.window = {"MaintenanceWindowStartTime": now_iso(), "MaintenanceWindowDurationInSeconds": 3600}
        self._epoch = cfg.read_faults(config).get("baseline_epoch", 0)
        self.baseline()

    # -- configuration, faults and baseline ---------------------------------------------------
    def baseline(self) -> None:
        with self.lock:
            self.components = {c["id"]: dict(c, staged=None) for c in self.config["components"]}

    def faults(self) -> dict:
        faults = cfg.read_faults(self.config)
        epoch = faults.get("baseline_epoch", 0)
        if epoch != self._epoch:
            self._epoch = epoch
            self.baseline()
        return faults

    @property
    def step(self) -> float:
        return float(self.config.get("step_seconds", 0.2))

    # -- availability ---------------------------------------------------------------------------
    def is_down(self) -> bool:
        with self.lock:
            faults = self.faults()  # read on every request: the lab CLI changes them from outside
            if self.down_until == FOREVER and not faults.get("never_back"):
                self.down_until = time.monotonic()
            return time.monotonic() < self.down_until

    def reset_manager(self) -> None:
        """Drop every connection for reset_seconds (or until never_back is cleared), then apply staged BMC images."""
        with self.lock:
            self.resets += 1
            self.sessions.clear()
            self.monitors.clear()
            never = bool(self.faults().get("never_back"))
            self.down_until = FOREVER if never else time.monotonic() + float(self.config["reset_seconds"])
            for comp in self.components.values():
                if comp["resets"] == "manager":
                    self._activate(comp)

    def reset_system(self) -> None:
        """ComputerSystem.Reset: activate what is staged for every component but the BMC's own firmware."""
        with self.lock:
            self.system_resets += 1
            for comp in self.components.values():
                if comp["resets"] != "manager":
                    self._activate(comp)

    def _activate(self, comp: dict) -> None:
        staged = comp.get("staged")
        if staged:
            # fault third_version: the component comes up on neither its old version nor the image's
            comp["version"], comp["staged"] = self.faults().get("third_version") or staged["version"], None
            task = self.tasks.get(staged["task"])
            if task is not None and task.state != "Completed":
                self._finish(
                    task, "Completed", "OK", message("Update.1.0.UpdateSuccessful", [comp["id"], staged["image"]])
                )

    # -- sessions -------------------------------------------------------------------------------
    def login(self, user: str, password: str) -> str | None:
        if user == self.config["username"] and secrets.compare_digest(password, self.config["password"]):
            token = secrets.token_hex(16)
            with self.lock:
                self.sessions[token] = user
            return token
        return None

    def valid_basic(self, user: str, password: str) -> bool:
        return user == self.config["username"] and secrets.compare_digest(password, self.config["password"])

    # -- updates --------------------------------------------------------------------------------
    def new_task(self, name: str) -> Task:
        with self.lock:
            task = Task(str(len(self.tasks) + 1), name)
            self.tasks[task.id] = task
            self.monitors[task.monitor] = task.id
            return task

    def start_update(self, image: bytes | None, uri: str | None, targets: list, apply_time: str) -> Task:
        with self.lock:
            self.image_transfers += 1
        task = self.new_task("Firmware update")
        worker = threading.Thread(target=self._run, args=(task, image, uri, targets, apply_time), daemon=True)
        worker.start()
        return task

    def _set(self, task: Task, state: str | None = None, percent: int | None = None, msg: dict | None = None) -> None:
        with self.lock:
            if state:
                task.state = state
            if percent is not None:
                task.percent = percent
            if msg:
                task.messages.append(msg)

    def _finish(self, task: Task, state: str, status: str, msg: dict) -> None:
        with self.lock:
            task.state, task.status, task.end = state, status, now_iso()
            if state == "Completed":
                task.percent = 100
            task.messages.append(msg)

    def _fail(self, task: Task, registry_id: str, args: list, text: str = "") -> None:
        word = self.faults().get("task_failed_state")
        if word:  # a vendor that ends failed tasks in its own word, at 100% and with TaskStatus OK
            with self.lock:
                task.percent = 100
            self._finish(task, str(word), "OK", message(registry_id, args, "Critical", text))
            return
        self._finish(task, "Exception", "Critical", message(registry_id, args, "Critical", text))

    def _fetch(self, uri: str) -> bytes:
        if not uri.startswith(("http://", "https://")):
            raise ValueError(f"unsupported transfer protocol in {uri}")
        context = ssl.create_default_context()
        if self.config.get("image_ca"):
            context.load_verify_locations(self.config["image_ca"])
        tls = context if uri.startswith("https") else None
        with urllib.request.urlopen(uri, timeout=10, context=tls) as resp:  # noqa: S310 - scheme checked above
            return resp.read()

    def _run(self, task: Task, image: bytes | None, uri: str | None, targets: list, apply_time: str) -> None:
        name = uri.rsplit("/", 1)[-1] if uri else "pushed-image"
        time.sleep(self.step)
        self._set(task, "Starting", 5, message("TaskEvent.1.0.TaskStarted", [task.id]))
        if apply_time == "AtMaintenanceWindowStart":
            self._set(task, "Pending", msg=message("Update.1.0.AwaitToUpdate", [name, "maintenance window"]))
            self._wait_window()
        time.sleep(self.step)
        self._set(task, "Running", 10, message("Update.1.0.TransferringToComponent", [name, "BMC"]))
        self._stuck(task)
        if image is None:
            try:
                image = self._fetch(uri)
            except Exception as exc:  # noqa: BLE001 - any transfer error fails the task, as on a BMC
                self._fail(task, "Update.1.0.TransferFailed", [name, "BMC"], str(exc))
                return
        time.sleep(self.step)
        self._set(task, percent=30, msg=message("Update.1.0.VerifyingAtComponent", [name, "BMC"]))
        comp = self._verify(task, image, name, targets)
        if comp is None:
            return
        manifest = read_manifest(image)
        fail_at = self.faults().get("task_fail_at")
        for percent in (40, 55, 70, 85):
            time.sleep(self.step)
            if fail_at is not None and percent >= int(fail_at):
                self._fail(task, "Update.1.0.ApplyFailed", [name, comp["id"]], f"failed at {percent}%")
                return
            self._set(task, percent=percent, msg=message("Update.1.0.InstallingOnComponent", [name, comp["id"]]))
        with self.lock:
            comp["staged"] = {"version": manifest["version"], "image": name, "task": task.id}
        if apply_time in ("OnReset", "InMaintenanceWindowOnReset"):
            self._finish(task, "Completed", "OK", message("Update.1.0.AwaitToActivate", [name, comp["id"]]))
            return
        self._set(task, percent=95, msg=message("Update.1.0.ApplyingOnComponent", [name, comp["id"]]))
        time.sleep(self.step)
        if comp["resets"] == "manager":
            self.reset_manager()  # activates the staged image and completes the task
        else:
            with self.lock:
                self._activate(comp)

    def _stuck(self, task: Task) -> None:
        """Fault task_stuck_state: the task sits in a state word no schema knows, without progress, until cleared."""
        word = self.faults().get("task_stuck_state")
        if not word:
            return
        self._set(task, str(word), 20)
        while self.faults().get("task_stuck_state"):
            time.sleep(self.step)
        self._set(task, "Running")

    def _wait_window(self) -> None:
        while True:
            with self.lock:
                start = datetime.fromisoformat(self.window["MaintenanceWindowStartTime"])
            if datetime.now(UTC) >= start:
                return
            time.sleep(self.step)

    def _verify(self, task: Task, image: bytes, name: str, targets: list) -> dict | None:
        if self.faults().get("image_rejected"):
            self._fail(task, "Update.1.0.VerificationFailed", [name, "BMC"], "image signature rejected")
            return None
        try:
            manifest = read_manifest(image)
        except ImageError as exc:
            self._fail(task, "Update.1.0.VerificationFailed", [name, "BMC"], str(exc))
            return None
        comp = self.components.get(manifest["component"])
        wanted = {t.rsplit("/", 1)[-1] for t in targets}
        if comp is None or (wanted and comp["id"] not in wanted):
            self._fail(task, "Update.1.0.UpdateNotApplicable", [name, ",".join(sorted(wanted)) or "any"])
            return None
        if not comp["updateable"]:
            self._fail(task, "Update.1.0.UpdateNotApplicable", [name, comp["id"]], "component is not updateable")
            return None
        version, lowest = manifest["version"], comp.get("lowest_supported")
        if lowest and version_key(version) < version_key(lowest):
            self._fail(task, "Update.1.0.UpdateSkippedVersionTooLow", [comp["id"], name])
            return None
        if version == comp["version"]:
            self._finish(
                task, "Completed", "Warning", message("Update.1.0.UpdateSkippedSameVersion", [comp["id"], name])
            )
            return None
        return comp
