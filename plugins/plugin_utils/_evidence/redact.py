# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep secrets out of the evidence, by key and by value.

By key: a credential-like key has its value replaced at any depth. By value: the credentials of a URL
(``scheme://user:pw@host``) and of a libpq DSN (``password=...``), and every known secret value (the values
of credential-like keys and of ``no_log`` options, collected by ``secret_values``) wherever it appears,
inside a message, a rollback block or any other string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache

REDACTED = "********"
CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
NO_LOG_MARK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"  # what AnsibleModule puts in invocation for a no_log option

_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?$|^pass_|pwd|secret|token|api_?key|private_?key|(^|_)key$|^key_|community|credential|"
    r"authori[sz]ation|cookie|session_?id|bearer|vault|otp$|pin$)",
    re.IGNORECASE,
)
_SECRET_VALUE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\$ANSIBLE_VAULT;")
# scheme://user:password@host -> scheme://user:********@host (also a bare token: scheme://token@host)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/@:'\"]*)(?::(?P<pw>[^\s/@'\"]*))?@")
_DSN_PASSWORD = re.compile(r"(?P<key>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|[^\s'\"]+)", re.IGNORECASE)
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&](?:password|passwd|pwd|token|access_token|api_?key|secret|signature|sig|auth)=)(?P<pw>[^&#\s'\"]+)",
    re.IGNORECASE,
)
_MAX_DEPTH = 40
MIN_SECRET_LEN = 3  # shorter values are not searched for inside other text (their own key is still redacted)


@lru_cache(maxsize=4096)  # the same few keys come back in every result
def is_secret_key(key) -> bool:
    return bool(_SECRET_KEY.search(str(key).replace("-", "_")))


def _url_sub(match):
    pw = match.group("pw")
    if pw is None:
        # scheme://something@host: a user name, or a bare token; redact unless it is a plain login name
        user = match.group("user")
        return match.group(0) if len(user) < 20 else f"{match.group('scheme')}{REDACTED}@"
    return f"{match.group('scheme')}{match.group('user')}:{REDACTED}@"


def redact_text(text: str, secrets=()) -> str:
    """``text`` with URL/DSN credentials and every value in ``secrets`` replaced by ``REDACTED``."""
    if _SECRET_VALUE.search(text):
        return REDACTED
    if "@" in text and "://" in text:
        text = _URL_CREDENTIALS.sub(_url_sub, text)
    if "=" in text:
        text = _DSN_PASSWORD.sub(lambda m: m.group("key") + REDACTED, text)
        text = _QUERY_SECRET.sub(lambda m: m.group("key") + REDACTED, text)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def secret_values(value, found=None, depth=0, under_secret=False, keys=True) -> set:
    """Every string that is a secret in ``value``: URL/DSN passwords, and with ``keys`` values of credential-like keys.

    ``keys`` is for task arguments, whose keys are option names (``bmc_password``). In a result, keys can be data
    (a package called ``libsecret-1-0`` in a rollback block): its value is still redacted under its key, but is not
    searched for elsewhere, or a version number would be blanked out across the record.
    """
    found = set() if found is None else found
    if depth > _MAX_DEPTH:
        return found
    if isinstance(value, Mapping):
        for key, item in value.items():
            secret_values(item, found, depth + 1, under_secret or (keys and is_secret_key(key)), keys)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            secret_values(item, found, depth + 1, under_secret, keys)
    elif isinstance(value, str):
        if under_secret and len(value) >= MIN_SECRET_LEN and value not in (REDACTED, NO_LOG_MARK):
            found.add(value)
        if "@" in value:
            for match in _URL_CREDENTIALS.finditer(value):
                if match.group("pw") and len(match.group("pw")) >= MIN_SECRET_LEN:
                    found.add(match.group("pw"))
    return found


def no_log_values(result, task_args) -> set:
    """The values of the options a module declared ``no_log``: its invocation shows the mask, the task args the value."""
    invocation = result.get("invocation") if isinstance(result, Mapping) else None
    module_args = invocation.get("module_args") if isinstance(invocation, Mapping) else None
    found = set()
    if not isinstance(module_args, Mapping) or not isinstance(task_args, Mapping):
        return found
    for key, shown in module_args.items():
        value = task_args.get(key)
        if shown == NO_LOG_MARK and isinstance(value, str) and len(value) >= MIN_SECRET_LEN and "{{" not in value:
            found.add(value)
    return found


def redact(value, depth=0, secrets=(), by_key=True):
    """A plain JSON-able copy of ``value`` with credential-like keys and secret values replaced by ``REDACTED``.

    ``by_key=False`` is for mappings whose keys are data, not field names (a rollback block's package -> version):
    values are still redacted by value, never because a package is called ``libsecret-1-0``.
    """
    if depth > _MAX_DEPTH:
        return "<too deep>"
    if isinstance(value, Mapping):
        return {
            str(k): (
                REDACTED
                if by_key and is_secret_key(k) and v not in (None, "")
                else redact(v, depth + 1, secrets, by_key)
            )
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(v, depth + 1, secrets, by_key) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    return redact_text(str(value), secrets)


def redact_rollback(block, secrets=()):
    """A rollback block: its package maps (``data.packages``, ``data.after``) are keyed by package names."""
    if not isinstance(block, Mapping) or not isinstance(block.get("data"), Mapping):
        return redact(block, secrets=secrets)
    data = block["data"]
    maps = {
        k: redact(data[k], secrets=secrets, by_key=False)
        for k in ("packages", "after")
        if isinstance(data.get(k), Mapping)
    }
    rest = redact({k: v for k, v in data.items() if k not in maps}, secrets=secrets)
    return dict(redact({k: v for k, v in block.items() if k != "data"}, secrets=secrets), data=dict(rest, **maps))


def ordered(secrets) -> tuple:
    """Longest first, so a secret that contains another is replaced whole."""
    return tuple(sorted(secrets, key=len, reverse=True))
