#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# merge.sh HVSIM SRCDIR - end-to-end checks of `hvsim merge OUT.db SHARD.db...` (TAP):
#  - two `hvsim run` shards merge into their union: every runs, metrics, histograms and timeseries
#    row, the same metric rows per group, and `hvsim compare` prints the same table from either file;
#  - the per-shard lines and the total; --quiet keeps the total only;
#  - merging again is a no-op (0 runs added, every run a duplicate, the file's rows unchanged);
#  - the shards are not written;
#  - overlapping `hvsim sweep --points` shards merge into what one whole sweep writes;
#  - refusals with exit status 2: OUT.db given as a shard, a shard that is not SQLite (the merge
#    stops there, the shards before it stay merged and the message says so), bad usage.
set -uo pipefail
hvsim=$(realpath "$1") src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
short=(--set /run/duration='"100ms"' --set /run/warmup='"10ms"')
q=$src/scenarios/quickstart.json
cd "$tmp" || exit 1

count() { sqlite3 "$1" "SELECT count(*) FROM $2;"; }
sum() { echo $(($(count s1.db "$1") + $(count s2.db "$1"))); }
group_of() { sqlite3 "$1" "SELECT group_id FROM runs ORDER BY id LIMIT 1;"; }
rows() { # db group: the group's metric rows, histogram buckets and timeseries, ids left out, hashed
  sqlite3 "$1" "SELECT r.mode, r.replication, r.seed, m.scope, m.name, quote(m.value), m.unit FROM metrics m
                JOIN runs r ON r.id = m.run_id WHERE r.group_id = '$2' ORDER BY 1, 2, 3, 4, 5;
                SELECT r.mode, r.replication, h.scope, h.name, h.lo, h.count FROM histograms h
                JOIN runs r ON r.id = h.run_id WHERE r.group_id = '$2' ORDER BY 1, 2, 3, 4, 5;
                SELECT r.mode, r.replication, s.scope, s.name, quote(s.t_seconds), quote(s.value) FROM timeseries s
                JOIN runs r ON r.id = s.run_id WHERE r.group_id = '$2' ORDER BY 1, 2, 3, 4, 5, 6;" | sha256sum
}
everything() { # db: every row of the four tables, ids left out, hashed
  sqlite3 "$1" "SELECT group_id, mode, replication, seed, config_hash, status FROM runs ORDER BY 1, 2, 3, 4;
                SELECT count(*), total(value) FROM metrics; SELECT count(*), total(count) FROM histograms;
                SELECT count(*) FROM timeseries;" | sha256sum
}

"$hvsim" run "$q" --db s1.db --quiet "${short[@]}" --replications 2 > /dev/null
"$hvsim" run "$q" --db s2.db --quiet "${short[@]}" --seed 2 > /dev/null
g1=$(group_of s1.db) g2=$(group_of s2.db)
t "two shards written ($(count s1.db runs) and $(count s2.db runs) runs)" [ "$(count s1.db runs) $(count s2.db runs)" = "4 2" ]
before=$(sha256sum s1.db s2.db)

"$hvsim" merge out.db s1.db s2.db > merge.out 2> merge.err
t "merge exits 0 ($?), says nothing on stderr" [ "$?$(cat merge.err)" = 0 ]
t "one line per shard and the total" diff merge.out - <<EOF
s1.db: 4 runs added, 0 duplicates skipped, 0 sweep points
s2.db: 2 runs added, 0 duplicates skipped, 0 sweep points
total: 6 runs added, 0 duplicates skipped, 0 sweep points
EOF
for table in runs metrics histograms timeseries; do
  t "$table: $(count out.db $table) rows = the shards' $(sum $table)" [ "$(count out.db $table)" = "$(sum $table)" ]
done
t "the shards have histogram and timeseries rows (else the above proves little)" \
  [ "$(count s1.db histograms)" -gt 0 -a "$(count s1.db timeseries)" -gt 0 ]
t "group of s1.db: the same rows in out.db" [ "$(rows out.db "$g1")" = "$(rows s1.db "$g1")" ]
t "group of s2.db: the same rows in out.db" [ "$(rows out.db "$g2")" = "$(rows s2.db "$g2")" ]
"$hvsim" compare --db s1.db "$g1" > s1.cmp
"$hvsim" compare --db out.db "$g1" > out.cmp
t "hvsim compare prints the same table from the shard and the merged file" diff <(tail -n +2 s1.cmp) <(tail -n +2 out.cmp)
t "merged file: schema version 2, intact" [ "$(sqlite3 out.db 'PRAGMA user_version; PRAGMA integrity_check;' | tr '\n' ' ')" = "2 ok " ]

