#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# report.sh HVSIM SRCDIR OUTDIR - `hvsim report` rendered in a real browser (TAP; suites slow, browser).
# Runs the quickstart shortened (2 replications, 100 ms, its name full of HTML specials) and the
# sweep tests/data/sweeps/report.json (2 policies x 3 rates, 2 replications), writes both reports,
# then checks:
#  - the written files: well formed (tests/browser/check_report.py: tags balanced, every <svg>
#    parses as XML), no <script>, no reference outside the page, the scenario name escaped;
#  - headless Chromium (--dump-dom) draws every chart: per VM 7 headline charts, 1 CPU chart,
#    a latency CDF per VM, and 7 x 2 sweep charts per VM (one per metric and axis), each with as
#    many mark elements as it announces, visible ones where the data is not all zero;
#  - Chromium logs no console message while rendering (with --enable-logging=stderr it prints
#    every console message, CSP violation and SVG attribute error as a CONSOLE line; a page with
#    such errors is rendered first to prove the check sees them);
#  - screenshots (1400x3000) are written to OUTDIR/report-run.png and OUTDIR/report-sweep.png;
#  - exit statuses: 2 for no such group or sweep, a file that is not a database, no --html;
#    1 for an output directory that does not exist; no temporary file is left beside the output.
# Skips (77) without chromium (scripts/deps --test installs it).
set -uo pipefail
hvsim=$1 src=$2 out=$3
browser=$(command -v chromium || command -v chromium-browser) || { echo "1..0 # SKIP chromium not installed"; exit 77; }
command -v python3 >/dev/null && command -v sqlite3 >/dev/null || { echo "1..0 # SKIP python3 or sqlite3 missing"; exit 77; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/../cli/tap.sh"
check=$src/tests/browser/check_report.py
# chrome FILE ARGS...: headless Chromium on FILE; its stderr (the console) goes to $tmp/NAME.log
chrome() {
  local file=$1; shift
  timeout 120 "$browser" --headless=new --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" \
    --enable-logging=stderr --v=0 "$@" "file://$file" 2>"$tmp/$(basename "$file").log"
}
# console FILE: the console messages Chromium logged for FILE
console() { grep -E ':CONSOLE[:(]|Uncaught' "$tmp/$(basename "$1").log"; }
# count KIND CHARTS: the charts of that kind in a check_report.py listing
count() { awk -F'\t' -v k="$1" '$1 == k' "$2" | wc -l; }

# --- the data ---
"$hvsim" run "$src/scenarios/quickstart.json" --db "$tmp/run.db" --replications 2 --quiet \
  --set /run/duration='"100ms"' --set /run/warmup='"20ms"' --set "/name=\"q<b>&\\\"x'</b>\"" >/dev/null
t "run: quickstart, 2 replications" [ "$(sqlite3 "$tmp/run.db" "SELECT COUNT(*) FROM runs")" = 4 ]
t "sweep: tests/data/sweeps/report.json, 6 points" \
  "$hvsim" sweep "$src/tests/data/sweeps/report.json" --db "$tmp/sweep.db" -j 4 --quiet
vms=$(sqlite3 "$tmp/run.db" "SELECT COUNT(DISTINCT scope) FROM metrics WHERE scope GLOB 'vm:*' AND scope NOT GLOB '*/*'")
svms=$(sqlite3 "$tmp/sweep.db" "SELECT COUNT(DISTINCT scope) FROM metrics WHERE scope GLOB 'vm:*' AND scope NOT GLOB '*/*'")

# --- writing the reports ---
t "report of the latest group: exit 0" "$hvsim" report --db "$tmp/run.db" --html "$out/report-run.html"
t "report of a sweep by name: exit 0" "$hvsim" report --db "$tmp/sweep.db" report-test --html "$out/report-sweep.html"
sid=$(sqlite3 "$tmp/sweep.db" "SELECT id FROM sweeps")
"$hvsim" report --db "$tmp/sweep.db" --sweep "$sid" --html "$tmp/by-id.html"
t "report of a sweep by id: the same page" cmp -s "$tmp/by-id.html" "$out/report-sweep.html"
group=$(sqlite3 "$tmp/sweep.db" "SELECT group_id FROM sweep_points WHERE point = 4")
"$hvsim" report --db "$tmp/sweep.db" --group "$group" --html "$tmp/point.html"
{ grep -q 'point policy=core,rate=1000' "$tmp/point.html" && grep -q 'chart-cdf' "$tmp/point.html"; }
passed "report of a sweep point (--group): a group page naming its point"
t "no temporary file left beside the reports" [ "$(ls "$out" | grep -cv '^report-\(run\|sweep\)\.\(html\|png\)$')" = 0 ]

# --- the written files ---
python3 "$check" "$out/report-run.html" --source > "$tmp/run.src"; passed "run report: well formed, SVG parses as XML, self-contained"
python3 "$check" "$out/report-sweep.html" --source > "$tmp/sweep.src"; passed "sweep report: well formed, SVG parses as XML, self-contained"
{ grep -q 'q&lt;b&gt;&amp;&quot;x&apos;&lt;/b&gt;' "$out/report-run.html" && ! grep -q '<b>' "$out/report-run.html"; }
passed "the scenario name is escaped"

# --- the console check sees errors (a page with a CSP violation and a bad SVG path) ---
cat > "$tmp/bad.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
</head><body><img src="https://example.invalid/a.png" alt=""><svg xmlns="http://www.w3.org/2000/svg"><path d="M 1 1 Lx"/></svg></body></html>
EOF
chrome "$tmp/bad.html" --dump-dom > /dev/null
t "console check: a broken page logs CONSOLE errors" [ "$(console "$tmp/bad.html" | wc -l)" -ge 2 ]

# --- rendered by Chromium ---
render() { # NAME: dump the DOM, list its charts, check the console
  local f=$out/report-$1.html
  chrome "$f" --dump-dom > "$tmp/$1.dom"; local rc=$?
  { [ $rc = 0 ] && grep -q '</html>' "$tmp/$1.dom"; }; passed "$1 report: Chromium renders it (exit $rc)"
  python3 "$check" "$tmp/$1.dom" > "$tmp/$1.charts"; passed "$1 report: the rendered DOM is well formed, marks as announced"
  ! console "$f" >&2; passed "$1 report: no console message while rendering"
}
render run
{ [ "$(count headline "$tmp/run.charts")" = $((7 * vms)) ] && [ "$(count cpu "$tmp/run.charts")" = 1 ] && \
  [ "$(count cdf "$tmp/run.charts")" = "$vms" ]; }
passed "run report: $((7 * vms)) headline charts, 1 CPU chart, $vms latency CDFs in the DOM ($(cut -f1 "$tmp/run.charts" | sort | uniq -c | tr -s ' \n' ' '))"
t "run report: ops_per_s bars drawn for every VM (2 visible bars each)" \
  [ "$(awk -F'\t' '$1 == "headline" && $2 ~ /: ops_per_s$/ && $5 == 2' "$tmp/run.charts" | wc -l)" = "$vms" ]
t "run report: the CPU chart has visible segments for the host and every VM" \
  [ "$(awk -F'\t' '$1 == "cpu" {print $5}' "$tmp/run.charts")" -ge $((1 + 2 * vms)) ]
t "run report: every CDF draws both sides" [ "$(awk -F'\t' '$1 == "cdf" && $5 == 2' "$tmp/run.charts" | wc -l)" = "$vms" ]
render sweep
t "sweep report: 7 metrics x 2 axes x $svms VMs = $((14 * svms)) sweep charts" [ "$(count sweep "$tmp/sweep.charts")" = $((14 * svms)) ]
t "sweep report: ops/s against rate: one line and band per policy, bare metal dashed" \
  [ "$(awk -F'\t' '$1 == "sweep" && $2 ~ /ops_per_s against rate$/ && $5 >= 5' "$tmp/sweep.charts" | wc -l)" = "$svms" ]

# --- screenshots ---
shot() { # NAME
  local png=$out/report-$1.png
  rm -f "$png"
  chrome "$out/report-$1.html" --screenshot="$png" --window-size=1400,3000 > /dev/null
  { [ -s "$png" ] && [ "$(head -c 4 "$png" | tail -c 3)" = PNG ] && [ "$(stat -c %s "$png")" -gt 20000 ]; }
  passed "$1 report: screenshot $png ($(stat -c %s "$png" 2>/dev/null) bytes)"
}
shot run
shot sweep

# --- exit statuses ---
status() { "$@" > /dev/null 2> "$tmp/err"; echo $?; }
{ [ "$(status "$hvsim" report --db "$tmp/run.db" nosuch --html "$tmp/x.html")" = 2 ] && grep -q "no group or sweep 'nosuch'" "$tmp/err"; }
passed "no such group or sweep: exit 2, named"
t "--sweep with a group id: exit 2" [ "$(status "$hvsim" report --db "$tmp/sweep.db" --sweep "$group" --html "$tmp/x.html")" = 2 ]
echo "not sqlite" > "$tmp/not.db"
t "not a database: exit 2" [ "$(status "$hvsim" report --db "$tmp/not.db" --html "$tmp/x.html")" = 2 ]
t "no --html: exit 2" [ "$(status "$hvsim" report --db "$tmp/run.db")" = 2 ]
t "output directory missing: exit 1" [ "$(status "$hvsim" report --db "$tmp/run.db" --html "$tmp/no/dir/x.html")" = 1 ]
t "nothing written on failure" [ ! -e "$tmp/x.html" ]
t "--help: exit 0" [ "$(status "$hvsim" help report)" = 0 ]

echo "# screenshots: $out/report-run.png $out/report-sweep.png"
tap_done
