# SPDX-License-Identifier: MIT
# lib.sh - sourced by the tests/slow scripts: checks, timings, and the dump that says whether two
# results databases hold the same sweep.
. "$(dirname "${BASH_SOURCE[0]}")/../cli/tap.sh"   # ok, notok, t, passed
T0=$(date +%s.%N)
exec 3>&1   # timed prints here, whatever the command's stdout is redirected to
now() { date +%s.%N; }
# secs T: seconds since T (from now), 2 decimals
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# timed LABEL CMD...: runs CMD, prints "# time LABEL: S s" on the test's stdout, keeps CMD's status
timed() {
  local label=$1 t rc; shift
  t=$(now)
  "$@"; rc=$?
  echo "# time $label: $(secs "$t") s (rc $rc)" >&3
  return $rc
}
# unchanged RC BEFORE AFTER: a command exited 0 and the two files are equal
unchanged() { [ "$1" -eq 0 ] && cmp -s "$2" "$3"; }
skip() { echo "SKIP: $*"; exit 77; }

# dump DB: the sweep's results in a fixed order, without what differs between two executions of the
# same sweep: run ids, started_at, wall_seconds, sweeps.created_at. Metrics, histograms and
# timeseries are keyed by their run's identity (group_id, mode, replication); reals are printed
# with 17 significant digits, so any bit of difference shows.
dump() {
  sqlite3 -batch -noheader "$1" <<'SQL'
SELECT 'run', group_id, scenario, mode, seed, replication, config_hash, hvsim_version,
       printf('%.17g', sim_seconds), events, status, config_json
  FROM runs ORDER BY group_id, mode, replication, seed;
SELECT 'metric', r.group_id, r.mode, r.replication, m.scope, m.name, printf('%.17g', m.value), m.unit
  FROM metrics m JOIN runs r ON r.id = m.run_id ORDER BY 2, 3, 4, 5, 6;
SELECT 'hist', r.group_id, r.mode, r.replication, h.scope, h.name, h.unit, h.lo, h.hi, h.count
  FROM histograms h JOIN runs r ON r.id = h.run_id ORDER BY 2, 3, 4, 5, 6, 8;
SELECT 'ts', r.group_id, r.mode, r.replication, s.scope, s.name, printf('%.17g', s.t_seconds), printf('%.17g', s.value)
  FROM timeseries s JOIN runs r ON r.id = s.run_id ORDER BY 2, 3, 4, 5, 6, 7, 8;
SELECT 'sweep', id, name, points, spec_json FROM sweeps ORDER BY id;
SELECT 'point', sweep_id, point, name, group_id, params_json FROM sweep_points ORDER BY sweep_id, point;
SQL
}

# same_results A.db B.db OUTDIR: the dumps of A and B are equal and not empty; prints the first
# differences otherwise (both dumps stay in OUTDIR)
same_results() {
  local a=$1 b=$2 out=$3
  dump "$a" > "$out/a.dump" && dump "$b" > "$out/b.dump" || return 1
  echo "# dump: $(wc -l < "$out/a.dump") rows ($(grep -c '^metric' "$out/a.dump") metric rows)"
  grep -q '^metric' "$out/a.dump" || { echo "# $a has no metric rows"; return 1; }
  diff "$out/a.dump" "$out/b.dump" > "$out/dump.diff" && return 0
  echo "# $a and $b differ (first lines of $out/dump.diff):"
  head -n 20 "$out/dump.diff" | cut -c 1-300 | sed 's/^/#   /'
  return 1
}

# complete DB POINTS REPS: the database holds one sweep of POINTS points, every point once, each
# with REPS ok replications in both modes
complete() {
  local got
  got=$(sqlite3 -batch -noheader "$1" "SELECT (SELECT COUNT(*) FROM sweeps), (SELECT MAX(points) FROM sweeps),
      (SELECT COUNT(*) FROM sweep_points), (SELECT COUNT(DISTINCT group_id) FROM sweep_points),
      (SELECT COUNT(*) FROM runs WHERE status = 'ok' AND group_id IN (SELECT group_id FROM sweep_points)),
      (SELECT COUNT(*) FROM runs);")
  echo "# $1: sweeps|points|sweep_points|groups|ok runs|runs = $got"
  [ "$got" = "1|$2|$2|$2|$(($2 * $3 * 2))|$(($2 * $3 * 2))" ]
}

# merged_equals_local LABEL DB SHARD...: the shards' merge into DB (exit 0, every point complete),
# the same sweep run here with -j 2, DB equal to it row for row, and merging again a no-op.
# Uses $hvsim, $sweep, $S, $points and $reps of the calling script.
merged_equals_local() {
  local label=$1 db=$2 rc; shift 2
  timed "merge" timeout 60 "$hvsim" merge "$db" "$@" > "$S/merge.out"
  rc=$?
  sed 's/^/# /' "$S/merge.out"
  t "hvsim merge exits 0" [ $rc -eq 0 ]
  t "the merged database holds all $points points, each with $reps replications in both modes" \
    complete "$db" $points $reps
  timed "local sweep -j 2" timeout 240 "$hvsim" sweep "$sweep" --db "$S/local.db" -j 2 --quiet > "$S/local.out"
  rc=$?
  t "hvsim sweep -j 2 exits 0" [ $rc -eq 0 ]
  t "$label's merged database equals the local -j 2 one" same_results "$db" "$S/local.db" "$S"
  sqlite3 "$db" .dump > "$S/before.sql"
  timeout 60 "$hvsim" merge "$db" "$@" > "$S/merge2.out"
  rc=$?
  sqlite3 "$db" .dump > "$S/after.sql"
  t "merging the shards again changes nothing (rc $rc)" unchanged $rc "$S/before.sql" "$S/after.sql"
}
