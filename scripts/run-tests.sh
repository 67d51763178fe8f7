#!/usr/bin/env bash
# The whole test run behind `npm test`: type check, lint, the node tests and the Pester suites, side by side.
# Each step alone leaves a core idle (one PowerShell process at a time, node tests waiting on servers and child
# processes), so they run together: the Pester suites in two PowerShell processes (shards), the node test files two at
# a time (test:unit). Output stays readable: the node tests stream live; the type check, lint and each Pester shard
# are held back and printed whole after them, in that order. The run fails if any step failed, once all
# steps have finished.
set -uo pipefail
cd "$(dirname "$0")/.."

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# PowerShell's start-up telemetry costs every pwsh process CPU time and changes nothing the tests look at.
export POWERSHELL_TELEMETRY_OPTOUT=1
# The pinned PowerShell precompiled by scripts/precompile-pwsh.sh (part of the setup), as `pwsh` on PATH: the doctor
# finds it there; the Pester runner and the Exchange command tests take it from .tools/bin themselves.
if [ -x .tools/bin/pwsh ]; then export PATH="$PWD/.tools/bin:$PATH"; fi

# The CPU seconds (user + system) of the finished children of a shell, from the output of its `times` builtin. The
# steps share two cores, so CPU time, not the wall clock, shows which step to make cheaper. Each step writes `times`
# into a file itself: in a pipe or a $(...) it would run in a forked subshell, which has no finished children.
cpu_seconds() {
  # gsub: `times` writes the locale's decimal separator, which may be a comma.
  awk 'NR == 2 { gsub(",", "."); split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.0f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}

# Starts a command in the background as step <name>: its output goes to $logs/<name>.log, its exit code and
# seconds to $logs/<name>.rc, its CPU time to $logs/<name>.times.
start_step() {
  local name=$1
  shift
  (
    started=$SECONDS
    "$@" >"$logs/$name.log" 2>&1
    code=$?
    times >"$logs/$name.times"
    # Written whole, then renamed: finish_step reads it as soon as it exists.
    echo "$code $((SECONDS - started))" >"$logs/$name.rc.part" && mv "$logs/$name.rc.part" "$logs/$name.rc"
  ) &
}

# Prints a background step's output and records its result once it has finished.
failed=()
summary=()
finish_step() {
  local name=$1
  while [ ! -f "$logs/$name.rc" ]; do sleep 1; done
  read -r code seconds <"$logs/$name.rc"
  echo "=== $name (exit $code, ${seconds}s) ==="
  cat "$logs/$name.log"
  summary+=("$name: exit $code, ${seconds}s, $(cpu_seconds "$logs/$name.times")s CPU")
  if [ "$code" != "0" ]; then failed+=("$name"); fi
}

start_step pester-1 bash scripts/run-pester.sh -ShardCount 2 -ShardIndex 0
start_step pester-2 bash scripts/run-pester.sh -ShardCount 2 -ShardIndex 1
start_step typecheck npm run --silent typecheck
start_step lint npm run --silent lint

echo "=== test:unit (live; type check, lint and Pester follow) ==="
started=$SECONDS
# In a subshell of its own, so that its CPU time counts only its own children; the output still streams live.
(
  npm run --silent test:unit
  code=$?
  times >"$logs/test-unit.times"
  exit "$code"
)
code=$?
summary+=("test:unit: exit $code, $((SECONDS - started))s, $(cpu_seconds "$logs/test-unit.times")s CPU")
if [ "$code" != "0" ]; then failed+=("test:unit"); fi

finish_step typecheck
finish_step lint
finish_step pester-1
finish_step pester-2
wait

echo "=== summary ==="
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all steps passed"
