"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test creates its virtual environments without pip and then runs
``~/.ansible/test/cache/get_pip_<version>.py`` (normally fetched from the Ansible CI
file server, which is not reachable from every machine) as a script:

    python get_pip_24_2.py --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel

(it is executed through ansible-test's quiet_pip.py with ``runpy``, so ``sys.executable``
is the new virtual environment's python). This stand-in does the same job with the
standard library and the configured package index: ``ensurepip`` puts the bundled pip
into the environment, then that pip installs the requested packages.
scripts/setup.sh copies it into ansible-test's cache under every version name needed.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

# get-pip.py options that are not pip-install options.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    requested = sys.argv[1:]
    pip_args = [arg for arg in requested if arg not in GET_PIP_ONLY]
    had_setuptools = importlib.util.find_spec("setuptools") is not None
    python = sys.executable
    if importlib.util.find_spec("pip") is None:
        # ensurepip also installs setuptools on Python < 3.12: remove it below if not wanted.
        subprocess.run([python, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([python, "-m", "pip", "install", "--quiet", *pip_args], check=True)
    if "--no-setuptools" in requested and not had_setuptools:
        check = subprocess.run([python, "-m", "pip", "show", "--quiet", "setuptools"], check=False, capture_output=True)
        if check.returncode == 0:
            subprocess.run([python, "-m", "pip", "uninstall", "--quiet", "--yes", "setuptools"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
