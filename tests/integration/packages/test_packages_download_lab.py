"""state: downloaded on the lab's apt, dnf and zypper hosts: check mode fetches nothing, the real run puts the
packages in the package manager's own cache and installs nothing, a re-run is no change, and the patch that follows
installs exactly the staged versions."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.change_record import validate
from packages_lab_driver import host_of, installed_versions, lab, lab_hosts, run_module

pytestmark = [pytest.mark.lab]

CACHE_GLOBS = {
    "apt": "var/cache/apt/archives/*.deb",
    "dnf": "var/cache/dnf/*/packages/*.rpm",
    "zypper": "var/cache/zypp/packages/**/*.rpm",
}


def cached(host) -> set[str]:
    return {p.name for p in Path(host["root"]).glob(CACHE_GLOBS[host["manager"]])}


@pytest.mark.parametrize("manager", ["apt", "dnf", "zypper"])
def test_downloaded_stages_without_installing_then_patched_installs_it(manager, tmp_path):
    if manager == "zypper" and not any(h["manager"] == "zypper" for h in lab_hosts().values()):
        pytest.skip("this lab has no zypper host (lab.repos.zypper_usable() said zypper does not work here)")
    host = host_of(manager, f"lab-{manager}-01")
    lab("reset", host["name"])
    try:
        baseline = installed_versions(host)
        before_cache = cached(host)
        check = validate(run_module(host["name"], {"state": "downloaded"}, tmp_path, check=True))
        assert not check.get("failed"), check["msg"]
        assert check["changed"] is True and check["changes"] == [] and check["simulated"] is True
        assert cached(host) == before_cache, "check mode downloaded something"
        staged = {d["name"]: d["version"] for d in check["downloaded"]}
        assert staged, check["msg"]

        real = validate(run_module(host["name"], {"state": "downloaded"}, tmp_path))
        assert not real.get("failed"), real["msg"]
        assert real["changed"] is True and real["changes"] == [] and real["rollback"]["strategy"] == "none"
        assert {d["name"]: d["version"] for d in real["downloaded"]} == staged
        new_files = cached(host) - before_cache
        assert all(any(f.startswith(f"{n}_") or f.startswith(f"{n}-") for f in new_files) for n in staged), new_files
        assert installed_versions(host) == baseline, "downloaded installed something"

        again = validate(run_module(host["name"], {"state": "downloaded"}, tmp_path))
        assert again["changed"] is False and not any(d["fetched"] for d in again["downloaded"]), again["msg"]

        patch = validate(
            run_module(host["name"], {"state": "patched", "manifest": staged, "update_cache": False}, tmp_path)
        )
        assert not patch.get("failed"), patch["msg"]
        after = installed_versions(host, sorted(staged))
        assert after == staged
    finally:
        lab("reset", host["name"])
