#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# export.sh HVSIM SRCDIR - `hvsim compare --csv / --json / --sweep` and the highlights block (TAP):
#  - quickstart, shortened, 3 replications: `compare --all --csv` and `--all --json` parse (python3's
#    csv and json modules), have the same columns in the same order and the same values, bit for
#    bit; they hold exactly the comparison view's rows for the group, with the view's n, means, sd
#    and ratio (relative 1e-12: the view sums in SQL, hvsim in C) and NULL as an empty field / null;
#    each CI half-width is t * sd / sqrt(n), t(0.975, n - 1) read from analysis/tdist.c's table;
#  - without --all the same 7 summary metrics per VM as the table;
#  - a sweep with 4 points (its point names hold commas, an axis named `name` holds a quote and a
#    comma): `compare --sweep NAME --csv --all` has one row set per point, equal to that point's
#    sweep_comparison rows, with sweep_id, point, point_name and one column per axis (`axis_name`
#    for the axis called name) equal to sweep_points; --json gives the same rows with typed axis
#    values; the sweep by id prints the same;
#  - usage: --csv with --json, --sweep with a group, an unknown sweep: exit 2;
#  - the highlights block follows the table of `hvsim run` and `hvsim compare`, once per VM, and is
#    absent from --csv, --json (which stays one JSON document) and a run without a baseline.
# Leaves unchecked: the ranking inside the block (tests/unit/analysis/test_highlights.c).
set -uo pipefail
hvsim=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
q() { sqlite3 "$1" "$2"; }
short=(--set '/run/duration="300ms"' --set '/run/warmup="50ms"')

# check.py MODE ARGS...: the comparisons, in python3 (csv, json, sqlite3); prints what differs, exits 1.
cat > "$tmp/check.py" <<'EOF'
import csv, json, math, re, sqlite3, sys

NUMS = ["mean_virtual", "sd_virtual", "ci95_virtual", "mean_bare_metal", "sd_bare_metal", "ci95_bare_metal", "ratio"]
INTS = ["n_virtual", "n_bare_metal", "point"]

def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]

def csv_value(key, text, typed):
    """A CSV field as the JSON value it must equal."""
    if key in NUMS:
        return None if text == "" else float(text)
    if key in INTS:
        return int(text)
    if key == "significant":
        return {"true": True, "false": False}[text]
    if key in typed:  # an axis value: JSON text unless a string
        return typed[key](text)
    return text

def same(key, a, b):
    """Bit-for-bit equality of two parsed values (NaN never appears: it is empty/null); JSON
    writes a whole mean without a fraction (an int to python), CSV is read as a float."""
    if key in NUMS and type(b) is int:
        b = float(b)
    return type(a) == type(b) and a == b

def close(got, want):
    if want is None or got is None:
        return got is None and want is None
    return got == want or abs(got - want) <= 1e-12 * max(abs(got), abs(want))

def t975():
    text = open(sys.argv[2] + "/analysis/tdist.c").read()
    return {int(df): float(t) for df, t in re.findall(r"\{\s*(\d+),\s*([0-9.]+)\s*\}", text)}

def csv_equals_json(csv_path, json_path, typed={}):
    header, crows = read_csv(csv_path)
    jrows = json.load(open(json_path))
    bad = []
    if len(crows) != len(jrows) or not jrows:
        bad.append("%d CSV rows, %d JSON rows" % (len(crows), len(jrows)))
    for i, (c, j) in enumerate(zip(crows, jrows)):
        if list(j.keys()) != header:
            bad.append("row %d: JSON keys %s != CSV header %s" % (i, list(j.keys()), header))
            continue
        for k in header:
            if not same(k, csv_value(k, c[k], typed), j[k]):
                bad.append("row %d %s: CSV %r, JSON %r" % (i, k, c[k], j[k]))
    return header, crows, jrows, bad

