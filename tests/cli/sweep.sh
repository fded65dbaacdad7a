#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sweep.sh HVSIM SRCDIR - `hvsim sweep` end to end (TAP), on scenarios/quickstart.json, shortened:
#  - validate counts and lists the points (product and zip), and refuses bad sweep files with
#    exit status 2 and a located message;
#  - the rows of a sweep do not depend on -j (-j 1 and -j 3 give identical rows, ids and
#    timestamps aside), and every point is one complete group;
#  - a sweep already in the database is refused without --resume, and --resume of a complete
#    sweep runs nothing;
#  - a sweep killed with SIGKILL mid-way leaves a valid database with complete points only;
#    --resume runs the rest and the result equals an uninterrupted sweep; so does SIGINT (exit 130);
#  - `hvsim run SWEEP --point K` records the point as the sweep's;
#  - --emit-slurm and --emit-jobs write scripts that bash accepts, one array task per chunk /
#    one command per point.
set -uo pipefail
hvsim=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
q() { sqlite3 "$1" "$2"; }
# Every stored row that a run determines, in a stable order (no ids, timestamps or wall times).
dump() {
  q "$1" "SELECT r.group_id, r.mode, r.replication, r.seed, r.config_hash, r.events, m.scope, m.name,
                 printf('%.17g', m.value), m.unit
          FROM runs r JOIN metrics m ON m.run_id = r.id ORDER BY 1, 2, 3, 7, 8;
          SELECT r.group_id, r.mode, r.replication, h.scope, h.name, h.lo, h.count
          FROM runs r JOIN histograms h ON h.run_id = r.id ORDER BY 1, 2, 3, 4, 5, 6;
          SELECT sweep_id, point, name, group_id, params_json FROM sweep_points ORDER BY 1, 2;
          SELECT id, name, spec_json, points FROM sweeps ORDER BY 1;"
}

cat > "$tmp/s.json" <<EOF
{
  "name": "policy-rate",
  "base": "$src/scenarios/quickstart.json",
  "set": { "/run/duration": "100ms", "/run/warmup": "20ms" },
  "axes": [
    { "name": "policy", "path": "/hypervisor/scheduler/policy", "values": ["classic", "core"] },
    { "name": "rate", "path": "/vms/1/workload/rate", "values": [500, 1000, 1500] }
  ],
  "replications": 2
}
EOF

out=$("$hvsim" validate "$tmp/s.json"); rc=$?
{ [ $rc = 0 ] && grep -q "6 points" <<<"$out" && \
  [ "$(grep -c '^ *[0-9]\+  policy=' <<<"$out")" = 6 ]; }; passed "validate: exit 0, 6 points"
t "validate: product order, the first axis slowest" grep -q "^ *1  policy=classic,rate=1000$" <<<"$out"
sed 's/"replications": 2/"combine": "zip", "replications": 2/; s/\[500, 1000, 1500\]/[500, 1500]/' "$tmp/s.json" > "$tmp/zip.json"
out=$("$hvsim" validate "$tmp/zip.json")
{ grep -q "2 points" <<<"$out" && grep -q "policy=core,rate=1500" <<<"$out"; }; passed "validate: zip pairs the values (2 points)"

# bad sweep files: exit 2 and FILE:LINE:COL: /pointer: message
bad() { # NAME EXPECTED-REGEX SED-EXPRESSION
  sed "$3" "$tmp/s.json" > "$tmp/bad-$1.json"
  local msg; msg=$("$hvsim" validate "$tmp/bad-$1.json" 2>&1 >/dev/null); local rc=$?
  { [ $rc = 2 ] && grep -Eq "$2" <<<"$msg"; }; passed "bad sweep ($1): exit 2, '$msg'"
}
bad key 'bad-key.json:[0-9]+:[0-9]+: /axis: unknown key .axis. - did you mean .axes.' 's/"axes"/"axis"/'
bad zip 'bad-zip.json:[0-9]+:[0-9]+: /axes/1: `zip` needs axes of equal length' 's/"replications": 2/"combine": "zip"/'
bad dup 'two points are named' 's/\[500, 1000, 1500\]/[500, 500]/'
bad value 'point 0 \(policy=classic,rate=-5\): .*quickstart.json.*/vms/1/workload/rate' 's/\[500, 1000, 1500\]/[-5]/'
bad path 'bad-path.json:[0-9]+:[0-9]+: /axes/0/path: expected a JSON Pointer' 's|"/hypervisor/scheduler/policy"|"hypervisor"|'
bad base 'expected `base`' '/"base"/d'

