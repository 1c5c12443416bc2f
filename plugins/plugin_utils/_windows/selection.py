# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Which of the updates a search found this task installs: every filter names why an update was left out."""

from __future__ import annotations

import datetime as dt
import re

DEFAULT_CATEGORIES = ("Critical Updates", "Security Updates", "Update Rollups")
#: MSRC severity words, lowest first
MSRC_SEVERITIES = ("Low", "Moderate", "Important", "Critical")
SECURITY_CATEGORY = "Security Updates"


class SelectionError(ValueError):
    """An option cannot be used (bad regex...): the message names the option."""


def compile_patterns(option: str, patterns) -> list[re.Pattern]:
    compiled = []
    for index, pattern in enumerate(patterns or ()):
        try:
            compiled.append(re.compile(str(pattern), re.IGNORECASE))
        except re.error as exc:
            raise SelectionError(f"{option}[{index}] {pattern!r} is not a valid regular expression: {exc}") from exc
    return compiled


def _matches(patterns: list[re.Pattern], update: dict) -> bool:
    names = [*update.get("kb", []), update.get("title", "")]
    return any(p.fullmatch(name) for p in patterns for name in names)


def _release_day(update: dict) -> dt.date | None:
    text = str(update.get("release_date") or "")[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def severity_rank(word) -> int:
    """0 for no/unknown MSRC severity, 1 (Low) .. 4 (Critical)."""
    for index, name in enumerate(MSRC_SEVERITIES):
        if str(word or "").lower() == name.lower():
            return index + 1
    return 0


class Selection:
    """The task's filters; :meth:`split` returns (selected, left_out) where each left-out entry says why."""

    def __init__(
        self,
        *,
        category_names=DEFAULT_CATEGORIES,
        min_severity=None,
        accept_list=(),
        reject_list=(),
        deferral_days=0,
        security_only=False,
        update_ids=(),
        today: dt.date | None = None,
    ):
        self.categories = [str(c) for c in (category_names or DEFAULT_CATEGORIES)]
        if min_severity is not None and severity_rank(min_severity) == 0:
            raise SelectionError(f"min_severity must be one of {', '.join(MSRC_SEVERITIES)}, not {min_severity!r}")
        self.min_rank = severity_rank(min_severity) if min_severity else 0
        self.accept = compile_patterns("accept_list", accept_list)
        self.reject = compile_patterns("reject_list", reject_list)
        if int(deferral_days or 0) < 0:
            raise SelectionError(f"deferral_days must be 0 or more, not {deferral_days}")
        self.deferral_days = int(deferral_days or 0)
        self.security_only = bool(security_only)
        self.update_ids = [str(i) for i in (update_ids or ())]
        self.today = today or dt.datetime.now(dt.UTC).date()

    def reason_to_skip(self, update: dict) -> str | None:
        if self.update_ids:
            # a frozen manifest: exactly these ids, whatever the other filters say (they chose them in pilot)
            return None if update["id"] in self.update_ids else "not in the frozen manifest (update_ids)"
        cats = update.get("categories") or []
        if "*" not in self.categories and not any(c.lower() == w.lower() for c in cats for w in self.categories):
            return f"category {', '.join(cats) or '(none)'} not in category_names"
        if self.security_only and SECURITY_CATEGORY not in cats:
            return "not a security update (security_only)"
        if self.min_rank and severity_rank(update.get("msrc_severity")) < self.min_rank:
            return f"MSRC severity {update.get('msrc_severity') or 'none'} below min_severity"
        if self.accept and not _matches(self.accept, update):
            return "matches no accept_list pattern"
        if self.reject and _matches(self.reject, update):
            return "matches a reject_list pattern"
        if self.deferral_days:
            day = _release_day(update)
            if day is None:
                return "release date unknown (deferral_days needs one)"
            age = (self.today - day).days
            if age < self.deferral_days:
                return f"released {age} day(s) ago, deferral_days is {self.deferral_days}"
        return None

    def split(self, updates: list[dict]) -> tuple[list[dict], list[dict]]:
        selected, left_out = [], []
        for update in updates:
            reason = self.reason_to_skip(update)
            if reason is None:
                selected.append(update)
            else:
                left_out.append(
                    {"id": update["id"], "kb": update.get("kb", []), "title": update.get("title"), "reason": reason}
                )
        return selected, left_out

    def missing_ids(self, updates: list[dict], installed: list[dict]) -> list[str]:
        """Frozen ids that are neither applicable nor installed: the manifest does not fit this host."""
        known = {u["id"] for u in updates} | {u["id"] for u in installed}
        return [i for i in self.update_ids if i not in known]
