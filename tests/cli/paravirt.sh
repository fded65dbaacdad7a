#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# paravirt.sh HVSIM SRCDIR - paravirt CPUs end to end (TAP): a 4-vCPU VM with method push and a
# static count of 2 (tests/data/runs/paravirt-push.json) stores, in the virtual run and in its twin,
# timeseries rows vm:pv vcpus_in_use (the first at the warm-up, none before it, every value 2) and
# the metrics vcpus_in_use_end = vcpus_in_use_mean = 2; a schedule gives the step function it
# describes from the warm-up on (the value in force at the warm-up, then each change).
# Leaves unchecked: what the methods do to tasks (tests/model), the steal and hypervisor hints.
set -uo pipefail
hvsim=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
q() { sqlite3 "$tmp/$1" "$2"; }
quiet() { "$@" > /dev/null; }

f=$src/tests/data/runs/paravirt-push.json
t "paravirt-push runs" quiet "$hvsim" run "$f" --db "$tmp/a.db" --quiet
for mode in virtual bare_metal; do
  run="(SELECT id FROM runs WHERE mode = '$mode')"
  rows=$(q a.db "SELECT group_concat(t_seconds || '=' || value, ' ') FROM (SELECT t_seconds, value FROM timeseries
                 WHERE run_id = $run AND scope = 'vm:pv' AND name = 'vcpus_in_use' ORDER BY t_seconds);")
  t "$mode: vcpus_in_use rows from the warm-up on, all 2 ($rows)" [ "$rows" = "0.05=2.0" ]
  end=$(q a.db "SELECT value FROM metrics WHERE run_id = $run AND scope = 'vm:pv' AND name = 'vcpus_in_use_end';")
  mean=$(q a.db "SELECT value FROM metrics WHERE run_id = $run AND scope = 'vm:pv' AND name = 'vcpus_in_use_mean';")
  { [ "$end" = 2.0 ] && [ "$mean" = 2.0 ]; }; passed "$mode: vcpus_in_use_end = 2 ($end), vcpus_in_use_mean = 2 ($mean)"
  names=$(q a.db "SELECT group_concat(name, ',') FROM (SELECT name FROM metrics WHERE run_id = $run AND scope = 'vm:pv'
                  AND name GLOB 'pv_*' ORDER BY name);")
  t "$mode: the paravirt counters ($names)" [ "$names" = "pv_affinity_broken,pv_changes,pv_evacuated,pv_pushes" ]
done

# a schedule (warm-up 50 ms): 3 from 10 ms (in force at the warm-up), 1 from 60 ms, all from 100 ms
"$hvsim" run "$f" --db "$tmp/s.db" --quiet --no-baseline --set /vms/0/guest/paravirt/hint=schedule \
  --set '/vms/0/guest/paravirt/schedule=[{"at":"10ms","count":3},{"at":"60ms","count":1},{"at":"100ms","count":0}]' > /dev/null
rows=$(q s.db "SELECT group_concat(t_seconds || '=' || value, ' ') FROM (SELECT t_seconds, value FROM timeseries
               WHERE scope = 'vm:pv' AND name = 'vcpus_in_use' ORDER BY t_seconds);")
t "schedule: the step function from the warm-up ($rows)" [ "$rows" = "0.05=3.0 0.06=1.0 0.1=4.0" ]
mean=$(q s.db "SELECT printf('%.6f', value) FROM metrics WHERE scope = 'vm:pv' AND name = 'vcpus_in_use_mean';")
t "schedule: vcpus_in_use_mean is the step function's time average ($mean)" [ "$mean" = 3.350000 ]
changes=$(q s.db "SELECT value FROM metrics WHERE scope = 'vm:pv' AND name = 'pv_changes';")
t "schedule: 2 changes after the warm-up ($changes)" [ "$changes" = 2.0 ]

tap_done
