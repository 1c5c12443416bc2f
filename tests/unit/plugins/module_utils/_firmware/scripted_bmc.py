"""A scripted Redfish service for protocol tests: the real RedfishClient and RedfishBackend over canned answers.

Only the transport (``RedfishClient._open``) is replaced; sessions, error parsing, polling and the backend run
as they do against a BMC. Time is a fake clock that ``sleep`` advances, so waits cost nothing and are counted.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish import RedfishBackend
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish_client import (
    BmcUnreachable,
    RedfishClient,
)

FIX = Path(__file__).parent / "fixtures" / "redfish"
UPDATE = "/redfish/v1/UpdateService"
INVENTORY = UPDATE + "/FirmwareInventory"
SIMPLE = UPDATE + "/Actions/UpdateService.SimpleUpdate"
MONITOR = "/redfish/v1/TaskService/TaskMonitors/m1"
TASK = "/redfish/v1/TaskService/Tasks/1"
DOWN = object()  # an answer that drops the connection, as a resetting BMC does


def load(name):
    return json.loads((FIX / name).read_text(encoding="utf-8"))


def task_body(state, status="OK", percent=None, messages=(), **extra):
    body = {"@odata.id": TASK, "Id": "1", "TaskState": state, "TaskStatus": status, "Messages": list(messages)}
    if percent is not None:
        body["PercentComplete"] = percent
    body.update(extra)
    return body


def msg(registry_id, text="", *args):
    return {"MessageId": registry_id, "Message": text, "MessageArgs": list(args)}


def update_service(**extra):
    body = {
        "@odata.id": UPDATE,
        "Id": "UpdateService",
        "ServiceEnabled": True,
        "FirmwareInventory": {"@odata.id": INVENTORY},
        "Actions": {
            "#UpdateService.SimpleUpdate": {
                "target": SIMPLE,
                "@Redfish.OperationApplyTimeSupport": {"SupportedValues": ["Immediate", "OnReset"]},
            }
        },
    }
    body.update(extra)
    return body


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedBmc:
    """Routes ``(METHOD, path)`` to answers ``(status, body, headers)``; a list is played in order, its last
    answer repeating. A callable answer gets the request body. Every request is recorded in ``sent``."""

    def __init__(self, versions=None, service=None):
        self.versions = list(versions or ["1.0"])  # BIOS version per inventory read; the last one repeats
        self.routes = {
            ("GET", "/redfish/v1"): (200, {"UpdateService": {"@odata.id": UPDATE}, "Tasks": None}, {}),
            ("GET", UPDATE): (200, service or update_service(), {}),
            ("GET", INVENTORY): (200, {"Members": [{"@odata.id": INVENTORY + "/BIOS"}]}, {}),
            ("GET", INVENTORY + "/BIOS"): self._bios,
            ("POST", "/redfish/v1/SessionService/Sessions"): (201, {}, {"X-Auth-Token": "t", "Location": "/s/1"}),
            ("DELETE", "/s/1"): (204, None, {}),
        }
        self.sent = []
        self.reads = 0

    def _bios(self, _body):
        version = self.versions[min(self.reads, len(self.versions) - 1)]
        self.reads += 1
        return 200, {"@odata.id": INVENTORY + "/BIOS", "Id": "BIOS", "Version": version, "Updateable": True}, {}

    def route(self, method, path, *answers):
        self.routes[(method, path)] = list(answers) if len(answers) > 1 else answers[0]

    def count(self, method, path):
        return sum(1 for m, p, _ in self.sent if (m, p) == (method, path))

    def posts(self, path):
        return [b for m, p, b in self.sent if (m, p) == ("POST", path)]

    def answer(self, method, path, data):
        body = json.loads(data) if data and data[:1] == b"{" else data
        self.sent.append((method, path, body))
        answer = self.routes.get((method, path))
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if callable(answer):
            answer = answer(body)
        if answer is DOWN:
            raise BmcUnreachable("connection reset by peer")
        if answer is None:
            return 404, json.dumps({"error": {"code": "Base.1.0.ResourceNotFound", "message": path}}).encode(), {}
        status, payload, headers = answer
        raw = b"" if payload is None else json.dumps(copy.deepcopy(payload)).encode()
        return status, raw, dict(headers)


class ScriptedClient(RedfishClient):
    def __init__(self, bmc, auth="session"):
        super().__init__("https://bmc.example", "admin", "secret", auth=auth)
        self.bmc = bmc

    def _open(self, method, path, data=None, headers=None, auth=True):
        return self.bmc.answer(method, path, data)


def backend(bmc, timeout=600, interval=5.0, auth="session"):
    clock = Clock()
    back = RedfishBackend(
        ScriptedClient(bmc, auth), poll_interval=interval, timeout=timeout, sleep=clock.sleep, clock=clock
    )
    back.fake_clock = clock
    return back


def update(component="BIOS", version="2.0", **extra):
    return dict({"component": component, "version": version, "image_uri": "http://images/bios-2.0.bin"}, **extra)
