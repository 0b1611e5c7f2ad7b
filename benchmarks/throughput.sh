#!/usr/bin/env bash
# Whole-process throughput, as a user sees it: every figure is a complete program run
# (start-up, scenario load, simulation, report), timed from outside with /usr/bin/time.
#
#   benchmarks/throughput.sh [BUILD_DIR]            (default: build)
#
# Prints, for each measure, the median over REPEATS runs taken in interleaved order (so that a
# change of machine load falls on every measure alike), both by wall-clock time and by CPU
# time (user + system: what the process itself used, less sensitive to other processes on a
# shared machine). The load average is printed next to every figure.
#   R1, 1 thread and 2 threads     delivsim run -n $MESSAGES
#   compare K=1, K=4 / plain run   Python: delivsim.compare against delivsim.run on the same
#                                  messages of examples/scenarios/r1_content_features.json
#                                  (needs $PYTHON with the delivsim package; skipped otherwise)
#   world campaigns, 1 and 2 threads  delivsim world benchmarks/world_campaigns.json
# Environment: MESSAGES (default 20000000), COMPARE_MESSAGES (2000000), REPEATS (5),
# PYTHON (default .venv/bin/python if present, else python3), DELIVSIM_SIMD (scalar, avx2 or
# avx512: the Philox path; default the widest the CPU has).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
cli=$build/delivsim
messages=${MESSAGES:-20000000}
compare_messages=${COMPARE_MESSAGES:-2000000}
repeats=${REPEATS:-5}
python=${PYTHON:-$([ -x "$here/.venv/bin/python" ] && echo "$here/.venv/bin/python" || echo python3)}
world=$here/benchmarks/world_campaigns.json
[ -x "$cli" ] || { echo "throughput.sh: $cli not found (cmake --build $build --target delivsim_cli)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "throughput.sh: /usr/bin/time is needed (Debian package time)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# timed NAME CMD...: one run; appends "wall cpu" to $tmp/NAME.
timed() {
    local name=$1; shift
    /usr/bin/time -f "%e %U %S" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    awk '{printf "%s %.3f\n", $1, $2 + $3}' "$tmp/t" >>"$tmp/$name"
}
# report NAME COUNT LABEL: msg/s by median wall and median CPU time.
report() {
    local wall cpu
    wall=$(cut -d' ' -f1 "$tmp/$1" | median)
    cpu=$(cut -d' ' -f2 "$tmp/$1" | median)
    awk -v n="$2" -v w="$wall" -v c="$cpu" -v l="$3" -v load="$(load)" \
        'BEGIN {printf "%-34s %7.2fM msg/s wall (%.2f s)  %7.2fM msg/s CPU (%.2f s)  load %s\n", l, n / w / 1e6, w, n / c / 1e6, c, load}'
}
ratio() { awk -v a="$(cut -d' ' -f"$3" "$tmp/$1" | median)" -v b="$(cut -d' ' -f"$3" "$tmp/$2" | median)" 'BEGIN {printf "%.2f", a / b}'; }

echo "delivsim throughput, $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "Philox path: ${DELIVSIM_SIMD:-widest available}; $repeats interleaved runs each, medians"

# R1 ------------------------------------------------------------------------------------
for ((i = 0; i < repeats; i++)); do
    timed r1_t1 "$cli" run -n "$messages" -t 1 -q
    timed r1_t2 "$cli" run -n "$messages" -t 2 -q
done
report r1_t1 "$messages" "R1, 1 thread ($messages msgs)"
report r1_t2 "$messages" "R1, 2 threads"
echo "R1, 2 threads / 1 thread (wall): $(ratio r1_t1 r1_t2 1)x"

# Compare -------------------------------------------------------------------------------
if "$python" -c "import delivsim" 2>/dev/null; then
    cat >"$tmp/compare.py" <<'EOF'
import sys, time
import delivsim
kind, n = sys.argv[1], int(sys.argv[2])
s = delivsim.load_scenario(sys.argv[3])
pre = [{"type": "dnsbl"}, {"type": "size_limit", "max_bytes": 36000000}, {"type": "unknown_user"},
       {"type": "mailbox_quota", "full": 0.003, "mode": "permanent"}]
rules = {"type": "mailbox_rules", "by_class": {"N": {"delete": 0.04, "move": 0.15}}}
dmarc = {"type": "dmarc_disposition", "fail_reject": "reject", "fail_quarantine": "quarantine"}
strategies = {
    "own": None,  # the scenario's own chains: K=1 prices compare's bookkeeping alone
    "strict": pre + [dmarc, {"type": "content_filter", "dmarc_adjustment": {"none": 1.5}, "actions": [
        {"min_score": 12, "action": "reject"}, {"min_score": 4, "action": "spam_folder"}]}, rules],
    "lax": pre + [dmarc, {"type": "content_filter", "dmarc_adjustment": {"none": 1.5}, "actions": [
        {"min_score": 8, "action": "spam_folder"}]}, rules],
    "rspamd": pre + [{"type": "rspamd", "preset": "rspamd_default", "content_score": True}, rules],
}
if kind == "run":
    delivsim.run(s, messages=n, seed=1, threads=1)
else:
    k = int(kind[1:])
    delivsim.compare(s, dict(list(strategies.items())[:k]), messages=n, seed=1, threads=1)
EOF
    features=$here/examples/scenarios/r1_content_features.json
    for ((i = 0; i < repeats; i++)); do
        timed c_run "$python" "$tmp/compare.py" run "$compare_messages" "$features"
        timed c_k1 "$python" "$tmp/compare.py" k1 "$compare_messages" "$features"
        timed c_k4 "$python" "$tmp/compare.py" k4 "$compare_messages" "$features"
    done
    report c_run "$compare_messages" "plain run, R1+features, 1 thread"
    report c_k1 "$compare_messages" "compare K=1"
    report c_k4 "$compare_messages" "compare K=4"
    echo "compare K=1 / plain run: $(ratio c_k1 c_run 2)x CPU, $(ratio c_k1 c_run 1)x wall;" \
         "K=4 / plain run: $(ratio c_k4 c_run 2)x CPU, $(ratio c_k4 c_run 1)x wall"
else
    echo "compare: skipped ($python cannot import delivsim; set PYTHON)"
fi

# World ---------------------------------------------------------------------------------
for ((i = 0; i < repeats; i++)); do
    timed w_t1 "$cli" world "$world" -t 1 -q --json "$tmp/world.json"
    timed w_t2 "$cli" world "$world" -t 2 -q
done
world_messages=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['messages'])" "$tmp/world.json" 2>/dev/null || echo 0)
report w_t1 "$world_messages" "world campaigns, 1 thread ($world_messages msgs)"
report w_t2 "$world_messages" "world campaigns, 2 threads"
echo "world, 2 threads / 1 thread (wall): $(ratio w_t1 w_t2 1)x"
