#!/usr/bin/env bash
# Run `ansible-test sanity` on this checkout.
#
# ansible-test only works from a tree laid out as ansible_collections/<namespace>/<name>/ and
# refuses symlinks, so this copies the files git knows about (tracked, plus untracked files that
# are not ignored) into such a tree and runs ansible-test there.
# Not copied: lab/, benchmarks/, scripts/, .ci/, extensions/molecule/ and tests/ except tests/sanity/. They are not part of
# the built collection (galaxy.yml build_ignore) and are checked by ruff and pytest instead.
#
# The tree is kept under ~/.cache/everylayer-sanity/ (outside the checkout: inside a git work tree
# ansible-test would list files with git and find none) so that ansible-test's delegation virtualenv
# survives between runs; a re-run then takes seconds. A second concurrent run for the same checkout
# uses a throw-away tree in a temporary directory instead of waiting.
#
# Usage: scripts/sanity.sh [ansible-test sanity options...]   e.g. scripts/sanity.sh --test validate-modules
# Environment: VENV (default .venv) selects the virtualenv whose ansible-test and python are used.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-.venv}
[[ $venv == /* ]] || venv=$repo/$venv
if [[ ! -x $venv/bin/ansible-test ]]; then
    echo "sanity.sh: $venv/bin/ansible-test not found; run 'make setup' first" >&2
    exit 2
fi
python_version=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# One persistent tree per virtualenv (the delegation venv inside it belongs to that python).
checkout_id=$(printf '%s' "$repo" | sha256sum | cut -c1-12)
work=${XDG_CACHE_HOME:-$HOME/.cache}/everylayer-sanity/$checkout_id/$(basename "$venv")
mkdir -p "$work"
exec 9>"$work.lock"
if ! flock -n 9; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/everylayer-sanity.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
tree=$work/ansible_collections/everylayer/patch
mkdir -p "$tree/tests"

# Empty the tree except ansible-test's own output (which holds the cached delegation venv).
find "$tree" -mindepth 1 -maxdepth 1 ! -name tests -exec rm -rf {} +
find "$tree/tests" -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} +

# The file list: NUL-separated; without what is not part of the collection and without tracked
# files that were deleted in the working tree.
cd "$repo"
files=$work/files
git ls-files -co --exclude-standard -z \
    | grep -zvE '^(lab|benchmarks|scripts|\.ci|extensions/molecule)/|^tests/' \
    | while IFS= read -r -d '' path; do
        if [[ -e $path || -L $path ]]; then printf '%s\0' "$path"; fi
    done >"$files"
git ls-files -co --exclude-standard -z -- tests/sanity \
    | while IFS= read -r -d '' path; do
        if [[ -e $path ]]; then printf '%s\0' "$path"; fi
    done >>"$files"
tar --null --files-from="$files" -cf - | tar -xf - -C "$tree"
rm -f "$files"

# The target-side tests (compile, import) run on every Python that this ansible-test supports for
# managed hosts and that is installed (scripts/find-python.sh: PYXY, pythonX.Y on PATH, pyenv), so
# that module code is checked on 3.8 too. ansible-test finds them as pythonX.Y on PATH: link them
# into one directory and drop pyenv's shims, which answer for versions that are not active.
# SANITY_ALL_PYTHONS=0 restricts everything to the venv's Python.
pythons=$work/pythons
rm -rf "$pythons"
mkdir -p "$pythons"
python_args=(--python "$python_version")
if [[ ${SANITY_ALL_PYTHONS:-1} == 1 ]]; then
    python_args=()
    for version in $("$venv/bin/python" -c 'from ansible_test._util.target.common.constants import REMOTE_ONLY_PYTHON_VERSIONS as r, CONTROLLER_PYTHON_VERSIONS as c; print(*r, *c)'); do
        if found=$(scripts/find-python.sh "$version" 2>/dev/null); then
            ln -s "$found" "$pythons/python$version"
        fi
    done
fi
search_path=$venv/bin:$pythons
IFS=: read -r -a path_entries <<<"$PATH"
for entry in "${path_entries[@]}"; do
    [[ $entry == */shims ]] || search_path+=:$entry
done

cd "$tree"
# --venv: ansible-test makes (and caches under ~/.ansible/test/venv) one virtualenv per sanity
# test and Python with the exact tool versions it expects; the project's venv is never altered.
PATH=$search_path "$venv/bin/ansible-test" sanity --venv "${python_args[@]}" --color no "$@"
