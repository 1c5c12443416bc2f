#!/usr/bin/env bash
# Print the path of a Python X.Y interpreter, without machine-specific paths:
#   1. $PYXY (e.g. PY312=/opt/python3.12/bin/python3.12);
#   2. pythonX.Y on PATH (pyenv shims included, if they can actually run it);
#   3. the newest X.Y.* under `pyenv root`/versions.
# Usage: scripts/find-python.sh 3.12
set -euo pipefail

want=${1:?usage: find-python.sh X.Y}
var=PY${want//./}

works() { [[ -n $1 ]] && "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null; }

if [[ -n ${!var:-} ]]; then
    works "${!var}" || { echo "find-python: $var=${!var} is not a working Python $want" >&2; exit 1; }
    command -v "${!var}"
    exit 0
fi
if works "python$want"; then
    command -v "python$want"
    exit 0
fi
if command -v pyenv >/dev/null; then
    root=$(pyenv root)
    while IFS= read -r candidate; do
        if works "$candidate/bin/python$want"; then
            echo "$candidate/bin/python$want"
            exit 0
        fi
    done < <(find "$root/versions" -mindepth 1 -maxdepth 1 -name "$want.*" 2>/dev/null | sort -V -r)
fi
echo "find-python: no Python $want found: set $var=/path/to/python$want, put python$want on PATH or install it with pyenv" >&2
exit 1
