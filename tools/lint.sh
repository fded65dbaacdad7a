#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/lint.sh [ROOT] - mechanical house rules (docs/style.md), run by `meson test` (suite unit):
#  1. no global or wall-clock randomness/time inside sim/, models/, workloads/ (rand, srand,
#     random(), g_random_*, time(), gettimeofday, clock_gettime, g_get_*_time) - determinism;
#  2. a private header `X-int.h` is included only from its own folder (or that folder's tests);
#  3. every .c/.h starts with an SPDX line followed by a comment saying its role;
#  4. layers point downward: sim/ includes nothing from models/, workloads/, analysis/, cli/.
# Prints each violation as file:line: message; exits 1 if there is any.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2
bad=0
report() { echo "$1"; bad=1; }

model_dirs=(sim models workloads)
existing=(); for d in "${model_dirs[@]}"; do [ -d "$d" ] && existing+=("$d"); done
while IFS= read -r hit; do
  report "$hit: forbidden in models (determinism: use named sim_rng streams and sim_now)"
done < <(grep -rnE '\b(s?rand|random|rand_r|drand48|g_random_[a-z_]+|time|gettimeofday|clock_gettime|g_get_(monotonic|real)_time)[[:space:]]*\(' \
           --include='*.c' --include='*.h' "${existing[@]}" | grep -vE '^[^:]+:[0-9]+:\s*(\*|/\*|//)' | cut -d: -f1,2)

while IFS=: read -r file line inc; do
  hdr=$(sed -E 's/.*"([^"]+-int\.h)".*/\1/' <<<"$inc")
  hdir=$(dirname "$hdr")
  case "$file" in
    "$hdir"/*|tests/unit/"$hdir"/*) ;;
    *) report "$file:$line: includes private header $hdr from outside $hdir/" ;;
  esac
done < <(grep -rnE '#include "[^"]+-int\.h"' --include='*.c' --include='*.h' . | sed 's|^\./||')

while IFS= read -r f; do
  head -1 "$f" | grep -q 'SPDX-License-Identifier' || { report "$f:1: missing SPDX line"; continue; }
  sed -n 2p "$f" | grep -qE '^\s*/\*' || report "$f:2: missing the file-top comment saying the file's role"
done < <(find . -path ./build -prune -o -path './build-*' -prune -o \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)

while IFS= read -r hit; do
  report "$hit: sim/ must not include from upper layers"
done < <(grep -rnE '#include "(models|workloads|analysis|cli)/' --include='*.c' --include='*.h' sim | cut -d: -f1,2)

[ $bad -eq 0 ] && echo "lint: ok"
exit $bad
