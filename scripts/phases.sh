#!/usr/bin/env bash
# Run make targets as timed phases and print a summary; used by `make test` and `make test-matrix`.
#
# Usage: scripts/phases.sh TARGET...   (each TARGET may carry make variables: "units VENV=.venv-py312")
#
# Every phase runs even when an earlier one failed (one run shows every failure), except:
# nothing runs after a failed `setup`, and `integration` is not started when `lab-up` failed.
# Exit status: 0 when every phase passed, 1 otherwise.
set -uo pipefail

make_cmd=${MAKE:-make}
declare -a names=() results=() seconds=()
failed=0
setup_failed=0
lab_failed=0

now() { date +%s.%N; }

for phase in "$@"; do
    read -r -a words <<<"$phase"
    target=${words[0]}
    if ((setup_failed)) || { [[ $target == integration* ]] && ((lab_failed)); }; then
        names+=("$phase") results+=("NOT RUN") seconds+=("-")
        failed=1
        continue
    fi
    echo "=== phase: $phase"
    start=$(now)
    "$make_cmd" --no-print-directory "${words[@]}"
    rc=$?
    elapsed=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
    if ((rc == 0)); then
        result=ok
    else
        result="FAILED (exit $rc)"
        failed=1
        [[ $phase == setup ]] && setup_failed=1
        [[ $target == lab-up ]] && lab_failed=1
    fi
    echo "=== phase: $phase: $result in ${elapsed} s"
    names+=("$phase") results+=("$result") seconds+=("$elapsed")
done

echo
echo "=== summary"
for i in "${!names[@]}"; do
    printf '%-34s %10s s  %s\n' "${names[$i]}" "${seconds[$i]}" "${results[$i]}"
done
exit "$failed"
