#!/usr/bin/env bash
# run.sh — the fault and attack suite: each run in tests/faults/ in turn (the server killed,
# PostgreSQL stopped, slow or out of WAL space, the server's clock stepped, a lossy network,
# the attacks, the per-machine check-in limit against a day's backlog and a flood, a handshake
# flood), each against a database of its own, then (full form only) the faults against a
# cluster (cluster.sh), then one table of their figures. Every run stops by itself.
#   tests/faults/run.sh [--short] [--results FILE]
# --short is the form CI runs (ctest: faults-short), about 4.5 minutes; without it the runs are
# longer, with more machines, more faults and a bigger flood. Needs DATABASE_URL and
# WELDREG_BUILD_DIR (./dev faults sets both). Exit status 1 if any run failed.
set -euo pipefail

WF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
export WF_SHORT=0
results=""
while (($#)); do
    case "$1" in
    --short) WF_SHORT=1 ;;
    --results) results=${2:?--results needs a file} && shift ;;
    -h | --help) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' && exit 0 ;;
    *) echo "run.sh: unknown option \"$1\"" >&2 && exit 2 ;;
    esac
    shift
done
WF_RESULTS=${results:-$(mktemp "${TMPDIR:-/tmp}/weldreg-faults.XXXXXX")}
export WF_RESULTS
: >"$WF_RESULTS"

# each run's output is kept, so that why a run failed is repeated at the end, where a reader of
# a long log (CI shows its tail) finds it
logs=$(mktemp -d "${TMPDIR:-/tmp}/weldreg-faults-logs.XXXXXX")
failed=()
for run in run-kill run-pgstop run-slowdb run-diskfull run-clock run-lossy attacks run-pace \
    run-flood; do
    printf '==> %s\n' "$run"
    start=$SECONDS
    bash "$WF_DIR/$run.sh" 2>&1 | tee "$logs/$run.log" || failed+=("$run")
    printf '==> %s: %s s\n' "$run" $((SECONDS - start))
done
# the faults against ./dev cluster, full form (CI runs the short one as faults-cluster-short);
# skipped (77) without root or network namespaces
if ((!WF_SHORT)); then
    printf '==> cluster\n'
    start=$SECONDS rc=0
    bash "$WF_DIR/cluster.sh" || rc=$?
    ((rc == 0 || rc == 77)) || failed+=(cluster)
    printf '==> cluster: %s s\n' $((SECONDS - start))
fi

printf '\nresults (%s):\n' "$WF_RESULTS"
sed 's/^result /  /' "$WF_RESULTS"
[[ -n $results ]] || rm -f "$WF_RESULTS"
if ((${#failed[@]})); then
    for run in "${failed[@]}"; do
        printf '\n%s failed; its last lines:\n' "$run" >&2
        tail -n 12 "$logs/$run.log" | sed 's/^/  /' >&2
    done
    rm -rf "$logs"
    printf 'FAILED: %s\n' "${failed[*]}" >&2
    exit 1
fi
rm -rf "$logs"
echo "all fault and attack runs passed"
