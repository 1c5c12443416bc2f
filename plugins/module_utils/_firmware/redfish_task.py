# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The Redfish task protocol (DMTF DSP0266, asynchronous operations) and the one poll loop every wait uses.

A long operation answers ``202 Accepted`` with a task monitor in ``Location`` (a Task body is optional). The monitor
answers ``202`` (with or without a body) while the task runs, then the operation's own answer: ``200/201/204`` or an
error status; afterwards it may vanish (``404``/``410``). The Task resource stays readable and carries ``TaskState``,
``PercentComplete`` and ``Messages``. ``Retry-After`` says when to ask again.
"""

from __future__ import annotations

import email.utils
import time
from datetime import datetime, timezone

from .common import FirmwareError
from .redfish_client import BmcUnreachable, RedfishHttpError
from .redfish_parse import TASK_WAITING, error_text, messages, progress_line, task, task_link

MAX_RETRY_AFTER = 60.0  # a service may ask for more; the deadline still bounds every wait
GONE = (404, 410)
TRANSIENT = (429, 502, 503, 504)
PROGRESS_KEPT = 20


class Later:
    """A probe's answer meaning "not yet": ask again after ``delay`` seconds (None: the poll interval)."""

    __slots__ = ("delay",)

    def __init__(self, delay=None):
        self.delay = delay


def retry_after(headers):
    """Seconds from a Retry-After header (delta seconds or an HTTP date), within [1, MAX_RETRY_AFTER]; else None."""
    value = (headers or {}).get("retry-after") or (headers or {}).get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(str(value))
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return max(1.0, min(seconds, MAX_RETRY_AFTER))


def wait_until(client, probe, deadline, interval, sleep=time.sleep, clock=time.monotonic):
    """Call ``probe()`` until it returns non-None, riding out BMC resets; returns (value, reset_seen).

    The same poll loop as the task follower; a reset makes ``client`` forget its session (the BMC forgets it).
    Here, not on the client: the task module builds on the client, never the other way round.
    """

    def forget():
        client.token = None

    return poll(probe, deadline, interval, sleep, clock, forget)


def poll(probe, deadline, interval, sleep=time.sleep, clock=time.monotonic, on_reset=None, first_delay=None):
    """Call ``probe()`` until it returns a value (not None, not :class:`Later`) or ``deadline`` passes.

    Returns ``(value or None, reset_seen)``. A probe raising BmcUnreachable (a BMC resetting) only counts against
    the deadline; ``on_reset`` runs then (the client forgets its session).
    """
    reset_seen = False
    if first_delay:
        sleep(min(first_delay, max(0.0, deadline - clock())))
    while True:
        try:
            value = probe()
        except BmcUnreachable:
            reset_seen = True
            if on_reset:
                on_reset()
            value = None
        delay = interval
        if isinstance(value, Later):
            delay = interval if value.delay is None else value.delay
            value = None
        if value is not None:
            return value, reset_seen
        now = clock()
        if now >= deadline:
            return None, reset_seen
        sleep(max(0.0, min(delay, deadline - now)))


def _bare(state, verdict, msgs=(), **extra):
    summary = {
        "id": None,
        "uri": None,
        "monitor": None,
        "name": None,
        "state": state,
        "status": "OK" if verdict != "failed" else "Critical",
        "percent": None,
        "messages": list(msgs),
        "verdict": verdict,
        "done": verdict != "running",
        "ok": {"done": True, "failed": False}.get(verdict),
        "staged": False,
    }
    summary.update(extra)
    return summary


def accepted(status, body, headers):
    """The answer to an update request -> the first task summary (``monitor`` from Location, per DSP0266)."""
    location = (headers or {}).get("location")
    if body.get("TaskState"):
        first = task(body)
    elif status == 202 or location:
        first = _bare("New", "running", messages(body))
    else:  # 200/201/204 without a task: the service finished the request synchronously
        first = _bare("Completed", "done", messages(body))
    first["monitor"] = location or first.get("monitor") or task_link(body)
    first["http_status"] = status
    first["retry_after"] = retry_after(headers)
    first["progress"] = [progress_line(first)]
    return first


