#!/usr/bin/env bash
# Build mod_smo if needed and run it in a throw-away Apache on a sample
# site at 127.0.0.1 on a free port: the pages of demo/site/, one page
# proxied from a small backend (demo/backend/), share links with click
# tracking, the click log.  The site's configuration is demo/smo-demo.conf
# (tests/integration/demo.test.mjs runs the same one).
#
#   scripts/demo.sh           start (or restart) the demo and say what to look at
#   scripts/demo.sh stop      stop it
#   scripts/demo.sh --check   start a separate instance, check every page and
#                             a click, stop it; exit status 0 if all is well
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/httpd-conf.sh"
# SMO_BUILDDIR: an existing build directory to use instead.
build=${SMO_BUILDDIR:-$top/build/main}
mode=${1:-}

case $mode in
  ""|stop) state=${TMPDIR:-/tmp}/mod_smo-demo-$(id -u) ;;
  # Its own directory: a check never stops a demo someone is looking at.
  --check) state=${TMPDIR:-/tmp}/mod_smo-demo-check-$(id -u)-$$ ;;
  *) echo "usage: $0 [stop|--check]" >&2; exit 2 ;;
esac
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

# As scripts/test.sh does: configure once in build/main, then make.
build() {
  if [ ! -f "$build/Makefile" ]; then
    "$top/scripts/deps.sh" --demo
    [ -x "$top/configure" ] || (cd "$top" && mkdir -p m4 && autoreconf -fi)
    mkdir -p "$build"
    echo "demo: building mod_smo in $build (first run only)"
    (cd "$build" && "$top/configure" -q --disable-integration-tests)
  fi
  make -C "$build" -s -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A free port from $1 on.
free_port() {
  local p
  for p in $(seq "$1" $(($1 + 199))); do port_free "$p" && { echo "$p"; return 0; }; done
  echo "demo: no free port in $1-$(($1 + 199))" >&2
  return 1
}

start() {
  build
  [ -f "$pidfile" ] && stop >/dev/null
  local httpd modules port backend
  httpd=$(sed -n 's/^HTTPD = //p' "$build/Makefile")
  modules=$(sed -n 's/^APXS_LIBEXECDIR = //p' "$build/Makefile")
  port=$(free_port 8080)
  backend=$(free_port $((port + 1)))

  # A fresh copy of the site: Apache's workers (www-data when we are root)
  # may not be able to read the checkout (e.g. under /root).
  rm -rf "$state"
  mkdir -p "$state/run" "$state/logs"
  cp -r "$top/demo/site" "$state/htdocs"
  cp -r "$top/demo/backend" "$state/backend"
  cp "$top/conf/smo.css" "$state/smo.css"
  chmod -R a+rX "$state"
  local load="" m
  for m in mpm_event authz_core mime dir; do
    "$httpd" -l | grep -q "mod_$m.c" || load+="LoadModule ${m}_module $modules/mod_$m.so"$'\n'
  done
  load=${load%$'\n'}
  {
    httpd_conf "$state" "$load" "$build/.libs/mod_smo.so" "$port" "warn smo:debug" \
      "$state/htdocs" "" "CustomLog \"$state/logs/access.log\" \"%h %t \\\"%r\\\" %>s %b\""
    sed -e "s|@BACKEND_ROOT@|$state/backend|g" \
        -e "s|@BACKEND_PORT@|$backend|g" -e "s|@LOGS@|$state/logs|g" \
        -e "s|@SMO_CSS@|$state/smo.css|g" -e "s|@SMO_CLICK@|$top/conf/smo-click.conf|g" \
        -e "s|@SMO_INSPECT@|$top/conf/smo-inspect.conf|g" \
        -e "s|@MODULES@|$modules|g" "$top/demo/smo-demo.conf"
  } >"$state/httpd.conf"
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

# The pages of the demo, as paths on the site.
pages=("/" "/article.html?utm_source=demo&id=42" "/product.html" "/og.html"
       "/latin1.html" "/marker.html" "/shop/")

check() {
  local base=$1 fails=0 p page head body href click code line
  for p in "${pages[@]}"; do
    page=$(curl -fsS "$base$p") || { echo "FAIL $p: no page"; fails=$((fails + 1)); continue; }
    head=${page%%</head>*}
    body=${page#*</head>}
    local missing=()
    grep -q '<link rel="canonical" href="[^"]*"' <<<"$head" || missing+=("canonical link in the head")
    grep -q '<meta property="og:title" content="[^"]' <<<"$head" || missing+=("og:title in the head")
    grep -q '<meta property="og:url" content="http' <<<"$head" || missing+=("og:url in the head")
    grep -q '<meta name="twitter:card" content="summary' <<<"$head" || missing+=("twitter:card in the head")
    grep -q '<nav class="smo-share"' <<<"$body" || missing+=("share bar in the body")
    if [ ${#missing[@]} -eq 0 ]; then
      echo "ok   $p: canonical, og:title, og:url, twitter:card, share bar"
    else
      echo "FAIL $p: missing $(IFS=,; echo "${missing[*]}")"
      fails=$((fails + 1))
    fi
  done

  # The article has no picture: its og:image is a generated card, served
  # as a 1200x630 PNG.
  local card type
  page=$(curl -fsS "$base/article.html") || page=
  card=$(grep -o '<meta property="og:image" content="[^"]*/smo/card/[^"]*"' <<<"$page" |
         sed -e 's/.*content="//' -e 's/"$//' -e 's/&amp;/\&/g')
  type=$([ -n "$card" ] && curl -fsS -o /dev/null -w '%{http_code} %{content_type}' "$card")
  if [ "$type" = "200 image/png" ]; then
    echo "ok   card: $card -> 200 image/png"
  else
    echo "FAIL card: the article's og:image ${card:-(none)} -> ${type:-no answer}"
    fails=$((fails + 1))
  fi

  # The inspector of the article: eight previews in its JSON form.
  local previews
  previews=$(curl -fsS "$base/smo/inspect?u=/article.html&format=json" |
             grep -o '"ratio"' | wc -l) || previews=0
  if [ "$previews" -ge 8 ]; then
    echo "ok   inspector: /smo/inspect?u=/article.html, $previews networks"
  else
    echo "FAIL inspector: /smo/inspect?u=/article.html gave $previews network previews"
    fails=$((fails + 1))
  fi

  # Click the article's X link as a reader would: the handler redirects to
  # x.com and the click lands in the click log.
  page=$(curl -fsS "$base/article.html?utm_source=demo&id=42") || page=
  href=$(grep -o 'href="/smo/click?n=x&amp;[^"]*"' <<<"$page" | head -n 1 | sed -e 's/^href="//' -e 's/"$//' -e 's/&amp;/\&/g')
  if [ -z "$href" ]; then
    echo "FAIL click: no tracked X link in the article"
    return 1
  fi
  read -r code click < <(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}\n' \
                             -H "Referer: $base/article.html" "$base$href")
  case "$code $click" in
    "302 https://x.com/intent/tweet?"*) echo "ok   click: $href -> 302 $click" ;;
    *) echo "FAIL click: $href -> $code $click"; fails=$((fails + 1)) ;;
  esac
  line=
  for _ in $(seq 50); do
    line=$(grep -F " x \"$base/article.html?id=42\" " "$state/logs/smo_click.log" 2>/dev/null || true)
    [ -n "$line" ] && break
    sleep 0.1
  done
  if [ -n "$line" ]; then
    echo "ok   click log: $line"
  else
    echo "FAIL click log: no line for the click in $state/logs/smo_click.log"
    fails=$((fails + 1))
  fi
  [ $fails -eq 0 ]
}

case $mode in
  stop)
    stop ;;
  --check)
    trap 'stop >/dev/null; rm -rf "$state"' EXIT
    start
    base=http://127.0.0.1:$(cat "$state/port")
    if check "$base"; then
      echo "demo --check: OK ($base)"
    else
      echo "demo --check: FAILED; error log:"
      tail -n 20 "$state/logs/error.log" || true
      exit 1
    fi ;;
  "")
    start
    base=http://127.0.0.1:$(cat "$state/port")
    cat <<MSG
