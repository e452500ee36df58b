#!/usr/bin/env bash
# The benchmark suite (`make bench`; never part of `make check`).  Prints
# one Markdown table and writes it, with the date, the machine and the
# command, to BENCHMARKS.md at the top of the source tree:
#
#   1. engine      bench/bench_engine over htmlparser-benchmark's pages
#   2. end to end  wrk against a real apache2 (event MPM) serving a ~100 KB
#                  page of that corpus: no filter, mod_substitute,
#                  mod_proxy_html, mod_smo metadata, mod_smo metadata +
#                  share block, in alternating rounds
#   3. memory      a 300 MB HTML response from a CGI streamed through one
#                  prefork child: growth of its peak RSS (VmHWM)
#   4. latency     time to first byte from a CGI that sends its head and
#                  sleeps 0.3 s, with and without mod_smo
#   5. CPU         httpd's CPU time per request (one child, ab keep-alive):
#                  every response parsed, the kept plan, through ProxyPass
#
# Every apache2 listens on 127.0.0.1 only, on a port found free, and is
# stopped by PID at the end whatever happens.  Takes about 3 minutes.
#
# Environment: SMO_BUILDDIR (a configured build directory; default
# build/main, configured and built here if needed), SMO_HTTPD,
# SMO_MODULES_DIR, SMO_BENCH_ROUNDS (3), SMO_BENCH_DURATION (5 s per wrk
# run), SMO_BENCH_ENGINE_ROUNDS (5), SMO_BENCH_BIG_MB (300),
# SMO_BENCH_TTFB_RUNS (31), SMO_BENCH_OUT (BENCHMARKS.md),
# SMO_BENCH_COMMAND (the command named in the report), SMO_BENCH_KEEP=1
# (keep the temporary directory, to look at what the servers sent).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/httpd-conf.sh"

HTTPD=${SMO_HTTPD:-/usr/sbin/apache2}
MODDIR=${SMO_MODULES_DIR:-/usr/lib/apache2/modules}
ROUNDS=${SMO_BENCH_ROUNDS:-3}
DURATION=${SMO_BENCH_DURATION:-5}
ENGINE_ROUNDS=${SMO_BENCH_ENGINE_ROUNDS:-5}
BIG_MB=${SMO_BENCH_BIG_MB:-300}
# A CGI's first byte comes 2 to 16 ms after the request here (fork, exec,
# a shared machine): the median of 7 moved by 2 ms from run to run, more
# than the 1 ms the comparison is about.
TTFB_RUNS=${SMO_BENCH_TTFB_RUNS:-31}
OUT=${SMO_BENCH_OUT:-$top/BENCHMARKS.md}
COMMAND=${SMO_BENCH_COMMAND:-scripts/bench.sh}
WRK_THREADS=2
WRK_CONNS=32
corpus=$top/bench/node_modules/htmlparser-benchmark/files
jobs=$(nproc 2>/dev/null || echo 2)

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }

# ---------------------------------------------------------------- build

builddir=${SMO_BUILDDIR:-$top/build/main}
if [ ! -f "$builddir/Makefile" ]; then
  say "configuring $builddir"
  [ -x "$top/configure" ] || (cd "$top" && mkdir -p m4 && autoreconf -fi) ||
    die "autoreconf failed"
  mkdir -p "$builddir" && (cd "$builddir" && "$top/configure" -q) ||
    die "configure failed"
fi
make -s -C "$builddir" -j"$jobs" mod_smo.la bench/bench_engine \
  >"$builddir/bench-build.log" 2>&1 ||
  { tail -n 30 "$builddir/bench-build.log" >&2; die "build failed in $builddir"; }
builddir=$(cd "$builddir" && pwd)
MOD_SMO=$builddir/.libs/mod_smo.so
[ -f "$MOD_SMO" ] || die "$MOD_SMO not found"

if [ ! -d "$corpus" ]; then
  say "npm ci in bench/ (the corpus)"
  (cd "$top/bench" && npm ci --no-audit --no-fund >&2) || die "npm ci failed"
fi

if ! command -v wrk >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  say "installing wrk"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2; }
fi

# ------------------------------------------------------ temp dir, cleanup

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smo-bench.XXXXXX") || die "mktemp failed"
chmod 755 "$tmp"
raw=$tmp/raw.log          # every tool's own output, copied to the build dir
httpd_pid=

