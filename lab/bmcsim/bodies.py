"""Static Redfish bodies and error bodies of the simulated BMC (the server fills in state)."""

from __future__ import annotations

from .model import message


def ref(path: str) -> dict:
    return {"@odata.id": path}


def error(registry_id: str, text: str, args: list | None = None) -> dict:
    return {
        "error": {
            "code": registry_id,
            "message": text,
            "@Message.ExtendedInfo": [message(registry_id, args or [], "Critical", text)],
        }
    }


def styled_error(body: dict, style: str | None) -> dict | None:
    """Fault error_style: ``ids_only`` keeps only MessageIds in ExtendedInfo (the reason stays in error.message),
    ``code_only`` keeps only error.code, ``none`` sends no body at all."""
    if style == "none":
        return None
    error = dict(body["error"])
    if style == "ids_only":
        error["@Message.ExtendedInfo"] = [{"MessageId": m["MessageId"]} for m in error.get("@Message.ExtendedInfo", [])]
    elif style == "code_only":
        error = {"code": error.get("code")}
    return {"error": error}


def action_info(path: str) -> dict:
    """The SimpleUpdate ActionInfo: the parameters the action takes."""
    return {
        "@odata.type": "#ActionInfo.v1_3_0.ActionInfo",
        "@odata.id": path,
        "Id": "SimpleUpdateActionInfo",
        "Parameters": [
            {"Name": "ImageURI", "Required": True, "DataType": "String"},
            {
                "Name": "TransferProtocol",
                "Required": False,
                "DataType": "String",
                "AllowableValues": ["HTTP", "HTTPS"],
            },
            {"Name": "Targets", "Required": False, "DataType": "StringArray"},
        ],
    }