class TaskFollower:
    """Follows one task to its end through the task monitor and the Task resource, within ``timeout`` seconds."""

    def __init__(self, client, timeout, interval, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.timeout = timeout
        self.interval = interval
        self.sleep = sleep
        self.clock = clock
        # An unknown TaskState is followed while it shows progress; without progress it fails after this long.
        self.unknown_grace = min(float(timeout), max(5.0, 10.0 * float(interval)))
        self.deferred = False

    def poll(self, probe, deadline, first_delay=None):
        return poll(
            probe, deadline, self.interval, self.sleep, self.clock, self._forget_session, first_delay=first_delay
        )

    def _forget_session(self):
        self.client.token = None  # the BMC forgets sessions across a reset

    def follow(self, first, deferred=False):
        """Returns ``(final summary, reset_seen)``; the summary's verdict is done, failed or gone (outcome unknown).

        ``deferred`` (apply time OnReset...): a task that waits for the reset (Pending, Scheduled, Suspended, or an
        AwaitToActivate/AwaitToUpdate message) ends the follow as done and staged: it would wait until the reset.
        """
        self.deferred = deferred
        if first["done"] or self._waiting(first):
            return self._staged(first) if self._waiting(first) else first, False
        uri = first.get("monitor") or first.get("uri")
        if not uri:  # nothing to follow (a 202 without Location or task): the inventory decides
            return dict(first, state="Unknown", verdict="gone", done=True, ok=None), False
        self.st = {"uri": uri, "task_uri": first.get("uri"), "last": first, "mark": None, "since": None}
        deadline = self.clock() + self.timeout
        final, reset_seen = self.poll(self._probe, deadline, first.get("retry_after"))
        if final is None:
            last = self.st["last"]
            where = "the BMC did not come back after a reset" if reset_seen else "the task did not finish"
            raise FirmwareError(
                f"Timed out after {self.timeout}s following the update task: {where}. Last task state "
                f"{progress_line(last)}; check the BMC before retrying.",
                task=last,
                bmc_reset_seen=reset_seen,
            )
        return final, reset_seen

    # -- one poll -----------------------------------------------------------------------------------
    def _get(self, uri):
        try:
            status, body, headers = self.client.request("GET", uri)
        except RedfishHttpError as exc:
            return exc.status, exc.body, getattr(exc, "headers", {}), exc
        return status, body, headers, None

    def _probe(self):
        st = self.st
        status, body, headers, error = self._get(st["uri"])
        if error is not None:
            if status in GONE:
                if st["task_uri"] and st["uri"] != st["task_uri"]:
                    st["uri"] = st["task_uri"]  # monitors vanish after completion or a reset
                    return Later(0)
                return dict(st["last"], state="Unknown", verdict="gone", done=True, ok=None)
            if status in TRANSIENT:
                return Later(retry_after(headers))
            # the monitor answers with the operation's own error
            failed = _bare(f"HTTP {status}", "failed", messages(body), error=f"HTTP {status}: {error_text(body)}")
            return self._note(dict(failed, progress=st["last"].get("progress", [])))
        if body.get("TaskState"):
            summary = self._note(task(body))
            st["task_uri"] = summary["uri"] or st["task_uri"]
        elif st["task_uri"] and st["uri"] != st["task_uri"]:
            # a bodyless monitor answer: the Task resource says how far it got and how it ended
            _s, task_body, _h, task_error = self._get(st["task_uri"])
            summary = self._note(task(task_body)) if task_error is None and task_body.get("TaskState") else None
            if status != 202 and (summary is None or not summary["done"]):
                summary = self._note(_bare("Completed", "done"))  # the monitor says the operation finished
            summary = summary or st["last"]
        elif status == 202:
            summary = st["last"]
        else:
            summary = self._note(_bare("Completed", "done"))
        if summary["done"]:
            return summary
        if self._waiting(summary):
            return self._staged(summary)
        if summary["verdict"] == "unknown":
            self._check_unknown(summary)
        else:
            st["mark"] = None
        return Later(retry_after(headers))

    def _waiting(self, summary):
        return self.deferred and not summary["done"] and (summary["staged"] or summary["state"] in TASK_WAITING)

    @staticmethod
    def _staged(summary):
        return dict(summary, verdict="done", done=True, ok=True, staged=True)

    def _note(self, summary):
        """Keep the summary as the last seen and its progress line (PercentComplete, last message) if new."""
        progress = list(self.st["last"].get("progress") or [])
        line = progress_line(summary)
        if not progress or progress[-1] != line:
            progress.append(line)
        summary["progress"] = progress[-PROGRESS_KEPT:]
        summary["uri"] = summary.get("uri") or self.st["task_uri"]
        summary["monitor"] = summary.get("monitor") or self.st["last"].get("monitor")
        self.st["last"] = summary
        return summary

    def _check_unknown(self, summary):
        mark = (summary["percent"], len(summary["messages"]), progress_line(summary))
        now = self.clock()
        if mark != self.st["mark"]:
            self.st["mark"], self.st["since"] = mark, now
            return
        if now - self.st["since"] >= self.unknown_grace:
            raise FirmwareError(
                f"The update task reports an unknown task state {summary['state']!r} and made no progress for "
                f"{self.unknown_grace:g}s (last: {progress_line(summary)}). Check the task on the BMC before "
                "retrying; docs/firmware.md lists the task states the module knows.",
                task=summary,
            )
