#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# crash_safety.sh HVSIM SRCDIR [KILL_ITERATIONS] - what happens to the results database when a run
# is killed, interrupted, stopped by a limit, or shares the file with others (TAP; docs/reliability.md):
#  - kill loop: KILL_ITERATIONS (default 30) `hvsim run`s of many replications into one database,
#    each SIGKILLed after a random delay (0-600 ms: during the schema's creation, a run, a write);
#    then PRAGMA integrity_check is ok and every stored run has exactly the metric rows of a
#    complete run of its mode (no half run), and a final run into the file still works;
#  - SIGINT / SIGTERM: exit 130 / 143, "interrupted (SIGINT): K of N runs stored ..." with K the
#    runs in the database, all of status ok and whole; a long single run stops within 2 s;
#  - concurrent writers: 8 `hvsim run`s into one new database at once: every group whole, and its
#    rows equal those of the same run made alone (nothing lost, nothing mixed up);
#  - --max-events / --max-wall: exit 1, a message naming the limit, the run stored with status
#    'stopped: max-events' / 'stopped: max-wall', events within one poll (65,536) of the limit, and
#    the comparison view ignores it; bad values exit 2;
#  - a sweep with --max-events stores none of its stopped points (exit 1) and --resume completes
#    them; SIGTERM to a sweep stops its workers within seconds (exit 143) with complete points only.
# Not checked here: power loss (SQLite's WAL guarantees, not ours), a full disk (tests/cli/bad_inputs.sh
# covers a path that cannot be written).
set -uo pipefail
hvsim=$1 src=$(cd "$2" && pwd) iterations=${3:-30}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
qs=$src/scenarios/quickstart.json
short=(--set /run/duration='"20ms"' --set /run/warmup=0)
q() { sqlite3 "$1" "$2"; }
# runs whose metric rows differ in number from the reference run of their mode (in $ref)
half_runs() {
  q "$1" "ATTACH '$ref' AS ref;
          SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM metrics m WHERE m.run_id = r.id) !=
            (SELECT count(*) FROM ref.metrics m JOIN ref.runs x ON x.id = m.run_id WHERE x.mode = r.mode);"
}
# every value a group's runs determine, in a stable order
rows() {
  q "$1" "SELECT r.mode, r.replication, r.events, m.scope, m.name, printf('%.17g', m.value) FROM metrics m
          JOIN runs r ON r.id = m.run_id WHERE r.group_id = '$2' ORDER BY 1, 2, 4, 5;" | sha256sum | cut -d' ' -f1
}

# ---- the reference: one complete run of each mode
ref=$tmp/ref.db
"$hvsim" run "$qs" --db "$ref" --quiet "${short[@]}" > /dev/null || { echo "Bail out! the reference run failed"; exit 1; }

# ---- kill loop
db=$tmp/kill.db
start=$(date +%s.%N)
for ((i = 0; i < iterations; i++)); do
  "$hvsim" run "$qs" --db "$db" --quiet "${short[@]}" --replications 10000 > /dev/null 2>&1 &
  pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 600)))"
  kill -9 $pid 2> /dev/null
  wait $pid 2> /dev/null
done
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
runs=$(q "$db" "SELECT count(*) FROM runs;")
t "kill loop: $iterations SIGKILLs, integrity_check ok" [ "$(q "$db" 'PRAGMA integrity_check;')" = ok ]
{ [ "$runs" -gt 0 ] && [ "$(half_runs "$db")" = 0 ]; }; passed "kill loop: $runs whole runs stored, none half ($elapsed s)"
t "kill loop: foreign keys hold" [ -z "$(q "$db" 'PRAGMA foreign_key_check;')" ]
"$hvsim" run "$qs" --db "$db" --quiet "${short[@]}" > /dev/null
t "kill loop: the database takes a new run" [ "$(q "$db" 'SELECT count(*) FROM runs;')" = $((runs + 2)) ]
echo "# kill loop: $iterations iterations, $runs runs survived, $elapsed s"

