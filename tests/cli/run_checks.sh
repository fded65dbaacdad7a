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
. "$(dirname "$0")/tap.sh"
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
{ [ -n "$virt" ] && [ "$virt" != 0 ] && [ "$virt" = "$bare" ]; }; passed "the twin draws the same random numbers (vm:web rng_digest $virt)"
per_lp=$(sqlite3 "$tmp/a.db" "SELECT COUNT(*) FROM metrics h JOIN runs r ON r.id = h.run_id
  WHERE r.mode = 'virtual' AND h.scope = 'host' AND h.name IN ('lp_guest_ns', 'lp_hypervisor_ns', 'lp_root_ns',
        'lp_spin_ns', 'lp_idle_ns', 'vp_dispatches', 'vp_preemptions')
    AND abs(h.value - (SELECT SUM(l.value) FROM metrics l WHERE l.run_id = h.run_id AND l.scope LIKE 'lp:%'
                        AND l.name = h.name)) < 1e-6 * max(1, h.value)")
span=$(sqlite3 "$tmp/a.db" "SELECT abs(SUM(m.value) - (SELECT value FROM metrics WHERE run_id = r.id AND scope = 'host'
  AND name = 'lps') * r.sim_seconds * 1e9) < 1 FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.mode = 'virtual'
  AND m.scope LIKE 'lp:%' AND m.name IN ('lp_guest_ns', 'lp_hypervisor_ns', 'lp_root_ns', 'lp_spin_ns', 'lp_idle_ns')")
{ [ "$per_lp" = 7 ] && [ "$span" = 1 ]; }; passed "lp:N rows add up to host's (7 of 7), and the LP categories to LPs x span ($per_lp, $span)"
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
{ \
  awk -v g="$gbps" 'BEGIN { split(g, x, " "); exit !(x[1] >= 11.5 && x[1] <= 12.5 && x[2] >= 11.5 && x[2] <= 12.5) }'; }; passed "a shared 25 Gb/s NIC: each VM gets 11.5..12.5 Gb/s ($gbps)"

# the VM's memory_bound reaches its guest's compute: interleaved over 10/21, chunks take 1.55x
"$hvsim" run "$src/tests/data/runs/vm-memory-bound.json" --db "$tmp/mb.db" --quiet > /dev/null
p50=$(sqlite3 "$tmp/mb.db" "SELECT value FROM metrics WHERE scope = 'vm:m' AND name = 'latency_p50_ns';")
{ \
  awk -v v="$p50" 'BEGIN { exit !(v >= 1.55e6 * (1 - 1/128) && v <= 1.55e6 * (1 + 1/128)) }'; }; passed "vm memory_bound 1, interleaved: chunk p50 $p50 ns = 1.55 ms within the histogram's 1/128"

share=$(sqlite3 "$tmp/mb.db" "SELECT value FROM metrics WHERE scope = 'vm:m' AND name = 'remote_memory_share';")
{ \
  awk -v v="$share" 'BEGIN { exit !(v >= 0.3545 && v <= 0.3552) }'; }; passed "the same VM lost 1 - 1/1.55 of its run time to remote memory ($share)"

# the same VM per interval (remote_memory_share_interval, one row each 250 ms: the same share)
"$hvsim" run "$src/tests/data/runs/vm-memory-bound.json" --db "$tmp/mbs.db" --quiet --set /run/sample_interval='"250ms"' > /dev/null
rs=$(sqlite3 "$tmp/mbs.db" "SELECT count(*) || ' ' || min(value) || ' ' || max(value) || ' ' || min(t_seconds) FROM timeseries
                            WHERE scope = 'vm:m' AND name = 'remote_memory_share_interval';")
{ \
  awk -v r="$rs" 'BEGIN { split(r, x, " "); exit !(x[1] == 4 && x[2] >= 0.3545 && x[3] <= 0.3552 && x[4] == 0.1) }'; }; passed "remote_memory_share_interval: 4 rows from the warm-up, each 1 - 1/1.55 ($rs)"

# virtual NUMA: the same VM with 2 guest NUMA nodes, each on a host node of its own: its chunks run
# at local speed (1 ms) and lose nothing to remote memory
"$hvsim" run "$src/tests/data/runs/vm-memory-bound.json" --db "$tmp/vn.db" --quiet --set /vms/0/guest/numa_nodes=2 > /dev/null
vn=$(sqlite3 "$tmp/vn.db" "SELECT group_concat(value, ' ') FROM (SELECT value FROM metrics WHERE scope = 'vm:m'
                           AND name IN ('latency_p50_ns', 'remote_memory_share') ORDER BY name);")
{ \
  awk -v v="$vn" 'BEGIN { split(v, x, " "); exit !(x[1] >= 1e6 * (1 - 1/128) && x[1] <= 1e6 * (1 + 1/128) && x[2] == 0) }'; }; passed "virtual NUMA: chunk p50 1 ms within 1/128, remote share 0 ($vn)"

# a working set that steps up at 600 ms: tight faults from then on only, its rows add up to page_faults
"$hvsim" run "$src/scenarios/memory-paging.json" --db "$tmp/ws.db" --quiet --no-baseline --set /run/sample_interval='"250ms"' \
  --set '/vms/1/workload/working_set=[{"at": "0s", "size": "512MiB"}, {"at": "600ms", "size": "1792MiB"}]' > /dev/null
pf=$(sqlite3 "$tmp/ws.db" "SELECT group_concat(value, ' ') FROM (SELECT value FROM timeseries WHERE scope = 'vm:tight'
                           AND name = 'page_faults_interval' ORDER BY t_seconds);")
tot=$(sqlite3 "$tmp/ws.db" "SELECT value FROM metrics WHERE scope = 'vm:tight' AND name = 'page_faults';")
t "working_set steps: page_faults_interval 0 before the step, then faults adding up to $tot ($pf)" \
  awk -v p="$pf" -v tot="$tot" 'BEGIN { n = split(p, x, " "); s = 0; for (i = 1; i <= n; i++) s += x[i];
                                        exit !(n == 4 && x[1] == 0 && x[2] == 0 && x[3] > 0 && x[4] > 0 && s == tot) }'

cols() { sqlite3 "$tmp/a.db" "SELECT group_concat(name, ',') FROM pragma_table_info('$1');"; }
t "runs has the INTERFACES.md columns" [ "$(cols runs)" = "id,group_id,scenario,mode,seed,replication,config_json,config_hash,hvsim_version,started_at,wall_seconds,sim_seconds,events,status" ]
t "metrics has the INTERFACES.md columns" [ "$(cols metrics)" = "run_id,scope,name,value,unit" ]
t "schema version and WAL" [ "$(sqlite3 "$tmp/a.db" 'PRAGMA user_version; PRAGMA journal_mode;' | tr '\n' ' ')" = "2 wal " ]
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
{ [ "$runs" -gt 0 ] && [ "$partial" = 0 ]; }; passed "killed after $runs whole runs, none half-written"
t "the killed database is intact" [ "$(sqlite3 "$tmp/k.db" 'PRAGMA integrity_check;')" = ok ]

tap_done
