#!/usr/bin/env bash
# The --without-cards build (issue 17): a module built without cairo and
# Pango loads, passes configtest with SMOCard Off, and refuses SMOCard On
# at configtest with a message that says why and what to do.
#   scripts/nocards-check.sh BUILDDIR   (a build configured --without-cards)
# Ends with "N passed, M failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/httpd-conf.sh"
build=${1:?usage: $0 BUILDDIR}
httpd=${SMO_HTTPD:-/usr/sbin/apache2}
modules=${SMO_MODULES_DIR:-/usr/lib/apache2/modules}
dir=$(mktemp -d "${TMPDIR:-/tmp}/smo-nocards-XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/run" "$dir/logs" "$dir/htdocs"
pass=0 fail=0

load=""
for m in mpm_event authz_core mime dir; do
  "$httpd" -l | grep -q "mod_$m.c" || load+="LoadModule ${m}_module $modules/mod_$m.so"$'\n'
done
load=${load%$'\n'}

# configtest EXTRA-CONF: apache2 -t; its output in $dir/out, status returned.
configtest() {
  httpd_conf "$dir" "$load" "$build/.libs/mod_smo.so" 8 warn "$dir/htdocs" "" "$1" \
    >"$dir/httpd.conf" || return 2
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C \
    "$httpd" -t -f "$dir/httpd.conf" >"$dir/out" 2>&1
}

check() {
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $*"; cat "$dir/out"; fail=$((fail + 1)); fi
}

if ldd "$build/.libs/mod_smo.so" | grep -qE 'libcairo|libpango'; then
  echo "FAIL: $build/.libs/mod_smo.so links cairo or Pango: not a --without-cards build"
  fail=$((fail + 1))
fi
check configtest $'SMOEngine On\nSMOCard Off'
ok_refused() {
  ! configtest $'SMOEngine On\nSMOCard On' &&
    grep -q 'SMOCard: this mod_smo was built without cards (configure --without-cards' "$dir/out" &&
    grep -q 'httpd.conf' "$dir/out"
}
check ok_refused
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
