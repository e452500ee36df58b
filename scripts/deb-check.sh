#!/usr/bin/env bash
# The Debian package (issue 19), install -> serve -> purge, as root:
#   1. dpkg-buildpackage -us -uc -b in a copy of the tree (the tree stays
#      clean; DEB_BUILD_OPTIONS=nocheck: the rest of CI runs the tests),
#      lintian with no error;
#   2. apt-get install ./libapache2-mod-smo_*.deb: the files in place, the
#      module enabled (mods-enabled/smo.load), the snippets not, the
#      machine's configuration still passing configtest;
#   3. a private apache2 on 127.0.0.1 (never the system one) loading the
#      INSTALLED mod_smo.so and Including the INSTALLED smo.conf,
#      smo-click.conf and smo-inspect.conf, SMOEngine On in a test vhost:
#      canonical link, og:title, a click redirected and logged, the
#      inspector's report;
#   4. apt-get remove (module disabled, conffiles kept), then apt-get
#      purge: nothing of mod_smo left in /etc/apache2,
#      /usr/lib/apache2/modules, /usr/share; /etc/apache2 and
#      /var/lib/apache2 exactly as before.
# Refuses to run if mod_smo is already installed (package or make
# install): it would remove someone's install.  Ends with "N passed, M
# failed"; exit 0 only if all passed.
#   scripts/deb-check.sh            (SMO_DEB=path.deb: test that .deb, no build)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/httpd-conf.sh"
pkg=libapache2-mod-smo
httpd=${SMO_HTTPD:-/usr/sbin/apache2}
modules=/usr/lib/apache2/modules
pass=0 fail=0

