#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# refhost.sh [HVSIM] [RUNS] - the reference-host benchmark (docs/performance.md): runs
# bench/refhost.json RUNS times (default 3) without the twin and prints, per run and as medians,
# simulated seconds per wall second, events per second and peak memory (maximum resident set).
set -euo pipefail
cd "$(dirname "$0")/.."
hvsim=${1:-build-release/cli/hvsim}
runs=${2:-3}
python3 - "$hvsim" "$runs" <<'PY'
import os, resource, sqlite3, statistics, subprocess, sys, tempfile
hvsim, runs = sys.argv[1], int(sys.argv[2])
rows = []
for i in range(runs):
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "refhost.db")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        subprocess.run([hvsim, "run", "bench/refhost.json", "--db", db, "--no-baseline", "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # max over children so far
        wall, sim, events = sqlite3.connect(db).execute(
            "SELECT wall_seconds, sim_seconds, events FROM runs").fetchone()
        # the measured span excludes the warm-up; the run simulates warm-up + duration
        total_sim = sim + 1.0
        rows.append((total_sim / wall, events / wall, rss_mb, wall))
        print(f"refhost run {i + 1}: sim_per_wall={total_sim / wall:.3f} events_per_s={events / wall:.0f} "
              f"events={events} wall_s={wall:.3f} peak_rss_mb={rss_mb:.1f}")
med = lambda k: statistics.median(r[k] for r in rows)
print(f"refhost median of {runs}: sim_per_wall={med(0):.3f} events_per_s={med(1):.0f} peak_rss_mb={max(r[2] for r in rows):.1f}")
PY
