#!/usr/bin/env bash
# Build mod_smo from scratch and run every test, as CI does:
#   1. dependencies (scripts/deps.sh), autoreconf
#   2. build/asan: --enable-sanitizers, `make check-unit` (ASan + UBSan)
#   3. build/main: --enable-werror, `make`, `make check` (unit + integration)
#   4. build/nocards: --without-cards, SMOCard On refused (nocards-check.sh)
#   5. the Debian package: build, install, serve, purge (deb-check.sh)
#   6. scripts/demo.sh --check (the demo site, non-interactive)
# Ends with one line "N passed, M failed" over all of them; exit status 0
# only if everything built and passed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts/deps.sh || exit 1
mkdir -p m4 && autoreconf -fi || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
status=0
total_pass=0
total_fail=0

# run NAME CONFIGURE-ARGS... -- MAKE-TARGET
run() {
  local name=$1; shift
  local args=() target dir=$top/build/$name log
  while [ "$1" != "--" ]; do args+=("$1"); shift; done
  target=$2
  log=$dir/test.log
  echo "=== build/$name: configure ${args[*]} && make $target"
  mkdir -p "$dir"
  # `make check` runs the tests under automake's parallel harness;
  # check-summary then gives the one "N passed, M failed" line.
  (cd "$dir" && "$top/configure" -q "${args[@]}" && make -j"$jobs" &&
     make -s check-logs-clean &&
     { make -j"$jobs" "$target"; rc=$?;
       [ "$target" != check ] || make -s check-summary; exit $rc; }) 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    total_pass=$((total_pass + ${line%% passed*}))
    line=${line#*, }
    total_fail=$((total_fail + ${line%% failed*}))
  else
    echo "build/$name: no test summary (build or test run broke)"
    total_fail=$((total_fail + 1))
  fi
  [ "$rc" -eq 0 ] || status=1
}

# Unit programs under ASan/UBSan (a sanitized module cannot be loaded into
# the stock apache2, so no integration tests here).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run asan --enable-sanitizers --disable-integration-tests -- check-unit
unset ASAN_OPTIONS UBSAN_OPTIONS

run main --enable-werror -- check

# The module built without cairo and Pango: it refuses SMOCard On at
# configtest, and works otherwise.
echo "=== build/nocards: configure --without-cards, SMOCard On refused"
nocards_log=$top/build/nocards.log
mkdir -p "$top/build/nocards"
( (cd "$top/build/nocards" && "$top/configure" -q --without-cards \
     --disable-integration-tests --enable-werror && make -j"$jobs" mod_smo.la) &&
  "$top/scripts/nocards-check.sh" "$top/build/nocards" ) 2>&1 | tee "$nocards_log"
ncrc=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$nocards_log" | tail -n 1)
if [ -n "$line" ]; then
  total_pass=$((total_pass + ${line%% passed*})); line=${line#*, }
  total_fail=$((total_fail + ${line%% failed*}))
else
  echo "build/nocards: no summary (the build broke)"; total_fail=$((total_fail + 1))
fi
[ "$ncrc" -eq 0 ] || status=1

# The Debian package built from the tree, installed into this machine's
# apache2, a page served through the installed configuration, purged
# (the machine left as found).  Refuses, and counts as failed, where
# libapache2-mod-smo is already installed.
echo "=== scripts/deb-check.sh (libapache2-mod-smo: build, install, serve, purge)"
deb_log=$top/build/deb-check.log
"$top/scripts/deb-check.sh" 2>&1 | tee "$deb_log"
dcrc=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$deb_log" | tail -n 1)
if [ -n "$line" ]; then
  total_pass=$((total_pass + ${line%% passed*})); line=${line#*, }
  total_fail=$((total_fail + ${line%% failed*}))
else
  echo "scripts/deb-check.sh: no summary"; total_fail=$((total_fail + 1))
fi
[ "$dcrc" -eq 0 ] || status=1

# The README's first command, in its non-interactive mode: the demo site
# from build/main, every page and a click checked.  Counts as one test.
echo "=== scripts/demo.sh --check"
if SMO_BUILDDIR="$top/build/main" "$top/scripts/demo.sh" --check; then
  total_pass=$((total_pass + 1))
else
  echo "scripts/demo.sh --check failed"
  total_fail=$((total_fail + 1))
  status=1
fi

# Fuzzing (libFuzzer, clang): each target for FUZZ_SECONDS from its seed
# corpus (tests/fuzz/corpus); a crash or broken invariant fails the run and
# leaves the input in build/main/fuzz-out.  One test per target.
echo "=== make fuzz (${FUZZ_SECONDS:=45} s per target)"
fuzz_log=$top/build/main/fuzz.log
(cd "$top/build/main" && FUZZ_SECONDS=$FUZZ_SECONDS make fuzz) 2>&1 | tee "$fuzz_log"
fuzz_ok=$(grep -cE '^fuzz_[a-z]+ +ok ' "$fuzz_log" || true)
fuzz_bad=$(grep -cE '^fuzz_[a-z]+ +FAIL ' "$fuzz_log" || true)
total_pass=$((total_pass + fuzz_ok))
if [ $((fuzz_ok + fuzz_bad)) -eq 0 ]; then
  echo "make fuzz: no fuzz summary (clang or libFuzzer missing?)"
  fuzz_bad=1
fi
total_fail=$((total_fail + fuzz_bad))
[ "$fuzz_bad" -eq 0 ] || status=1

# Hardening: the whole integration suite with the ASan+UBSan module loaded
# into apache2, and the proxy/SSI/deflate/load/bad-input suite under the
# prefork, worker and event MPMs.
echo "=== scripts/harden.sh (sanitized integration suite, MPM matrix)"
harden_log=$top/build/harden.log
SMO_ASAN_BUILDDIR="$top/build/asan" SMO_MAIN_BUILDDIR="$top/build/main" \
  "$top/scripts/harden.sh" 2>&1 | tee "$harden_log"
hrc=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$harden_log" | tail -n 1)
if [ -n "$line" ]; then
  total_pass=$((total_pass + ${line%% passed*})); line=${line#*, }
  total_fail=$((total_fail + ${line%% failed*}))
else
  echo "scripts/harden.sh: no summary"; total_fail=$((total_fail + 1))
fi
[ "$hrc" -eq 0 ] || status=1

[ $status -eq 0 ] && [ $total_fail -eq 0 ] || status=1
echo "$total_pass passed, $total_fail failed"
exit $status