# -j does not change a row
"$hvsim" sweep "$tmp/s.json" --db "$tmp/j1.db" -j 1 --quiet; rc1=$?
"$hvsim" sweep "$tmp/s.json" --db "$tmp/j3.db" -j 3 > "$tmp/j3.out" 2>&1; rc3=$?
{ [ $rc1 = 0 ] && [ $rc3 = 0 ]; }; passed "sweep -j 1 and -j 3: exit 0"
{ [ "$(q "$tmp/j1.db" "SELECT COUNT(*) FROM sweep_points")" = 6 ] && \
  [ "$(q "$tmp/j1.db" "SELECT COUNT(DISTINCT group_id) || '/' || COUNT(*) FROM runs")" = "6/24" ]; }; passed "sweep: 6 complete points, 4 runs each"
t "sweep: rows identical with -j 1 and -j 3" cmp -s <(dump "$tmp/j1.db") <(dump "$tmp/j3.db")
t "sweep: the summary has each point's VMs" [ "$(grep -c ' vm:web ' "$tmp/j3.out")" = 6 ]
t "sweep_comparison view: the rate axis by name" \
  [ "$(q "$tmp/j1.db" "SELECT COUNT(*) FROM sweep_comparison WHERE json_extract(params_json, '$.rate') = 1500
                        AND scope = 'vm:web' AND name = 'ops_per_s'")" = 2 ]

# refused without --resume; --resume of a complete sweep runs nothing
before=$(dump "$tmp/j1.db")
msg=$("$hvsim" sweep "$tmp/s.json" --db "$tmp/j1.db" 2>&1 >/dev/null); rc=$?
{ [ $rc = 2 ] && grep -q -- "--resume" <<<"$msg"; }; passed "again without --resume: exit 2, names --resume"
msg=$("$hvsim" sweep "$tmp/s.json" --db "$tmp/j1.db" --resume 2>&1 >/dev/null); rc=$?
{ [ $rc = 0 ] && \
  grep -q "0 points to run (6 already done)" <<<"$msg" && [ "$before" = "$(dump "$tmp/j1.db")" ]; }; passed "--resume of a complete sweep: exit 0, nothing to run, nothing written"

# SIGKILL mid-way, then --resume
sed 's/"100ms"/"1s"/' "$tmp/s.json" > "$tmp/long.json"
"$hvsim" sweep "$tmp/long.json" --db "$tmp/ref.db" -j 2 --quiet
"$hvsim" sweep "$tmp/long.json" --db "$tmp/k.db" -j 2 --quiet & pid=$!
for _ in $(seq 200); do # until at least one point is complete, then kill at once
  [ "$(q "$tmp/k.db" "SELECT COUNT(*) FROM sweep_points" 2>/dev/null)" -ge 1 ] 2>/dev/null && break
  sleep 0.05
done
kill -KILL $pid; wait $pid 2>/dev/null
sleep 0.3 # the workers die with their parent
done_k=$(q "$tmp/k.db" "SELECT COUNT(*) FROM sweep_points")
t "killed: the database is valid" [ "$(q "$tmp/k.db" "PRAGMA integrity_check")" = ok ]
{ [ "$done_k" -ge 1 ] && [ "$done_k" -lt 6 ]; }; passed "killed mid-way: $done_k of 6 points complete"
{ \
  [ "$(q "$tmp/k.db" "SELECT COUNT(*) FROM runs WHERE group_id NOT IN (SELECT group_id FROM sweep_points)")" = 0 ] && \
  [ "$(q "$tmp/k.db" "SELECT COUNT(*) FROM runs")" = $((done_k * 4)) ]; }; passed "killed: no runs outside complete points, 4 runs in each"
t "no worker outlives a killed sweep" test -z "$(pgrep -f "[h]vsim sweep $tmp/long.json --db $tmp/k.db")"
msg=$("$hvsim" sweep "$tmp/long.json" --db "$tmp/k.db" -j 2 --resume 2>&1 >/dev/null); rc=$?
{ [ $rc = 0 ] && grep -q "$((6 - done_k)) points to run ($done_k already done)" <<<"$msg"; }; passed "--resume runs the $((6 - done_k)) missing points"
t "killed + resumed = uninterrupted (no point lost or doubled)" cmp -s <(dump "$tmp/ref.db") <(dump "$tmp/k.db")

# SIGINT (Ctrl-C to the sweep process) stops it with 130; --resume completes it
"$hvsim" sweep "$tmp/long.json" --db "$tmp/i.db" -j 1 --quiet 2>"$tmp/i.err" & pid=$!
for _ in $(seq 200); do
  [ "$(q "$tmp/i.db" "SELECT COUNT(*) FROM sweep_points" 2>/dev/null)" -ge 1 ] 2>/dev/null && break
  sleep 0.05
