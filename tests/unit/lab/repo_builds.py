"""Small package repositories built for the lab's unit tests (the real build tools, a tiny manifest)."""

from __future__ import annotations

import shutil

import pytest

from lab import repos

TOOLS = ("dpkg-deb", "apt-ftparchive", "rpmbuild", "createrepo_c", "modifyrepo_c")


def require_tools() -> None:
    """Fail (never skip) when a repository build tool is missing."""
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing:
        pytest.fail(f"missing build tools {missing}: apt-get install dpkg-dev apt-utils rpm createrepo-c")


def build_small(tmp_path_factory, name: str, manifest_text: str):
    """(RepoSet, manifest path) of ``manifest_text`` built under a fresh cache dir named ``name``."""
    require_tools()
    tmp = tmp_path_factory.mktemp(name)
    manifest = tmp / "manifest.yml"
    manifest.write_text(manifest_text)
    return repos.build(tmp / "cache", manifest), manifest
