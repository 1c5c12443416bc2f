"""An in-memory package manager for runner and module tests (the real backends are exercised in the lab)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError, update


class FakeBackend:
    name = "apt"
    strategy = "packages"
    locks = ()

    def __init__(
        self,
        installed,
        available,
        advisories=None,
        held=(),
        reboot_names=(),
        fail=(),
        unknown=(),
        problems=(),
        depends=None,
        fail_unchanged=(),
    ):
        self.state = dict(installed)
        self.available = {n: list(v) for n, v in available.items()}  # name -> versions, newest last
        self.advisories = advisories or {}
        self._held = set(held)
        self.reboot_pkgs = []
        self.reboot_names_set = set(reboot_names)
        self.fail = set(fail)
        self.unknown = set(unknown)  # names whose advisories could not be read
        self.problem_list = list(problems)  # broken package state until repair()
        self.depends = depends or {}  # name -> {dependency: version} pulled in with it
        self.fail_unchanged = set(fail_unchanged)  # apply fails and leaves these half-configured at their version
        self.half = set()
        self.calls = []

    def refresh(self):
        self.calls.append("refresh")

    def installed(self):
        return dict(self.state)

    def held(self):
        return set(self._held)

    def broken(self):
        return set(self.half)

    def problems(self, ignore=()):
        return [p for p in self.problem_list if not any(name in p for name in ignore)]

    def repair(self):
        self.calls.append("repair")
        self.problem_list = []
        return ["dpkg --configure -a"]

    def updates(self, installed):
        found = []
        for name, current in sorted(installed.items()):
            versions = self.available.get(name, [])
            if versions and versions[-1] != current:
                ids, severity, security = self.advisories.get(name, ([], None, False))
                found.append(
                    update(
                        name,
                        current,
                        versions[-1],
                        advisories=ids,
                        severity=severity,
                        security=security,
                        held=name in self._held,
                        advisory_data="unknown" if name in self.unknown else "changelog",
                    )
                )
        return found

    def missing(self, versions):
        return [(n, v) for n, v in sorted(versions.items()) if v is not None and v not in self.available.get(n, [])]

    def _with_depends(self, targets):
        full = dict(targets)
        for name in targets:
            full.update(self.depends.get(name, {}))
        return full

    def simulate(self, targets):
        return {n: (self.state.get(n), v) for n, v in self._with_depends(targets).items()}

    def apply(self, targets):
        self.calls.append(("apply", dict(targets)))
        if self.fail_unchanged & set(targets):
            self.half |= self.fail_unchanged & set(targets)
            raise PackagesError("apt-get install failed (rc 100): E: dpkg was interrupted")
        targets = self._with_depends(targets)
        failed = []
        for name, version in sorted(targets.items()):
            if name in self.fail:
                failed.append(name)
                continue
            if version is None:
                self.state.pop(name, None)
            else:
                self.state[name] = version
            if name in self.reboot_names_set:
                self.reboot_pkgs.append(name)
        if failed:
            raise PackagesError(f"apt-get install failed: {', '.join(failed)} script failed")

    def restore(self, versions, data=None):
        self.calls.append(("restore", dict(versions)))
        self.fail = set()
        self.apply(versions)

    def reboot_state(self):
        return bool(self.reboot_pkgs), list(self.reboot_pkgs)

    def reboot_packages(self):
        return list(self.reboot_pkgs)
