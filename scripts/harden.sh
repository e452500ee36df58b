#!/usr/bin/env bash
# Hardening runs, after scripts/test.sh has built build/asan and
# build/main:
#   a. the whole integration suite (tests/integration/*.test.mjs) with the
#      module of build/asan (--enable-sanitizers) loaded into the stock
#      apache2, the ASan/UBSan runtimes preloaded (SMO_SANITIZED=1; any
#      sanitizer report fails the run, see tests/integration/lib/apache.mjs);
#   b. tests/integration/harden.test.mjs with build/main under each MPM:
#      prefork, worker, event (SMO_MPM).
# Ends with one line "N passed, M failed" over all node runs (their TAP
# "# pass" / "# fail" / "# cancelled" lines); exit status 0 only if all
# passed.
#
# env: SMO_ASAN_BUILDDIR, SMO_MAIN_BUILDDIR (default build/asan, build/main:
#      a missing module is built there, configuring the directory if it has
#      no Makefile), NODE, SMO_HTTPD, SMO_MODULES_DIR (passed on).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
itest=$top/tests/integration
asan_dir=${SMO_ASAN_BUILDDIR:-$top/build/asan}
main_dir=${SMO_MAIN_BUILDDIR:-$top/build/main}
node=${NODE:-node}
jobs=$(nproc 2>/dev/null || echo 2)

total_pass=0
total_fail=0
problems=()

# module DIR CONFIGURE-ARGS...: make sure DIR/.libs/mod_smo.so exists.
module() {
  local dir=$1; shift
  [ -f "$dir/.libs/mod_smo.so" ] && return 0
  echo "=== building mod_smo in $dir"
  mkdir -p "$dir" || return 1
  if [ ! -f "$dir/Makefile" ]; then
    [ -x "$top/configure" ] || (cd "$top" && mkdir -p m4 && autoreconf -fi) || return 1
    (cd "$dir" && "$top/configure" -q "$@") || return 1
  fi
  (cd "$dir" && make -j"$jobs" mod_smo.la) && [ -f "$dir/.libs/mod_smo.so" ]
}

# run LABEL ENV... -- TEST-FILE...: one node --test run, counted.
run() {
  local label=$1; shift
  local envs=() out rc line got=0 pass=0 bad=0
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  echo "=== $label"
  out=$(cd "$itest" && env "${envs[@]}" "$node" --test --test-reporter=tap "$@" 2>&1); rc=$?
  printf '%s\n' "$out"
  while IFS= read -r line; do
    case $line in
      "# pass "*) pass=$((pass + ${line#\# pass })); got=1 ;;
      "# fail "*) bad=$((bad + ${line#\# fail })) ;;
      "# cancelled "*) bad=$((bad + ${line#\# cancelled })) ;;
    esac
  done <<<"$out"
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + bad))
  if [ $got -eq 0 ]; then
    total_fail=$((total_fail + 1)); problems+=("$label: no test summary (exit $rc)")
  elif [ $rc -ne 0 ] && [ $bad -eq 0 ]; then
    # e.g. a sanitizer report thrown from an after() hook
    total_fail=$((total_fail + 1)); problems+=("$label: node exited $rc")
  fi
  echo "--- $label: $pass passed, $bad failed"
}

if ! command -v "$node" >/dev/null 2>&1; then
  echo "node not found (install nodejs)"; echo "0 passed, 1 failed"; exit 1
fi
if [ ! -d "$itest/node_modules/parse5" ]; then
  (cd "$itest" && npm ci --no-audit --no-fund) || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi

passenv=()
for v in SMO_HTTPD SMO_MODULES_DIR SMO_CC CI; do
  [ -n "${!v:-}" ] && passenv+=("$v=${!v}")
done

# a. every integration test against the sanitizer build.  Some tests run
# apache2 themselves (apache2 -t on the shipped configuration): they get
# it through SMO_HTTPD, here a wrapper that preloads the sanitizer
# runtimes too (the harness sets its own ASAN_OPTIONS per server; other
# runs report into $reports, checked below).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smo-harden.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
reports=$tmp/reports
mkdir -p "$reports" && chmod 755 "$tmp" && chmod 1777 "$reports"
cc=${SMO_CC:-gcc}
preload="$("$cc" -print-file-name=libasan.so) $("$cc" -print-file-name=libubsan.so)"
httpd=${SMO_HTTPD:-/usr/sbin/apache2}
# The loader's --preload, not LD_PRELOAD: apache2's own children (piped
# loggers, CGI) must not inherit the runtimes.
loader=$(ldd "$httpd" | awk '$1 ~ /\/ld-linux/ {print $1; exit}')
cat >"$tmp/apache2" <<WRAPPER
#!/bin/sh
export ASAN_OPTIONS="\${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:allow_user_segv_handler=0:log_path=$reports/asan}"
export UBSAN_OPTIONS="\${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=0:log_path=$reports/ubsan}"
exec "$loader" --preload "$preload" "$httpd" "\$@"
WRAPPER
chmod 755 "$tmp/apache2"
if module "$asan_dir" --enable-sanitizers --disable-integration-tests; then
  run "integration suite, ASan+UBSan module (build $asan_dir)" \
    "${passenv[@]}" SMO_HTTPD="$tmp/apache2" SMO_BUILDDIR="$asan_dir" SMO_SANITIZED=1 -- "$itest"/*.test.mjs
  for f in "$reports"/*; do
    [ -e "$f" ] || continue
    echo "=== sanitizer report $f"; cat "$f"
    total_fail=$((total_fail + 1)); problems+=("sanitizer report from apache2: $(basename "$f")")
  done
else
  total_fail=$((total_fail + 1)); problems+=("sanitizer build of the module failed in $asan_dir")
fi

# b. the hardening tests under each MPM.
if module "$main_dir" --enable-werror; then
  for mpm in prefork worker event; do
    run "harden.test.mjs, $mpm MPM (build $main_dir)" \
      "${passenv[@]}" SMO_BUILDDIR="$main_dir" SMO_MPM="$mpm" -- "$itest/harden.test.mjs"
  done
else
  total_fail=$((total_fail + 1)); problems+=("build of the module failed in $main_dir")
fi

for p in "${problems[@]+"${problems[@]}"}"; do echo "problem: $p"; done
echo "$total_pass passed, $total_fail failed"
[ $total_fail -eq 0 ]