mod_smo demo running (pid $(cat "$pidfile")); Apache config: $state/httpd.conf
(the site's part is demo/smo-demo.conf).

Open  $base/   the index, linking to:
      $base/article.html?utm_source=demo&id=42   an article
      $base/product.html   a product page (share bar after the price)
      $base/og.html        a page with its own Open Graph tags
      $base/latin1.html    an ISO-8859-1 page
      $base/marker.html    share bars at <!-- smo:share --> markers
      $base/shop/          a page proxied from a backend

Look  at the share bar under each page (styled by conf/smo.css).
      View the source (Ctrl+U, or view-source:$base/article.html?utm_source=demo&id=42):
      right after <meta charset> in the <head>, mod_smo added
        <link rel="canonical" href="$base/article.html?id=42">  (utm_source stripped)
        <meta property="og:title" ...>, og:description, og:url, og:image, twitter:card ...
      and before </body> a <nav class="smo-share"> with one link per network.
      Compare with the files: demo/site/, demo/backend/ have none of it.
      From a terminal:  curl -s '$base/article.html?utm_source=demo&id=42' | grep -E 'canonical|og:|twitter:|smo-share'

Inspect what a share of a page looks like on eight networks, where each
      value came from and what to fix (the index links it for every page):
        $base/smo/inspect?u=/article.html
        $base/smo/inspect?u=/article.html&format=json   (for scripts)
      The article has no picture: its og:image is a generated card,
        drawn once by $base/smo/card/...

Click a share link: it goes through $base/smo/click, which logs the
      click and redirects to the network.  The click log:
        tail -f $state/logs/smo_click.log
      Why a page was (not) changed:  $state/logs/error.log (LogLevel smo:debug)

Stop  scripts/demo.sh stop
MSG
    ;;
esac
