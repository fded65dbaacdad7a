#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# limits.sh HVSIM SRCDIR - the caps that are not scenario keys (TAP; docs/reliability.md "Limits"):
#  - --trace-max: a trace that reaches its cap ends there as at a window's end (valid JSON, about
#    the cap in size), with a message saying when; bad sizes and --trace-max without --trace exit 2;
#  - the memory estimate: printed to stderr before the run when above HVSIM_MEMORY_WARN (default
#    1 GiB: not printed for a small scenario), with the counts it used, and within a factor 2 of
#    the peak RSS measured (when /usr/bin/time is there).
# The caps of the scenario (LPs, VMs, vCPUs, tasks, run end) are tests/data/bad/cap-*.json
# (tests/cli/bad_inputs.sh); --max-events / --max-wall and events in flight are tests/cli/crash_safety.sh.
set -uo pipefail
hvsim=$(realpath "$1") src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
qs=$src/scenarios/quickstart.json

# ---- --trace-max
"$hvsim" run "$qs" --db "$tmp/t.db" --quiet --no-baseline --trace "$tmp/full.json" > /dev/null 2> "$tmp/err"
full=$(stat -c %s "$tmp/full.json")
t "an uncapped trace says nothing of a cap" [ ! -s "$tmp/err" ]
"$hvsim" run "$qs" --db "$tmp/t.db" --quiet --no-baseline --trace "$tmp/cut.json" --trace-max 100KiB > /dev/null 2> "$tmp/err"
status=$?
cut=$(stat -c %s "$tmp/cut.json")
t "--trace-max: the run still succeeds (exit $status)" [ $status = 0 ]
grep -Eq "^hvsim: the trace .*cut.json reached its size cap \(--trace-max 100KiB\) at simulated [0-9.]+ s" "$tmp/err"
passed "--trace-max: the message says when ($(cat "$tmp/err"))"
{ [ "$cut" -ge 102400 ] && [ "$cut" -lt $((102400 + 1048576)) ] && [ "$cut" -lt "$full" ]; }
passed "--trace-max: $cut bytes, about the cap (uncapped: $full)"
t "--trace-max: valid JSON, every slice closed" python3 -c "
import json, sys
ev = json.load(open(sys.argv[1]))
depth = {}
for e in ev:
    k = (e.get('pid'), e.get('tid'))
    depth[k] = depth.get(k, 0) + (e['ph'] == 'B') - (e['ph'] == 'E')
    assert depth[k] >= 0, e
assert all(d == 0 for d in depth.values()), depth
" "$tmp/cut.json"
for bad in "--trace-max 1XB" "--trace-max -1"; do
  # shellcheck disable=SC2086
  "$hvsim" run "$qs" --db "$tmp/t.db" --quiet --trace "$tmp/x.json" $bad > /dev/null 2> "$tmp/err"
  { [ $? = 2 ] && grep -q "^hvsim: --trace-max expects a size" "$tmp/err"; }; passed "$bad: exit 2"
done
"$hvsim" run "$qs" --db "$tmp/t.db" --quiet --trace-max 1MiB > /dev/null 2> "$tmp/err"
{ [ $? = 2 ] && grep -q "needs --trace" "$tmp/err"; }; passed "--trace-max without --trace: exit 2"

# ---- the memory estimate
cat > "$tmp/big.json" <<EOF
{ "name": "many-tasks", "vms": [ { "name": "v", "count": 16, "vcpus": 2,
  "workload": { "kind": "cpu", "threads": 4096 } } ], "run": { "duration": "1ms", "baseline": "none" } }
