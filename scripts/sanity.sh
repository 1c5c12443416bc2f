#!/usr/bin/env bash
# Run `ansible-test sanity` on this checkout.
#
# ansible-test only works from a tree laid out as ansible_collections/<namespace>/<name>/ and
# refuses symlinks, so this copies the files git knows about (tracked, plus untracked files that
# are not ignored) into such a tree and runs ansible-test there.
# Not copied: lab/, benchmarks/, scripts/, .ci/ and tests/ except tests/sanity/. They are not part of
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
    | grep -zvE '^(lab|benchmarks|scripts|\.ci)/|^tests/' \
    | while IFS= read -r -d '' path; do
        if [[ -e $path || -L $path ]]; then printf '%s\0' "$path"; fi
    done >"$files"
git ls-files -co --exclude-standard -z -- tests/sanity \
    | while IFS= read -r -d '' path; do
        if [[ -e $path ]]; then printf '%s\0' "$path"; fi
    done >>"$files"
tar --null --files-from="$files" -cf - | tar -xf - -C "$tree"
rm -f "$files"

cd "$tree"
# --venv: ansible-test makes (and caches under ~/.ansible/test/venv) one virtualenv per sanity
# test with the exact tool versions it expects; the project's venv is never altered.
PATH=$venv/bin:$PATH "$venv/bin/ansible-test" sanity --venv --python "$python_version" --color no "$@"