die() { echo "deb-check: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs and purges $pkg)"
state=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
if [ -n "$state" ] && [ "$state" != not-installed ]; then
  die "$pkg is already on this machine ($state): refusing to test, the test would purge it"
fi
for f in "$modules/mod_smo.so" /etc/apache2/mods-available/smo.load \
         /etc/apache2/mods-available/smo.conf /etc/apache2/conf-available/smo-click.conf \
         /etc/apache2/conf-available/smo-inspect.conf /usr/share/mod_smo; do
  [ ! -e "$f" ] || die "$f exists (a make install of mod_smo?): refusing to test, the purge would remove it; make uninstall first"
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/smo-deb-XXXXXX")
chmod 755 "$dir"   # apache2's children (www-data) read the docroot in it
installed=no
made_policy=no
httpd_pid=""
# a2dismod -p (the postrm's purge) leaves apache2's empty state
# directories behind, disabled_by_admin/ and disabled_by_maint/: those
# made during this run go again.
forget_state_dirs() {
  local d
  [ -f "$dir/before" ] || return 0
  for d in /var/lib/apache2/*/*_by_*; do
    [ -d "$d" ] || continue
    grep -qxF "$d d " "$dir/before" 2>/dev/null || rmdir "$d" 2>/dev/null || true
  done
}
cleanup() {
  if [ -n "$httpd_pid" ] && kill -0 "$httpd_pid" 2>/dev/null; then
    kill "$httpd_pid"; sleep 1
  fi
  # A run that broke between install and purge still leaves no package.
  if [ "$installed" = yes ]; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$pkg" >/dev/null 2>&1 || true
    forget_state_dirs
  fi
  [ "$made_policy" = no ] || rm -f /usr/sbin/policy-rc.d
  rm -rf "$dir"
}
trap cleanup EXIT
# Killed, it still cleans up: bash runs the EXIT trap on exit, not on a
# signal's default action.
trap 'exit 130' INT
trap 'exit 143' TERM HUP

ok()   { pass=$((pass + 1)); echo "ok   $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# What purge must restore: every path (and link target) under /etc/apache2
# and apache2's record of enabled modules.
snapshot() {
  find /etc/apache2 /var/lib/apache2 -printf '%p %y %l\n' 2>/dev/null | LC_ALL=C sort
}
snapshot >"$dir/before"
# The system server by its PID file (Debian's envvars): other apache2
# processes (tests of other trees, private servers) are not it.
sys_pidfile=/var/run/apache2/apache2.pid
sys_running() { [ -s "$sys_pidfile" ] && kill -0 "$(cat "$sys_pidfile")" 2>/dev/null; }
sys_not_running() { ! sys_running; }
sys_was_running=no
sys_running && sys_was_running=yes

# ------------------------------------------------------------- 1. build
deb=${SMO_DEB:-}
if [ -z "$deb" ]; then
  src=$dir/src/mod-smo
  mkdir -p "$src"
  # The tree as committed plus what is new and not ignored: no build/,
  # no node_modules, no autoreconf output.
  if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$top" && git ls-files -z --cached --others --exclude-standard |
       tar --null -cf - -T - 2>/dev/null) | tar -xf - -C "$src"
  else
    tar -C "$top" --exclude=./build --exclude=node_modules -cf - . | tar -xf - -C "$src"
  fi
  echo "=== dpkg-buildpackage -us -uc -b in $src (DEB_BUILD_OPTIONS=nocheck)"
  if (cd "$src" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -us -uc -b) >"$dir/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b"
  else
    tail -n 40 "$dir/build.log"; bad "dpkg-buildpackage -us -uc -b"
    echo "$pass passed, $fail failed"; exit 1
  fi
  deb=$(ls "$dir"/src/${pkg}_*.deb)
  changes=$(ls "$dir"/src/mod-smo_*.changes)
  if lintian --fail-on error "$changes" >"$dir/lintian.log" 2>&1; then
    ok "lintian: no error ($(grep -c '^W:' "$dir/lintian.log" || true) warnings)"
  else
    cat "$dir/lintian.log"; bad "lintian: errors"
  fi
  grep -E '^[EWIPO]: ' "$dir/lintian.log" | sed 's/^/  lintian: /' || true
fi
[ -f "$deb" ] || die "no .deb ($deb)"

# ----------------------------------------------------------- 2. install
# The postinst restarts apache2 (apache2_invoke enmod smo, after a
# configtest).  No system apache2 is to be started by a test: without a
# policy-rc.d of the machine's own, deny service actions for the run.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# deb-check.sh: no service (re)starts during the test\nexit 101\n' \
    >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  made_policy=yes
fi
echo "=== apt-get install -y ./$(basename "$deb")"
cp "$deb" "$dir/"
installed=yes
if (cd "$dir" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$(basename "$deb")") \
     >"$dir/install.log" 2>&1; then
  ok "apt-get install ./$(basename "$deb")"
else
  cat "$dir/install.log"; bad "apt-get install ./$(basename "$deb")"
fi
sed -n '/Setting up/,$p' "$dir/install.log" | sed 's/^/  /'

for f in "$modules/mod_smo.so" /etc/apache2/mods-available/smo.load \
         /etc/apache2/mods-available/smo.conf /etc/apache2/conf-available/smo-click.conf \
         /etc/apache2/conf-available/smo-inspect.conf \
         /usr/share/mod_smo/smo.css /usr/share/doc/$pkg/README.Debian \
         /usr/share/doc/$pkg/copyright /usr/share/doc/$pkg/examples/static-site.conf; do
  check "installed $f" test -f "$f"
done
check "module enabled: mods-enabled/smo.load -> ../mods-available/smo.load" \
  test "$(readlink /etc/apache2/mods-enabled/smo.load 2>/dev/null)" = ../mods-available/smo.load
# Every snippet of conf/ that make install puts in conf-available.
for f in "$top"/conf/smo-*.conf; do
  f=$(basename "$f")
  check "$f shipped in conf-available, not enabled" \
    sh -c "test -f /etc/apache2/conf-available/$f && test ! -e /etc/apache2/conf-enabled/$f"
done
check "installed smo.load names the installed module" \
  grep -qx "LoadModule smo_module $modules/mod_smo.so" /etc/apache2/mods-available/smo.load
check "the machine's configuration passes configtest with smo loaded" \
  sh -c 'apache2ctl -t >/dev/null 2>&1 && apache2ctl -M 2>/dev/null | grep -q smo_module'
if [ "$sys_was_running" = no ]; then
  check "the system apache2 was not started" sys_not_running
fi

# ------------------------------------------------------------- 3. serve
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for p in $(seq 18480 18679); do port_free "$p" && { port=$p; break; }; done
[ -n "$port" ] || die "no free port in 18480-18679"
mkdir -p "$dir/run" "$dir/logs" "$dir/htdocs"
chown www-data "$dir/logs" 2>/dev/null || true
cat >"$dir/htdocs/index.html" <<'EOF'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Brewing green tea</title>
<meta name="description" content="Water at 70 degrees, two minutes."></head>
<body><article><h1>Brewing green tea</h1><p>Water at 70 degrees.</p></article></body></html>
EOF
load=""
for m in mpm_event authz_core authz_host mime dir; do
  "$httpd" -l | grep -q "mod_$m.c" || load+="LoadModule ${m}_module $modules/mod_$m.so"$'\n'
done
# The shipped files as a2enmod/a2enconf would include them; smo-click.conf
# logs to ${APACHE_LOG_DIR}, which Debian's envvars sets for the system
# server: here the private server's logs/.
site="Define APACHE_LOG_DIR $dir/logs
Include /etc/apache2/mods-available/smo.conf
Include /etc/apache2/conf-available/smo-click.conf
Include /etc/apache2/conf-available/smo-inspect.conf
<VirtualHost 127.0.0.1:$port>
    ServerName 127.0.0.1
    DocumentRoot $dir/htdocs
    SMOEngine On
    SMOBaseURL https://tea.example.test
    SMOShare x email
    SMOTrackClicks On
</VirtualHost>"
httpd_conf "$dir" "${load%$'\n'}" "$modules/mod_smo.so" "$port" warn "$dir/htdocs" "" "$site" \
  >"$dir/httpd.conf"
echo "=== private apache2 on 127.0.0.1:$port (the installed mod_smo.so and conf files)"
if env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C "$httpd" -f "$dir/httpd.conf" -k start \
     >"$dir/start.log" 2>&1; then
  for _ in $(seq 50); do [ -s "$dir/run/httpd.pid" ] && ! port_free "$port" && break; sleep 0.1; done
fi
httpd_pid=$(cat "$dir/run/httpd.pid" 2>/dev/null || true)
if [ -n "$httpd_pid" ]; then
  ok "private apache2 started (pid $httpd_pid)"
  base=http://127.0.0.1:$port
  curl -sS "$base/" >"$dir/page.html" 2>&1 || true
  check "canonical link" \
    grep -q '<link rel="canonical" href="https://tea.example.test/"' "$dir/page.html"
  check "og:title from <title>" \
    grep -q '<meta property="og:title" content="Brewing green tea"' "$dir/page.html"
  check "og:description from the description" \
    grep -q '<meta property="og:description" content="Water at 70 degrees, two minutes."' "$dir/page.html"
  check "share links through the click handler" grep -q '/smo/click?' "$dir/page.html"
  code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' \
           "$base/smo/click?n=x&u=https%3A%2F%2Ftea.example.test%2F" || true)
  check "smo-click.conf: a click is redirected to X ($code)" \
    sh -c "case '$code' in '302 https://x.com/'*|'302 https://twitter.com/'*) true;; *) false;; esac"
  sleep 0.5   # mod_log_config writes the line after the response
  check "smo-click.conf: the click is in logs/smo_click.log" \
    grep -q ' x "https://tea.example.test/' "$dir/logs/smo_click.log"
  # smo-inspect.conf: Require local lets 127.0.0.1 in.
  curl -sS "$base/smo/inspect?u=/&format=json" >"$dir/inspect.json" 2>&1 || true
  check "smo-inspect.conf: the inspector reports the page's og:title" \
    grep -q 'Brewing green tea' "$dir/inspect.json"
  kill "$httpd_pid"
  for _ in $(seq 50); do kill -0 "$httpd_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$httpd_pid" 2>/dev/null; then bad "private apache2 stopped"; else ok "private apache2 stopped"; httpd_pid=""; fi
else
  cat "$dir/start.log" "$dir/logs/error.log" 2>/dev/null || true
  bad "private apache2 started"
fi
[ "$fail" -eq 0 ] || { echo "--- page:"; cat "$dir/page.html" 2>/dev/null || true;
                       echo "--- error.log:"; cat "$dir/logs/error.log" 2>/dev/null || true; }

# ------------------------------------------------- 4. remove, then purge
# remove: the module disabled (postrm: a2dismod), its conffiles kept.
echo "=== apt-get remove -y $pkg"
if DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "$pkg" >"$dir/remove.log" 2>&1; then
  ok "apt-get remove $pkg"
else
  cat "$dir/remove.log"; bad "apt-get remove $pkg"
fi
check "removed: module disabled (no mods-enabled/smo.load)" test ! -e /etc/apache2/mods-enabled/smo.load
check "removed: conffiles kept (mods-available/smo.conf)" test -f /etc/apache2/mods-available/smo.conf
check "removed: $modules/mod_smo.so gone" test ! -e "$modules/mod_smo.so"

echo "=== apt-get purge -y $pkg"
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$pkg" >"$dir/purge.log" 2>&1; then
  ok "apt-get purge $pkg"; installed=no
else
  cat "$dir/purge.log"; bad "apt-get purge $pkg"
fi
state=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
check "dpkg: $pkg ${state:-not known}" \
  sh -c "[ -z '$state' ] || [ '$state' = not-installed ]"
left=$(find /etc/apache2 -name '*smo*' 2>/dev/null)
check "nothing of mod_smo in /etc/apache2${left:+: $left}" test -z "$left"
for f in "$modules/mod_smo.so" /usr/share/mod_smo /usr/share/doc/$pkg; do
  check "$f gone" test ! -e "$f"
done
forget_state_dirs
snapshot >"$dir/after"
if diff -u "$dir/before" "$dir/after" >"$dir/diff"; then
  ok "/etc/apache2 and /var/lib/apache2 as before the test"
else
  cat "$dir/diff"; bad "/etc/apache2 and /var/lib/apache2 as before the test"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
