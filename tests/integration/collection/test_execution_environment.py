"""The execution environment: `ansible-builder create` accepts extensions/ee/execution-environment.yml, the build
context holds the collection tarball and the pinned ansible-core/ansible-runner, and ansible-builder's
introspection of the installed collection finds its Python and system dependencies (meta/execution-environment.yml).
Building the image itself needs podman or docker, which these machines lack: docs/awx.md says so."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
EE = REPO / "extensions" / "ee"
pytestmark = pytest.mark.slow


def _tool(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else (shutil.which(name) or pytest.fail(f"{name} not found"))


def _run(argv: list[str], cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_HOME=str(cwd / ".ansible-home"), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's layout that the definition's relative paths expect, with a fresh tarball."""
    root = tmp_path_factory.mktemp("ee")
    shutil.copytree(EE, root / "extensions" / "ee")
    build = root / "tests" / "output" / "build"
    build.mkdir(parents=True)
    _run([_tool("ansible-galaxy"), "collection", "build", "--output-path", str(build), str(REPO)], root)
    return root


def test_definition_names_the_tarball_of_this_version() -> None:
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    definition = yaml.safe_load((EE / "execution-environment.yml").read_text())
    requirements = yaml.safe_load((EE / "requirements.yml").read_text())
    tarball = f"everylayer-patch-{version}.tar.gz"
    assert [Path(item["src"]).name for item in definition["additional_build_files"]] == [tarball]
    assert [Path(item["name"]).name for item in requirements["collections"]] == [tarball]
    # ansible-core and ansible-runner pinned to the ranges the collection is tested with (requirements-dev.txt).
    deps = definition["dependencies"]
    assert deps["ansible_core"]["package_pip"].startswith("ansible-core>=2.19,<")
    assert deps["ansible_runner"]["package_pip"] == "ansible-runner>=2.4,<2.5"


def test_ansible_builder_create_accepts_it(tree: Path) -> None:
    context = tree / "context"
    _run(
        [_tool("ansible-builder"), "create", "-f", "extensions/ee/execution-environment.yml", "-c", str(context)], tree
    )
    containerfile = next(context.glob("[CD]*file")).read_text()
    assert "ansible-core>=2.19" in containerfile
    assert "ansible-runner>=2.4,<2.5" in containerfile
    built = sorted(path.name for path in (context / "_build" / "collections").iterdir())
    assert built == [Path(yaml.safe_load((EE / "requirements.yml").read_text())["collections"][0]["name"]).name]


def test_introspection_finds_the_collections_dependencies(tree: Path) -> None:
    """What ansible-builder reads from the installed collection: requirements.txt and bindep.txt, by the meta file."""
    dest = tree / "collections"
    tarball = next((tree / "tests" / "output" / "build").glob("everylayer-patch-*.tar.gz"))
    _run([_tool("ansible-galaxy"), "collection", "install", "-p", str(dest), str(tarball)], tree)
    out = yaml.safe_load(_run([_tool("ansible-builder"), "introspect", str(dest)], tree))
    python = {line.split()[0] for line in out["python"]} if isinstance(out["python"], list) else set(out["python"])
    for wanted in ("netmiko", "pywinrm", "jmespath", "psycopg[binary]", "pynetbox"):
        assert any(entry.startswith(wanted) for entry in python), (wanted, out["python"])
    system = " ".join(out["system"])
    assert "openssh-client" in system and "libpq" in system
