# SPDX-License-Identifier: MIT
# tap.sh - sourced by the shell tests: TAP results ("ok N - what" / "not ok N - what"), counted,
# and the plan at the end.
#   t WHAT CMD...              one result: CMD's exit status
#   { A && B; }; passed WHAT   one result: the status of what ran just before (a compound check;
#                              never `t WHAT [ a ] && [ b ]`, which would check [ a ] only)
#   ok WHAT, notok WHAT        one result, decided by the caller
#   tap_done                   the plan "1..N"; its status is 0 only when nothing failed
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
passed() { if [ $? = 0 ]; then ok "$1"; else notok "$1"; fi; }
t() { local what=$1; shift; "$@"; passed "$what"; }
tap_done() { echo "1..$n"; [ $fails -eq 0 ]; }
