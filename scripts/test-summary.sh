#!/bin/sh
# One line "N passed, M failed" over the logs of automake's test harness
# (make check-summary passes them): a unit program's log ends with Check's
# "NN%: Checks: C, Failures: F, Errors: E"; an integration file's log holds
# node's TAP closing counts "# pass N", "# fail N", "# cancelled N".  A log
# with neither is one test, passed if the harness says so (a script check
# such as tests/tagclass-generated.sh), else failed (a crash, a program
# that printed no summary).
# usage: scripts/test-summary.sh LOG...
passed=0
failed=0
for log in "$@"; do
  if [ ! -f "$log" ]; then
    echo "test-summary: $log: no log (the test did not run)"
    failed=$((failed + 1))
    continue
  fi
  r=$(awk '
    /^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+/ {
      c = $3; f = $5; e = $7; sub(",", "", c); sub(",", "", f)
      p += c - f - e; x += f + e; got = 1
    }
    /^# pass [0-9]+$/      { p += $3; got = 1 }
    /^# (fail|cancelled) [0-9]+$/ { x += $3 }
    END { printf "%d %d %d\n", p, x, got }' "$log")
  p=${r%% *}; r=${r#* }; x=${r%% *}; got=${r#* }
  if [ "$got" -eq 0 ] && [ -f "${log%.log}.trs" ] &&
     grep -q '^:global-test-result: PASS' "${log%.log}.trs"; then
    p=1
  elif [ "$got" -eq 0 ]; then
    echo "test-summary: $log: no test summary (crashed or did not start)"
    x=$((x + 1))
  elif [ "$x" -eq 0 ] && [ -f "${log%.log}.trs" ] &&
       grep -q '^:global-test-result: \(FAIL\|ERROR\)' "${log%.log}.trs"; then
    echo "test-summary: $log: the test failed (exit status) with no failing case"
    x=$((x + 1))
  fi
  passed=$((passed + p))
  failed=$((failed + x))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