def against_view(rows, view_rows, what):
    """rows (from CSV, parsed) against the view's rows keyed by (scope, name, unit)."""
    bad, ts = [], t975()
    want = {(v["scope"], v["name"], v["unit"]): v for v in view_rows}
    got = {(r["scope"], r["name"], r["unit"]): r for r in rows}
    if set(want) != set(got) or len(got) != len(rows):
        bad.append("%s: %d rows, the view has %d; missing %s, extra %s" % (what, len(rows), len(want),
                   sorted(set(want) - set(got))[:3], sorted(set(got) - set(want))[:3]))
    for key in sorted(set(want) & set(got)):
        g, v = got[key], want[key]
        for side in ("virtual", "bare_metal"):
            n = int(g["n_" + side])
            if n != (v["n_" + side] or 0):
                bad.append("%s %s n_%s %d, view %s" % (what, key, side, n, v["n_" + side]))
            for col in ("mean_", "sd_"):
                got_v = None if g[col + side] == "" else float(g[col + side])
                if not close(got_v, v[col + side]):
                    bad.append("%s %s %s%s %r, view %r" % (what, key, col, side, got_v, v[col + side]))
            ci = None if g["ci95_" + side] == "" else float(g["ci95_" + side])
            sd = v["sd_" + side]
            want_ci = None if sd is None else ts[n - 1] * sd / math.sqrt(n)
            if not close(ci, want_ci):
                bad.append("%s %s ci95_%s %r, t*sd/sqrt(n) %r" % (what, key, side, ci, want_ci))
        ratio = None if g["ratio"] == "" else float(g["ratio"])
        if not close(ratio, v["ratio"]):
            bad.append("%s %s ratio %r, view %r" % (what, key, ratio, v["ratio"]))
    return bad

def view(db, sql, *args):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    return [dict(r) for r in con.execute(sql, args)]

def group_mode(db, group, csv_path, json_path):
    header, crows, _, bad = csv_equals_json(csv_path, json_path)
    bad += against_view(crows, view(db, "SELECT * FROM comparison WHERE group_id = ?", group), "group")
    if any(r["group"] != group for r in crows):
        bad.append("a row of another group")
    if not any(r["sd_virtual"] not in ("", "0") for r in crows):
        bad.append("no row with a spread: the CI check checked nothing")
    return bad

def sweep_mode(db, sweep_name, csv_path, json_path):
    points = view(db, "SELECT p.* FROM sweep_points p JOIN sweeps s ON s.id = p.sweep_id WHERE s.name = ? ORDER BY point",
                  sweep_name)
    axes = list(json.loads(points[0]["params_json"]).keys())
    cols = ["axis_" + a if a == "name" else a for a in axes]
    typed = {c: (str if isinstance(json.loads(points[0]["params_json"])[a], str) else json.loads)
             for a, c in zip(axes, cols)}
    header, crows, jrows, bad = csv_equals_json(csv_path, json_path, typed)
    if header[:3 + len(cols)] != ["sweep_id", "point", "point_name"] + cols:
        bad.append("leading columns %s" % header[:3 + len(cols)])
    seen = []
    for p in points:
        mine = [r for r in crows if r["point"] == str(p["point"])]
        params = json.loads(p["params_json"])
        for r in mine:
            if (r["sweep_id"], r["point_name"], r["group"]) != (p["sweep_id"], p["name"], p["group_id"]):
                bad.append("point %d: %s" % (p["point"], (r["sweep_id"], r["point_name"], r["group"])))
            for a, c in zip(axes, cols):
                if typed[c](r[c]) != params[a]:
                    bad.append("point %d axis %s: %r, params_json %r" % (p["point"], a, r[c], params[a]))
        bad += against_view(mine, view(db, "SELECT * FROM sweep_comparison WHERE sweep_id = ? AND point = ?",
                                       p["sweep_id"], p["point"]), "point %d" % p["point"])
        seen.append(len(mine))
    if len(points) < 2 or sum(seen) != len(crows):
        bad.append("rows per point %s, %d rows in all" % (seen, len(crows)))
    return bad

