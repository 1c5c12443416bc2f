"""WS-Management over HTTP(S) as a Windows host's WinRM listener answers it (the subset pywinrm uses).

Auth: ``Negotiate`` carrying raw NTLM (what requests-ntlm sends), accepted with pyspnego's NTLM acceptor
against an ``NTLM_USER_FILE`` (``DOMAIN:user:password`` lines), then every SOAP message in both directions
is sealed (``multipart/encrypted; protocol="application/HTTP-SPNEGO-session-encrypted"``, MS-WSMV 2.2.9.1.1):
an unencrypted SOAP body after NTLM is refused as a listener with ``AllowUnencrypted=false`` does. Over
HTTPS, ``Basic`` is accepted too. The NTLM context belongs to the TCP connection, as with HTTP.sys: a
message sealed for another connection fails with 400.

Shell operations: Create, Command, Send, Receive, Signal, Delete (resource URI windows/shell/cmd). What a
command does is :mod:`lab.winsim.host`'s business.
"""

from __future__ import annotations

import base64
import struct
import threading
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import spnego

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}
ACTION_BASE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
BOUNDARY = b"--Encrypted Boundary"
PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
DONE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"
RUNNING = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"
#: WSMan fault codes a real listener answers with
TIMEOUT_FAULT = 2150858793  # the Receive's OperationTimeout expired: no output yet
INVALID_SELECTOR = 2150858843  # shell id unknown (the shell was deleted, or the host rebooted)


class SoapFault(Exception):
    def __init__(self, code: int, reason: str, subcode: str = "w:TimedOut"):
        super().__init__(reason)
        self.code, self.reason, self.subcode = code, reason, subcode


class DropConnection(Exception):
    """Close the TCP connection without an answer (a host going down mid-request)."""


def _envelope(action: str, relates_to: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" xmlns:w="{NS["w"]}" xmlns:rsp="{NS["rsp"]}"'
        ' xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer">'
        f"<s:Header><a:Action>{escape(action)}</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
        f"<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def _fault(fault: SoapFault, relates_to: str) -> bytes:
    body = (
        f"<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>{fault.subcode}</s:Value></s:Subcode>"
        f'</s:Code><s:Reason><s:Text xml:lang="en-US">{escape(fault.reason)}</s:Text></s:Reason>'
        f'<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="{fault.code}"'
        f' Machine="127.0.0.1"><f:Message>{escape(fault.reason)}</f:Message></f:WSManFault></s:Detail></s:Fault>'
    )
    return _envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to, body)


