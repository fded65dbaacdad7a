#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# paravirt-table.sh [HVSIM] - docs/paravirt.md's table: each scenarios/paravirt-*.json under every
# method x hint (the same guest.paravirt in every VM), one run each (seed 1), printed as markdown:
# the measured VM's throughput (ops/s of its first workload), p99 latency (of its latency
# workload: the second one if it has two), its VP preemptions, lock-holder preemptions and the
# vCPUs it used on average.
set -euo pipefail
cd "$(dirname "$0")/.."
hvsim=${1:-build-release/cli/hvsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| scenario | method | hint | throughput (ops/s) | p99 latency | vp_preemptions | lhp_events | vCPUs in use |"
echo "|---|---|---|---|---|---|---|---|"
for f in scenarios/paravirt-2to1.json scenarios/paravirt-3to1.json scenarios/paravirt-messaging.json \
         scenarios/paravirt-regression.json scenarios/paravirt-undercommit.json; do
  name=$(basename "$f" .json)
  nvms=$(python3 -c "import json,sys; print(len(json.load(open('$f'))['vms']))")
  vm=$(python3 -c "import json,sys; print(json.load(open('$f'))['vms'][0]['name'])")
  lat=$(python3 -c "import json,sys; v=json.load(open('$f'))['vms'][0]; print(1 if len(v.get('workloads',[]))>1 else 0)")
  for mh in none/static capacity/static load-balancer/static push/static offline/static push/steal push/hypervisor; do
    m=${mh%/*} h=${mh#*/}
    sets=()
    for ((i = 0; i < nvms; i++)); do
      sets+=(--set "/vms/$i/guest/paravirt/method=\"$m\"" --set "/vms/$i/guest/paravirt/hint=\"$h\"")
    done
    db=$tmp/$name-$m-$h.db
    "$hvsim" run "$f" --db "$db" --quiet "${sets[@]}" > /dev/null
    sqlite3 -separator ' | ' "$db" "SELECT '$name', '$m', '$h',
      printf('%.0f', (SELECT value FROM metrics WHERE scope = 'vm:$vm/wl:0' AND name = 'ops_per_s')),
      printf('%.0f us', (SELECT value FROM metrics WHERE scope = 'vm:$vm/wl:$lat' AND name = 'latency_p99_ns') / 1000),
      printf('%.0f', (SELECT value FROM metrics WHERE scope = 'vm:$vm' AND name = 'vp_preemptions')),
      printf('%.0f', (SELECT value FROM metrics WHERE scope = 'vm:$vm' AND name = 'lhp_events')),
      printf('%.2f', (SELECT value FROM metrics WHERE scope = 'vm:$vm' AND name = 'vcpus_in_use_mean'));" |
      sed 's/^/| /; s/$/ |/'
  done
done
