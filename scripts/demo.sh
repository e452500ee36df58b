#!/usr/bin/env bash
# Build mod_smo if needed and run it in a throw-away Apache on a sample
# site (demo/site/) at 127.0.0.1 on a free port.
#
#   scripts/demo.sh           start (or restart) the demo and say what to look at
#   scripts/demo.sh stop      stop it
#   scripts/demo.sh --check   start it, fetch a page, check the canonical link, stop
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build/main
state=${TMPDIR:-/tmp}/mod_smo-demo-$(id -u)
pidfile=$state/run/httpd.pid

stop() {
  local pid
  [ -f "$pidfile" ] || { echo "demo: not running"; return 0; }
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "demo: stopped (pid $pid)"
  else
    echo "demo: not running (stale pid file)"
  fi
  rm -f "$pidfile"
}

build() {
  if [ ! -f "$build/Makefile" ]; then
    "$top/scripts/deps.sh"
    [ -x "$top/configure" ] || (cd "$top" && autoreconf -fi)
    mkdir -p "$build"
    (cd "$build" && "$top/configure" -q)
  fi
  make -C "$build" -s -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  build
  [ -f "$pidfile" ] && stop >/dev/null
  local httpd modules port p
  httpd=$(sed -n 's/^HTTPD = //p' "$build/Makefile")
  modules=$(sed -n 's/^APXS_LIBEXECDIR = //p' "$build/Makefile")
  port=
  for p in $(seq 8080 8199); do port_free "$p" && { port=$p; break; }; done
  [ -n "$port" ] || { echo "demo: no free port in 8080-8199" >&2; exit 1; }

  # A fresh copy of the site: Apache's workers (www-data when we are root)
  # may not be able to read the checkout (e.g. under /root).
  rm -rf "$state"
  mkdir -p "$state/run" "$state/logs"
  cp -r "$top/demo/site" "$state/htdocs"
  chmod -R a+rX "$state"
  local user=""
  [ "$(id -u)" -eq 0 ] && user=$'User www-data\nGroup www-data'
  local load="" m
  for m in mpm_event authz_core mime dir; do
    "$httpd" -l | grep -q "mod_$m.c" || load+="LoadModule ${m}_module $modules/mod_$m.so"$'\n'
  done
  cat >"$state/httpd.conf" <<CONF
ServerRoot "$state"
DefaultRuntimeDir "$state/run"
PidFile "$pidfile"
${load}LoadModule smo_module "$build/.libs/mod_smo.so"
Listen 127.0.0.1:$port
ServerName 127.0.0.1
$user
ErrorLog "$state/logs/error.log"
LogLevel warn smo:debug
TypesConfig /etc/mime.types
DocumentRoot "$state/htdocs"
<Directory "$state/htdocs">
    Require all granted
</Directory>
DirectoryIndex index.html

# The whole configuration mod_smo needs:
SMOEngine On
CONF
  "$httpd" -f "$state/httpd.conf" -k start
  for _ in $(seq 100); do
    ! port_free "$port" && [ -f "$pidfile" ] && break
    sleep 0.1
  done
  if port_free "$port"; then
    echo "demo: Apache did not start; see $state/logs/error.log:" >&2
    tail -n 20 "$state/logs/error.log" >&2 || true
    exit 1
  fi
  echo "$port" >"$state/port"
}

case ${1:-} in
  stop)
    stop ;;
  --check)
    start
    port=$(cat "$state/port")
    trap stop EXIT
    url="http://127.0.0.1:$port/article.html?utm_source=demo&id=42"
    page=$(curl -fsS "$url") || { echo "demo --check: FAIL: curl $url"; exit 1; }
    head=${page%%</head>*}
    want="http://127.0.0.1:$port/article.html?id=42"
    links=$(grep -oiE '<link[^>]*>' <<<"$head" | grep -iE 'rel="?canonical' || true)
    if [ "$(grep -c . <<<"$links")" -eq 1 ] && grep -Fq "href=\"$want\"" <<<"$links"; then
      echo "demo --check: OK: $url has <link rel=\"canonical\" href=\"$want\"> in its head"
    else
      echo "demo --check: FAIL: no canonical link to $want in the head of $url:"
      echo "$page"
      exit 1
    fi ;;
  "")
    start
    port=$(cat "$state/port")
    cat <<MSG
mod_smo demo running (pid $(cat "$pidfile")), Apache config: $state/httpd.conf

  Open:  http://127.0.0.1:$port/
         http://127.0.0.1:$port/article.html?utm_source=demo&id=42

  Look:  view the page source (Ctrl+U, or view-source:http://127.0.0.1:$port/article.html?utm_source=demo&id=42):
         the <head> holds <link rel="canonical" href="http://127.0.0.1:$port/article.html?id=42">
         (absolute, utm_source stripped), although demo/site/article.html has none.
         canonical.html keeps its own canonical link, byte for byte.
         Or: curl -s 'http://127.0.0.1:$port/article.html?utm_source=demo&id=42' | grep canonical

  Log:   $state/logs/error.log (LogLevel smo:debug)
  Stop:  scripts/demo.sh stop
MSG
    ;;
  *)
    echo "usage: $0 [stop|--check]" >&2; exit 2 ;;
esac
