#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cookbook.sh HVSIM SRCDIR - every query of docs/analysis.md runs and returns rows (TAP):
#  - builds hvsim.db from the runs the page names, shortened (300 ms after a 50 ms warm-up, the
#    lhp-mitigations sweep with one replication per point, memory-paging sampled every 50 ms);
#  - runs each ```sql block with `sqlite3 -bail hvsim.db` in that directory: an SQL error, or no
#    row on stdout (for a block that writes `.once FILE`: an empty or missing FILE), fails it;
#  - runs each ```python block there too, with pandas when it is installed, else with a stand-in
#    module whose read_sql_query runs the SQL through python's sqlite3; a DataFrame (or list)
#    without rows fails it;
#  - the page has 8 to 12 SQL queries, so a broken extraction cannot pass with none.
# Leaves unchecked: that the numbers are the ones the prose describes (the queries are read by
# people; the values are hvsim's, checked elsewhere), and the ```sh blocks (hvsim commands tested
# by the other cli tests).
set -uo pipefail
hvsim=$(realpath "$1") src=$(realpath "$2") # the queries run in a scratch directory
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
short=(--set '/run/duration="300ms"' --set '/run/warmup="50ms"')
doc=$src/docs/analysis.md
cd "$tmp" || exit 1

# ---- the database the page's queries read ----
python3 - "$src" > lhp.json <<'EOF'
import json, sys
s = json.load(open(sys.argv[1] + "/sweeps/lhp-mitigations.json"))
s["base"] = sys.argv[1] + "/scenarios/lhp-2to1.json"
s["set"] = {"/run/duration": "300ms", "/run/warmup": "50ms"}
s["replications"] = 1
json.dump(s, sys.stdout)
EOF
"$hvsim" sweep lhp.json --db hvsim.db -j 2 --quiet > /dev/null && \
"$hvsim" run "$src/scenarios/lhp-2to1.json" --db hvsim.db --replications 2 "${short[@]}" > /dev/null && \
"$hvsim" run "$src/scenarios/memory-paging.json" --db hvsim.db "${short[@]}" --set '/run/sample_interval="50ms"' > /dev/null && \
"$hvsim" run "$src/scenarios/quickstart.json" --db hvsim.db --replications 2 "${short[@]}" > /dev/null
passed "the database: the sweep, lhp-2to1, memory-paging and quickstart ran"

# ---- the blocks of the page ----
# blocks LANG DIR: writes each ```LANG block of the page to DIR/N; prints how many.
blocks() {
  mkdir -p "$2"
  awk -v lang="$1" -v dir="$2" '
    $0 == "```" lang { inside = 1; k++; next }
    inside && $0 == "```" { inside = 0; next }
    inside { print > (dir "/" k) }
    END { print k + 0 }' "$doc"
}
nsql=$(blocks sql sql)
{ [ "$nsql" -ge 8 ] && [ "$nsql" -le 12 ]; }; passed "docs/analysis.md has 8 to 12 SQL queries ($nsql)"

# first_line FILE: the query's first SQL line, to name it in the TAP output
first_line() { grep -v '^\.' "$1" | head -1 | cut -c1-70; }
for k in $(seq 1 "$nsql"); do
  out=$(sqlite3 -bail hvsim.db < "sql/$k" 2> err); rc=$?
  once=$(sed -n 's/^\.once  *//p' "sql/$k")
  what="query $k runs and returns rows: $(first_line "sql/$k") $(head -c 300 err)"
  if [ -n "$once" ]; then
    { [ $rc = 0 ] && [ ! -s err ] && [ "$(grep -c . "$once" 2>/dev/null)" -ge 2 ]; }
  else
    { [ $rc = 0 ] && [ ! -s err ] && [ -n "$out" ]; }
  fi
  passed "$what"
done

# pandas, or a stand-in that runs the SQL and reads the CSV
if ! python3 -c 'import pandas' 2>/dev/null; then
  mkdir -p stub
  cat > stub/pandas.py <<'EOF'
# stand-in for pandas in tests/cli/cookbook.sh: runs the query, returns its rows as a list
import csv
def read_sql_query(sql, con):
    return con.execute(sql).fetchall()
def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
EOF
  export PYTHONPATH=$tmp/stub
fi
npy=$(blocks python py)
{ [ "$npy" -ge 1 ]; }; passed "docs/analysis.md has a pandas example ($npy)"
for k in $(seq 1 "$npy"); do
  { cat "py/$k"; printf '\nassert len(df) > 0, "no rows"\n'; } > "py/$k.py"
  msg=$(python3 "py/$k.py" 2>&1); rc=$?
  what="python block $k runs and its DataFrame has rows $(tail -1 <<<"$msg")"
  [ $rc = 0 ]; passed "$what"
done

tap_done
