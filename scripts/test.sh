#!/usr/bin/env bash
# README command 2: set up (venv, promtool, amtool) and run the whole test suite.
#
# The tests marked `realtime` (a real Prometheus and Alertmanager on 127.0.0.1 driven by the wall
# clock: tests/live, the one-page-per-incident check) mostly wait, and those marked `long` keep one
# promtool process busy for minutes (a month of evaluations), so when the whole suite runs (no test
# paths, -m or -k given) both run in a second pytest process beside the rest, each process with its
# own temporary folder; their output follows the main run's. SRE_GEN_SERIAL=1 runs one process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

paths=0
for arg in "$@"; do
  case "$arg" in
    -m|-m*|-k|-k*) paths=1 ;;  # a selection of its own: one process
    -*) ;;
    *) paths=1 ;;
  esac
done
if [ "$paths" = 1 ] || [ "${SRE_GEN_SERIAL:-0}" = 1 ]; then
  exec .venv/bin/python -m pytest "$@"
fi

tmp=$(mktemp -d)
bg_pid=
cleanup() {
  if [ -n "$bg_pid" ]; then kill -- "$bg_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/main" "$tmp/realtime"
.venv/bin/python -m pytest -m "realtime or long" --basetemp="$tmp/realtime" "$@" >"$tmp/realtime.log" 2>&1 &
bg_pid=$!
main_rc=0
.venv/bin/python -m pytest -m "not realtime and not long" --basetemp="$tmp/main" "$@" || main_rc=$?
rt_rc=0
wait "$bg_pid" || rt_rc=$?
bg_pid=
echo "---- tests marked realtime or long (run beside the rest) ----"
cat "$tmp/realtime.log"
if [ "$main_rc" -ne 0 ]; then exit "$main_rc"; fi
exit "$rt_rc"
