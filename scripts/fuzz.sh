#!/usr/bin/env bash
# Build the libFuzzer harnesses of tests/fuzz/ with clang (ASan + UBSan)
# against the lib/*.c sources and run each for a bounded time from its
# seed corpus.  The committed corpus never grows: each run works on a
# temporary copy.  Exits non-zero when a target crashes or breaks an
# invariant, leaving the input under $FUZZ_OUT/<target>/.
#
#   scripts/fuzz.sh [TARGET...]
#     (default: fuzz_engine fuzz_url fuzz_click fuzz_image)
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_OUT      build products, logs and crash inputs (default ./fuzz-out)
#   FUZZ_JOBS     libFuzzer -fork jobs (default 0: one in-process fuzzer)
#   FUZZ_KEEP_GOING=1  with FUZZ_JOBS: go on after a crash (-ignore_crashes)
#                 to collect every distinct crash; still exits non-zero
#   CC            the compiler (default clang; Debian 12: clang-14 and
#                 libclang-rt-14-dev, which ships libFuzzer)
#
# Replay a crash:  $FUZZ_OUT/bin/fuzz_engine $FUZZ_OUT/fuzz_engine/crash-...
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
out=${FUZZ_OUT:-$PWD/fuzz-out}
jobs=${FUZZ_JOBS:-0}
cc=${CC:-clang}
# configure may hand us CC=gcc through make: the harnesses need clang.
case "$("$cc" --version 2>/dev/null | head -n1)" in
  *clang*) ;;
  *) cc=clang ;;
esac
if [ $# -gt 0 ]; then targets=("$@"); else
  targets=(fuzz_engine fuzz_url fuzz_click fuzz_image)
fi

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "fuzz.sh: clang not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi
pkgconf() { pkg-config "$@" 2>/dev/null || true; }
cflags="-g -O1 -std=c11 -Wall -Wextra -fno-omit-frame-pointer
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -I$top/lib -I$top/tests/fuzz $(apr-1-config --includes --cppflags)
  $(apu-1-config --includes) $(pkgconf --cflags libxml-2.0)"
libs="$(apu-1-config --link-ld --libs) $(apr-1-config --link-ld --libs)
  $(pkgconf --libs libxml-2.0)"

# The engine's sources, without the card renderer (cairo and Pango draw
# from what cardsign.c verified; no harness feeds them).
srcs=()
for f in "$top"/lib/*.c; do
  [ "$(basename "$f")" = card.c ] || srcs+=("$f")
done

mkdir -p "$out/bin"
status=0
summary=()
repro=()
for t in "${targets[@]}"; do
  src=$top/tests/fuzz/$t.c
  seeds=$top/tests/fuzz/corpus/$t
  if [ ! -f "$src" ] || [ ! -d "$seeds" ]; then
    echo "fuzz.sh: no harness $src or corpus $seeds" >&2
    exit 2
  fi
  echo "== $t: building"
  # shellcheck disable=SC2086
  if ! "$cc" $cflags "$src" "${srcs[@]}" -o "$out/bin/$t" $libs \
       2> "$out/$t.build.log"; then
    cat "$out/$t.build.log" >&2
    echo "fuzz.sh: building $t failed; if the link cannot find" \
         "libclang_rt.fuzzer, install libclang-rt-14-dev" >&2
    exit 2
  fi
  cat "$out/$t.build.log"

  work=$(mktemp -d "${TMPDIR:-/tmp}/smo-$t.XXXXXX")
  cp "$seeds"/* "$work"/
  rm -rf "${out:?}/$t"
  mkdir -p "$out/$t"
  echo "== $t: fuzzing for ${seconds}s from $(ls "$seeds" | wc -l) seeds"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10
        -rss_limit_mb=2048 -artifact_prefix="$out/$t/")
  if [ "$jobs" -gt 0 ]; then
    args+=(-fork="$jobs")
    [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && args+=(-ignore_crashes=1)
  fi
  rc=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$out/bin/$t" "${args[@]}" "$work" > "$out/$t.log" 2>&1 || rc=$?
  rm -rf "$work"

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -n1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t.log" | tail -n1)
  covline=$(grep -E '^#[0-9]+.*cov: [0-9]+' "$out/$t.log" | tail -n1 || true)
  # Fork mode prints no stat:: lines: take its last status line.
  [ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$covline")
  [ -n "$rate" ] || rate=$(( ${runs:-0} / (seconds > 0 ? seconds : 1) ))
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$covline")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$covline")
  crashes=$(find "$out/$t" -type f | sort)
  if [ "$rc" -ne 0 ] || [ -n "$crashes" ]; then
    status=1
    echo "!! $t FAILED (exit $rc); last lines of $out/$t.log:"
    grep -E 'INVARIANT|ERROR|SUMMARY' -A3 "$out/$t.log" | head -n 40 || true
    n=0
    for c in $crashes; do
      n=$((n + 1))
      [ $n -le 5 ] || continue
      echo "!! crashing input: $c"
      echo "   replay: $out/bin/$t $c"
      # CI keeps only the end of the output and none of the files: the
      # input itself goes to the summary, to be replayed anywhere.
      if [ $n -le 2 ]; then
        how="base64 -d > crash; replay with $t crash"
        repro+=("$t input, $(stat -c %s "$c") bytes ($how):"
                "$(head -c 4096 "$c" | base64 -w0)")
      fi
    done
    [ $n -le 5 ] || echo "!! ... $n crashing inputs in all, under $out/$t/"
    summary+=("$(printf '%-12s FAIL  runs %s  exec/s %s  cov %s  ft %s' \
      "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}")")
  else
    summary+=("$(printf '%-12s ok    runs %s  exec/s %s  cov %s  ft %s' \
      "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}")")
  fi
done

echo "== fuzz summary (${seconds}s per target; logs in $out)"
printf '%s\n' "${summary[@]}"
[ ${#repro[@]} -eq 0 ] || printf '!! %s %s\n' "${repro[@]}"
exit $status