mode = sys.argv[1]
bad = group_mode(*sys.argv[3:]) if mode == "group" else sweep_mode(*sys.argv[3:])
for b in bad[:20]:
    print("# " + b)
sys.exit(1 if bad else 0)
EOF
check() { python3 "$tmp/check.py" "$1" "$src" "${@:2}"; }

# ---- one group, 3 replications ----
db=$tmp/q.db
"$hvsim" run "$src/scenarios/quickstart.json" --db "$db" --replications 3 "${short[@]}" > "$tmp/run.out"; rc=$?
group=$(q "$db" "SELECT group_id FROM runs ORDER BY id DESC LIMIT 1")
{ [ $rc = 0 ] && [ "$(q "$db" "SELECT COUNT(*) FROM runs")" = 6 ]; }; passed "run: exit 0, 3 replications and their twins"
"$hvsim" compare --db "$db" --all --csv > "$tmp/all.csv"; rc1=$?
"$hvsim" compare --db "$db" --all --json > "$tmp/all.json"; rc2=$?
{ [ $rc1 = 0 ] && [ $rc2 = 0 ]; }; passed "compare --all --csv / --json: exit 0"
t "--csv: RFC 4180 line ends (CRLF on every line)" \
  [ "$(grep -c $'\r$' "$tmp/all.csv")" = "$(wc -l < "$tmp/all.csv")" ]
t "--csv and --json: same columns, same values; both equal the comparison view (n, mean, sd, ratio; CI = t*sd/sqrt(n))" \
  check group "$db" "$group" "$tmp/all.csv" "$tmp/all.json"
"$hvsim" compare --db "$db" --csv "$group" > "$tmp/sum.csv"
"$hvsim" compare --db "$db" --json --group "$group" > "$tmp/sum.json"
t "without --all: the summary's 7 metrics x 2 VMs, CSV equal to JSON" \
  python3 -c 'import csv, json, sys
c = list(csv.DictReader(open(sys.argv[1], newline="")))
j = json.load(open(sys.argv[2]))
names = ["ops_per_s", "latency_p50_ns", "latency_p99_ns", "cpu_ns_per_op", "spin_ns", "steal_ns", "exits"]
ok = [(r["scope"], r["name"]) for r in c] == [(r["scope"], r["name"]) for r in j] \
     == [("vm:batch", m) for m in names] + [("vm:web", m) for m in names] \
     and all(float(a["mean_virtual"]) == b["mean_virtual"] for a, b in zip(c, j))
sys.exit(0 if ok else 1)' "$tmp/sum.csv" "$tmp/sum.json"

# ---- usage ----
msg=$("$hvsim" compare --db "$db" --csv --json 2>&1 >/dev/null); rc=$?
{ [ $rc = 2 ] && grep -q -- "--csv and --json" <<<"$msg"; }; passed "--csv with --json: exit 2, says why"
msg=$("$hvsim" compare --db "$db" --sweep x "$group" 2>&1 >/dev/null); rc=$?
{ [ $rc = 2 ] && grep -q -- "--sweep" <<<"$msg"; }; passed "--sweep with a group: exit 2"
msg=$("$hvsim" compare --db "$db" --sweep nosuch --csv 2>&1 >/dev/null); rc=$?
{ [ $rc = 2 ] && grep -q "no sweep 'nosuch'" <<<"$msg"; }; passed "an unknown sweep: exit 2, named"

