#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# phold_digest.sh PHOLD PHOLD_O0 ARGS... - determinism of the engine, seen through PHOLD's digest
# (a hash of every handled event's time and destination, in order).
# Checks: the same seed twice gives the same digest and event count; the -O0 engine gives the same
# digest as the optimised one; the plain-heap queue and the ladder queue (with two bucket sizes)
# give the same digest (they must pop the same order); another seed gives another digest.
# Leaves unchecked: other machines (CI compares only builds on this one).
set -euo pipefail
phold=$1 phold_o0=$2
shift 2
digest() { "$@" | sed -n 's/^phold: .* events=\([0-9]*\) .* digest=\([0-9a-f]*\)$/\1 \2/p'; }
a=$(digest "$phold" "$@" --seed 7)
[ -n "$a" ] || { echo "no result line from $phold $*"; exit 1; }
fail=0
check() { # name value
  if [ "$2" != "$a" ]; then echo "FAIL $1: '$2' != '$a'"; fail=1; else echo "ok $1: $2"; fi
}
check "same seed again" "$(digest "$phold" "$@" --seed 7)"
check "-O0 engine" "$(digest "$phold_o0" "$@" --seed 7)"
check "plain heap" "$(digest "$phold" "$@" --seed 7 --queue heap)"
check "ladder, 4 per bucket" "$(digest "$phold" "$@" --seed 7 --bucket 4)"
check "ladder, 512 per bucket" "$(digest "$phold" "$@" --seed 7 --bucket 512)"
b=$(digest "$phold" "$@" --seed 8)
if [ "${b#* }" = "${a#* }" ]; then echo "FAIL another seed gave the same digest ${b#* }"; fail=1; else echo "ok another seed: $b"; fi
exit $fail
