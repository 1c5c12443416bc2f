# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep secrets out of the evidence: credential-like keys are redacted at any depth."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache

REDACTED = "********"
CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"

_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?$|^pass_|pwd|secret|token|api_?key|private_?key|(^|_)key$|^key_|community|credential|"
    r"authori[sz]ation|cookie|session_?id|bearer|vault|otp$|pin$)",
    re.IGNORECASE,
)
_SECRET_VALUE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\$ANSIBLE_VAULT;")
_MAX_DEPTH = 40


@lru_cache(maxsize=4096)  # the same few keys come back in every result
def is_secret_key(key) -> bool:
    return bool(_SECRET_KEY.search(str(key).replace("-", "_")))


def redact(value, depth=0):
    """A plain JSON-able copy of ``value`` with credential-like keys and values replaced by ``REDACTED``."""
    if depth > _MAX_DEPTH:
        return "<too deep>"
    if isinstance(value, Mapping):
        return {
            str(k): (REDACTED if is_secret_key(k) and v not in (None, "") else redact(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(v, depth + 1) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    text = str(value)
    return REDACTED if _SECRET_VALUE.search(text) else text