digest=$(everything out.db)
"$hvsim" merge out.db s1.db s2.db > again.out
t "merging again exits 0" [ $? = 0 ]
t "merging again adds nothing" [ "$(tail -n 1 again.out)" = "total: 0 runs added, 6 duplicates skipped, 0 sweep points" ]
t "merging again leaves the rows as they were" [ "$(everything out.db) $(count out.db runs)" = "$digest 6" ]
"$hvsim" merge --quiet out.db s2.db > quiet.out
t "--quiet prints the total only" [ "$(cat quiet.out)" = "total: 0 runs added, 2 duplicates skipped, 0 sweep points" ]
t "the shards were not written" [ "$(sha256sum s1.db s2.db)" = "$before" ]

"$hvsim" merge out.db out.db > /dev/null 2> self.err
t "OUT.db as its own shard: exit 2" [ $? = 2 ]
t "... and the message says so ($(head -n 1 self.err))" grep -q "out.db: is the output database itself" self.err
printf 'just some notes\n%.0s' {1..300} > notes.db
"$hvsim" merge out2.db s1.db notes.db s2.db > bad.out 2> bad.err
t "a shard that is not SQLite: exit 2" [ $? = 2 ]
t "... the message names it ($(head -n 1 bad.err))" grep -q "notes.db: not an SQLite database" bad.err
t "... and says the shard before it is merged" grep -q "stopped at notes.db; the shard before it (s1.db) is merged into out2.db" bad.err
t "... which it is, and nothing after it" [ "$(count out2.db runs) $(rows out2.db "$g1")" = "4 $(rows s1.db "$g1")" ]

# Sweep shards that overlap (point 1 in both, as a requeued task may leave) merge into the sweep.
cat > sw.json <<EOF
{
  "name": "merge-rate",
  "base": "$src/scenarios/quickstart.json",
  "set": { "/run/duration": "100ms", "/run/warmup": "10ms" },
  "axes": [ { "name": "rate", "path": "/vms/1/workload/rate", "values": [500, 1000, 1500] } ],
  "replications": 1
}
EOF
sweep_rows() { # db: the sweep as a user reads it, ids and times left out
  sqlite3 "$1" "SELECT id, name, spec_json, points FROM sweeps; SELECT * FROM sweep_points ORDER BY 1, 2;
                SELECT sweep_id, point, scope, name, n_virtual, quote(mean_virtual), quote(sd_virtual),
                       n_bare_metal, quote(mean_bare_metal), quote(ratio) FROM sweep_comparison ORDER BY 1, 2, 3, 4;"
}
"$hvsim" sweep sw.json --points 0-1 --db p1.db -j 2 > /dev/null 2>&1
"$hvsim" sweep sw.json --points 1-2 --db p2.db -j 2 > /dev/null 2>&1
"$hvsim" sweep sw.json --db whole.db -j 3 > /dev/null 2>&1
"$hvsim" merge sweep.db p1.db p2.db > sweep.out
t "sweep shards: exit 0 ($?)" [ $? = 0 ]
t "sweep shards: the overlapping point's runs are duplicates" diff sweep.out - <<EOF
p1.db: 4 runs added, 0 duplicates skipped, 2 sweep points
p2.db: 2 runs added, 2 duplicates skipped, 1 sweep points
total: 6 runs added, 2 duplicates skipped, 3 sweep points
EOF
t "sweep shards: sweeps, points and sweep_comparison equal a whole sweep's" \
  diff <(sweep_rows sweep.db) <(sweep_rows whole.db)
t "sweep shards: the whole sweep has rows (else the above proves little)" [ "$(sweep_rows whole.db | wc -l)" -gt 10 ]

"$hvsim" merge out.db > /dev/null 2>&1
t "no shard named: exit 2" [ $? = 2 ]
"$hvsim" merge --bogus out.db s1.db > /dev/null 2>&1
t "an unknown option: exit 2" [ $? = 2 ]
"$hvsim" merge --help > help.out
t "--help prints the usage, exit 0 ($?)" [ "$?$(head -n 1 help.out)" = "0usage: hvsim merge [--quiet] OUT.db SHARD.db..." ]

tap_done
