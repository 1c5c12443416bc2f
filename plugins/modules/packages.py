#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: packages
short_description: Scan, patch and roll back OS packages (apt, dnf, zypper) with change records
version_added: 0.1.0
description:
  - Lists the pending package updates of a host with the advisories (CVE, DSA, ELSA...) they fix and their
    severity, applies a filtered or exactly frozen set of them, and rolls such a change back.
  - Returns the collection's change record (C(layer), C(changes), C(pending), C(reboot_required), C(rollback));
    see docs/change-record.md. Before and after versions are read from the package database, not from the
    package manager's messages.
  - Backends apt (dpkg-query, apt-get), dnf (dnf's Python API, rpm, dnf history) and zypper (C(--xmlout)),
    chosen from C(/etc/os-release) C(ID)/C(ID_LIKE) and then from the tools present, unless O(manager) is set.
  - Every command runs as an argument vector, never through a shell.
options:
  state:
    description:
      - V(scanned) changes nothing and lists every available update in RV(pending).
      - V(patched) applies the updates selected by O(names), O(exclude), O(security_only), O(advisories) and
        O(severity), or exactly the versions of O(manifest); RV(pending) lists what was left out and why.
      - V(downloaded) fetches exactly the set V(patched) would install (same O(manifest) or filters, new
        dependencies included) into the package manager's own cache and installs nothing, so that a later V(patched)
        run, for example inside a maintenance window, installs from the cache without downloading. apt uses
        C(apt-get install --download-only), dnf its package cache, zypper C(zypper install --download-only).
        Packages already in the cache are not fetched again (no change). RV(changes) stays empty (nothing was
        installed), RV(downloaded) lists the set.
      - V(rolled_back) restores the versions recorded in O(rollback).
    type: str
    choices: [scanned, patched, downloaded, rolled_back]
    default: scanned
  manager:
    description: The package manager to use; V(auto) detects it.
    type: str
    choices: [auto, apt, dnf, zypper]
    default: auto
  names:
    description:
      - Only update packages whose name matches one of these globs (for example V(lab-*)).
      - Names are letters, digits and C(. + _ - :) plus the glob characters C(* ? [ ]); anything else is an error.
    type: list
    elements: str
    default: []
  exclude:
    description: Never update packages whose name matches one of these globs (also applies to O(manifest)).
    type: list
    elements: str
    default: []
  security_only:
    description:
      - Only updates that fix a security issue. dnf and zypper use the advisory type; apt uses the suite the
        candidate comes from (a C(*security*) suite) or a CVE named in the candidate's changelog.
    type: bool
    default: false
  advisories:
    description: Only updates that fix one of these advisories or CVEs (ids like C(CVE-2026-0001), C(ELSA-2026:0001)).
    type: list
    elements: str
    default: []
  severity:
    description:
      - Only updates whose highest advisory severity is at least this. An update whose advisories name no
        severity is below any minimum.
      - An update whose advisory data is unknown (on apt hosts its changelog could not be read and
        O(advisory_source) does not name it) is decided by O(unknown_severity); by default the module fails,
        changing nothing.
      - Vendor words are normalised (Important is V(high), Moderate is V(medium)).
    type: str
    choices: [low, medium, high, critical]
  unknown_severity:
    description:
      - What O(severity) and O(advisories) do with updates whose advisories and severity are unknown (on apt hosts the
        changelog could not be read, for example because the distribution's changelog server is unreachable).
      - V(fail) fails the module, changing nothing, naming those updates. V(include) selects them, V(exclude)
        leaves them out (C(details.reason) says so). RV(decided_on_unknown) counts the updates decided this way.
    type: str
    choices: [fail, include, exclude]
    default: fail
  advisory_source:
    description:
      - apt only. A file on the host or an C(http://) or C(https://) URL (fetched from the host, TLS verified)
        with Debian Security Tracker JSON (source package, CVE, releases, codename, with status, fixed_version and
        urgency) or OSV records (one record, a list, or a C(vulns) list as osv-scanner writes).
      - Used for the updates whose changelog could not be read; they then carry the ids fixed between the
        installed and the candidate SOURCE version and the highest severity named (tracker urgency, OSV severity
        word). Tracker data is taken as complete (a source package it does not name has no known CVE); OSV
        records speak only for the packages they name.
      - A file that cannot be read or parsed is an error (nothing is changed).
    type: str
  changelog_timeout:
    description:
      - apt only. Seconds the one C(apt-get changelog) call may take (also apt's own HTTP timeout); after that
        the updates whose changelog was not read have unknown advisories and severity, with a warning each.
      - Between 1 and 3600.
    type: int
    default: 120
  repair:
    description:
      - When the package state is broken (an interrupted dpkg run, packages not fully installed, what C(dpkg --audit)
        reports, rpm database errors), repair it first (C(dpkg --configure -a) and C(apt-get install -f); rpm
        C(rpm --rebuilddb)) instead of failing. In check mode the module only says it would repair.
      - Without it, V(patched) and V(rolled_back) fail on a broken state with C(changed=false) before planning
        anything; V(scanned) reports it in RV(package_state).
    type: bool
    default: false
  manifest:
    description:
      - An approved patch set, package name to exact version, for example the C(rollback.data.after) of a pilot
        host. Installs exactly these versions (new dependencies included) and nothing else; packages already at
        their version are left alone.
      - Fails, changing nothing, when a version is not offered by any repository or the package is held.
      - Cannot be combined with O(names), O(security_only), O(advisories) or O(severity).
    type: dict
  rollback:
    description:
      - With O(state=rolled_back), the RV(rollback) block of an earlier C(patched) result (this run's or one read from
        the evidence store).
      - dnf undoes the recorded history transaction and falls back to installing the recorded versions; apt and
        zypper install the recorded versions and remove packages that did not exist before.
      - Fails, changing nothing, when an old version is no longer obtainable, naming it.
    type: dict
  update_cache:
    description: Refresh the repository metadata first. A repository that cannot be read is then an error.
    type: bool
    default: true
  lock_timeout:
    description:
      - Seconds to wait for the package manager's lock held by another process. After that the module fails
        with the lock holder's pid and command line. Between 0 and 86400.
      - When the controller that started the module is gone by the time the lock is free (its SSH session ended,
        it was killed), the module starts no transaction and changes nothing.
    type: int
    default: 60
  apt_changelogs:
    description:
      - apt only. Read the candidates' changelogs (one C(apt-get changelog) call for all of them) for the CVE ids
        an update fixes and its urgency. On a real host apt downloads each changelog from the distribution's
        changelog server, which can take long for many updates or fail without network access.
      - Changelogs are looked up per SOURCE package (C(libssl3) is built from C(openssl)); each is read once and only
        its entries newer than the installed source version count (binNMU C(+bN) versions map to their source).
      - With V(false) apt updates have unknown advisories and severity (unless O(advisory_source) names them);
        security updates are still known from their C(*security*) suite. See O(unknown_severity). dnf and zypper
        ignore this option.
    type: bool
    default: true
  precheck:
    description:
      - With O(state=patched), checks run in the same module call before anything else (before waiting for the
        package manager's lock and before the cache refresh), the readiness checks of
        M(everylayer.patch.health_check), validated with the same rules.
      - Keys are C(disk) (a list of C(path) and C(min_free_mb), the minimum free MiB), C(package_manager) (fail
        when a package-manager lock is held, default V(true)), C(reboot_pending) (fail when the host already waits
        for a reboot, default V(false)) and C(checks) (checks declared as data, each a C(command), C(service),
        C(port) or C(url) check in exactly the form of O(everylayer.patch.health_check#module:checks)). An empty
        dictionary runs the defaults.
      - When a check fails the module fails with a message starting C(precheck failed:) naming each failed check,
        and changes nothing; RV(precheck) reports every check. A lock held by another process thus fails the
        C(package_manager) check at once; with C(package_manager=false) the module waits O(lock_timeout) for it.
      - Any other O(state) with this option is an error.
    type: dict
  postcheck:
    description:
      - With O(state=patched), checks run in the same module call after the transaction, also when there was
        nothing to patch. Not run when the transaction itself failed (that failure is reported as without it).
      - Keys are C(verify_versions) (default V(true)) and C(checks) (the same form as in O(precheck)).
        C(verify_versions) reads the package database once and requires every changed package at its RV(changes)
        C(after) version; it is skipped in check mode, where nothing was installed, while C(checks) still run.
      - When a check fails the module fails with a message starting C(postcheck failed:); the result keeps the full
        change record of what did change (RV(changes), RV(rollback), RV(reboot_required)) so that
        O(state=rolled_back) with that RV(rollback) restores the old set; RV(postcheck) reports every check.
      - Any other O(state) with this option is an error.
    type: dict
attributes:
  check_mode:
    support: full
    description: Reports exactly the changes O(state=patched) or O(state=rolled_back) would make (from the package
      manager's own resolution), with RV(simulated=true).
  diff_mode:
    support: full
    description: Shows one C(name version) line per changed package, before and after.
  platform:
    support: full
    platforms: posix
    description: Linux hosts with apt (Debian family), dnf (Red Hat family) or zypper (SUSE family).
notes:
  - Reboot rules are one table for every backend (kernel, firmware, microcode, C library, init, system bus, TLS
    libraries; docs/packages.md) plus the distribution's own signal; services shipped by other changed packages are
    listed in RV(restart_required).
  - Held packages (C(apt-mark hold)), dnf versionlock entries and zypper locks are never updated; they appear in
    RV(pending) with C(details.held=true).
  - Reboot detection reads C(/var/run/reboot-required) and C(.pkgs) on Debian-family hosts, C(needs-restarting -r)
    on dnf hosts and C(zypper needs-rebooting) on zypper hosts, and on every host judges the changed packages by the
    rules (or a C(installhint(reboot-needed)) provide) and records the need in
    C(/run/everylayer-patch/reboot-required) until the next boot.
author:
  - everylayer.patch contributors (@everylayer)
"""

EXAMPLES = r"""
- name: List pending updates with their advisories
  everylayer.patch.packages:
    state: scanned
  register: scan

- name: Apply security updates of severity high or above, except the kernel
  everylayer.patch.packages:
    state: patched
    security_only: true
    severity: high
    exclude: ["kernel*", "linux-image-*"]
  register: patch

- name: The same where changelogs cannot be downloaded, with the tracker's data copied to the host
  everylayer.patch.packages:
    state: patched
    security_only: true
    severity: high
    advisory_source: /var/lib/everylayer/debian-security-tracker.json
    unknown_severity: include    # what the tracker does not know either is installed (counted in decided_on_unknown)
    changelog_timeout: 30

- name: Install exactly what the pilot host installed
  everylayer.patch.packages:
    state: patched
    manifest: "{{ hostvars['pilot-01'].patch.rollback.data.after }}"

- name: Check, patch and verify in one module call
  everylayer.patch.packages:
    state: patched
    security_only: true
    precheck:
      disk:
        - path: /var
          min_free_mb: 500
      reboot_pending: true
    postcheck:
      verify_versions: true
      checks:
        - name: web answers
          type: url
          url: https://127.0.0.1/health
  register: patch

- name: Before the maintenance window, fetch the approved set into the package cache (installs nothing)
  everylayer.patch.packages:
    state: downloaded
    manifest: "{{ hostvars['pilot-01'].patch.rollback.data.after }}"

- name: Undo the change
  everylayer.patch.packages:
    state: rolled_back
    rollback: "{{ patch.rollback }}"
"""

RETURN = r"""
msg:
  description: What happened, in one line.
  returned: always
  type: str
  sample: updated 3 packages
manager:
  description: The backend used.
  returned: always
  type: str
  sample: apt
layer:
  description: Always V(os) (change record).
  returned: always
  type: str
changes:
  description:
    - What changed (change record), from the package database before and after. In check mode what would change.
    - Each entry has component (package name), kind (V(package)), before (null when newly installed), after (null
      when removed), advisories, severity (critical/high/medium/low or null), reboot_required.
  returned: always
  type: list
  elements: dict
  sample:
    - component: lab-agent
      kind: package
      before: 1.0-1
      after: 1.1-1
      advisories: [ELSA-2026:0101, CVE-2026-21037]
      severity: high
      reboot_required: false
pending:
  description:
    - Available updates not applied (change record), every update for V(scanned); for V(patched) the ones the
      filters or the manifest left out, with C(details.reason). before is the installed version, after the
      candidate. C(details) may also carry source (repository or suite), security, held and advisory_data
      (V(unknown) when the advisories and severity could not be read, so null severity does not mean none;
      V(advisory_source) when they came from O(advisory_source)). A dependency that a change pulled in is not also
      listed here.
  returned: always
  type: list
  elements: dict
reboot_required:
  description: The host needs a reboot now (whatever caused it); true when a change asks for one.
  returned: always
  type: bool
reboot_packages:
  description: The packages that asked for the reboot, where the system records them.
  returned: always
  type: list
  elements: str
rollback:
  description:
    - How to undo this change (change record). C(strategy) is V(packages) (apt, zypper), V(transaction) (dnf) or
      V(none); C(data) has manager, packages (name to version before, null when it was not installed), after
      (name to version after) and, for dnf, transaction (history id).
  returned: always
  type: dict
  sample:
    strategy: packages
    data:
      manager: apt
      packages: {lab-agent: 1.0-1}
      after: {lab-agent: 1.1-1}
simulated:
  description: True in check mode (change record).
  returned: always
  type: bool
precheck:
  description:
    - The precheck's report, in the shape M(everylayer.patch.health_check) returns. On a failed precheck the result
      also carries an empty change record.
  returned: when O(precheck) is set and the precheck ran
  type: dict
  contains:
    healthy:
      description: Whether every check passed.
      type: bool
    checks:
      description: One entry per check (name, type, ok, detail), in the order run.
      type: list
      elements: dict
    failed_checks:
      description: Names of the checks that failed.
      type: list
      elements: str
  sample:
    healthy: true
    checks: [{"name": "disk:/var", "type": "disk", "ok": true, "detail": "812 MiB free on /var (need 500 MiB)"}]
    failed_checks: []
postcheck:
  description:
    - The postcheck's report, same shape as RV(precheck) (healthy, checks, failed_checks). The C(versions) check
      lists the changed packages' installed versions in C(installed).
  returned: when O(postcheck) is set and the postcheck ran
  type: dict
  sample:
    healthy: false
    checks:
      - {"name": "reachable", "type": "reachable", "ok": true, "detail": "module ran on the host"}
      - {"name": "versions", "type": "versions", "ok": true, "detail": "1 package(s) at the expected versions",
         "installed": {"lab-agent": "1.1-1"}}
      - {"name": "web answers", "type": "url", "ok": false, "detail": "https://127.0.0.1/health answered 503"}
    failed_checks: ["web answers"]
downloaded:
  description:
    - With O(state=downloaded), every package installing the selected set needs (dependencies included), each with
      C(name), C(version) and C(fetched) (true when this run downloaded it, or would in check mode; false when it
      was already in the cache). Nothing in it was installed.
  returned: when O(state=downloaded)
  type: list
  elements: dict
  sample:
    - {"name": "libssl3", "version": "3.0.22-1~deb12u2", "fetched": true}
    - {"name": "openssl", "version": "3.0.22-1~deb12u2", "fetched": false}
download_bytes:
  description: With O(state=downloaded), the size of what was (or in check mode would be) downloaded, where the
    package manager reports it (apt, dnf); 0 for zypper.
  returned: when O(state=downloaded) and something was selected
  type: int
package_state:
  description:
    - Whether the package database was in a state to plan anything. C(problems) names what was found (interrupted
      dpkg, packages not fully installed, C(dpkg --audit) lines, rpm database errors); after O(repair),
      C(before_repair) keeps what was repaired.
  returned: when the state was checked (every state except V(downloaded))
  type: dict
  sample:
    healthy: false
    problems:
      - "dpkg was interrupted (unfinished journal in /var/lib/dpkg/updates): dpkg --configure -a"
repaired:
  description: The repair commands run because of O(repair) (an empty list in check mode).
  returned: when O(repair) repaired a broken state
  type: list
  elements: str
restart_required:
  description:
    - Service units shipped by the changed packages that need no reboot; restarting them is enough for the update to
      take effect (template units like C(getty@.service) are not listed).
  returned: when packages changed
  type: list
  elements: str
  sample: [ssh.service]
unknown_advisory_data:
  description: With O(state=scanned), how many pending updates have unknown advisories and severity (see
    O(unknown_severity)); their RV(pending) entries carry C(details.advisory_data=unknown).
  returned: when O(state=scanned)
  type: int
decided_on_unknown:
  description: How many updates O(severity)/O(advisories) selected or left out on unknown advisory data (by
    O(unknown_severity)).
  returned: when O(severity) or O(advisories) is set and the filters ran
  type: int
failed_packages:
  description: On a failed patch, the packages that did not reach their target version (a maintainer script
    failed, for example); the result still carries changes and rollback for what did change.
  returned: failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError
from ansible_collections.everylayer.patch.plugins.module_utils._packages.runner import failure_result, run

ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["scanned", "patched", "downloaded", "rolled_back"], "default": "scanned"},
    "manager": {"type": "str", "choices": ["auto", "apt", "dnf", "zypper"], "default": "auto"},
    "names": {"type": "list", "elements": "str", "default": []},
    "exclude": {"type": "list", "elements": "str", "default": []},
    "security_only": {"type": "bool", "default": False},
    "advisories": {"type": "list", "elements": "str", "default": []},
    "severity": {"type": "str", "choices": ["low", "medium", "high", "critical"]},
    "manifest": {"type": "dict"},
    "rollback": {"type": "dict"},
    "update_cache": {"type": "bool", "default": True},
    "lock_timeout": {"type": "int", "default": 60},
    "apt_changelogs": {"type": "bool", "default": True},
    "changelog_timeout": {"type": "int", "default": 120},
    "unknown_severity": {"type": "str", "choices": ["fail", "include", "exclude"], "default": "fail"},
    "advisory_source": {"type": "str"},
    "repair": {"type": "bool", "default": False},
    # Validated in module_utils against health_check's specs (errors name the field, e.g. precheck.disk[0].path).
    "precheck": {"type": "dict"},
    "postcheck": {"type": "dict"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        required_if=[("state", "rolled_back", ("rollback",))],
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except PackagesError as exc:
        module.fail_json(msg=exc.msg, **failure_result(exc, module.check_mode))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
