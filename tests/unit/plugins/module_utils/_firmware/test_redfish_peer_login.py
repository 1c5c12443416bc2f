"""Session login against services that only take HTTP basic auth (answers recorded from sushy-tools 2.2.0)."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.common import FirmwareError
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.redfish_client import RedfishClient
from helpers.redfish_mockups import RECORDED

SUSHY_401 = (RECORDED / "sushy-tools-2.2.0" / "errors" / "POST-SessionService-Sessions.401.json").read_bytes()


def client_answering(status, raw, headers):
    client = RedfishClient("https://127.0.0.1:1", "admin", "secret")
    client._open = lambda *args, **kwargs: (status, raw, headers)
    return client


def test_basic_auth_challenge_suggests_auth_basic():
    """sushy-tools puts every path, the session collection too, behind basic auth: 401 + WWW-Authenticate: Basic."""
    client = client_answering(401, SUSHY_401, {"WWW-Authenticate": 'Basic realm="Baremetal API"'})
    with pytest.raises(FirmwareError) as err:
        client.login()
    text = str(err.value)
    assert "HTTP 401" in text and "Authorization required" in text
    assert "auth: basic" in text and "WWW-Authenticate: Basic" in text
    assert "secret" not in text


def test_plain_401_still_points_at_the_credentials():
    client = client_answering(401, b'{"error": {"message": "Invalid credentials"}}', {})
    with pytest.raises(FirmwareError, match=r"HTTP 401.*check username and password") as err:
        client.login()
    assert "auth: basic" not in str(err.value)
