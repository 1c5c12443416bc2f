# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Common Windows Update Agent HRESULTs and what they mean (from Microsoft's "Windows Update error codes
by component" reference), so a failure names the code and its meaning, not a bare number."""

from __future__ import annotations

#: HRESULT (upper-case hex, 0x-prefixed) -> (symbolic name, meaning)
CODES = {
    "0x00000000": ("S_OK", "the operation succeeded"),
    "0x80240001": ("WU_E_NO_SERVICE", "Windows Update Agent was unable to provide the service"),
    "0x80240016": ("WU_E_INSTALL_NOT_ALLOWED", "another installation is in progress or a reboot is pending"),
    "0x80240017": ("WU_E_NOT_APPLICABLE", "the update is not applicable to this computer"),
    "0x80240022": ("WU_E_ALL_UPDATES_FAILED", "the operation failed for all the updates"),
    "0x80240028": ("WU_E_UNINSTALL_NOT_ALLOWED", "the update cannot be uninstalled"),
    "0x8024002E": ("WU_E_WU_DISABLED", "access to an unmanaged server is not allowed (policy)"),
    "0x80240032": ("WU_E_INVALID_CRITERIA", "the search criteria string was not valid"),
    "0x80240438": ("WU_E_PT_ENDPOINT_UNREACHABLE", "there is no route or network connectivity to the endpoint"),
    "0x8024401C": ("WU_E_PT_HTTP_STATUS_REQUEST_TIMEOUT", "the update server timed out the request (HTTP 408)"),
    "0x8024401F": ("WU_E_PT_HTTP_STATUS_SERVER_ERROR", "the update server had an internal error (HTTP 500)"),
    "0x80244022": ("WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL", "the update server is unavailable (HTTP 503)"),
    "0x8024402C": ("WU_E_PT_WINHTTP_NAME_NOT_RESOLVED", "the proxy or update server name could not be resolved"),
    "0x80244010": ("WU_E_PT_EXCEEDED_MAX_SERVER_TRIPS", "the number of round trips to the server exceeded the maximum"),
    "0x80244019": ("WU_E_PT_HTTP_STATUS_NOT_FOUND", "the update server does not have the file (HTTP 404)"),
    "0x80246007": ("WU_E_DM_NOTDOWNLOADED", "the update has not been downloaded"),
    "0x80246008": ("WU_E_DM_FAILTOCONNECTTOBITS", "the download manager could not connect to BITS"),
    "0x8024200D": ("WU_E_UH_NEEDANOTHERDOWNLOAD", "the update needs another download before it can install"),
    "0x80242016": (
        "WU_E_UH_POSTREBOOTUNEXPECTEDSTATE",
        "the update was in an unexpected state after the required reboot",
    ),
    "0x80070005": ("E_ACCESSDENIED", "access denied (the module must run as an administrator, or under become)"),
    "0x80070422": ("ERROR_SERVICE_DISABLED", "the Windows Update service (wuauserv) is disabled"),
    "0x80070070": ("ERROR_DISK_FULL", "there is not enough space on the disk"),
    "0x800F0922": ("CBS_E_INSTALLERS_FAILED", "the update failed to install during the reboot and was rolled back"),
    "0x800F0805": ("CBS_E_INVALID_PACKAGE", "DISM knows no package of that name (the package identity is wrong)"),
    "0x800F0825": ("CBS_E_CANNOT_UNINSTALL", "the package is permanent and cannot be uninstalled (DISM)"),
    "0x800F081F": ("CBS_E_SOURCE_MISSING", "the source files of a component could not be found"),
    "0x800F0982": ("PSFX_E_MATCHING_COMPONENT_NOT_FOUND", "a component the update needs is missing"),
    "0x8007000E": ("E_OUTOFMEMORY", "not enough memory"),
    "0x80072EE2": ("ERROR_INTERNET_TIMEOUT", "the connection to the update server timed out"),
    "0x80072EFD": ("ERROR_INTERNET_CANNOT_CONNECT", "the update server could not be reached"),
    "0x80072F8F": ("ERROR_INTERNET_SECURE_FAILURE", "TLS to the update server failed (clock or certificate)"),
}

#: IUpdateInstallationResult / IDownloadResult ResultCode (OperationResultCode)
RESULT_CODES = {
    0: "not started",
    1: "in progress",
    2: "succeeded",
    3: "succeeded with errors",
    4: "failed",
    5: "aborted",
}


def normalize(hresult: object) -> str:
    """``0x80240022`` from an int (signed or not) or a hex string in any case."""
    if isinstance(hresult, int):
        return f"0x{hresult & 0xFFFFFFFF:08X}"
    text = str(hresult or "").strip()
    try:
        return (
            f"0x{int(text, 16) & 0xFFFFFFFF:08X}"
            if text.lower().startswith("0x")
            else f"0x{int(text) & 0xFFFFFFFF:08X}"
        )
    except ValueError:
        return text


def describe(hresult: object) -> str:
    """``0x80240022 (WU_E_ALL_UPDATES_FAILED: the operation failed for all the updates)``."""
    code = normalize(hresult)
    name, meaning = CODES.get(code, (None, None))
    if name is None:
        return f"{code} (not in the collection's table of Windows Update codes; look it up in Microsoft's reference)"
    return f"{code} ({name}: {meaning})"