stop_httpd() {
  [ -n "$httpd_pid" ] || return 0
  local kids i
  kids=$(ps -o pid= --ppid "$httpd_pid" 2>/dev/null)
  kill -TERM "$httpd_pid" 2>/dev/null
  for i in $(seq 100); do
    kill -0 "$httpd_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$httpd_pid" 2>/dev/null; then
    kill -KILL "$httpd_pid" 2>/dev/null
    for i in $kids; do kill -KILL "$i" 2>/dev/null; done
  fi
  wait "$httpd_pid" 2>/dev/null
  httpd_pid=
}

cleanup() {
  stop_httpd
  [ -f "$raw" ] && cp "$raw" "$builddir/bench-raw.log" 2>/dev/null
  if [ -n "${SMO_BENCH_KEEP:-}" ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ------------------------------------------------------------- helpers

# median of the numbers on stdin (mean of the middle two for an even count)
median() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

free_port() {
  if command -v node >/dev/null 2>&1; then
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  else
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
  fi
}

compiled_in=$("$HTTPD" -l 2>/dev/null)
load_modules() {
  local m
  for m in "$@"; do
    case $compiled_in in *"mod_$m.c"*) continue ;; esac
    echo "LoadModule ${m}_module $MODDIR/mod_$m.so"
  done
}

# write_conf DIR PORT MPM EXTRA-CONF: DIR/httpd.conf from the shared
# template (scripts/httpd.conf.in) with the benchmark's modules
write_conf() {
  local dir=$1 port=$2 mpm=$3 extra=${4//@PORT@/$2} cgi=cgid sock=""
  [ "$mpm" = prefork ] && cgi=cgi
  [ "$cgi" = cgid ] && sock="ScriptSock \"$dir/run/cgid.sock\""
  httpd_conf "$dir" \
    "$(load_modules "mpm_$mpm" authz_core mime dir alias env setenvif headers \
        filter substitute xml2enc proxy proxy_http proxy_html "$cgi" log_config unixd)" \
    "$MOD_SMO" "$port" warn "$dir/htdocs" "    Options +ExecCGI" \
    "AddHandler cgi-script .cgi
$sock
$extra" >"$dir/httpd.conf"
}

# start_httpd DIR MPM EXTRA-CONF: start apache2 in the foreground as our
# child, on a free port (retried if taken meanwhile); sets httpd_pid, port
start_httpd() {
  local dir=$1 mpm=$2 extra=$3 attempt i
  mkdir -p "$dir/run" "$dir/logs"
  chmod 755 "$dir" "$dir/run" "$dir/logs"
  for attempt in 1 2 3; do
    port=$(free_port) || return 1
    write_conf "$dir" "$port" "$mpm" "$extra"
    : >"$dir/logs/error.log"
    # Its own session: prefork's parent signals its whole process group
    # when it stops, which would otherwise include this script.
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C \
      setsid "$HTTPD" -f "$dir/httpd.conf" -DFOREGROUND 2>>"$dir/logs/error.log" &
    httpd_pid=$!
    for i in $(seq 150); do
      if ! kill -0 "$httpd_pid" 2>/dev/null; then
        wait "$httpd_pid" 2>/dev/null
        httpd_pid=
        break
      fi
      curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" && return 0
      sleep 0.1
    done
    if [ -n "$httpd_pid" ]; then
      say "apache2 did not answer on port $port"
      stop_httpd
      return 1
    fi
    grep -q 'Address already in use' "$dir/logs/error.log" || break
  done
  say "apache2 did not start:"
  tail -n 20 "$dir/logs/error.log" >&2
  return 1
}

# apache2 -t on a configuration; its messages in $dir/configtest.log
config_ok() {
  local dir=$1 mpm=$2 extra=$3
  mkdir -p "$dir/run" "$dir/logs"
  write_conf "$dir" 1 "$mpm" "$extra"
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C \
    "$HTTPD" -t -f "$dir/httpd.conf" >"$dir/configtest.log" 2>&1
}

# to_ms "3.21ms" | "850.00us" | "1.02s" -> milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print "nan" }'
}

fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else printf f, v }'; }

rows=()     # the table: | part | measurement | result | p99 latency | ratio | notes |
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); }
notes=()    # lines under the table

modules_smo=""
[ -f "$MOD_SMO" ] && modules_smo=$(stat -c %y "$MOD_SMO" | cut -d. -f1)
t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ----------------------------------------------------------- 1. engine

