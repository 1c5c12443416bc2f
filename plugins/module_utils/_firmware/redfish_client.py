# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""A small Redfish HTTP client: sessions or basic auth, TLS verified by default, re-login after a BMC reset."""

from __future__ import annotations

import http.client
import json
import ssl
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import open_url, prepare_multipart

from .common import FirmwareError
from .redfish_parse import error_text, messages

SESSIONS = "/redfish/v1/SessionService/Sessions"


class BmcUnreachable(Exception):
    """The BMC dropped or refused the connection (it may be resetting)."""


class RedfishHttpError(FirmwareError):
    def __init__(self, method, path, status, body, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.messages = messages(body)
        super().__init__(
            f"Redfish {method} {path} answered HTTP {status}: {error_text(body)}",
            status=status,
            redfish_messages=self.messages,
        )


def _tls_failure(exc):
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(reason)


class RedfishClient:
    """One BMC. ``auth`` is ``session`` (X-Auth-Token, re-created on 401) or ``basic``."""

    def __init__(
        self,
        base_url,
        username,
        password,
        *,
        auth="session",
        validate_certs=True,
        ca_path=None,
        timeout=30,
        use_proxy=True,
    ):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.auth = auth
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.use_proxy = use_proxy
        self.token = None
        self.session_uri = None
        self.logins = 0

    # -- transport --------------------------------------------------------------------------------
    def _open(self, method, path, data=None, headers=None, auth=True):
        url = path if path.startswith("http") else self.base_url + path
        all_headers = {"Accept": "application/json", "OData-Version": "4.0"}
        all_headers.update(headers or {})
        kwargs = {}
        if auth and self.auth == "session" and self.token:
            all_headers["X-Auth-Token"] = self.token
        elif auth and self.auth == "basic":
            kwargs = {"url_username": self.username, "url_password": self.password, "force_basic_auth": True}
        try:
            resp = open_url(
                url,
                data=data,
                headers=all_headers,
                method=method,
                timeout=self.timeout,
                validate_certs=self.validate_certs,
                ca_path=self.ca_path,
                use_proxy=self.use_proxy,
                follow_redirects="none",
                use_netrc=False,
                **kwargs,
            )
            return resp.getcode(), resp.read(), dict(resp.headers)
        except HTTPError as exc:
            return exc.code, exc.read() if exc.fp else b"", dict(exc.headers or {})
        except URLError as exc:
            if _tls_failure(exc):
                raise FirmwareError(
                    f"TLS verification of {self.base_url} failed ({exc.reason}). Give the BMC's CA bundle in "
                    "ca_path, or set validate_certs=false for a lab BMC only."
                ) from exc
            raise BmcUnreachable(f"{self.base_url}: {exc.reason}") from exc
        except (OSError, http.client.HTTPException) as exc:
            if _tls_failure(exc):
                raise FirmwareError(f"TLS verification of {self.base_url} failed: {exc}") from exc
            raise BmcUnreachable(f"{self.base_url}: {exc}") from exc

    @staticmethod
    def _decode(raw):
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            return {"_raw": raw[:200].decode("utf-8", "replace")}
        return body if isinstance(body, dict) else {"_value": body}

    def request(self, method, path, body=None, data=None, headers=None):
        """Send a request; returns (status, json body, headers). Raises RedfishHttpError on 4xx/5xx."""
        if self.auth == "session" and self.token is None:
            self.login()
        if body is not None:
            data = json.dumps(body).encode()
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        status, raw, resp_headers = self._open(method, path, data, headers)
        if status == 401 and self.auth == "session":
            self.login()  # sessions die with a BMC reset: log in again once
            status, raw, resp_headers = self._open(method, path, data, headers)
        parsed = self._decode(raw)
        lowered = {k.lower(): v for k, v in resp_headers.items()}
        if status >= 400:
            if status == 401:
                raise FirmwareError(
                    f"The BMC at {self.base_url} refused the credentials of user {self.username!r} "
                    f"(HTTP 401 on {method} {path}: {error_text(parsed)})."
                )
            raise RedfishHttpError(method, path, status, parsed, lowered)
        return status, parsed, lowered

    def get(self, path):
        return self.request("GET", path)[1]

    def post_multipart(self, path, fields):
        content_type, data = prepare_multipart(fields)
        return self.request("POST", path, data=data, headers={"Content-Type": content_type})

    # -- sessions ---------------------------------------------------------------------------------
    def login(self):
        payload = json.dumps({"UserName": self.username, "Password": self.password}).encode()
        status, raw, headers = self._open("POST", SESSIONS, payload, {"Content-Type": "application/json"}, auth=False)
        headers = {k.lower(): v for k, v in headers.items()}
        if status >= 400 or not headers.get("x-auth-token"):
            detail = f"HTTP {status}: {error_text(self._decode(raw))}"
            if status in (404, 405, 501) or (status < 400 and not headers.get("x-auth-token")):
                # no SessionService (sushy-tools, some embedded BMCs) or sessions without tokens
                detail += "; this service offers no Redfish sessions at POST " + SESSIONS + ": try auth: basic"
            elif status == 401 and headers.get("www-authenticate", "").lower().startswith("basic"):
                # creating a session needs no credentials (DSP0266): this service wants basic auth everywhere
                detail += "; it asks for HTTP basic auth (WWW-Authenticate: Basic) even to log in: try auth: basic"
            elif status == 401:
                detail += " (check username and password)"
            raise FirmwareError(f"Login to the BMC at {self.base_url} as {self.username!r} failed: {detail}")
        self.token = headers["x-auth-token"]
        self.session_uri = headers.get("location")
        self.logins += 1

    def logout(self):
        if self.auth == "session" and self.token and self.session_uri:
            try:
                self._open("DELETE", self.session_uri)
            except (BmcUnreachable, FirmwareError):
                pass
        self.token = None
