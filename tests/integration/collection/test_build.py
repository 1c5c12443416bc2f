"""The built collection: `ansible-galaxy collection build` makes a tarball that holds what users need,
nothing of the development setup, installs with `ansible-galaxy collection install`, and Ansible
then finds its plugins. No lab needed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow

# Shipped directories: every file under them in the checkout must be in the tarball.
SHIPPED_TREES = ("plugins", "roles", "playbooks", "meta", "docs", "schemas")
REQUIRED_FILES = {
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "LICENSE",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "requirements.txt",
    "requirements.yml",
    "bindep.txt",
    "changelogs/config.yaml",
    "changelogs/changelog.yaml",
}
# Development-only content (galaxy.yml build_ignore); tests/ may only contribute tests/sanity/.
FORBIDDEN_PREFIXES = (
    "lab/",
    "benchmarks/",
    "scripts/",
    ".ci/",
    "extensions/ee/",
    "extensions/molecule/",
    ".venv",
    ".collections/",
    ".ansible/",
    ".cache/",
    ".git/",
    ".pytest_cache/",
    ".ruff_cache/",
    "inventories/lab/generated/",
    "playbooks/backups/",
    "reports/",
)
FORBIDDEN_FILES = {
    "Makefile",
    "ansible.cfg",
    "pytest.ini",
    "ruff.toml",
    ".ansible-lint",
    ".gitignore",
    "requirements-dev.txt",
    "galaxy.yml",
}


def _tool(name: str) -> str:
    """The Ansible CLI next to the running Python (the project venv), else on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found next to {sys.executable} or on PATH: run `make setup`")
    return found


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> str:
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def ansible_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment isolated from the checkout's ansible.cfg, ~/.ansible and installed collections."""
    home = tmp_path_factory.mktemp("ansible-home")
    config = home / "ansible.cfg"
    config.write_text("[defaults]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_HOME=str(home),
        ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
        ANSIBLE_COLLECTIONS_PATH=str(home / "collections"),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_NOCOLOR="1",
    )
    return env


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory, ansible_env: dict[str, str]) -> Path:
    out = tmp_path_factory.mktemp("build")
    _run([_tool("ansible-galaxy"), "collection", "build", "--output-path", str(out), str(REPO)], ansible_env, out)
    built = sorted(out.glob("everylayer-patch-*.tar.gz"))
    assert len(built) == 1, f"expected one everylayer-patch-*.tar.gz in {out}, found {os.listdir(out)}"
    return built[0]


@pytest.fixture(scope="module")
def members(tarball: Path) -> set[str]:
    with tarfile.open(tarball) as archive:
        return {m.name.removeprefix("./") for m in archive.getmembers() if m.isfile()}


def _checkout_files(tree: str) -> set[str]:
    """Files under tree that git would track (untracked-but-ignored output such as backups excluded)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "--", tree],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return {path for path in listed if (REPO / path).is_file()}


def test_tarball_holds_what_users_need(members: set[str]) -> None:
    missing = REQUIRED_FILES - members
    for tree in SHIPPED_TREES:
        missing |= _checkout_files(tree) - members
    assert not missing, f"missing from the built collection: {sorted(missing)}"


def test_tarball_leaves_out_development_files(members: set[str]) -> None:
    unwanted = sorted(
        name
        for name in members
        if name.startswith(FORBIDDEN_PREFIXES)
        or name in FORBIDDEN_FILES
        or (name.startswith("tests/") and not name.startswith("tests/sanity/"))
        or "__pycache__" in name.split("/")
        or name.endswith((".pyc", ".tar.gz"))
    )
    assert not unwanted, f"development files in the built collection (add them to galaxy.yml build_ignore): {unwanted}"


def test_manifest_matches_galaxy_yml(tarball: Path) -> None:
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))["collection_info"]
    assert (manifest["namespace"], manifest["name"]) == ("everylayer", "patch")
    assert manifest["version"] == galaxy["version"]
    assert tarball.name == f"everylayer-patch-{galaxy['version']}.tar.gz"
    assert manifest["license"] == galaxy["license"]


def test_installed_collection_is_seen_by_ansible(tarball: Path, ansible_env: dict[str, str]) -> None:
    dest = Path(ansible_env["ANSIBLE_COLLECTIONS_PATH"])
    cwd = tarball.parent
    galaxy = _tool("ansible-galaxy")
    _run([galaxy, "collection", "install", "--force", "-p", str(dest), str(tarball)], ansible_env, cwd)
    installed = dest / "ansible_collections" / "everylayer" / "patch"
    assert (installed / "MANIFEST.json").is_file()

    listed = json.loads(
        _run([galaxy, "collection", "list", "everylayer.patch", "-p", str(dest), "--format", "json"], ansible_env, cwd)
    )
    versions = {info["version"] for by_name in listed.values() for info in by_name.values()}
    assert versions == {yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]}, listed

    modules = sorted(
        f"everylayer.patch.{path.stem}"
        for path in (REPO / "plugins" / "modules").glob("*.py")
        if path.stem != "__init__"
    )
    assert modules, "no modules in plugins/modules"
    doc_list = json.loads(
        _run([_tool("ansible-doc"), "-t", "module", "-l", "everylayer.patch", "--json"], ansible_env, cwd)
    )
    assert sorted(doc_list) == modules

    docs = json.loads(_run([_tool("ansible-doc"), "-t", "module", "--json", *modules], ansible_env, cwd))
    for name in modules:
        filename = Path(docs[name]["doc"]["filename"])
        assert filename.is_relative_to(installed), f"{name} documented from {filename}, not from the installed copy"