class Shells:
    """The host's open shells and their commands; ``runner(command, args, stdin) -> (rc, out, err)``."""

    def __init__(self, runner, slow=None):
        self.runner = runner
        #: slow(command, args, stdin) -> True: the first Receive answers OperationTimeout, as a real listener does
        #: when a command runs longer than the request's OperationTimeout (the client must Receive again)
        self.slow = slow or (lambda command, args, stdin: False)
        self.lock = threading.Lock()
        self.shells: dict[str, dict] = {}

    def handle(self, root: ET.Element) -> tuple[str, str]:
        header = root.find("s:Header", NS)
        action = header.findtext("a:Action", "", NS)
        shell_id = None
        for sel in header.iterfind("w:SelectorSet/w:Selector", NS):
            if sel.get("Name") == "ShellId":
                shell_id = sel.text
        body = root.find("s:Body", NS)
        if action == CREATE:
            new_id = str(uuid.uuid4()).upper()
            with self.lock:
                self.shells[new_id] = {}
            return action + "Response", (
                "<x:ResourceCreated><a:Address>http://127.0.0.1/wsman</a:Address><a:ReferenceParameters>"
                "<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>"
                f'<w:SelectorSet><w:Selector Name="ShellId">{new_id}</w:Selector></w:SelectorSet>'
                "</a:ReferenceParameters></x:ResourceCreated>"
                f"<rsp:Shell><rsp:ShellId>{new_id}</rsp:ShellId></rsp:Shell>"
            )
        with self.lock:
            shell = self.shells.get(shell_id or "")
        if shell is None:
            raise SoapFault(
                INVALID_SELECTOR,
                "The request for the Windows Remote Shell with ShellId "
                f"{shell_id} failed because the shell was not found on the server.",
                "w:InvalidSelectors",
            )
        if action == DELETE:
            with self.lock:
                self.shells.pop(shell_id, None)
            return action + "Response", ""
        verb = action[len(ACTION_BASE) :] if action.startswith(ACTION_BASE) else action
        if verb == "Command":
            line = body.find("rsp:CommandLine", NS)
            command_id = str(uuid.uuid4()).upper()
            shell[command_id] = {
                "command": line.findtext("rsp:Command", "", NS),
                "args": [a.text or "" for a in line.iterfind("rsp:Arguments", NS)],
                "stdin": b"",
                "result": None,
            }
            return (
                action + "Response",
                f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>",
            )
        if verb == "Send":
            stream = body.find("rsp:Send/rsp:Stream", NS)
            cmd = shell.get(stream.get("CommandId"))
            if cmd is not None and stream.text:
                cmd["stdin"] += base64.b64decode(stream.text)
            return action + "Response", "<rsp:SendResponse/>"
        if verb == "Receive":
            wanted = body.find("rsp:Receive/rsp:DesiredStream", NS)
            cmd = shell.get(wanted.get("CommandId"))
            if cmd is None:
                raise SoapFault(INVALID_SELECTOR, "The command id is not valid for this shell.", "w:InvalidSelectors")
            if cmd["result"] is None:
                cmd["result"] = self.runner(cmd["command"], cmd["args"], cmd["stdin"])
                if self.slow(cmd["command"], cmd["args"], cmd["stdin"]):
                    raise SoapFault(
                        TIMEOUT_FAULT,
                        "The WS-Management service cannot complete the operation within the time specified in "
                        "OperationTimeout.",
                    )
            rc, out, err = cmd["result"]
            cid = wanted.get("CommandId")
            streams = "".join(
                f'<rsp:Stream Name="{name}" CommandId="{cid}">{base64.b64encode(data).decode()}</rsp:Stream>'
                for name, data in (("stdout", out), ("stderr", err))
                if data
            )
            streams += f'<rsp:Stream Name="stdout" CommandId="{cid}" End="true"></rsp:Stream>'
            return action + "Response", (
                f'<rsp:ReceiveResponse>{streams}<rsp:CommandState CommandId="{cid}" State="{DONE}">'
                f"<rsp:ExitCode>{rc}</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>"
            )
        if verb == "Signal":
            cid = body.find("rsp:Signal", NS).get("CommandId")
            shell.pop(cid, None)
            return action + "Response", "<rsp:SignalResponse/>"
        raise SoapFault(2150858778, f"The action {action} is not supported by the service.", "w:ActionNotSupported")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    ctx = None  # this connection's NTLM acceptor context

    def log_message(self, format, *args):  # noqa: A002 - base-class signature
        pass

    def _reply(self, code: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        host = self.server.host
        if host.down():
            self.close_connection = True
            self.connection.close()
            return
        if host.model.boot_id() != self.server.boot_seen:  # a reboot: shells and auth contexts are gone
            self.server.boot_seen = host.model.boot_id()
            self.server.shells.shells.clear()
        auth = self.headers.get("Authorization", "")
        basic_ok = False
        if auth.startswith("Negotiate "):
            if self.ctx is None or self.ctx.complete:
                self.ctx = spnego.server(protocol="ntlm")
            try:
                out = self.ctx.step(base64.b64decode(auth.split(" ", 1)[1]))
            except Exception:  # noqa: BLE001 - any NTLM error is a 401, as a real listener answers
                self.ctx = None
                return self._reply(401, headers={"WWW-Authenticate": "Negotiate"})
            if not self.ctx.complete:
                return self._reply(401, headers={"WWW-Authenticate": "Negotiate " + base64.b64encode(out).decode()})
        elif auth.startswith("Basic ") and self.server.tls:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            basic_ok = self.server.basic_users.get(user) == password
            if not basic_ok:
                return self._reply(401, headers={"WWW-Authenticate": 'Basic realm="WSMAN"'})
        if not basic_ok and (self.ctx is None or not self.ctx.complete):
            offer = ["Negotiate"] + (['Basic realm="WSMAN"'] if self.server.tls else [])
            self.send_response(401)
            for item in offer:
                self.send_header("WWW-Authenticate", item)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if not data:
            return self._reply(200)
        ctype = self.headers.get("Content-Type", "")
        sealed = ctype.startswith("multipart/encrypted")
        if not basic_ok and not sealed and not self.server.tls:
            return self._reply(400)  # AllowUnencrypted=false
        try:
            message = self._unseal(data) if sealed else data
        except Exception:  # noqa: BLE001 - sealed for another connection or tampered with
            return self._reply(400)
        relates = ""
        try:
            root = ET.fromstring(message)  # noqa: S314 - the stdlib parser expands no external entities; a lab listener
            relates = root.findtext("s:Header/a:MessageID", "", NS)
            action, body = self.server.shells.handle(root)
            code, reply = 200, _envelope(action, relates, body)
        except SoapFault as fault:
            code, reply = 500, _fault(fault, relates)
        except DropConnection:
            self.close_connection = True
            self.connection.close()
            return None
        if sealed:
            return self._reply(
                code,
                self._seal(reply),
                {"Content-Type": f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'},
            )
        return self._reply(code, reply, {"Content-Type": "application/soap+xml;charset=UTF-8"})

    def _unseal(self, data: bytes) -> bytes:
        parts = [p for p in data.split(BOUNDARY + b"\r\n") if p]
        out = b""
        for header, part in zip(parts[0::2], parts[1::2], strict=False):
            expected = int(header.split(b"Length=")[1].strip())
            payload = part.removesuffix(BOUNDARY + b"--\r\n")
            blob = payload.replace(b"\tContent-Type: application/octet-stream\r\n", b"", 1)
            sig_len = struct.unpack("<i", blob[:4])[0]
            plain = self.ctx.unwrap(blob[4 : 4 + sig_len] + blob[4 + sig_len :]).data
            if len(plain) != expected:
                raise ValueError("length mismatch")
            out += plain
        return out

    def _seal(self, message: bytes) -> bytes:
        wrapped = self.ctx.wrap(message, encrypt=True).data
        sig, sealed = wrapped[:16], wrapped[16:]
        return (
            BOUNDARY + b"\r\n\tContent-Type: " + PROTOCOL.encode() + b"\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
            + str(len(message)).encode()
            + b"\r\n"
            + BOUNDARY
            + b"\r\n\tContent-Type: application/octet-stream\r\n"
            + struct.pack("<i", len(sig))
            + sig
            + sealed
            + BOUNDARY
            + b"--\r\n"
        )


class WsmanServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, host, *, tls_context=None, basic_users=None):
        super().__init__(address, Handler)
        self.host = host
        self.shells = Shells(host.run, host.slow)
        self.boot_seen = host.model.boot_id()
        self.tls = tls_context is not None
        self.basic_users = dict(basic_users or {})
        if tls_context is not None:
            self.socket = tls_context.wrap_socket(self.socket, server_side=True)