# ---- SIGINT and SIGTERM
for sig in INT TERM; do
  want=$([ $sig = INT ] && echo 130 || echo 143)
  db=$tmp/sig-$sig.db
  "$hvsim" run "$qs" --db "$db" --quiet --set /run/duration='"10s"' --replications 1000 > /dev/null 2> "$tmp/err" &
  pid=$!
  sleep 1.5
  kill -$sig $pid
  wait $pid
  status=$?
  msg=$(cat "$tmp/err")
  stored=$(q "$db" "SELECT count(*) FROM runs WHERE status = 'ok';")
  t "SIG$sig: exit $want (got $status)" [ "$status" = $want ]
  re="^hvsim: interrupted \(SIG$sig\): ([0-9]+) of 2000 runs stored, group [-0-9a-f]+ in .*; the interrupted run \((virtual|bare) [0-9]+/1000\) was not stored$"
  { [[ "$msg" =~ $re ]] && [ "${BASH_REMATCH[1]}" = "$stored" ]; }; passed "SIG$sig: the message names the $stored runs stored ($msg)"
  { [ "$stored" -gt 0 ] && [ "$(q "$db" 'SELECT count(*) FROM runs;')" = "$stored" ]; }; passed "SIG$sig: only whole runs of status ok"
  ref_saved=$ref
  ref=$tmp/ref10.db
  [ -f "$ref" ] || "$hvsim" run "$qs" --db "$ref" --quiet --set /run/duration='"10s"' > /dev/null
  t "SIG$sig: every stored run has all its rows" [ "$(half_runs "$db")" = 0 ]
  ref=$ref_saved
done
# a long single run stops at the next poll, not at its end
"$hvsim" run "$qs" --db "$tmp/long.db" --quiet --no-baseline --set /run/duration='"100000s"' > /dev/null 2> "$tmp/err" &
pid=$!
sleep 0.5
t0=$(date +%s.%N)
kill -INT $pid
wait $pid
status=$?
took=$(echo "$(date +%s.%N) - $t0" | bc)
{ [ $status = 130 ] && [ "$(echo "$took < 2" | bc)" = 1 ]; }; passed "a long run stops ${took} s after SIGINT, exit $status"
t "...and stores nothing of it" [ "$(q "$tmp/long.db" 'SELECT count(*) FROM runs;')" = 0 ]
grep -q "0 of 1 runs stored" "$tmp/err"; passed "...and says so ($(cat "$tmp/err"))"

# ---- concurrent writers
db=$tmp/conc.db
"$hvsim" run "$qs" --db "$tmp/alone.db" --quiet "${short[@]}" --replications 3 > /dev/null
alone=$(rows "$tmp/alone.db" "$(q "$tmp/alone.db" 'SELECT group_id FROM runs LIMIT 1;')")
pids=()
for w in 1 2 3 4 5 6 7 8; do
  "$hvsim" run "$qs" --db "$db" --quiet "${short[@]}" --replications 3 > /dev/null 2> "$tmp/conc-$w.err" &
  pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
t "8 concurrent writers into a new database: all exit 0" [ $fails = 0 ]
t "8 concurrent writers: 8 groups of 6 runs" [ "$(q "$db" 'SELECT count(DISTINCT group_id), count(*) FROM runs;')" = "8|48" ]
same=0
for g in $(q "$db" "SELECT DISTINCT group_id FROM runs;"); do
  [ "$(rows "$db" "$g")" = "$alone" ] && same=$((same + 1))
done
t "8 concurrent writers: every group's rows equal the same run made alone ($same of 8)" [ $same = 8 ]
t "8 concurrent writers: integrity_check ok" [ "$(q "$db" 'PRAGMA integrity_check;')" = ok ]

# ---- --max-events and --max-wall
db=$tmp/limits.db
"$hvsim" run "$qs" --db "$db" --quiet --set /run/duration='"100s"' --max-events 100000 --replications 3 \
  > "$tmp/out" 2> "$tmp/err"
