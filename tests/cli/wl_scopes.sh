#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# wl_scopes.sh HVSIM SRCDIR - the per-workload metrics of `hvsim run` (TAP), on scenarios/wl-cpu.json
# (one VM, two cpu workloads) and scenarios/wl-kv.json, shortened, in the virtual run and its twin:
#  - vm:NAME/wl:I has ops, ops_per_s, rng_digest and the latency histogram of workload I, and the
#    workloads' ops add up to the VM's;
#  - vm:NAME/task:TASK has `ops`, and a workload's tasks' ops add up to the workload's;
#  - a workload that draws nothing has rng_digest 0, one that draws has another;
#  - the kind's own counters (kv: reads + updates = ops).
# Leaves unchecked: the values themselves (tests/unit/wl/test_workloads.c checks the kinds).
set -uo pipefail
hvsim=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
short=(--set /run/duration='"100ms"' --set /run/warmup='"10ms"')
q() { sqlite3 "$tmp/w.db" "$1"; }
# value MODE SCOPE NAME
v() { q "SELECT printf('%.17g', m.value) FROM metrics m JOIN runs r ON r.id = m.run_id
         WHERE r.mode = '$1' AND m.scope = '$2' AND m.name = '$3';"; }
# sum MODE SCOPE-GLOB NAME
s() { q "SELECT printf('%.17g', total(m.value)) FROM metrics m JOIN runs r ON r.id = m.run_id
         WHERE r.mode = '$1' AND m.scope GLOB '$2' AND m.name = '$3';"; }

"$hvsim" run "$src/scenarios/wl-cpu.json" --db "$tmp/w.db" --quiet "${short[@]}" > /dev/null
for mode in virtual bare_metal; do
  vm=$(v $mode vm:batch ops) w0=$(v $mode vm:batch/wl:0 ops) w1=$(v $mode vm:batch/wl:1 ops)
  { [ -n "$vm" ] && [ "$w0" != 0 ] && [ "$w1" != 0 ] && \
    [ "$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.17g", a + b }')" = "$vm" ]; }; passed "$mode: wl:0 + wl:1 ops = vm ops ($w0 + $w1 = $vm)"
  t "$mode: wl:0 latency_count = its ops" [ "$(v $mode vm:batch/wl:0 latency_count)" = "$w0" ]
  t "$mode: wl:0 ops_per_s" [ -n "$(v $mode vm:batch/wl:0 ops_per_s)" ]
  { [ "$(s $mode 'vm:batch/task:wl0.*' ops)" = "$w0" ] && \
    [ "$(s $mode 'vm:batch/task:wl1.*' ops)" = "$w1" ]; }; passed "$mode: the tasks' ops add up to each workload's"
  { [ "$(v $mode vm:batch/wl:0 rng_digest)" = 0 ] && \
    [ "$(v $mode vm:batch/wl:1 rng_digest)" != 0 ]; }; passed "$mode: det draws nothing, pareto draws"
done

rm -f "$tmp/w.db"
"$hvsim" run "$src/scenarios/wl-kv.json" --db "$tmp/w.db" --quiet "${short[@]}" > /dev/null
for mode in virtual bare_metal; do
  ops=$(v $mode vm:kv/wl:0 ops)
  { [ -n "$ops" ] && [ "$ops" != 0 ] && \
    [ "$(awk -v a="$(v $mode vm:kv/wl:0 reads)" -v b="$(v $mode vm:kv/wl:0 updates)" 'BEGIN { printf "%.17g", a + b }')" = "$ops" ]; }; passed "$mode: kv reads + updates = ops ($ops)"
  t "$mode: kv servers' ops add up" [ "$(s $mode 'vm:kv/task:wl0.server-*' ops)" = "$ops" ]
done

tap_done