done
kill -INT $pid; wait $pid; rc=$?
{ [ $rc = 130 ] && grep -q -- "--resume" "$tmp/i.err"; }; passed "SIGINT: exit 130, says how to resume"
"$hvsim" sweep "$tmp/long.json" --db "$tmp/i.db" -j 2 --resume --quiet
t "interrupted + resumed = uninterrupted" cmp -s <(dump "$tmp/ref.db") <(dump "$tmp/i.db")

# one point with hvsim run, the rest with --resume
"$hvsim" run "$tmp/s.json" --point "policy=core,rate=1000" --db "$tmp/p.db" --quiet > "$tmp/p.out"; rc=$?
{ [ $rc = 0 ] && [ "$(q "$tmp/p.db" "SELECT point FROM sweep_points")" = 4 ]; }; passed "run --point NAME: exit 0, one complete point"
"$hvsim" run "$tmp/s.json" --point 4 --db "$tmp/p.db" --quiet >/dev/null 2>"$tmp/p.err"
{ grep -q "already in" "$tmp/p.err" && \
  [ "$(q "$tmp/p.db" "SELECT COUNT(*) FROM runs")" = 4 ]; }; passed "run --point again: nothing written, says so"
"$hvsim" sweep "$tmp/s.json" --db "$tmp/p.db" --resume --quiet
t "run --point + sweep --resume = sweep" cmp -s <(dump "$tmp/j1.db") <(dump "$tmp/p.db")
"$hvsim" run "$tmp/s.json" --db "$tmp/x.db" >/dev/null 2>&1; rc=$?
t "run SWEEP without --point: exit 2" [ $rc = 2 ]

# files for other engines
"$hvsim" sweep "$tmp/s.json" --emit-slurm "$tmp/slurm" --chunk 4 >/dev/null; rc=$?
{ [ $rc = 0 ] && bash -n "$tmp/slurm/sweep.sbatch" && \
  grep -q '^#SBATCH --array=0-1$' "$tmp/slurm/sweep.sbatch" && [ -d "$tmp/slurm/shards" ]; }; passed "--emit-slurm: exit 0, a 2-task array, bash accepts it"
"$hvsim" sweep "$tmp/s.json" --emit-jobs "$tmp/jobs/jobs.txt" --points 1-3 >/dev/null; rc=$?
{ [ $rc = 0 ] && [ "$(wc -l < "$tmp/jobs/jobs.txt")" = 3 ] && \
  bash -n "$tmp/jobs/jobs.txt" && grep -q -- "--point 1 " "$tmp/jobs/jobs.txt"; }; passed "--emit-jobs --points 1-3: 3 commands"
"$hvsim" sweep "$tmp/s.json" --points 7 >/dev/null 2>&1; rc=$?
t "--points out of range: exit 2" [ $rc = 2 ]

# a version-1 database (before sweeps) is migrated and keeps its runs
"$hvsim" run "$src/scenarios/quickstart.json" --db "$tmp/v1.db" --quiet --set /run/duration='"50ms"' >/dev/null
q "$tmp/v1.db" "DROP VIEW sweep_comparison; DROP INDEX runs_identity; DROP TABLE sweep_points; DROP TABLE sweeps;
               PRAGMA user_version = 1;"
runs=$(q "$tmp/v1.db" "SELECT COUNT(*) || '/' || (SELECT COUNT(*) FROM metrics) FROM runs")
"$hvsim" compare --db "$tmp/v1.db" >/dev/null; rc=$?
{ [ $rc = 0 ] && [ "$(q "$tmp/v1.db" "PRAGMA user_version")" = 2 ] && \
  [ "$(q "$tmp/v1.db" "SELECT COUNT(*) || '/' || (SELECT COUNT(*) FROM metrics) FROM runs")" = "$runs" ]; }
passed "a version-1 database migrates to 2 and keeps its $runs runs/metrics"
"$hvsim" sweep "$tmp/s.json" --db "$tmp/v1.db" --points 0 --quiet; rc=$?
{ [ $rc = 0 ] && [ "$(q "$tmp/v1.db" "SELECT COUNT(*) FROM sweep_points")" = 1 ]; }; passed "a sweep into the migrated database"

# the shipped sweeps
for f in "$src"/sweeps/*.json; do
  "$hvsim" validate "$f" >/dev/null; passed "shipped sweep $(basename "$f") validates"
done

tap_done
