#!/usr/bin/python
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: windows_updates
short_description: Scan, pre-stage, install and uninstall Windows updates through the Windows Update Agent
version_added: 0.1.0
description:
  - The controller (action plugin) selects updates and runs reboot rounds; the PowerShell module on the host
    (C(windows_updates.ps1), Ansible.Basic) only calls the Windows Update Agent COM API -
    C(Microsoft.Update.Session), its searcher, downloader and installer - to search, download, install,
    uninstall and read the history and the pending-reboot flag. The split follows C(ansible.windows.win_updates).
  - O(state=scanned) searches and reports; O(state=downloaded) pre-stages the selected updates (nothing is
    installed); O(state=patched) installs them in rounds (install, reboot when required and O(reboot=true),
    wait for WinRM, search again, until nothing is left or O(max_rounds)); O(state=rolled_back) uninstalls the KBs
    of O(rollback) (or O(kbs)) and verifies they are gone.
  - A WinRM connection that drops during an install is resumed - the controller reconnects and reads the
    host's Windows Update history to learn what was installed - not failed. An update that is applicable again
    after the reboot that installed it (it rolled back during boot) fails the task, naming it and the
    history's HRESULT.
  - Every result carries the collection's change record - RV(layer) C(windows), RV(changes) of kind C(update)
    whose component is the KB, advisories the KB and its CVEs, severity from MSRC - and RV(rollback)
    (strategy C(kb) - the KBs a rollback removes, each with its update id, package identity and method - C(wua), or
    C(dism) for an update WUA will not uninstall; the others named as not uninstallable).
  - Errors name the update, the HRESULT and its meaning (a table of common Windows Update Agent codes).
author:
  - everylayer.patch contributors (@everylayer)
