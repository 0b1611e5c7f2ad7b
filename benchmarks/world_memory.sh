#!/usr/bin/env bash
# World memory follows the world's state, not the message count: peak RSS of `delivsim world`
# on the benchmark world (benchmarks/world_campaigns.json, 10^5 recipients) over 10 and 30
# simulated days (10^7 and 3*10^7 messages), and with 10x the recipients (10^6) over 10 days.
#   benchmarks/world_memory.sh [path/to/delivsim]
set -euo pipefail
cli=${1:-build/delivsim}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
w = json.load(open("benchmarks/world_campaigns.json"))
w10 = json.loads(json.dumps(w))
w10["duration_s"] = 10 * 86400
for s in w10["senders"]:
    s["schedule"] = [c for c in s["schedule"] if c["at_s"] < 10 * 86400]
json.dump(w10, open(f"{d}/days10.json", "w"))
json.dump(w, open(f"{d}/days30.json", "w"))
big = json.loads(json.dumps(w10))
for l in big["lists"]:
    l["recipients"] *= 10
json.dump(big, open(f"{d}/recipients1e6.json", "w"))
PY
for f in days10 days30 recipients1e6; do
  /usr/bin/time -f "%M %e" -o "$dir/t" "$cli" world "$dir/$f.json" --threads 1 --json "$dir/out.json" > /dev/null
  read -r rss secs < "$dir/t"
  n=$(/usr/bin/python3 -c "import json; print(json.load(open('$dir/out.json'))['messages'])")
  printf "%-14s messages %10d  peak RSS %8d KiB  wall %6.2f s  (%.2f M msg/s)\n" "$f" "$n" "$rss" "$secs" \
    "$(awk -v n="$n" -v s="$secs" 'BEGIN { print (s > 0 ? n / s / 1e6 : 0) }')"
done
