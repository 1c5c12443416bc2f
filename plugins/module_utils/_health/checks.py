# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Host health checks run in one module call: disk, package-manager lock, pending reboot,
installed versions and user-declared checks (command, service, port, url)."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import socket
from urllib.error import HTTPError, URLError

REBOOT_FLAG = "/var/run/reboot-required"
APT_LOCKS = ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock")
RPM_LOCK = "/var/lib/rpm/.rpm.lock"
ZYPP_PID = "/run/zypp.pid"


def result(name, kind, ok, detail):
    return {"name": name, "type": kind, "ok": bool(ok), "detail": detail}


def check_disk(path, min_free_mb):
    """Free space on the filesystem holding ``path`` must be at least ``min_free_mb``."""
    try:
        st = os.statvfs(path)
    except OSError as exc:
        return result(f"disk:{path}", "disk", False, f"cannot stat {path}: {exc.strerror}")
    free_mb = st.f_bavail * st.f_frsize // (1024 * 1024)
    ok = free_mb >= min_free_mb
    detail = f"{free_mb} MiB free on {path} (need {min_free_mb} MiB)"
    return dict(result(f"disk:{path}", "disk", ok, detail), free_mb=free_mb)


def _lock_holder(path):
    """Return a description of the process holding an fcntl lock on ``path``, or None."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            return _describe_holder(path)
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _describe_holder(path):
    """Find the pid holding ``path`` through /proc/locks (inode match); fall back to the path."""
    try:
        inode = os.stat(path).st_ino
        with open("/proc/locks") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) > 5 and fields[5].split(":")[-1] == str(inode):
                    pid = fields[4]
                    return f"pid {pid} ({_comm(pid)}) holds {path}"
    except OSError:
        pass
    return f"another process holds {path}"


def _comm(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip() or "?"
    except OSError:
        return "?"


def check_package_manager():
    """No package manager lock is held (apt/dpkg, rpm, zypper)."""
    holders = []
    for path in APT_LOCKS + (RPM_LOCK,):
        if os.path.exists(path):
            holder = _lock_holder(path)
            if holder:
                holders.append(holder)
    if os.path.exists(ZYPP_PID):
        try:
            with open(ZYPP_PID) as handle:
                pid = handle.read().strip()
            if pid and os.path.exists(f"/proc/{pid}"):
                holders.append(f"pid {pid} ({_comm(pid)}) holds {ZYPP_PID}")
        except OSError:
            pass
    detail = "; ".join(holders) if holders else "no package manager lock held"
    return result("package_manager", "package_manager", not holders, detail)


def check_reboot_pending():
    pending = os.path.exists(REBOOT_FLAG)
    return dict(
        result("reboot_pending", "reboot", not pending, "reboot required" if pending else "no reboot pending"),
        reboot_required=pending,
    )


def installed_versions(names, run):
    """Installed version of each package, by whichever database knows it (dpkg first, then rpm).

    One dpkg-query and at most one rpm call for all the names (a postcheck asks for every changed package).
    """
    found = dict((name, None) for name in names)
    if not found:
        return found
    if os.path.exists("/var/lib/dpkg/status"):
        fmt = "${Package}\t${db:Status-Status}\t${Version}\n"
        _rc, out, _err = run(["dpkg-query", "-W", "-f", fmt, "--"] + sorted(found))
        seen = {}
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[1] == "installed" and parts[0] in found:
                seen.setdefault(parts[0], set()).add(parts[2])
        for name, versions in seen.items():
            if len(versions) == 1:  # several architectures at different versions: no single answer
                found[name] = versions.pop()
        for name in [n for n in found if found[n] is None and ":" in n]:  # arch-qualified (foo:amd64)
            rc, out, _err = run(["dpkg-query", "-W", "-f", "${db:Status-Status} ${Version}", "--", name])
            parts = out.split()
            if rc == 0 and len(parts) == 2 and parts[0] == "installed":
                found[name] = parts[1]
    missing = sorted(n for n, v in found.items() if v is None)
    if missing and _has_rpm_db():
        _rc, out, _err = run(["rpm", "-q", "--qf", "%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\n", "--"] + missing)
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) == 2 and parts[0] in found:
                # several installed versions (installonly packages): the last listed wins, as before
                version = parts[1]
                found[parts[0]] = version[2:] if version.startswith("0:") else version
    return found


def _has_rpm_db():
    return any(
        os.path.exists(p) for p in ("/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages", "/usr/lib/sysimage/rpm")
    )


def check_versions(expected, run):
    """Each package must be installed at exactly the expected version (None: not installed)."""
    actual = installed_versions(sorted(expected), run)
    wrong = dict((n, actual[n]) for n in sorted(expected) if actual[n] != expected[n])
    if wrong:
        detail = ", ".join(f"{n} is {wrong[n]}, expected {expected[n]}" for n in sorted(wrong))
    else:
        detail = f"{len(expected)} package(s) at the expected versions"
    return dict(result("versions", "versions", not wrong, detail), installed=actual)


def check_command(spec, run):
    rc, out, err = run(list(spec["command"]))
    ok = rc == spec.get("rc", 0)
    detail = f"rc={rc}"
    pattern = spec.get("stdout_regex")
    if ok and pattern and not re.search(pattern, out):
        ok = False
        detail += f", stdout does not match {pattern!r}"
    if not ok and err.strip():
        detail += ": " + err.strip().splitlines()[-1][:200]
    return result(spec["name"], "command", ok, detail)


def _systemd_running():
    return os.path.isdir("/run/systemd/system")


def check_service(spec, run):
    """A systemd unit is active, or (without systemd) a process with that name runs."""
    name = spec["service"]
    if _systemd_running():
        rc, out, _err = run(["systemctl", "is-active", "--", name])
        return result(spec["name"], "service", rc == 0, "systemd: {} is {}".format(name, out.strip() or "unknown"))
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as handle:
                    if handle.read().strip() == name[:15]:
                        return result(spec["name"], "service", True, f"process {name} runs as pid {pid}")
            except OSError:
                continue
    return result(spec["name"], "service", False, f"no process named {name}")


def check_port(spec):
    host = spec.get("host") or "127.0.0.1"
    port = int(spec["port"])
    try:
        sock = socket.create_connection((host, port), timeout=spec.get("timeout", 5))
        sock.close()
        return result(spec["name"], "port", True, f"{host}:{port} accepts connections")
    except OSError as exc:
        return result(spec["name"], "port", False, f"{host}:{port}: {exc}")


def check_url(spec):
    # Imported here: ansible.module_utils.urls costs ~70 ms to import, paid by every precheck/postcheck otherwise.
    from ansible.module_utils.urls import open_url

    url = spec["url"]
    expected = spec.get("status", [200])
    try:
        response = open_url(
            url,
            method="GET",
            timeout=spec.get("timeout", 10),
            validate_certs=spec.get("validate_certs", True),
            ca_path=spec.get("ca_path"),
        )
        status = response.getcode()
    except HTTPError as exc:
        status = exc.code
    except (URLError, OSError) as exc:
        return result(spec["name"], "url", False, f"{url}: {getattr(exc, 'reason', exc)}")
    return result(spec["name"], "url", status in expected, f"{url} answered {status}")


def run_checks(params, run):
    """Run every requested check; return the list of check results."""
    results = []
    if params.get("reachable", True):
        results.append(result("reachable", "reachable", True, "module ran on the host"))
    for disk in params.get("disk") or []:
        results.append(check_disk(disk["path"], disk["min_free_mb"]))
    if params.get("package_manager"):
        results.append(check_package_manager())
    if params.get("reboot_pending"):
        results.append(check_reboot_pending())
    if params.get("expect_versions"):
        results.append(check_versions(params["expect_versions"], run))
    for spec in params.get("checks") or []:
        kind = spec["type"]
        if kind == "command":
            results.append(check_command(spec, run))
        elif kind == "service":
            results.append(check_service(spec, run))
        elif kind == "port":
            results.append(check_port(spec))
        else:
            results.append(check_url(spec))
    return results


def report(checks):
    """The health result built from the check list: {healthy, checks, failed_checks} (health_check's shape)."""
    failed = [c["name"] for c in checks if not c["ok"]]
    return {"healthy": not failed, "checks": checks, "failed_checks": failed}


def failure_detail(checks):
    """``name: detail`` of each failed check, joined, for an error message."""
    return "; ".join("{}: {}".format(c["name"], c["detail"]) for c in checks if not c["ok"])
