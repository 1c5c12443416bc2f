#!/usr/bin/env bash
# Prepare this machine and checkout for `make demo` / `make test`. Idempotent; silent when there is
# nothing to do.
#
# Usage: scripts/setup.sh [PYTHON] [VENV]      (defaults: python3 .venv; VENV is relative to the repo)
#
#   1. apt-get install the Debian/Ubuntu packages listed in scripts/apt-packages.txt
#      (apt is not touched at all when they are all installed already);
#   2. create the virtualenv VENV with PYTHON and pip install requirements-dev.txt into it
#      (again only when requirements*.txt changed since the last install: hash stamp in the venv);
#   3. install the collections of requirements.yml (if any) into .collections/;
#   4. make .collections/ansible_collections/everylayer/patch point at the repository;
#   5. put an offline pip bootstrap stand-in into ansible-test's cache (see get_pip_standin.py).
#   6. install third-party test peers into their own cached virtualenvs (lab/peers/; once).
set -euo pipefail

python=${1-python3}
venv=${2:-.venv}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ $venv == /* ]] || venv=$repo/$venv
cd "$repo"

say() { echo "setup: $*"; }
die() {
    echo "setup: $*" >&2
    exit 2
}

# --- 0. where we are -------------------------------------------------------------------------
[[ $(uname -s) == Linux ]] || die "this needs Linux (Debian 12 or Ubuntu 22.04+); found $(uname -s)."
[[ $(id -u) == 0 ]] || die "this needs root (it installs Debian packages and the lab mounts chroots); run it as root, e.g. 'sudo make test'."

# --- 1. Debian packages ----------------------------------------------------------------------
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' scripts/apt-packages.txt | grep -v '^$' | sort -u)
if ((${#wanted[@]})); then
    if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
        die "apt-get/dpkg-query not found: this needs Debian or Ubuntu, or these packages installed by hand: ${wanted[*]}"
    fi
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${wanted[@]}" 2>/dev/null | awk '$2 == "installed" {print $1}' || true)
    missing=()
    for pkg in "${wanted[@]}"; do
        grep -qxF "$pkg" <<<"$installed" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        say "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

# --- 2. virtualenv -----------------------------------------------------------------------------
[[ -n $python ]] || die "no Python interpreter given (for .venv-py3XX: set PY3XX=/path/to/python3.XX or install it with pyenv)."
command -v "$python" >/dev/null || die "Python interpreter '$python' not found (set PYTHON=/path/to/python3.11+)."
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "'$python' is Python $("$python" -c 'import platform; print(platform.python_version())'); ansible-core 2.19 needs Python 3.11 or newer (set PYTHON=...)."
if [[ -d $venv ]] && ! "$venv/bin/python" -c '' 2>/dev/null; then
    say "virtualenv $venv is broken (its python does not run): recreating it"
    rm -rf "$venv"
fi
if [[ ! -x $venv/bin/python ]]; then
    say "creating virtualenv $venv with $python"
    "$python" -m venv "$venv" ||
        die "'$python -m venv' failed: on Debian/Ubuntu install python3-venv (it is in scripts/apt-packages.txt)."
fi
stamp=$venv/.everylayer-requirements.sha256
wanted_hash=$(cat requirements.txt requirements-dev.txt <("$venv/bin/python" -V) | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$wanted_hash" ]]; then
    say "installing Python requirements into $venv (requirements-dev.txt)"
    "$venv/bin/python" -m pip install -qq --disable-pip-version-check -r requirements-dev.txt
    echo "$wanted_hash" >"$stamp"
fi

# --- 3. collections the project depends on -----------------------------------------------------
if grep -qE '^[[:space:]]*-[[:space:]]*(name:)?[[:space:]]*[a-z0-9_]+\.[a-z0-9_]+' requirements.yml; then
    coll_stamp=.collections/.requirements.sha256
    coll_hash=$(sha256sum requirements.yml | cut -d' ' -f1)
    if [[ ! -f $coll_stamp || $(cat "$coll_stamp") != "$coll_hash" ]]; then
        say "installing collections from requirements.yml into .collections/"
        mkdir -p .collections
        "$venv/bin/ansible-galaxy" collection install --upgrade -r requirements.yml -p .collections >/dev/null
        echo "$coll_hash" >"$coll_stamp"
    fi
fi

# --- 4. the collection itself, importable as ansible_collections.everylayer.patch -------------
link=.collections/ansible_collections/everylayer/patch
if [[ $(readlink "$link" 2>/dev/null) != ../../.. ]]; then
    mkdir -p "$(dirname "$link")"
    rm -rf "$link"
    ln -s ../../.. "$link"
fi

# --- 5. ansible-test's pip bootstrap, offline ---------------------------------------------------
# ansible-test runs ~/.ansible/test/cache/get_pip_<pip version>.py; the pip version comes from
# ansible_test/_internal/python_requirements.py (24.2 for core 2.19, 25.2 for core 2.21).
cache=$HOME/.ansible/test/cache
versions=("24.2" "25.2")
for other in "$repo"/.venv*/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py; do
    [[ -f $other ]] || continue
    mapfile -t -O "${#versions[@]}" versions < <(grep -oP "^\s*pip='\K[0-9.]+(?=')" "$other")
done
mkdir -p "$cache"
for version in $(printf '%s\n' "${versions[@]}" | sort -u); do
    target=$cache/get_pip_${version//./_}.py
    cmp -s scripts/get_pip_standin.py "$target" || cp scripts/get_pip_standin.py "$target"
done

# --- 6. third-party test peers, each in its own cached virtualenv (lab/peers/; silent when done) ---
"$venv/bin/python" -m lab.peers.sushy install
"$venv/bin/python" -m lab.peers.fake_switches install
