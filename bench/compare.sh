#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/compare.sh [RUNS] [CONFIGS...] - PHOLD on hvsim's engine against the measuring stick
# (shared/bench/phold_ref.c, a bare 4-ary heap with no engine), alternating the two, RUNS times
# each (default 5), and printing the medians and their ratio per configuration (docs/phold.md).
# Environment: PHOLD_REF_SRC (default ../shared/bench/phold_ref.c), BUILD (default build-release),
# PHOLD_ARGS (extra arguments for bench/phold, e.g. "--queue heap").
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}; shift || true
configs=("$@"); [ ${#configs[@]} -gt 0 ] || configs=(P1 P2 P3 P4 P5)
ref_src=${PHOLD_REF_SRC:-../shared/bench/phold_ref.c}
build=${BUILD:-build-release}
[ -f "$ref_src" ] || { echo "compare.sh: measuring stick not found at $ref_src (set PHOLD_REF_SRC)" >&2; exit 2; }
[ -f "$build/build.ninja" ] || meson setup "$build" -Dbuildtype=release -Db_lto=true -Dtests=false >/dev/null
ninja -C "$build" bench/phold >/dev/null
ref=$(mktemp -d)/phold_ref
cc -O2 -o "$ref" "$ref_src" -lm

declare -A args=(
  [P1]="8 1 8e6 1"  [P2]="1000 1 30e3 0.1"  [P3]="1000 100 60 0.1"  [P4]="100000 1 50 0.1"  [P5]="1000000 1 3 0.1"
)
rate() { sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-4s %12s %12s %7s   %s\n' config hvsim_ev/s ref_ev/s ratio "(median of $runs, alternating)"
for c in "${configs[@]}"; do
  read -r lps pop end la <<<"${args[$c]}"
  h=() r=()
  for ((i = 0; i < runs; i++)); do
    h+=("$("$build/bench/phold" --config "$c" ${PHOLD_ARGS:-} | rate)")
    r+=("$("$ref" "$lps" "$pop" "$end" 0.25 1 "$la" 1 | rate)")
  done
  hm=$(printf '%s\n' "${h[@]}" | median)
  rm=$(printf '%s\n' "${r[@]}" | median)
  printf '%-4s %12s %12s %7.2f\n' "$c" "$hm" "$rm" "$(awk -v a="$hm" -v b="$rm" 'BEGIN {print a / b}')"
done