# ---- a sweep: one row set per point, with its axis values ----
cat > "$tmp/s.json" <<EOF
{
  "name": "export-sweep",
  "base": "$src/scenarios/quickstart.json",
  "set": { "/run/duration": "100ms", "/run/warmup": "20ms" },
  "axes": [
    { "name": "policy", "path": "/hypervisor/scheduler/policy", "values": ["classic", "core"] },
    { "name": "rate", "path": "/vms/1/workload/rate", "values": [500, 1500] },
    { "name": "name", "path": "/description", "values": ["say \"hi\", twice"] }
  ],
  "replications": 2
}
EOF
"$hvsim" sweep "$tmp/s.json" --db "$tmp/s.db" -j 2 --quiet > /dev/null; rc=$?
{ [ $rc = 0 ] && [ "$(q "$tmp/s.db" "SELECT COUNT(*) FROM sweep_points")" = 4 ]; }; passed "sweep: exit 0, 4 points"
"$hvsim" compare --db "$tmp/s.db" --sweep export-sweep --all --csv > "$tmp/sw.csv"; rc1=$?
"$hvsim" compare --db "$tmp/s.db" --sweep export-sweep --all --json > "$tmp/sw.json"; rc2=$?
{ [ $rc1 = 0 ] && [ $rc2 = 0 ]; }; passed "compare --sweep NAME --csv / --json: exit 0"
t "sweep CSV: one row set per point equal to sweep_comparison, axis columns equal to sweep_points; JSON the same" \
  check sweep "$tmp/s.db" export-sweep "$tmp/sw.csv" "$tmp/sw.json"
t "sweep CSV: a point name with commas and an axis value with a quote are quoted (RFC 4180)" \
  grep -q '^[0-9a-f]\{16\},0,"policy=classic,rate=500,name=say ""hi"", twice",classic,500,"say ""hi"", twice",' "$tmp/sw.csv"
id=$(q "$tmp/s.db" "SELECT id FROM sweeps")
{ [ -n "$id" ] && [ -s "$tmp/sw.csv" ] && cmp -s "$tmp/sw.csv" <("$hvsim" compare --db "$tmp/s.db" --sweep "$id" --all --csv); }
passed "sweep by id = sweep by name"
out=$("$hvsim" compare --db "$tmp/s.db" --sweep export-sweep)
{ grep -q "^sweep export-sweep: 4 complete points" <<<"$out" && \
  [ "$(grep -c '^policy=core,rate=1500,name=say "hi", twice  *core  *1500  .*vm:web  *ops_per_s ' <<<"$out")" = 1 ]; }
passed "sweep table: the point name and axis values lead each row"

# ---- highlights ----
hl='^Where the virtual run lost most against bare metal, per operation'
{ grep -q "$hl" "$tmp/run.out" && grep -qE '^  batch: [+-][0-9.]+ [mun]?s/op' "$tmp/run.out" && \
  grep -qE '^  web: [+-][0-9.]+ [mun]?s/op: steal \+[0-9.]+ [mun]?s/op \([0-9]+%\)' "$tmp/run.out" && \
  grep -qE '^    exits [0-9.e-]+/op vs 0 \(bare\)' "$tmp/run.out"; }; passed "run: the highlights block follows the table, a line per VM"
{ [ "$(sed -n '/^n: replications/,$p' "$tmp/run.out" | grep -c "$hl")" = 1 ] && \
  [ "$(sed -n "/$hl/,\$p" "$tmp/run.out" | grep -c '^  [a-z]*: ')" = 2 ]; }; passed "run: the block comes after the table's legend, with 2 VMs"
out=$("$hvsim" compare --db "$db")
t "compare: the same block as run" [ "$(sed -n "/$hl/,\$p" <<<"$out")" = "$(sed -n "/$hl/,\$p" "$tmp/run.out")" ]
{ ! grep -q "lost most" "$tmp/all.csv" && ! grep -q "lost most" "$tmp/all.json"; }; passed "no block in --csv or --json"
"$hvsim" run "$src/scenarios/quickstart.json" --db "$db" "${short[@]}" --json > "$tmp/run.json"
t "run --json: still one JSON document" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/run.json"
out=$("$hvsim" run "$src/scenarios/quickstart.json" --db "$db" "${short[@]}" --no-baseline)
t "run --no-baseline: no block" [ "$(grep -c "lost most" <<<"$out")" = 0 ]

tap_done