options:
  state:
    description:
      - V(scanned) searches and reports the selected updates in RV(pending); nothing changes.
      - V(downloaded) downloads the selected updates (pre-stage before a window); nothing is installed.
      - V(patched) installs the selected updates in reboot rounds.
      - V(rolled_back) uninstalls the KBs of O(rollback) or O(kbs) - C(IUpdateInstaller.Uninstall), or DISM
        C(Remove-WindowsPackage) for an update WUA will not uninstall whose package identity O(rollback) names -,
        reboots when required and O(reboot=true), then checks they are absent.
    type: str
    choices: [scanned, downloaded, patched, rolled_back]
    default: patched
  category_names:
    description:
      - Update classifications to select (matched case-insensitively against each update's categories), for
        example V(Critical Updates), V(Security Updates), V(Update Rollups), V(Definition Updates), V(Updates),
        V(Feature Packs), V(Service Packs), V(Tools), V(Drivers), or product names such as V(Windows Server 2019).
      - V(*) selects every category.
    type: list
    elements: str
    default: [Critical Updates, Security Updates, Update Rollups]
  min_severity:
    description:
      - Lowest MSRC severity to select. Updates without an MSRC severity (non-security updates) are left out
        when this is set.
    type: str
    choices: [Low, Moderate, Important, Critical]
  security_only:
    description: Select only updates in the C(Security Updates) classification.
    type: bool
    default: false
  accept_list:
    description:
      - Regular expressions; an update is selected only when one of them fully matches one of its KB ids
        (V(KB5034441)) or its title. Case-insensitive.
    type: list
    elements: str
    default: []
  reject_list:
    description:
      - Regular expressions; an update is left out when one of them fully matches one of its KB ids or its
        title. Applied after O(accept_list). Case-insensitive.
    type: list
    elements: str
    default: []
  deferral_days:
    description:
      - Leave out updates released fewer than this many days ago (the release date is WUA's
        C(LastDeploymentChangeTime)), counted in UTC days on the controller.
    type: int
    default: 0
  update_ids:
    description:
      - A frozen manifest - exactly these WUA update ids (C(UpdateIdentity.UpdateID)), for example the RV(changes)
        ids a pilot wave installed. When set, the other selection options are ignored. An id that is neither
        applicable nor installed on the host fails the task, naming it.
    type: list
    elements: str
    default: []
  server_selection:
    description:
      - Which update service to search (C(IUpdateSearcher.ServerSelection)) - V(default) (what the host's policy
        says), V(managed_server) (WSUS), V(windows_update) (Microsoft Update online).
    type: str
    choices: [default, managed_server, windows_update]
    default: default
  reboot:
    description:
      - Reboot the host when an install or uninstall requires it, wait for WinRM and a new boot time, and go on
        with the next round. With V(false) the run stops after the round that needs a reboot and returns
        RV(reboot_required=true).
    type: bool
    default: false
  reboot_timeout:
    description: Seconds to wait for the host to answer over WinRM after a reboot or a dropped connection.
    type: int
    default: 1200
  max_rounds:
    description:
      - Most install rounds (search, install, reboot) in one task. Updates still selected after the last round
        stay in RV(pending) and the message says so.
    type: int
    default: 3
  rollback:
    description:
      - For O(state=rolled_back) - the RV(rollback) block of the run that installed the updates (a change record's
        C(rollback), as the rollout's rollback role passes it). Its C(data.kbs) are uninstalled; an update WUA will
        not uninstall (C(IsUninstallable) false, 0x80240028) is removed with DISM
        (C(Remove-WindowsPackage -Online -PackageName <package_identity> -NoRestart)) when C(data.updates) names its
        package identity.
      - A block with C(strategy=none) (nothing was installed) has nothing to roll back and changes nothing.
      - Mutually exclusive with O(kbs).
    type: dict
  kbs:
    description:
      - For O(state=rolled_back), instead of O(rollback) - KB ids to uninstall through WUA only. KBs not installed
        are skipped; KBs that cannot be uninstalled fail the task, named.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Searches (reads the host's real state) and returns what would be installed, downloaded or removed, with RV(simulated=true).
  diff_mode:
    support: full
    description: Shows the KBs (with their update ids) before and after.
  platform:
    platforms: windows
    support: full
    description: Runs on Windows hosts over WinRM (C(ansible.builtin.winrm)) or PSRP.
  action:
    support: full
    description: Selection and reboot rounds happen in the action plugin on the controller.
requirements:
  - Windows PowerShell 5.1 and the Windows Update Agent on the host; pywinrm (or pypsrp) on the controller.
notes:
  - The PowerShell module has been parsed and its contract tested, but not yet run on a real Windows host by this
    project; docs/windows.md lists what a first run must confirm.
  - Combined cumulative updates whose WUA uninstall is not allowed are removed with DISM C(Remove-WindowsPackage) by
    the package identity their install recorded in RV(rollback); updates with neither (definition updates, the
    malicious software removal tool) are named in RV(rollback) C(data.not_uninstallable) and not removed.
seealso:
  - name: docs/windows.md
    description: Options, reboots, rollback limits, transport setup (WinRM listener, certificates) and what the lab simulates.
    link: https://github.com/everylayer/patch/blob/main/docs/windows.md
"""

EXAMPLES = r"""
- name: Pre-stage the month's security updates before the window
  everylayer.patch.windows_updates:
    state: downloaded
    category_names: [Security Updates, Critical Updates]
    deferral_days: 7

- name: Install critical and important security updates, rebooting as often as needed
  everylayer.patch.windows_updates:
    state: patched
    security_only: true
    min_severity: Important
    reject_list: ['KB5034441']
    reboot: true
    max_rounds: 3
  register: win_patch

- name: Staged wave - exactly what the pilot installed
  everylayer.patch.windows_updates:
    state: patched
    update_ids: "{{ pilot_update_ids }}"
    reboot: true

- name: Roll back what the task above installed (DISM for a cumulative update WUA will not uninstall)
  everylayer.patch.windows_updates:
    state: rolled_back
    rollback: "{{ win_patch.rollback }}"
    reboot: true
"""

RETURN = r"""
layer:
  description: Always V(windows).
  returned: always
  type: str
manager:
  description: Always V(windows_update) (an OS patch's record names its package manager the same way).
  returned: always
  type: str
changes:
  description:
    - Updates installed (O(state=patched), before null, after the update id and revision) or removed
      (O(state=rolled_back), before the id, after null); kind V(update), component the KB, advisories the KB and
      CVEs, severity the MSRC rating normalised, C(details) the update id, title, categories, C(classification)
      (the category of type UpdateClassification), C(msrc_severity) (the MSRC word) and C(release_date) (and for a
      removal C(method), C(wua) or C(dism)). In check mode what would change.
  returned: always
  type: list
  elements: dict
pending:
  description: Selected updates not installed - the scan result, the pre-staged updates, or what is left after the last round.
  returned: always
  type: list
  elements: dict
reboot_required:
  description: The host's pending-reboot flag (WUA C(ISystemInformation.RebootRequired)) after the run.
  returned: always
  type: bool
rollback:
  description:
    - C(strategy=kb) with C(data) - C(manager) V(windows_update), C(kbs) (the KBs a rollback removes), C(updates)
      (KB -> C(id), C(package_identity), C(method) V(wua) or V(dism)) and C(not_uninstallable) (KBs neither WUA
      nor DISM can remove); C(strategy=none) when nothing was installed. Pass it whole to O(rollback).
  returned: always
  type: dict
simulated:
  description: True in check mode (RV(changes) is a forecast).
  returned: always
  type: bool
state:
  description: The O(state) the task ran.
  returned: always
  type: str
rounds:
  description:
    - One entry per install round - C(round), C(selected), C(installed), C(failed) (KB ids), C(resumed) (the
      connection dropped during the install and the outcome was read from the history), C(rebooted).
  returned: always
  type: list
  elements: dict
rebooted:
  description: How many times the task rebooted the host.
  returned: always
  type: int
filtered:
  description: Updates the search found but the selection left out, each with C(id), C(kb), C(title) and C(reason).
  returned: always
  type: list
  elements: dict
downloaded:
  description: KBs downloaded by this task (O(state=downloaded)); in check mode those that would be.
  returned: always
  type: list
  elements: str
installed:
  description:
    - O(state=scanned) with O(update_ids) - which of those ids the host has installed, each with C(id), C(kb) and
      C(pending_reboot) (the rollout's postcheck reads it).
  returned: state is scanned and update_ids is set
  type: list
  elements: dict
failed_updates:
  description: One message per failure - the update, the operation, the result and the HRESULT with its meaning.
  returned: always
  type: list
  elements: str
diff:
  description: KBs with update ids before and after (with C(--diff)).
  returned: with --diff
  type: dict
"""
