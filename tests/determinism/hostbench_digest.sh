#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# hostbench_digest.sh HOSTBENCH HOSTBENCH_O0 ARGS... - determinism of the hypervisor model, seen
# through hostbench's run digest (every handled event's time and target, in order): the same run
# twice, and the -O0 build of engine and models, give the same event count and digest.
set -euo pipefail
hb=$1 hb_o0=$2
shift 2
digest() { "$@" | sed -n 's/^hostbench: .* events=\([0-9]*\) .* digest=\([0-9a-f]*\)$/\1 \2/p'; }
a=$(digest "$hb" "$@")
[ -n "$a" ] || { echo "no result line from $hb $*"; exit 1; }
fail=0
check() { # name value
  if [ "$2" != "$a" ]; then echo "FAIL $1: '$2' != '$a'"; fail=1; else echo "ok $1: $2"; fi
}
check "same run again" "$(digest "$hb" "$@")"
check "-O0 build" "$(digest "$hb_o0" "$@")"
exit $fail
