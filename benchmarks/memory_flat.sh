#!/usr/bin/env bash
# Resident memory stays flat in the message count: peak RSS of `delivsim run` at 10^6 and
# 10^9 messages (the second takes about a minute on two cores).
#   benchmarks/memory_flat.sh [path/to/delivsim]
set -euo pipefail
cli=${1:-build/delivsim}
for n in 1000000 1000000000; do
  /usr/bin/time -f "%M %e" -o /tmp/delivsim_rss.$$ "$cli" run --messages "$n" --threads 2 --quiet > /dev/null
  read -r rss secs < /tmp/delivsim_rss.$$
  printf "messages %12d  peak RSS %8d KiB  wall %7.2f s  (%.1f M msg/s)\n" "$n" "$rss" "$secs" \
    "$(awk -v n="$n" -v s="$secs" 'BEGIN { print (s > 0 ? n / s / 1e6 : 0) }')"
done
rm -f /tmp/delivsim_rss.$$
