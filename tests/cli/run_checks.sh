#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run_checks.sh HVSIM SRCDIR - end-to-end checks of `hvsim run` (TAP):
#  - every scenario in scenarios/ validates and runs (shortened with --set);
#  - the same scenario and seed give identical metric rows (a digest of them), another seed does not;
#  - the bare-metal twin draws the same workload random numbers (rng_digest per VM, open-loop VMs);
#  - `hvsim compare` prints the numbers `hvsim run` printed;
#  - the schema has the columns ../shared/INTERFACES.md lists;
#  - a run killed with SIGKILL leaves no half-written run.
set -uo pipefail
hvsim=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
t() { local what=$1; shift; if "$@"; then ok "$what"; else notok "$what"; fi; }
quiet() { "$@" > /dev/null; }
short=(--set /run/duration='"100ms"' --set /run/warmup='"10ms"')

for f in "$src"/scenarios/*.json; do
  b=$(basename "$f")
  t "validate $b" quiet "$hvsim" validate "$f"
  t "run $b (shortened)" quiet "$hvsim" run "$f" --db "$tmp/s.db" --quiet "${short[@]}"
done

q=$src/scenarios/quickstart.json
rows() { # db: every metric row of the group, in a fixed order, hashed
  sqlite3 "$1" "SELECT r.mode, r.replication, m.scope, m.name, printf('%.17g', m.value), m.unit FROM metrics m
                JOIN runs r ON r.id = m.run_id ORDER BY r.mode, r.replication, m.scope, m.name;" | sha256sum | cut -d' ' -f1
}
"$hvsim" run "$q" --db "$tmp/a.db" --quiet "${short[@]}" > "$tmp/a.out"
"$hvsim" run "$q" --db "$tmp/b.db" --quiet "${short[@]}" > /dev/null
"$hvsim" run "$q" --db "$tmp/c.db" --quiet "${short[@]}" --seed 2 > /dev/null
t "same scenario and seed: identical metric rows" [ "$(rows "$tmp/a.db")" = "$(rows "$tmp/b.db")" ]
t "another seed: different rows" [ "$(rows "$tmp/a.db")" != "$(rows "$tmp/c.db")" ]
digests=$(sqlite3 "$tmp/a.db" "SELECT r.mode, m.value FROM metrics m JOIN runs r ON r.id = m.run_id
                                WHERE m.scope = 'vm:web' AND m.name = 'rng_digest' ORDER BY r.mode;")
virt=$(echo "$digests" | sed -n 's/^virtual|//p') bare=$(echo "$digests" | sed -n 's/^bare_metal|//p')
t "the twin draws the same random numbers (vm:web rng_digest $virt)" [ -n "$virt" ] && [ "$virt" != 0 ] && [ "$virt" = "$bare" ]
"$hvsim" compare --db "$tmp/a.db" > "$tmp/a.cmp"
t "hvsim compare prints what hvsim run printed" diff <(tail -n +2 "$tmp/a.out") <(tail -n +3 "$tmp/a.cmp")

# networking: the same rows twice; two VMs on a shared NIC get their halves of it
r=$src/scenarios/io-net-rr.json
"$hvsim" run "$r" --db "$tmp/n1.db" --quiet "${short[@]}" > /dev/null
"$hvsim" run "$r" --db "$tmp/n2.db" --quiet "${short[@]}" > /dev/null
t "io-net-rr: identical metric rows" [ "$(rows "$tmp/n1.db")" = "$(rows "$tmp/n2.db")" ]
"$hvsim" run "$src/tests/data/runs/shared-devices.json" --db "$tmp/sd.db" --quiet > /dev/null
gbps=$(sqlite3 "$tmp/sd.db" "SELECT group_concat(printf('%.3f', value), ' ') FROM metrics
                              WHERE scope IN ('dev:a-1/nic0', 'dev:a-2/nic0') AND name = 'tx_gbps' ORDER BY scope;")
t "a shared 25 Gb/s NIC: each VM gets 11.5..12.5 Gb/s ($gbps)" \
  awk -v g="$gbps" 'BEGIN { split(g, x, " "); exit !(x[1] >= 11.5 && x[1] <= 12.5 && x[2] >= 11.5 && x[2] <= 12.5) }'

# the VM's memory_bound reaches its guest's compute: interleaved over 10/21, chunks take 1.55x
"$hvsim" run "$src/tests/data/runs/vm-memory-bound.json" --db "$tmp/mb.db" --quiet > /dev/null
p50=$(sqlite3 "$tmp/mb.db" "SELECT value FROM metrics WHERE scope = 'vm:m' AND name = 'latency_p50_ns';")
t "vm memory_bound 1, interleaved: chunk p50 $p50 ns = 1.55 ms within the histogram's 1/128" \
  awk -v v="$p50" 'BEGIN { exit !(v >= 1.55e6 * (1 - 1/128) && v <= 1.55e6 * (1 + 1/128)) }'

share=$(sqlite3 "$tmp/mb.db" "SELECT value FROM metrics WHERE scope = 'vm:m' AND name = 'remote_memory_share';")
t "the same VM lost 1 - 1/1.55 of its run time to remote memory ($share)" \
  awk -v v="$share" 'BEGIN { exit !(v >= 0.3545 && v <= 0.3552) }'

cols() { sqlite3 "$tmp/a.db" "SELECT group_concat(name, ',') FROM pragma_table_info('$1');"; }
t "runs has the INTERFACES.md columns" [ "$(cols runs)" = "id,group_id,scenario,mode,seed,replication,config_json,config_hash,hvsim_version,started_at,wall_seconds,sim_seconds,events,status" ]
t "metrics has the INTERFACES.md columns" [ "$(cols metrics)" = "run_id,scope,name,value,unit" ]
t "schema version and WAL" [ "$(sqlite3 "$tmp/a.db" 'PRAGMA user_version; PRAGMA journal_mode;' | tr '\n' ' ')" = "1 wal " ]
t "config_json is the resolved scenario" [ "$(sqlite3 "$tmp/a.db" "SELECT json_extract(config_json, '$.hypervisor.scheduler.timeslice') FROM runs LIMIT 1;")" = "10ms" ]

# SIGKILL in the middle of a long run of many replications: whole runs only
"$hvsim" run "$q" --db "$tmp/k.db" --quiet --set /run/duration='"20ms"' --set /run/warmup=0 --replications 10000 > /dev/null &
pid=$!
sleep 1.5
kill -9 $pid 2> /dev/null
wait $pid 2> /dev/null
runs=$(sqlite3 "$tmp/k.db" "SELECT count(*) FROM runs;")
partial=$(sqlite3 "$tmp/k.db" "SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM metrics m WHERE m.run_id = r.id)
                                 != (SELECT count(*) FROM metrics m WHERE m.run_id = (SELECT min(id) FROM runs WHERE mode = r.mode));")
t "killed after $runs whole runs, none half-written" [ "$runs" -gt 0 ] && [ "$partial" = 0 ]
t "the killed database is intact" [ "$(sqlite3 "$tmp/k.db" 'PRAGMA integrity_check;')" = ok ]

echo "1..$n"
[ $fails -eq 0 ]
