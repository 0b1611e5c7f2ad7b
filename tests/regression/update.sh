#!/usr/bin/env bash
# Regenerates the stored regression results. Run it only when a change is meant to alter the
# draws or the engine's results (say so in the commit message), never to make a test pass.
#   tests/regression/update.sh [path/to/delivsim]
set -euo pipefail
cd "$(dirname "$0")"
cli=${1:-../../build/delivsim}
"$cli" run --messages 200000 --seed 1 --threads 2 --quiet --json r1_seed1_200k.json > /dev/null
echo "wrote $(pwd)/r1_seed1_200k.json"
