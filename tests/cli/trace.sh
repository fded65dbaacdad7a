#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# trace.sh HVSIM SRCDIR - `hvsim run --trace` end to end (TAP), on shipped scenarios shortened with --set:
#  - the file is valid JSON in the trace-event format: an array of objects, each with ph, ts, pid
#    and tid, ph one of the phases the writer emits; every track's B/E slices balance and nest;
#  - no LP track shows two VPs at once (its slices never overlap);
#  - per VM (and the root), the VP slices on the LP tracks inside [warm-up, end) add up to the
#    database's cpu_guest_ns + cpu_hypervisor_ns (the root: cpu_root_ns + cpu_hypervisor_ns), the
#    VP's time on an LP (cli/runner.c), within the rounding of the database's ns doubles;
#  - --trace-window keeps only events inside the window (slices cut at its edges);
#  - an I/O's flow starts in the guest (a vCPU track), passes StorVSP (root) and the device, and
#    ends back in the guest (scenarios/io-disk-qd1.json);
#  - bad windows and unwritable files exit 2 before anything runs.
# Leaves unchecked: how ui.perfetto.dev draws the file (the format is checked, not the viewer).
set -uo pipefail
hvsim=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

# check.py MODE TRACE [DB|START END]: the trace's checks in python (exit 1 and a message on failure)
cat > "$tmp/check.py" <<'PY'
import collections, decimal, json, sqlite3, sys

def load(path):
    with open(path) as f:
        return json.load(f, parse_float=decimal.Decimal)  # exact: ts are printed to the picosecond