status=$?
t "--max-events: exit 1" [ $status = 1 ]
grep -Eq "^hvsim: run virtual 1/3 stopped by --max-events 100000 after [0-9]+ events, at simulated [0-9.e+-]+ s of 100.2 s; stored with status 'stopped: max-events'" "$tmp/err"
passed "--max-events: the message names the limit and how far it got ($(head -c 200 "$tmp/err"))"
ev=$(q "$db" "SELECT events FROM runs WHERE status = 'stopped: max-events';")
{ [ -n "$ev" ] && [ "$ev" -ge 100000 ] && [ "$ev" -lt $((100000 + 2 * 65536)) ]; }; passed "--max-events: stored with its status, $ev events"
t "--max-events: the group ends there (one run)" [ "$(q "$db" 'SELECT count(*) FROM runs;')" = 1 ]
t "--max-events: the comparison view ignores it" [ "$(q "$db" 'SELECT count(*) FROM comparison;')" = 0 ]
sim=$(q "$db" "SELECT sim_seconds FROM runs;")
t "--max-events: sim_seconds is the span reached ($sim s)" [ "$(echo "$sim > 0 && $sim < 100" | bc)" = 1 ]
"$hvsim" run "$qs" --db "$db" --quiet --set /run/duration='"100000s"' --max-wall 0.5s > /dev/null 2> "$tmp/err"
status=$?
wall=$(q "$db" "SELECT wall_seconds FROM runs WHERE status = 'stopped: max-wall';")
{ [ $status = 1 ] && grep -q "stopped by --max-wall 0.5s" "$tmp/err"; }; passed "--max-wall: exit 1 and a message ($(head -c 120 "$tmp/err"))"
{ [ -n "$wall" ] && [ "$(echo "$wall >= 0.5 && $wall < 3" | bc)" = 1 ]; }; passed "--max-wall: stored with its status after $wall s"
"$hvsim" run "$qs" --db "$db" --quiet "${short[@]}" --max-events 100000000 --max-wall 1h > /dev/null
t "limits not reached: exit 0, runs ok" [ "$(q "$db" "SELECT count(*) FROM runs WHERE status = 'ok';")" = 2 ]
for bad in "--max-events 0" "--max-events -5" "--max-events 1e6" "--max-wall 0" "--max-wall 5x" "--max-wall -1s"; do
  # shellcheck disable=SC2086
  "$hvsim" run "$qs" --db "$db" --quiet $bad > /dev/null 2> "$tmp/err"
  { [ $? = 2 ] && grep -q "^hvsim: --max-" "$tmp/err"; }; passed "$bad: exit 2 ($(cat "$tmp/err"))"
done

# ---- sweeps
cat > "$tmp/s.json" <<EOF
{ "name": "limits", "base": "$qs", "set": { "/run/duration": "100s", "/run/warmup": "0s" },
  "axes": [ { "name": "rate", "path": "/vms/1/workload/rate", "values": [500, 1000, 1500] } ] }
EOF
db=$tmp/sweep.db
"$hvsim" sweep "$tmp/s.json" --db "$db" -j 3 --quiet --max-events 50000 > /dev/null 2> "$tmp/err"
status=$?
{ [ $status = 1 ] && [ "$(grep -c "the point is not stored" "$tmp/err")" = 3 ]; }; passed "sweep --max-events: exit 1, each point says it is not stored"
t "sweep --max-events: no point, no run stored" [ "$(q "$db" 'SELECT (SELECT count(*) FROM sweep_points) + (SELECT count(*) FROM runs);')" = 0 ]
"$hvsim" sweep "$tmp/s.json" --db "$db" -j 3 --quiet --resume > /dev/null 2>&1
t "sweep --resume without the limit: 3 whole points" [ "$(q "$db" 'SELECT count(*) FROM sweep_points;')|$(q "$db" 'SELECT count(*) FROM runs;')" = "3|6" ]
"$hvsim" sweep "$tmp/s.json" --emit-jobs "$tmp/jobs/jobs.txt" --max-events 1000 --max-wall 10m > /dev/null
t "sweep --emit-jobs passes the limits on" [ "$(grep -c -- "--max-events '1000' --max-wall '10m'$" "$tmp/jobs/jobs.txt")" = 3 ]
bash -c "$(sed -n 1p "$tmp/jobs/jobs.txt")" > /dev/null 2> "$tmp/err"
{ [ $? = 1 ] && grep -q "point 0 (rate=500) not stored" "$tmp/err"; }; passed "...and the emitted command stops its point ($(head -c 150 "$tmp/err"))"
sed -i 's/"100s"/"100000s"/' "$tmp/s.json"
db=$tmp/sweep-term.db
"$hvsim" sweep "$tmp/s.json" --db "$db" -j 3 --quiet > /dev/null 2> "$tmp/err" &
pid=$!
sleep 1
t0=$(date +%s.%N)
kill -TERM $pid
wait $pid
status=$?
took=$(echo "$(date +%s.%N) - $t0" | bc)
{ [ $status = 143 ] && [ "$(echo "$took < 3" | bc)" = 1 ]; }; passed "sweep SIGTERM: exit $status after $took s (workers stop their runs)"
t "sweep SIGTERM: no run outside a complete point" [ "$(q "$db" 'SELECT count(*) FROM runs WHERE group_id NOT IN (SELECT group_id FROM sweep_points);')" = 0 ]
t "sweep SIGTERM: no worker left" [ -z "$(pgrep -f "$tmp/s.json")" ]

tap_done