say "engine: bench_engine ($ENGINE_ROUNDS rounds)"
engine_out=$tmp/engine.txt
if "$builddir/bench/bench_engine" "$corpus" "$ENGINE_ROUNDS" >"$engine_out" 2>&1; then
  { echo "== bench_engine"; cat "$engine_out"; } >>"$raw"
  notes+=("Engine: $(head -n 1 "$engine_out")")
  while IFS='|' read -r _ name mbs vlib vfloor _; do
    name=$(echo "$name" | sed 's/^ *//; s/ *$//')
    mbs=$(echo "$mbs" | tr -d ' ')
    vlib=$(echo "$vlib" | tr -d ' ')
    vfloor=$(echo "$vfloor" | tr -d ' ')
    row "engine" "$name" "$mbs MB/s" "" "$vlib libxml2; $vfloor of memchr+memcpy" "single thread, corpus in memory"
  done < <(grep -E '^\| ' "$engine_out" | grep -vE '^\| (measurement|---)')
else
  cat "$engine_out" >&2
  row "engine" "bench_engine" "failed" "" "" "see $builddir/bench-raw.log"
  { echo "== bench_engine (failed)"; cat "$engine_out"; } >>"$raw"
fi

# ------------------------------------------------------- 2. end to end

# The corpus page closest to 100,000 bytes with both </head> and </body>.
page=$(for f in "$corpus"/*; do
         s=$(stat -c %s "$f")
         d=$((s > 100000 ? s - 100000 : 100000 - s))
         echo "$d $f"
       done | sort -n | while read -r _ f; do
         grep -qi '</head>' "$f" && grep -qi '</body>' "$f" && { echo "$f"; break; }
       done)
page_bytes=$(stat -c %s "$page")
page_title=$(grep -io '<title>[^<]*' "$page" | head -n 1 | sed 's/<title>//I' | cut -c1-60)

e2e=$tmp/e2e
mkdir -p "$e2e/htdocs"
configs=(nofilter substitute proxy proxyhtml smometa smoshare smometa_parse smoshare_parse
         smoimage smoimage_off)
declare -A label=(
  [nofilter]="no filter"
  [substitute]="mod_substitute, one tag before </head>"
  [proxy]="mod_proxy to no filter (the hop mod_proxy_html needs)"
  [proxyhtml]="mod_proxy_html (through mod_proxy, ProxyHTMLURLMap http:// https://)"
  [smometa]="mod_smo metadata only"
  [smoshare]="mod_smo metadata + share block (x facebook linkedin, body-end)"
  [smometa_parse]="mod_smo metadata only, every request parsed (SMOPlanCache Off)"
  [smoshare_parse]="mod_smo metadata + share block, every request parsed (SMOPlanCache Off)"
  [smoimage]="mod_smo metadata, og:image a local 1200x630 PNG, SMOImageInfo On (the default)"
  [smoimage_off]="mod_smo metadata, og:image a local 1200x630 PNG, SMOImageInfo Off"
)
for c in "${configs[@]}"; do
  mkdir -p "$e2e/htdocs/$c"
  cp "$page" "$e2e/htdocs/$c/page.html"
  cat >"$e2e/htdocs/$c/ttfb.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
printf '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Slow page</title></head>\n<body>\n<p>The head and the start of the body, then a pause.</p>\n'
sleep 0.3
printf '<p>The rest.</p>\n</body></html>\n'
EOF
  chmod 755 "$e2e/htdocs/$c" "$e2e/htdocs/$c/ttfb.cgi"
  chmod 644 "$e2e/htdocs/$c/page.html"
  touch -d '1 hour ago' "$e2e/htdocs/$c/page.html"
done

# The page's picture, a real 1200x630 PNG (the demo's).  The rows above
# smoimage leave SMOImageInfo Off, as they were measured before it came;
# the smoimage rows put it in place of the page's own (remote) og:image.
mkdir -p "$e2e/htdocs/img"
cp "$top/demo/site/img/share.png" "$e2e/htdocs/img/share.png"
chmod 755 "$e2e/htdocs/img"
chmod 644 "$e2e/htdocs/img/share.png"
smo_meta='    SMOEngine On
    SMOImageInfo Off
    SMOMeta og:site_name "Example News"
    SMOMeta og:image /img/share.png'
share_conf="<Location /smoshare/>
$smo_meta
    SMOShare x facebook linkedin
    SMOShareAt body-end
</Location>
<Location /smoshare_parse/>
$smo_meta
    SMOShare x facebook linkedin
    SMOShareAt body-end
    SMOPlanCache Off
</Location>"
e2e_conf="KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 15
StartServers 2
ServerLimit 2
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 64
MaxSpareThreads 128
<Location /substitute/>
    AddOutputFilterByType SUBSTITUTE text/html
    Substitute \"s|</head>|<link rel=canonical href=x></head>|i\"
</Location>
<Location /proxy/>
    ProxyPass http://127.0.0.1:@PORT@/nofilter/
</Location>
<Location /proxyhtml/>
    ProxyPass http://127.0.0.1:@PORT@/nofilter/
    ProxyHTMLEnable On
    ProxyHTMLURLMap http:// https://
    ProxyHTMLLinks a href
    ProxyHTMLLinks area href
    ProxyHTMLLinks link href
    ProxyHTMLLinks img src longdesc usemap
    ProxyHTMLLinks form action
    ProxyHTMLLinks base href
    ProxyHTMLLinks script src for
</Location>
<Location /smometa/>
$smo_meta
</Location>
<Location /smometa_parse/>
$smo_meta
    SMOPlanCache Off
</Location>
<Location /smoimage/>
$smo_meta
    SMOMetaPolicy override
    SMOImageInfo On
</Location>
<Location /smoimage_off/>
$smo_meta
    SMOMetaPolicy override
</Location>"

share_ok=1
share_na="n/a (directive missing)"
if ! config_ok "$e2e" event "$e2e_conf
$share_conf"; then
  if grep -q "Invalid command 'SMOShare" "$e2e/configtest.log"; then
    share_ok=0
    say "SMOShare/SMOShareAt not in this mod_smo: the share rows are n/a"
  else
    cat "$e2e/configtest.log" >&2
    die "apache2 -t failed on the benchmark configuration"
  fi
fi
[ $share_ok -eq 1 ] && e2e_conf="$e2e_conf
$share_conf"
active=()
for c in "${configs[@]}"; do
  case $c in smoshare*) [ $share_ok -eq 0 ] && continue ;; esac
  active+=("$c")
done

declare -A rps p99 check errs
e2e_started=0
if ! command -v wrk >/dev/null 2>&1; then
  say "wrk not found: end-to-end rows are n/a"
elif start_httpd "$e2e" event "$e2e_conf"; then
  e2e_started=1
  base=http://127.0.0.1:$port
  say "end to end: apache2 pid $httpd_pid on port $port, page $(basename "$page") ($page_bytes bytes)"

  # What each configuration really does to the page (a row whose filter
  # did nothing would measure nothing).
  for c in "${active[@]}"; do
    got=$tmp/got-$c.html
    code=$(curl -s --max-time 10 -o "$got" -w '%{http_code}' "$base/$c/page.html")
    n=$(stat -c %s "$got" 2>/dev/null || echo 0)
    delta=$((n - page_bytes))
    case $c in
      nofilter) cmp -s "$got" "$page" && check[$c]="body unchanged" || check[$c]="BODY CHANGED" ;;
      substitute) grep -q '<link rel=canonical href=x>' "$got" &&
                    check[$c]="tag inserted" || check[$c]="NOTHING INSERTED" ;;
      proxy) cmp -s "$got" "$page" && check[$c]="body unchanged" || check[$c]="BODY CHANGED" ;;
      proxyhtml)
        links=$(($(grep -o '="https://' "$got" | wc -l) - $(grep -o '="https://' "$page" | wc -l)))
        [ "$links" -gt 0 ] && check[$c]="$links links rewritten, ${delta} bytes" ||
          check[$c]="NO LINK REWRITTEN" ;;
      smometa*) [ "$delta" -gt 0 ] && check[$c]="+$delta bytes of metadata" ||
                 check[$c]="NOTHING INSERTED" ;;
      smoimage) grep -q '<meta property="og:image:width" content="1200">' "$got" &&
                 check[$c]="+$delta bytes, og:image:width/height/type read" ||
                 check[$c]="NO IMAGE FACTS" ;;
      smoimage_off) [ "$delta" -gt 0 ] && ! grep -q 'og:image:width' "$got" &&
                 check[$c]="+$delta bytes, no image facts" ||
                 check[$c]="UNEXPECTED OUTPUT" ;;
      smoshare*) grep -q 'class="smo-share"' "$got" &&
                  check[$c]="+$delta bytes (metadata, share block)" ||
                  check[$c]="NO SHARE BLOCK" ;;
    esac
    [ "$code" = 200 ] || check[$c]="HTTP $code; ${check[$c]}"
  done

  wrk_run() { # CONFIG SECONDS -> file
    wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$2"s --timeout 5s --latency \
      "$base/$1/page.html" 2>&1
  }
  for c in "${active[@]}"; do wrk_run "$c" 1 >/dev/null; done   # warm-up
  for r in $(seq "$ROUNDS"); do
    # rotate the order so that no configuration always runs first
    n=${#active[@]}
    for k in $(seq 0 $((n - 1))); do
      c=${active[$(((k + r - 1) % n))]}
      say "  round $r/$ROUNDS: $c"
      f=$tmp/wrk-$c-$r.txt
      wrk_run "$c" "$DURATION" >"$f"
      { echo "== wrk $c round $r"; cat "$f"; } >>"$raw"
      v=$(awk '/^Requests\/sec:/ { print $2 }' "$f")
      [ -n "$v" ] && echo "$v" >>"$tmp/rps-$c"
      v=$(awk '$1 == "99%" { print $2 }' "$f")
      [ -n "$v" ] && to_ms "$v" >>"$tmp/p99-$c" && echo >>"$tmp/p99-$c"
      v=$(grep -E 'Non-2xx|Socket errors' "$f" | tr -s ' ' | paste -sd ';' -)
      [ -n "$v" ] && errs[$c]="${errs[$c]:-}${errs[$c]:+; }$v"
    done
  done
  for c in "${active[@]}"; do
    rps[$c]=$( [ -s "$tmp/rps-$c" ] && median <"$tmp/rps-$c" || echo nan)
    p99[$c]=$( [ -s "$tmp/p99-$c" ] && grep . "$tmp/p99-$c" | median || echo nan)
  done
else
  say "apache2 (event) did not start: end-to-end rows are n/a"
fi

for c in "${configs[@]}"; do
  if [[ $c == smoshare* ]] && [ $share_ok -eq 0 ]; then
    row "end to end" "${label[$c]}" "$share_na" "" "" ""
  elif [ $e2e_started -eq 0 ]; then
    row "end to end" "${label[$c]}" "n/a" "" "" "server or wrk missing"
  else
    ratio=$(awk -v a="${rps[$c]}" -v b="${rps[nofilter]}" \
      'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "n/a"; else printf "%.2f of no filter", a / b }')
    note="${check[$c]}"
    [ -n "${errs[$c]:-}" ] && note="$note; ${errs[$c]}"
    row "end to end" "${label[$c]}" "$(fmt "${rps[$c]}" '%.0f') req/s" \
      "$(fmt "${p99[$c]}" '%.2f') ms" "$ratio" "$note"
  fi
done
notes+=("End to end: $(basename "$page") ($page_bytes bytes, \"$page_title\"), served as a static file by apache2 $("$HTTPD" -v | sed -n 's/^Server version: //p') (event MPM, 2 × 64 threads, keep-alive; mod_proxy_html acts only on proxied responses, so its row goes through a mod_proxy hop to the no-filter URL of the same server, measured alone as well) on 127.0.0.1; \`wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s --latency\`, $ROUNDS rounds in rotating order after a 1 s warm-up each; median of the rounds. wrk and apache2 share the machine's $jobs cores. Apache's defaults (EnableSendfile Off, EnableMMAP On): without a filter the core maps the file for each response; mod_smo reads it with one read. The mod_smo rows reuse the plan of the first response (SMOPlanCache On, the default: the file's edits applied without a parse); the rows marked SMOPlanCache Off parse every response, the cost for pages that are not static files (CGI, PHP, a proxied backend).")

# ------------------------------------------------------------ 4. latency
# (on the same server, before it stops)

declare -A ttfb
if [ $e2e_started -eq 1 ]; then
  say "latency: time to first byte, $TTFB_RUNS runs each"
  ttfb_cfgs=(nofilter smometa)
  [ $share_ok -eq 1 ] && ttfb_cfgs+=(smoshare)
  for c in "${ttfb_cfgs[@]}"; do
    curl -s --max-time 10 -o "$tmp/ttfb-$c.html" "$base/$c/ttfb.cgi"
  done
  for i in $(seq "$TTFB_RUNS"); do
    for c in "${ttfb_cfgs[@]}"; do
      curl -s --max-time 10 -o /dev/null -w '%{time_starttransfer}\n' \
        "$base/$c/ttfb.cgi" >>"$tmp/ttfb-$c"
    done
  done
  for c in "${ttfb_cfgs[@]}"; do
    { echo "== ttfb $c (s)"; cat "$tmp/ttfb-$c"; } >>"$raw"
    ttfb[$c]=$(awk '{ print $1 * 1000 }' "$tmp/ttfb-$c" | median)
  done
  stop_httpd
fi

# ---------------------------------------------------- 5. CPU per request
# What a dynamic site pays: the httpd child's CPU time (user + system,
# /proc/PID/stat) over N keep-alive requests, one event child, for the
# page parsed on every response (SMOPlanCache Off) against no filter,
# and through mod_proxy (the backend is the same server's no-filter URL,
# so both rows of that pair pay the backend's half too).

declare -A cpu_us
cpu_cfgs=(nofilter smometa_parse smometa proxy)
[ $share_ok -eq 1 ] && cpu_cfgs=(nofilter smometa_parse smoshare_parse smometa smoshare proxy smoproxy)
CPU_N=${SMO_BENCH_CPU_REQUESTS:-20000}
cpu_conf="${e2e_conf//StartServers 2/StartServers 1}"
cpu_conf="${cpu_conf//ServerLimit 2/ServerLimit 1}"
cpu_conf="${cpu_conf//ThreadsPerChild 64/ThreadsPerChild 16}"
cpu_conf="${cpu_conf//MaxRequestWorkers 128/MaxRequestWorkers 16}"
cpu_conf="${cpu_conf//MinSpareThreads 64/MinSpareThreads 16}"
cpu_conf="${cpu_conf//MaxSpareThreads 128/MaxSpareThreads 16}"
cpu_conf="$cpu_conf
<Location /smoproxy/>
    ProxyPass http://127.0.0.1:@PORT@/nofilter/
$smo_meta
    SMOShare x facebook linkedin
    SMOShareAt body-end
</Location>"
mkdir -p "$e2e/htdocs/smoproxy"
# child_ticks: utime + stime of the server's one child, in clock ticks.
child_ticks() {
  local kid
  kid=$(ps -o pid= --ppid "$httpd_pid" | head -n 1 | tr -d ' ')
  [ -n "$kid" ] && awk '{ print $14 + $15 }' "/proc/$kid/stat"
}
if ! command -v ab >/dev/null 2>&1; then
  say "ab not found (apache2-utils): CPU rows are n/a"
elif start_httpd "$e2e" event "$cpu_conf"; then
  base=http://127.0.0.1:$port
  tck=$(getconf CLK_TCK)
  say "CPU per request: one event child, $CPU_N requests per configuration and round"
  for c in "${cpu_cfgs[@]}"; do
    ab -q -k -n 500 -c 8 "$base/$c/page.html" >/dev/null 2>&1   # warm-up
    curl -s -o "$tmp/cpu-$c.html" "$base/$c/page.html"
  done
  for r in $(seq "$ROUNDS"); do
    n=${#cpu_cfgs[@]}
    for k in $(seq 0 $((n - 1))); do
      c=${cpu_cfgs[$(((k + r - 1) % n))]}
      t0=$(child_ticks)
      ab -q -k -n "$CPU_N" -c 8 "$base/$c/page.html" >"$tmp/ab-$c-$r.txt" 2>&1
      t1=$(child_ticks)
      { echo "== ab $c round $r: ticks $t0 -> $t1"; cat "$tmp/ab-$c-$r.txt"; } >>"$raw"
      failed=$(awk '/^Failed requests:/ { print $3 }' "$tmp/ab-$c-$r.txt")
      [ "${failed:-1}" = 0 ] || say "  $c round $r: ${failed:-?} failed requests"
      awk -v a="$t0" -v b="$t1" -v n="$CPU_N" -v t="$tck" \
        'BEGIN { printf "%.3f\n", (b - a) / t / n * 1e6 }' >>"$tmp/cpu-$c"
    done
  done
  for c in "${cpu_cfgs[@]}"; do cpu_us[$c]=$(median <"$tmp/cpu-$c"); done
  stop_httpd
else
  say "apache2 (event, one child) did not start: CPU rows are n/a"
fi
declare -A cpulabel=(
  [nofilter]="no filter" [smometa_parse]="mod_smo metadata only, every response parsed"
  [smoshare_parse]="mod_smo metadata + share block, every response parsed"
  [smometa]="mod_smo metadata only, the kept plan" [smoshare]="mod_smo metadata + share block, the kept plan"
  [proxy]="ProxyPass to a local backend, no filter"
  [smoproxy]="ProxyPass to a local backend, mod_smo metadata + share block")
for c in "${cpu_cfgs[@]}"; do
  [ -n "${cpu_us[$c]:-}" ] || { row "CPU" "${cpulabel[$c]}" "n/a" "" "" ""; continue; }
  base_c=nofilter
  case $c in smoproxy) base_c=proxy ;; esac
  ratio=$(awk -v a="${cpu_us[$c]}" -v b="${cpu_us[$base_c]}" -v l="$([ $base_c = proxy ] && echo 'of the proxy without mod_smo' || echo 'of no filter')" \
    'BEGIN { if (b == 0) print "n/a"; else printf "%.2f %s", a / b, l }')
  note=""
  case $c in
    nofilter|proxy) cmp -s "$tmp/cpu-$c.html" "$page" && note="body unchanged" || note="BODY CHANGED" ;;
    smoshare*|smoproxy) grep -q 'class="smo-share"' "$tmp/cpu-$c.html" && note="share block inserted" || note="NO SHARE BLOCK" ;;
    *) grep -q 'og:site_name' "$tmp/cpu-$c.html" && note="metadata inserted" || note="NOTHING INSERTED" ;;
  esac
  row "CPU" "${cpulabel[$c]}" "$(fmt "${cpu_us[$c]}" '%.1f') µs/request" "" "$ratio" "$note"
done
notes+=("CPU: httpd's CPU time (user + system of its one event child, /proc/PID/stat, clock ticks of 1/$(getconf CLK_TCK) s) over \`ab -k -n $CPU_N -c 8\` per configuration, $ROUNDS rounds in rotating order after a warm-up; median µs per request. The same $(basename "$page") as end to end. ab runs on the same cores but its time is not counted.")

# ------------------------------------------------------------- 3. memory

say "memory: a $BIG_MB MB response through one prefork child"
mem=$tmp/mem
mkdir -p "$mem/htdocs/plain" "$mem/htdocs/smo" "$mem/htdocs/smoshare"
# 1 MiB of body paragraphs; the CGI sends it N times (N from the query).
awk 'BEGIN {
  line = "<p class=\"para\">Tea is <em>steeped</em>, not <b>boiled</b>: see <a href=\"/guide?id=%d&amp;utm_source=x\">the guide</a> &amp; the &lt;notes&gt;.</p>\n"
  n = 0; i = 0
  while (n < 1048576) { s = sprintf(line, i++); if (n + length(s) > 1048576) break; printf "%s", s; n += length(s) }
  while (n < 1048576) { printf "\n"; n++ }
}' >"$mem/htdocs/chunk.html"
for d in plain smo smoshare; do
  cat >"$mem/htdocs/$d/big.cgi" <<EOF
#!/bin/sh
n=\${QUERY_STRING#mb=}
case \$n in ''|*[!0-9]*) n=1 ;; esac
printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
printf '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>A very long page</title></head>\n<body>\n'
i=0
while [ \$i -lt \$n ]; do cat "$mem/htdocs/chunk.html"; i=\$((i + 1)); done
printf '</body></html>\n'
EOF
  chmod 755 "$mem/htdocs/$d" "$mem/htdocs/$d/big.cgi"
done
chmod 644 "$mem/htdocs/chunk.html"
mem_conf="StartServers 1
MinSpareServers 1
MaxSpareServers 2
ServerLimit 1
MaxRequestWorkers 1
KeepAlive Off
<Location /smo/>
$smo_meta
</Location>"
mem_cfgs=(plain smo)
if [ $share_ok -eq 1 ]; then
  mem_conf="$mem_conf
<Location /smoshare/>
$smo_meta
    SMOShare x facebook linkedin
    SMOShareAt body-end
</Location>"
  mem_cfgs+=(smoshare)
fi

vmhwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

declare -A growth memnote bigsize
for c in "${mem_cfgs[@]}"; do
  # A fresh server each time: VmHWM only ever grows.
  if ! start_httpd "$mem" prefork "$mem_conf"; then
    growth[$c]=nan; memnote[$c]="apache2 (prefork) did not start"; continue
  fi
  kids=$(ps -o pid= --ppid "$httpd_pid" | tr -d ' ')
  if [ "$(echo "$kids" | grep -c .)" -ne 1 ]; then
    growth[$c]=nan; memnote[$c]="expected one child, found: $kids"; stop_httpd; continue
  fi
  url=http://127.0.0.1:$port/$c/big.cgi
  curl -s --max-time 30 -o /dev/null "$url?mb=2"          # warm-up
  before=$(vmhwm "$kids")
  t0=$(date +%s.%N)
  res=$(curl -s --max-time 300 -o /dev/null -w '%{http_code} %{size_download}' "$url?mb=$BIG_MB")
  t1=$(date +%s.%N)
  after=$(vmhwm "$kids")
  stop_httpd
  code=${res%% *}; bigsize[$c]=${res##* }
  echo "== memory $c: child $kids VmHWM ${before} kB -> ${after} kB; HTTP $res in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s" >>"$raw"
  if [ "$code" != 200 ] || [ -z "$before" ] || [ -z "$after" ]; then
    growth[$c]=nan; memnote[$c]="HTTP $code, VmHWM '$before' -> '$after'"; continue
  fi
  growth[$c]=$((after - before))
  memnote[$c]="VmHWM $before → $after kB; ${bigsize[$c]} bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
done
for c in "${mem_cfgs[@]}"; do
  [ "$c" = plain ] && continue
  if [ -n "${bigsize[$c]:-}" ] && [ -n "${bigsize[plain]:-}" ]; then
    d=$((bigsize[$c] - bigsize[plain]))
    [ "$d" -gt 0 ] && memnote[$c]="${memnote[$c]}; +$d bytes inserted" ||
      memnote[$c]="${memnote[$c]}; NOTHING INSERTED"
  fi
done
declare -A memlabel=([plain]="no filter" [smo]="mod_smo metadata only"
  [smoshare]="mod_smo metadata + share block")
for c in plain smo smoshare; do
  if [ "$c" = smoshare ] && [ $share_ok -eq 0 ]; then
    row "memory" "$BIG_MB MB response, ${memlabel[$c]}" "$share_na" "" "" ""
    continue
  fi
  g=${growth[$c]}
  res=$(awk -v g="$g" 'BEGIN { if (g == "nan") print "n/a"; else printf "+%.2f MB peak RSS", g / 1024 }')
  ratio=""
  [ "$c" != plain ] && ratio=$(awk -v g="$g" -v b="${growth[plain]}" \
    'BEGIN { if (g == "nan" || b == "nan") print "n/a"; else printf "%+.2f MB vs no filter", (g - b) / 1024 }')
  row "memory" "$BIG_MB MB response, ${memlabel[$c]}" "$res" "" "$ratio" "${memnote[$c]}"
done
notes+=("Memory: a CGI (mod_cgi) sends a head and then $BIG_MB × 1 MiB of paragraphs; one prefork child (MaxRequestWorkers 1) serves a 2 MB warm-up and then the big response to \`curl -o /dev/null\`; growth of the child's VmHWM (/proc/PID/status) across the big response. A fresh server for each row.")

# ------------------------------------------------------ 4. latency rows

if [ $e2e_started -eq 1 ]; then
  declare -A tlabel=([nofilter]="no filter" [smometa]="mod_smo metadata only"
    [smoshare]="mod_smo metadata + share block")
  for c in nofilter smometa smoshare; do
    if [ "$c" = smoshare ] && [ $share_ok -eq 0 ]; then
      row "latency" "time to first byte, ${tlabel[$c]}" "$share_na" "" "" ""
      continue
    fi
    ratio=""
    [ "$c" != nofilter ] && ratio=$(awk -v a="${ttfb[$c]}" -v b="${ttfb[nofilter]}" \
      'BEGIN { printf "%+.2f ms vs no filter", a - b }')
    note="median of $TTFB_RUNS"
    case $c in
      nofilter) ;;
      *) grep -q 'og:site_name' "$tmp/ttfb-$c.html" && note="$note; metadata inserted" ||
           note="$note; NOTHING INSERTED" ;;
    esac
    row "latency" "time to first byte, ${tlabel[$c]}" "$(fmt "${ttfb[$c]}" '%.2f') ms" "" "$ratio" "$note"
  done
else
  row "latency" "time to first byte" "n/a" "" "" "server did not start"
fi
notes+=("Latency: a CGI (mod_cgid, event MPM) sends its head and the start of the body, then sleeps 0.3 s (a filter that held the page would show it); \`curl -w %{time_starttransfer}\`, the configurations alternating, median of $TTFB_RUNS runs.")

# -------------------------------------------------------------- report

t_end=$(date +%s)
table=$tmp/table.md
{
  echo "| part | measurement | result | p99 latency | ratio | notes |"
  echo "|---|---|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
} >"$table"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
ram=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
{
  echo "# mod_smo benchmarks"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Machine: nproc $jobs, $cpu, $ram RAM, kernel $(uname -sr) ($(uname -m))"
  echo "- Apache: $("$HTTPD" -v | tr '\n' ' ' | sed 's/  */ /g; s/ $//')"
  echo "- mod_smo: $MOD_SMO (built $modules_smo)"
  echo "- Load average (1, 5, 15 min) at start: $load_start; at end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine lowers every figure; the ratios within one run stay comparable)"
  echo "- Command: \`$COMMAND\` ($((t_end - t_start)) s)"
  echo
  cat "$table"
  echo
  for n in "${notes[@]}"; do echo "- $n"; done
} >"$OUT"

cat "$table"
say "written to $OUT (raw tool output: $builddir/bench-raw.log)"