def names(ev):
    procs = {e["pid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
    return procs, threads

def slices(ev):
    """(pid, tid) -> list of (name, begin, end, depth); fails on unbalanced or badly ordered B/E."""
    open_, out = collections.defaultdict(list), collections.defaultdict(list)
    last = collections.defaultdict(lambda: decimal.Decimal(-1))
    for e in ev:
        k = (e["pid"], e["tid"])
        if e["ph"] in "BE":
            if e["ts"] < last[k]:
                sys.exit(f"time goes back on track {k} at {e['ts']}")
            last[k] = e["ts"]
        if e["ph"] == "B":
            open_[k].append((e["name"], e["ts"]))
        elif e["ph"] == "E":
            if not open_[k]:
                sys.exit(f"E without B on track {k} at {e['ts']}")
            name, t0 = open_[k].pop()
            out[k].append((name, t0, e["ts"], len(open_[k])))
    left = {k: v for k, v in open_.items() if v}
    if left:
        sys.exit(f"slices left open: {left}")
    return out

def fmt():
    ev = load(sys.argv[2])
    if not isinstance(ev, list) or not ev:
        sys.exit("not a non-empty JSON array")
    for e in ev:
        if not isinstance(e, dict) or any(k not in e for k in ("ph", "ts", "pid", "tid")):
            sys.exit(f"event lacks ph/ts/pid/tid: {e}")
        if e["ph"] not in ("B", "E", "X", "i", "C", "s", "t", "f", "M"):
            sys.exit(f"unknown phase: {e}")
        if e["ph"] in "BXiCstf" and "name" not in e:
            sys.exit(f"event lacks a name: {e}")
        if e["ph"] in "stf" and "id" not in e:
            sys.exit(f"flow event lacks an id: {e}")
        if e["ph"] == "C" and not isinstance(e.get("args", {}).get("value"), (int, decimal.Decimal)):
            sys.exit(f"counter without a numeric value: {e}")
    slices(ev)
    if not any(e["ph"] == "B" for e in ev):
        sys.exit("no slices")

def lp_tracks(ev):
    procs, threads = names(ev)
    lps = [k for k, v in threads.items() if procs.get(k[0]) == "host" and v.startswith("lp:")]
    if not lps:
        sys.exit("no LP tracks")
    return lps

def no_overlap():
    ev = load(sys.argv[2])
    s = slices(ev)
    for k in lp_tracks(ev):
        iv = sorted((b, e, name) for name, b, e, depth in s.get(k, []))
        for (b0, e0, n0), (b1, e1, n1) in zip(iv, iv[1:]):
            if b1 < e0:
                sys.exit(f"LP track {k}: {n1} starts at {b1} before {n0} ends at {e0}")
        if any(depth for name, b, e, depth in s.get(k, [])):
            sys.exit(f"LP track {k}: nested slices")

def totals():
    ev = load(sys.argv[2])
    s = slices(ev)
    run_us = collections.Counter()
    for k in lp_tracks(ev):
        for name, b, e, depth in s.get(k, []):
            run_us[name.split("/")[0]] += e - b
    db = sqlite3.connect(sys.argv[3])
    def metric(scope, names):
        row = db.execute("SELECT count(*), sum(value) FROM metrics m JOIN runs r ON r.id = m.run_id "
                         "WHERE r.mode = 'virtual' AND m.scope = ? AND m.name IN (%s)" % ",".join("?" * len(names)),
                         (scope, *names)).fetchone()
        if row[0] != len(names):
            sys.exit(f"{scope}: metrics {names} not in the database")
        return row[1]
    vms = [r[0][3:] for r in db.execute("SELECT DISTINCT scope FROM metrics WHERE scope LIKE 'vm:%' AND scope NOT LIKE '%/%'")]
    if not vms:
        sys.exit("no VMs in the database")
    checked = 0
    for vm in vms + ["root"]:
        want_ns = metric("root", ("cpu_root_ns", "cpu_hypervisor_ns")) if vm == "root" else \
            metric("vm:" + vm, ("cpu_guest_ns", "cpu_hypervisor_ns"))
        got_ns = float(run_us[vm] * 1000)
        if abs(got_ns - want_ns) > 1e-9 * max(want_ns, 1) + 1e-3:
            sys.exit(f"{vm}: LP slices {got_ns} ns, database {want_ns} ns")
        checked += want_ns > 0
    if checked < 2:
        sys.exit("fewer than two partitions ran: nothing compared")

def window():
    ev = load(sys.argv[2])
    lo, hi = decimal.Decimal(sys.argv[3]), decimal.Decimal(sys.argv[4])
    timed = [e for e in ev if e["ph"] != "M"]
    if not timed:
        sys.exit("no events in the window")
    bad = [e for e in timed if not (lo <= e["ts"] <= hi) or (e["ph"] != "E" and e["ts"] == hi)]
    if bad:
        sys.exit(f"{len(bad)} events outside [{lo}, {hi}): {bad[:3]}")
    s = slices(ev)
    if not any(b == lo for v in s.values() for _, b, _, _ in v) or not any(e == hi for v in s.values() for _, _, e, _ in v):
        sys.exit("no slice cut at the window's edges")

def flows():
    ev = load(sys.argv[2])
    procs, threads = names(ev)
    by_id = collections.defaultdict(list)
    for e in ev:
        if e["ph"] in "stf":
            by_id[e["id"]].append(e)
    if not by_id:
        sys.exit("no flows")
    where = lambda e: (procs[e["pid"]], threads[(e["pid"], e["tid"])])
    complete = 0
    through_vsp = 0
    for fid, pts in by_id.items():
        if pts[0]["ph"] != "s":
            sys.exit(f"flow {fid} does not start with s: {pts}")
        if not (where(pts[0])[0].startswith("vm:") and where(pts[0])[1].startswith("vcpu:")):
            sys.exit(f"flow {fid} starts outside a guest vCPU: {where(pts[0])}")
        if pts[-1]["ph"] != "f":
            continue  # still in flight when the run ended
        if len([p for p in pts if p["ph"] == "f"]) != 1 or len([p for p in pts if p["ph"] == "s"]) != 1:
            sys.exit(f"flow {fid}: not one s and one f: {pts}")
        if where(pts[-1])[0] != where(pts[0])[0] or not where(pts[-1])[1].startswith("vcpu:"):
            sys.exit(f"flow {fid} ends outside its guest: {where(pts[-1])}")
        if not any(p["ph"] == "t" and where(p)[0] == "host" and "/slot:" in where(p)[1] for p in pts):
            sys.exit(f"flow {fid} has no device step: {[where(p) for p in pts]}")
        through_vsp += any(p["ph"] == "t" and where(p)[1].startswith("storvsp:") for p in pts)
        complete += 1
    if complete < 10 or through_vsp < 1:
        sys.exit(f"{complete} complete flows, {through_vsp} through StorVSP")

{"format": fmt, "no-overlap": no_overlap, "totals": totals, "window": window, "flows": flows}[sys.argv[1]]()
PY
check() { python3 "$tmp/check.py" "$@"; }

# the quickstart (two VMs on 6 LPs, overcommitted): 10 ms warm-up, 40 ms measured
short=(--set '/run/duration="40ms"' --set '/run/warmup="10ms"' --no-baseline --quiet)
"$hvsim" run "$src/scenarios/quickstart.json" "${short[@]}" --db "$tmp/q.db" --trace "$tmp/full.json" >/dev/null
passed "run --trace: exit 0"
t "the trace is valid trace-event JSON (ph, ts, pid, tid; balanced slices)" check format "$tmp/full.json"
t "no LP track shows two VPs at once" check no-overlap "$tmp/full.json"
{ grep -q '"name":"thread_name","args":{"name":"vcpu:0"}' "$tmp/full.json" && \
  grep -q '"name":"runnable VPs"' "$tmp/full.json" && grep -q '"name":"steal ms"' "$tmp/full.json" && \
  grep -q '"ph":"B","ts":[0-9.]*,"pid":[0-9]*,"tid":[0-9]*,"name":"wl0\.' "$tmp/full.json"; }
passed "vCPU tracks with guest tasks, and the runnable-VP and steal counters"

"$hvsim" run "$src/scenarios/quickstart.json" "${short[@]}" --db "$tmp/w.db" --trace "$tmp/w.json" \
	--trace-window 10ms:50ms >/dev/null
t "the window [warm-up, end) is valid trace-event JSON" check format "$tmp/w.json"
t "per VM and root, LP slices add up to cpu_guest_ns + cpu_hypervisor_ns" check totals "$tmp/w.json" "$tmp/w.db"
"$hvsim" run "$src/scenarios/quickstart.json" "${short[@]}" --db "$tmp/w2.db" --trace "$tmp/w2.json" \
	--trace-window 20ms:30.5ms >/dev/null
t "--trace-window keeps only events in [20ms, 30.5ms), slices cut at the edges" check window "$tmp/w2.json" 20000 30500
{ [ "$(stat -c %s "$tmp/w2.json")" -lt "$(stat -c %s "$tmp/full.json")" ] && check format "$tmp/w2.json"; }
passed "the windowed trace is valid and smaller"
# tracing changes nothing the run measures
{ [ "$(sqlite3 "$tmp/q.db" "SELECT events FROM runs")" = "$(sqlite3 "$tmp/w.db" "SELECT events FROM runs")" ] && \
  "$hvsim" run "$src/scenarios/quickstart.json" "${short[@]}" --db "$tmp/plain.db" >/dev/null && \
  [ "$(sqlite3 "$tmp/plain.db" "SELECT group_concat(printf('%.17g', value)) FROM (SELECT value FROM metrics ORDER BY scope, name)")" = \
    "$(sqlite3 "$tmp/w.db" "SELECT group_concat(printf('%.17g', value)) FROM (SELECT value FROM metrics ORDER BY scope, name)")" ]; }
passed "a traced run measures exactly what an untraced one does"

io=(--set '/run/duration="30ms"' --set '/run/warmup="5ms"' --no-baseline --quiet)
"$hvsim" run "$src/scenarios/io-disk-qd1.json" "${io[@]}" --db "$tmp/io.db" --trace "$tmp/io.json" >/dev/null
t "I/O trace: valid" check format "$tmp/io.json"
t "each I/O is a flow from a guest vCPU through the device (and StorVSP) back to its guest" check flows "$tmp/io.json"

# bad options: exit 2 and a message, nothing run, no database written
bad() { # WHAT EXPECTED-REGEX ARGS...
  local what=$1 re=$2; shift 2
  local msg; msg=$("$hvsim" run "$src/scenarios/quickstart.json" "${short[@]}" --db "$tmp/bad.db" "$@" 2>&1 >/dev/null)
  local rc=$?
  { [ $rc = 2 ] && grep -qE -- "$re" <<<"$msg" && [ ! -e "$tmp/bad.db" ]; }; passed "$what: exit 2, '$re'"
}
bad "window without a colon" "--trace-window expects START:END" --trace "$tmp/b.json" --trace-window 10ms
bad "window with a bad time" "--trace-window '1x:2ms'" --trace "$tmp/b.json" --trace-window 1x:2ms
bad "window ending before it starts" "start must be before the end" --trace "$tmp/b.json" --trace-window 2ms:1ms
bad "window without --trace" "needs --trace" --trace-window 1ms:2ms
bad "unwritable trace file" "cannot write the trace" --trace "$tmp/no/such/dir/t.json"

tap_done
