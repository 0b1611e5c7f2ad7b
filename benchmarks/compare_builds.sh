#!/usr/bin/env bash
# Two builds of the command-line program timed against each other in adjacent pairs, for a
# machine whose speed drifts from minute to minute (a shared virtual machine): each pair runs
# both programs one right after the other, alternating which goes first, and the figure is
# the median of the pairs' ratios, NEW / OLD (below 1: NEW is faster).
#
#   benchmarks/compare_builds.sh OLD_CLI NEW_CLI [ARGS...]
#
# ARGS are the program's arguments (default: the campaigns world on one thread,
# `world benchmarks/world_campaigns.json -t 1 -q`). With `-t 1` in ARGS the figure is CPU time
# (user + system) and, when taskset exists, both programs run on the same CPU; otherwise wall
# clock. Environment: PAIRS (default 8).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 OLD_CLI NEW_CLI [ARGS...]" >&2; exit 2; }
old=$1 new=$2
shift 2
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(world "$here/benchmarks/world_campaigns.json" -t 1 -q)
pairs=${PAIRS:-8}
for b in "$old" "$new"; do [ -x "$b" ] || { echo "compare_builds.sh: $b is not an executable" >&2; exit 2; }; done
[ -x /usr/bin/time ] || { echo "compare_builds.sh: /usr/bin/time is needed (Debian package time)" >&2; exit 2; }
one_thread=0
for ((k = 0; k + 1 < ${#args[@]}; ++k)); do
    if [ "${args[k]}" = -t ] && [ "${args[k + 1]}" = 1 ]; then one_thread=1; fi
done
pin=()
if [ $one_thread = 1 ] && command -v taskset >/dev/null; then pin=(taskset -c "$(($(nproc) - 1))"); fi

# Seconds of one run: CPU time on one thread, wall clock otherwise.
seconds() {
    local out
    out=$({ /usr/bin/time -f "%e %U %S" "${pin[@]}" "$1" "${args[@]}" >/dev/null; } 2>&1 | tail -1)
    if [ $one_thread = 1 ]; then awk '{print $2 + $3}' <<<"$out"; else awk '{print $1}' <<<"$out"; fi
}

echo "OLD $old"
echo "NEW $new"
echo "args: ${args[*]}; $([ $one_thread = 1 ] && echo "CPU time${pin:+, pinned}" || echo "wall clock"); load $(cut -d' ' -f1-3 /proc/loadavg)"
ratios=()
for ((i = 1; i <= pairs; ++i)); do
    if ((i % 2)); then t_old=$(seconds "$old"); t_new=$(seconds "$new")
    else t_new=$(seconds "$new"); t_old=$(seconds "$old"); fi
    r=$(awk -v a="$t_old" -v b="$t_new" 'BEGIN { printf "%.3f", b / a }')
    ratios+=("$r")
    echo "pair $i: OLD $t_old s, NEW $t_new s, NEW / OLD $r"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ r[NR] = $1 } END {
    m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
    printf "median NEW / OLD over %d pairs: %.3f (range %.3f-%.3f)\n", NR, m, r[1], r[NR] }'
