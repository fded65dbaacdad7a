#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# slurm-up.sh DIR - brings up a private single-node Slurm (munged, slurmctld, slurmd) for tests/slow,
# without systemd and without cgroups, after the recipe in ../shared/SLURM.md. Everything lives under
# DIR (default: $SLURM_DIR): slurm.conf, state, spool, logs, the munge key and socket, and the PIDs
# of the three daemons in DIR/run/*.pid, which slurm-down.sh stops, and nothing else.
# Differences from the recipe: munged runs as root on its own key and socket in DIR/munge (so a
# system munged is neither needed nor disturbed), the node is this host's short name at 127.0.0.1
# with the topology `slurmd -C` reports, and the ports are 17817/17818 (SLURM_TEST_PORT=N for N and
# N+1), away from a real Slurm's 6817/6818. Needs root. Returns when the node is schedulable, or
# fails within about 30 s. Clients then need `export SLURM_CONF=DIR/slurm.conf`.
set -euo pipefail
D=$(realpath -m "${1:-${SLURM_DIR:?usage: slurm-up.sh DIR}}")
port=${SLURM_TEST_PORT:-17817}
t0=$(date +%s.%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
fail() { echo "slurm-up.sh: $*" >&2; for f in "$D"/log/*.out; do echo "== $f" >&2; tail -n 5 "$f" >&2; done; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (the daemons run as root; munged on a private key)"
for p in munged munge slurmctld slurmd sinfo; do command -v $p > /dev/null || fail "$p is missing (scripts/deps --test)"; done
for f in "$D"/run/*.pid; do
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2> /dev/null && fail "$f: pid $(cat "$f") is still running (slurm-down.sh $D first)"
done
rm -rf "$D/state" "$D/spool" "$D/run" "$D/log" "$D/munge"
mkdir -p "$D/state" "$D/spool" "$D/run" "$D/log"
install -d -m 0700 "$D/munge"
sock=$D/munge/munge.socket
[ ${#sock} -lt 100 ] || fail "$sock: too long for a unix socket; use a shorter DIR"

# munged: a fresh key, its own socket, pid, log and seed files, all under DIR/munge
head -c 1024 /dev/urandom > "$D/munge/munge.key"
chmod 0600 "$D/munge/munge.key"
munged -F --force --socket="$sock" --key-file="$D/munge/munge.key" --pid-file="$D/munge/munged.pid" \
  --log-file="$D/log/munged.log" --seed-file="$D/munge/munged.seed" > "$D/log/munged.out" 2>&1 &
echo $! > "$D/run/munged.pid"
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
munge -S "$sock" -n | unmunge -S "$sock" | grep -q 'STATUS: *Success' || fail "munge does not work on $sock"

# slurm.conf: the recipe's, with this host's name and topology
host=$(hostname -s)
topo=$(slurmd -C | head -n 1 | grep -o 'CPUs=[0-9]* Boards=[0-9]* SocketsPerBoard=[0-9]* CoresPerSocket=[0-9]* ThreadsPerCore=[0-9]*') ||
  fail "slurmd -C gave no topology"
cat > "$D/slurm.conf" <<EOF
# Private single-node Slurm for hvsim's tests/slow (written by tests/slow/slurm-up.sh)
ClusterName=hvsim-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pidfile
SlurmdPidFile=$D/run/slurmd.pidfile
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups: /proc-based process tracking, no task containment (a hvsim run is one process)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
# one array task per core; batch_sched_delay=0 starts the next wave of array tasks ~1 s after a
# wave ends instead of ~3 s
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=100000,batch_sched_delay=0
# sbatch --wait polls after 2 s, then multiplies its interval by 4 (up to 10 s) only while the
# interval is below MinJobAge/2: MinJobAge=4 keeps it polling every 2 s (the recipe's 300 gave
# 2 + 8 s for an array done in 3 s). Records of finished jobs then go after 4 s (no scontrol show job later).
MinJobAge=4
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 $topo State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=60 State=UP
EOF
export SLURM_CONF=$D/slurm.conf

slurmctld -D -c -f "$SLURM_CONF" > "$D/log/slurmctld.out" 2>&1 &
echo $! > "$D/run/slurmctld.pid"
slurmd -D -f "$SLURM_CONF" > "$D/log/slurmd.out" 2>&1 &
echo $! > "$D/run/slurmd.pid"
st=
for _ in $(seq 150); do
  for f in munged slurmctld slurmd; do kill -0 "$(cat "$D/run/$f.pid")" 2> /dev/null || fail "$f exited"; done
  st=$(timeout 5 sinfo -h -N -o '%T' 2> /dev/null || true)
  case "$st" in idle*|mixed*|allocated*) echo "slurm-up.sh: node $host $st after $(elapsed) s ($D)"; exit 0 ;; esac
  sleep 0.2
done
fail "node never became idle (state '$st')"
