"""HTTPS front of the simulated BMC: Redfish routes over :class:`lab.bmcsim.model.Bmc`."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .bodies import action_info
from .bodies import error as _error
from .bodies import ref as _ref
from .bodies import styled_error as _styled_error
from .model import APPLY_TIMES, INVENTORY, Bmc

UPDATE = "/redfish/v1/UpdateService"
SIMPLE_UPDATE = UPDATE + "/Actions/UpdateService.SimpleUpdate"
PUSH = UPDATE + "/upload"
TASKS = "/redfish/v1/TaskService/Tasks"
MONITORS = "/redfish/v1/TaskService/TaskMonitors"
SESSIONS = "/redfish/v1/SessionService/Sessions"
SYSTEM = "/redfish/v1/Systems/1"
MANAGER = "/redfish/v1/Managers/BMC"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LabBMC/1.0"
    bmc: Bmc

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass

    # -- plumbing --------------------------------------------------------------------------------
    def _send(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        if status >= 400 and isinstance(body, dict) and "error" in body:
            body = _styled_error(body, self.bmc.faults().get("error_style"))
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("OData-Version", "4.0")
        if body is not None:
            self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self) -> dict | None:
        try:
            data = json.loads(self._body() or b"{}")
        except ValueError:
            self._send(400, _error("Base.1.22.MalformedJSON", "The request body was malformed JSON."))
            return None
        return data if isinstance(data, dict) else {}

    def _authorized(self) -> bool:
        token = self.headers.get("X-Auth-Token")
        if token and token in self.bmc.sessions:
            return True
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
            return self.bmc.valid_basic(user, password)
        return False

    def _dispatch(self, method: str) -> None:
        if self.bmc.is_down():
            self.close_connection = True
            self.connection.close()
            return
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        if method == "POST" and path == SESSIONS:
            if self.bmc.faults().get("no_sessions"):
                self._body()
                return self._send(404, _error("Base.1.22.ResourceNotFound", f"{path} not found", ["Resource", path]))
            return self._login()
        if path not in ("/redfish", "/redfish/v1") and not self._authorized():
            return self._send(401, _error("Base.1.22.NoValidSession", "There is no valid session."))
        route = getattr(self, f"_{method.lower()}", None)
        return route(path) if route else self._send(405, _error("Base.1.22.OperationNotAllowed", "Not allowed"))

    def do_GET(self):  # noqa: N802 - http.server naming
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self):  # noqa: N802
        self._dispatch("PATCH")

    def do_DELETE(self):  # noqa: N802
        self._dispatch("DELETE")

    # -- sessions --------------------------------------------------------------------------------
    def _login(self) -> None:
        body = self._json()
        if body is None:
            return
        token = self.bmc.login(str(body.get("UserName", "")), str(body.get("Password", "")))
        if token is None:
            return self._send(401, _error("Base.1.22.NoValidSession", "Invalid user name or password."))
        sid = token[:8]
        self._send(
            201,
            {"@odata.id": f"{SESSIONS}/{sid}", "Id": sid, "UserName": body["UserName"]},
            {"X-Auth-Token": token, "Location": f"{SESSIONS}/{sid}"},
        )

    # -- GET -------------------------------------------------------------------------------------
    def _get(self, path: str) -> None:
        bmc = self.bmc
        with bmc.lock:
            body = self._resource(path)
            monitor = bmc.monitors.get(path.rsplit("/", 1)[-1]) if path.startswith(MONITORS + "/") else None
            if monitor is not None:
                task = bmc.tasks[monitor]
                location = {"Location": f"{MONITORS}/{task.monitor}"}
                if bmc.faults().get("empty_202"):  # allowed by the spec: no body while running, 204 when done
                    return self._send(204 if task.done else 202, None, location)
                return self._send(200 if task.done else 202, task.body(), location)
        if body is None:
            return self._send(404, _error("Base.1.22.ResourceNotFound", f"{path} not found", ["Resource", path]))
        self._send(200, body)

    def _resource(self, path: str) -> dict | None:  # noqa: PLR0911 - one branch per resource
        bmc = self.bmc
        if path == "/redfish":
            return {"v1": "/redfish/v1/"}
        if path == "/redfish/v1":
            return {
                "@odata.type": "#ServiceRoot.v1_15_0.ServiceRoot",
                "@odata.id": "/redfish/v1/",
                "Id": "RootService",
                "Name": f"Lab BMC {bmc.config['name']}",
                "RedfishVersion": "1.15.0",
                "UpdateService": _ref(UPDATE),
                "Tasks": _ref("/redfish/v1/TaskService"),
                **({} if bmc.faults().get("no_sessions") else {"SessionService": _ref("/redfish/v1/SessionService")}),
                "Systems": _ref("/redfish/v1/Systems"),
                "Managers": _ref("/redfish/v1/Managers"),
                "Links": {"Sessions": _ref(SESSIONS)},
            }
        if path == UPDATE:
            return self._update_service()
        if path == UPDATE + "/SimpleUpdateActionInfo":
            return action_info(path)
        if path == INVENTORY:
            members = [_ref(f"{INVENTORY}/{cid}") for cid in bmc.components]
            return {
                "@odata.type": "#SoftwareInventoryCollection.SoftwareInventoryCollection",
                "@odata.id": path,
                "Name": "Firmware Collection",
                "Members": members,
                "Members@odata.count": len(members),
            }
        if path.startswith(INVENTORY + "/"):
            comp = bmc.components.get(path.rsplit("/", 1)[-1])
            return self._software(comp) if comp else None
        if path == "/redfish/v1/TaskService":
            return {
                "@odata.type": "#TaskService.v1_2_0.TaskService",
                "@odata.id": path,
                "Id": "TaskService",
                "ServiceEnabled": True,
                "Tasks": _ref(TASKS),
            }
        if path == TASKS:
            members = [_ref(f"{TASKS}/{tid}") for tid in bmc.tasks]
            return {
                "@odata.type": "#TaskCollection.TaskCollection",
                "@odata.id": path,
                "Members": members,
                "Members@odata.count": len(members),
            }
        if path.startswith(TASKS + "/"):
            task = bmc.tasks.get(path.rsplit("/", 1)[-1])
            return task.body() if task else None
        if path == "/redfish/v1/SessionService":
            return {"@odata.id": path, "Id": "SessionService", "ServiceEnabled": True, "Sessions": _ref(SESSIONS)}
        if path == "/redfish/v1/Systems":
            return {"@odata.id": path, "Members": [_ref(SYSTEM)], "Members@odata.count": 1}
        if path == SYSTEM:
            bios = bmc.components.get("BIOS", {})
            return {
                "@odata.type": "#ComputerSystem.v1_20_0.ComputerSystem",
                "@odata.id": path,
                "Id": "1",
                "BiosVersion": bios.get("version"),
                "PowerState": "On",
                "@Redfish.MaintenanceWindow": dict(bmc.window),
                "Actions": {"#ComputerSystem.Reset": {"target": f"{SYSTEM}/Actions/ComputerSystem.Reset"}},
            }
        if path == "/redfish/v1/Managers":
            return {"@odata.id": path, "Members": [_ref(MANAGER)], "Members@odata.count": 1}
        if path == MANAGER:
            fw = bmc.components.get("BMC", {})
            return {
                "@odata.type": "#Manager.v1_19_0.Manager",
                "@odata.id": path,
                "Id": "BMC",
                "FirmwareVersion": fw.get("version"),
                "Status": {"State": "Enabled", "Health": "OK"},
                "Actions": {"#Manager.Reset": {"target": f"{MANAGER}/Actions/Manager.Reset"}},
            }
        return None

    def _update_service(self) -> dict:
        faults = self.bmc.faults()
        oem = {"Lab": {"ImageTransfers": self.bmc.image_transfers}}  # what tests count; see Bmc
        if faults.get("oem_updating"):  # what an HPE iLO shows while it flashes
            oem["Hpe"] = {"State": "Updating", "FlashProgressPercent": 37}
        return {
            "@odata.type": "#UpdateService.v1_11_0.UpdateService",
            "@odata.id": UPDATE,
            "Id": "UpdateService",
            "Name": "Update service",
            "ServiceEnabled": True,
            "Status": {"State": "Enabled", "Health": "OK"},
            "FirmwareInventory": _ref(INVENTORY),
            "MultipartHttpPushUri": PUSH,
            "MultipartHttpPushUri@Redfish.OperationApplyTimeSupport": {
                "@odata.type": "#Settings.v1_3_5.OperationApplyTimeSupport",
                "SupportedValues": APPLY_TIMES,
            },
            "HttpPushUriTargetsBusy": bool(faults.get("push_targets_busy")),
            "Oem": oem,
            "Actions": {
                "#UpdateService.SimpleUpdate": {
                    "target": SIMPLE_UPDATE,
                    "@Redfish.ActionInfo": UPDATE + "/SimpleUpdateActionInfo",
                    "@Redfish.OperationApplyTimeSupport": {
                        "@odata.type": "#Settings.v1_3_5.OperationApplyTimeSupport",
                        "SupportedValues": APPLY_TIMES,
                        "MaintenanceWindowResource": _ref(SYSTEM),
                        **self.bmc.window,
                    },
                }
            },
        }

    def _software(self, comp: dict) -> dict:
        body = {
            "@odata.type": "#SoftwareInventory.v1_10_0.SoftwareInventory",
            "@odata.id": f"{INVENTORY}/{comp['id']}",
            "Id": comp["id"],
            "Name": comp["name"],
            "Version": comp["version"],
            "Updateable": comp["updateable"],
            "Manufacturer": "everylayer lab",
            "Status": {"State": "Enabled", "Health": "OK"},
            "RelatedItem": [_ref(MANAGER if comp["resets"] == "manager" else SYSTEM)],
        }
        if comp.get("lowest_supported"):
            body["LowestSupportedVersion"] = comp["lowest_supported"]
        if comp.get("staged"):
            body["Oem"] = {"Lab": {"StagedVersion": comp["staged"]["version"]}}
        return body

    # -- POST / PATCH / DELETE -------------------------------------------------------------------
    def _post(self, path: str) -> None:
        if path == SIMPLE_UPDATE:
            return self._simple_update()
        if path == PUSH:
            return self._push()
        if path == f"{SYSTEM}/Actions/ComputerSystem.Reset":
            self._body()
            self.bmc.reset_system()
            return self._send(204)
        if path == f"{MANAGER}/Actions/Manager.Reset":
            self._body()
            self._send(204)
            threading.Timer(0.2, self.bmc.reset_manager).start()
            return None
        return self._send(405, _error("Base.1.22.OperationNotAllowed", f"POST not allowed on {path}"))

    def _apply_time(self, params: dict) -> str | None:
        apply_time = params.get("@Redfish.OperationApplyTime", "Immediate")
        if apply_time not in APPLY_TIMES:
            self._send(
                400,
                _error(
                    "Base.1.22.ActionParameterValueNotInList",
                    f"ApplyTime {apply_time} not supported",
                    [apply_time, "@Redfish.OperationApplyTime", "SimpleUpdate"],
                ),
            )
            return None
        return apply_time

    def _accepted(self, task) -> None:
        body = None if self.bmc.faults().get("empty_202") else task.body()
        self._send(202, body, {"Location": f"{MONITORS}/{task.monitor}"})

    def _refused(self) -> bool:
        """Fault update_refused: the BMC answers an update request 409 (an update it runs itself, say)."""
        if not self.bmc.faults().get("update_refused"):
            return False
        self._send(
            409,
            _error("Base.1.22.ResourceInUse", "A firmware update is already in progress; try again when it ends."),
        )
        return True

    def _simple_update(self) -> None:
        body = self._json()
        if body is None:
            return None
        if self._refused():
            return None
        if not body.get("ImageURI"):
            return self._send(
                400, _error("Base.1.22.ActionParameterMissing", "ImageURI is required", ["SimpleUpdate", "ImageURI"])
            )
        apply_time = self._apply_time(body)
        if apply_time:
            self._accepted(self.bmc.start_update(None, body["ImageURI"], body.get("Targets") or [], apply_time))
        return None

    def _push(self) -> None:
        ctype = self.headers.get("Content-Type", "")
        raw = self._body()
        if not ctype.startswith("multipart/form-data"):
            return self._send(415, _error("Base.1.22.GeneralError", "multipart/form-data expected"))
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw
        )
        params, image = {}, None
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "UpdateParameters":
                params = json.loads(part.get_payload(decode=True) or b"{}")
            elif name == "UpdateFile":
                image = part.get_payload(decode=True)
        if image is None:
            return self._send(
                400,
                _error(
                    "Base.1.22.ActionParameterMissing",
                    "UpdateFile part is required",
                    ["MultipartHttpPush", "UpdateFile"],
                ),
            )
        if self._refused():
            return None
        apply_time = self._apply_time(params)
        if apply_time:
            self._accepted(self.bmc.start_update(image, None, params.get("Targets") or [], apply_time))
        return None

    def _patch(self, path: str) -> None:
        body = self._json()
        if body is None:
            return None
        if path == SYSTEM and isinstance(body.get("@Redfish.MaintenanceWindow"), dict):
            with self.bmc.lock:
                self.bmc.window.update(body["@Redfish.MaintenanceWindow"])
            return self._send(204)
        return self._send(405, _error("Base.1.22.OperationNotAllowed", f"PATCH not allowed on {path}"))

    def _delete(self, path: str) -> None:
        if path.startswith(SESSIONS + "/"):
            token = self.headers.get("X-Auth-Token")
            with self.bmc.lock:
                self.bmc.sessions.pop(token or "", None)
            return self._send(204)
        return self._send(405, _error("Base.1.22.OperationNotAllowed", f"DELETE not allowed on {path}"))


class TlsServer(ThreadingHTTPServer):
    """Wraps each accepted socket in TLS inside its own thread; while the BMC is down it drops them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, bmc: Bmc, context: ssl.SSLContext):
        self.bmc = bmc
        self.context = context
        handler = type("BoundHandler", (Handler,), {"bmc": bmc})
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        if self.bmc.is_down():
            request.close()
            return
        try:
            request.settimeout(30)
            tls = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            request.close()
            return
        try:
            super().finish_request(tls, client_address)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                tls.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            tls.close()


def make_server(config: dict, host: str = "127.0.0.1") -> TlsServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(config["cert"], config["key"])
    return TlsServer((host, int(config["port"])), Bmc(config), context)