EOF
"$hvsim" run "$qs" --db "$tmp/m.db" --quiet > /dev/null 2> "$tmp/err"
t "no estimate below 1 GiB" [ ! -s "$tmp/err" ]
timed=()
[ -x /usr/bin/time ] && timed=(/usr/bin/time -f "peak %M KiB" -o "$tmp/rss")
HVSIM_MEMORY_WARN=$((64 << 20)) "${timed[@]}" "$hvsim" run "$tmp/big.json" --db "$tmp/m.db" --quiet > /dev/null 2> "$tmp/err"
re='^hvsim: this run needs about ([0-9]+) MiB of memory: 6 MiB \+ 16 LPs x 2.5 KiB \+ 16 VMs x 18 KiB \+ 32 vCPUs x 3.5 KiB \+ 65536 tasks x 2.2 KiB'
[[ "$(head -1 "$tmp/err")" =~ $re ]]; passed "an estimate above HVSIM_MEMORY_WARN is printed with its counts ($(head -1 "$tmp/err"))"
est=${BASH_REMATCH[1]:-0}
if [ -s "$tmp/rss" ] && ! grep -q __asan_init "$hvsim"; then # ASan's shadow memory is not in the estimate
  peak=$(($(sed -n 's/^peak \([0-9]*\) KiB$/\1/p' "$tmp/rss") / 1024))
  { [ "$est" -gt 0 ] && [ $((est * 2)) -ge "$peak" ] && [ "$est" -le $((peak * 2)) ]; }
  passed "the estimate ($est MiB) is within a factor 2 of the peak RSS ($peak MiB)"
fi

# ---- untrusted files: a workload's file resolves against the scenario's directory, whatever the
# current directory; '..' and absolute paths are allowed; the file's contents are in config_hash
mkdir -p "$tmp/proj/scn/rt" "$tmp/elsewhere"
cp "$src/scenarios/rt-app/periodic.json" "$tmp/proj/scn/rt/p.json"
cp "$src/scenarios/rt-app/periodic.json" "$tmp/proj/p.json"
mk() { sed "s|\"file\": \"rt-app/periodic.json\"|\"file\": \"$1\"|" "$src/scenarios/rt-app-periodic.json" > "$2"; }
mk rt/p.json "$tmp/proj/scn/rel.json"
mk ../p.json "$tmp/proj/scn/up.json"
mk "$tmp/proj/p.json" "$tmp/proj/scn/abs.json"
for f in rel up abs; do
  (cd "$tmp/elsewhere" && "$hvsim" run ../proj/scn/$f.json --db "$tmp/f.db" --quiet --no-baseline --set /run/duration='"20ms"' > /dev/null)
  passed "workload file '$(sed -n 's/.*"file": "\(.*\)".*/\1/p' "$tmp/proj/scn/$f.json")' resolves from the scenario's directory"
done
hashes=$(sqlite3 "$tmp/f.db" "SELECT count(DISTINCT config_hash) FROM runs;")
t "the three point to equal files: their hashes differ only by the path written (3 hashes)" [ "$hashes" = 3 ]
h1=$(sqlite3 "$tmp/f.db" "SELECT config_hash FROM runs WHERE config_json LIKE '%rt/p.json%';")
echo " " >> "$tmp/proj/scn/rt/p.json"
(cd "$tmp/elsewhere" && "$hvsim" run ../proj/scn/rel.json --db "$tmp/g.db" --quiet --no-baseline --set /run/duration='"20ms"' > /dev/null)
t "a changed workload file changes config_hash" [ "$(sqlite3 "$tmp/g.db" 'SELECT config_hash FROM runs;')" != "$h1" ]
printf '{"tasks": {"t": {"run": 1000}}}; $(touch %s/pwned) `touch %s/pwned2`\n' "$tmp" "$tmp" > "$tmp/proj/scn/rt/p.json"
(cd "$tmp/elsewhere" && "$hvsim" run ../proj/scn/rel.json --db "$tmp/g.db" --quiet > /dev/null 2>&1)
{ [ ! -e "$tmp/pwned" ] && [ ! -e "$tmp/pwned2" ]; }; passed "shell syntax in a workload's file is never run"

tap_done
