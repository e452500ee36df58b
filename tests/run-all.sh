#!/usr/bin/env bash
# Run the Check unit programs and the Node integration suite; print each
# one's output and end with one line "N passed, M failed".
#
# usage: tests/run-all.sh [--unit-only] [PROGRAM...]
#   PROGRAM: unit test programs (default: tests/test_* in $SMO_BUILDDIR)
# env: SMO_BUILDDIR (default: current directory), NODE, SMO_HTTPD,
#      SMO_MODULES_DIR (passed on to the integration harness).
set -u

here=$(cd "$(dirname "$0")" && pwd)
unit_only=0
if [ "${1:-}" = "--unit-only" ]; then unit_only=1; shift; fi

export SMO_BUILDDIR="${SMO_BUILDDIR:-$PWD}"
builddir=$SMO_BUILDDIR
passed=0
failed=0
problems=()

if [ $# -eq 0 ]; then
  for p in "$builddir"/tests/test_*; do
    case $p in *.c|*.o|*.log) continue ;; esac
    [ -x "$p" ] && set -- "$@" "$p"
  done
fi

# Check's runner ends with "NN%: Checks: C, Failures: F, Errors: E".
run_unit() {
  local prog=$1 path out rc line c f e got=0
  case $prog in /*) path=$prog ;; *) path=$builddir/$prog ;; esac
  echo "=== $prog"
  if [ ! -x "$path" ]; then
    echo "$prog: not built"
    failed=$((failed + 1)); problems+=("$prog: not built")
    return
  fi
  out=$(cd "$builddir" && "$path" 2>&1); rc=$?
  printf '%s\n' "$out"
  while IFS= read -r line; do
    if [[ $line =~ ^[0-9]+%:\ Checks:\ ([0-9]+),\ Failures:\ ([0-9]+),\ Errors:\ ([0-9]+) ]]; then
      c=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} e=${BASH_REMATCH[3]}
      passed=$((passed + c - f - e)); failed=$((failed + f + e)); got=1
    fi
  done <<<"$out"
  if [ $got -eq 0 ]; then
    # Crashed before its summary (or printed none): one failure, loudly.
    failed=$((failed + 1)); problems+=("$prog: no Check summary (exit $rc)")
  elif [ $rc -ne 0 ]; then
    failed=$((failed + 1)); problems+=("$prog: exit status $rc")
  fi
}

for prog in "$@"; do run_unit "$prog"; done
[ $# -gt 0 ] || { failed=$((failed + 1)); problems+=("no unit test programs found in $builddir/tests"); }

run_integration() {
  local dir=$here/integration node=${NODE:-node} out rc line got=0 bad=0
  echo "=== integration ($dir)"
  if ! command -v "$node" >/dev/null 2>&1; then
    failed=$((failed + 1)); problems+=("integration: node not found (install nodejs)")
    return
  fi
  if [ ! -d "$dir/node_modules/parse5" ] || [ ! -d "$dir/node_modules/playwright-core" ]; then
    echo "installing the integration tests' npm packages (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund) ||
      { failed=$((failed + 1)); problems+=("integration: npm ci failed"); return; }
  fi
  # The real-page corpus (bench/'s npm package); without it the corpus
  # test skips and says why.
  if [ ! -d "$here/../bench/node_modules/htmlparser-benchmark/files" ]; then
    echo "installing bench/'s npm package, the real-page corpus (npm ci)"
    (cd "$here/../bench" && npm ci --no-audit --no-fund) ||
      echo "npm ci in bench/ failed: corpus.test.mjs will be skipped"
  fi
  local files=("$dir"/*.test.mjs)
  # TAP on every Node version: its closing "# pass N" / "# fail M" lines.
  out=$(cd "$dir" && "$node" --test --test-reporter=tap "${files[@]}" 2>&1); rc=$?
  printf '%s\n' "$out"
  while IFS= read -r line; do
    case $line in
      "# pass "*) passed=$((passed + ${line#\# pass })); got=1 ;;
      "# fail "*) bad=$((bad + ${line#\# fail })) ;;
      "# cancelled "*) bad=$((bad + ${line#\# cancelled })) ;;
    esac
  done <<<"$out"
  failed=$((failed + bad))
  if [ $got -eq 0 ]; then
    failed=$((failed + 1)); problems+=("integration: no test summary (exit $rc)")
  elif [ $rc -ne 0 ] && [ $bad -eq 0 ]; then
    failed=$((failed + 1)); problems+=("integration: node exited $rc")
  fi
}

[ $unit_only -eq 1 ] || run_integration

for p in "${problems[@]+"${problems[@]}"}"; do echo "problem: $p"; done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
