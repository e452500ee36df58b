#!/usr/bin/env bash
# Install what mod_smo needs on Debian 12 (as root).  Quick when all is
# present.
#   scripts/deps.sh         building and testing (scripts/test.sh): Check,
#                           the test clients (Chromium, Java for the Nu Html
#                           Checker, clang for fuzzing, GoAccess, rsyslog,
#                           wrk), debhelper and lintian (the package), then the npm packages of the integration
#                           tests and of bench/ (the real-page corpus)
#   scripts/deps.sh --demo  only what the demo needs (scripts/demo.sh): the
#                           build tools, apache2 and its headers, libxml2, curl,
#                           cairo, Pango and a font (the share cards)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}

pkgs=(build-essential autoconf automake libtool pkg-config apache2 apache2-dev
      libxml2-dev curl libcairo2-dev libpango1.0-dev fonts-dejavu-core)
if [ "$mode" != --demo ]; then
  # fonts-noto-cjk: the card tests render Japanese titles.
  pkgs+=(libxml2-utils check apache2-utils chromium goaccess rsyslog wrk clang
         libclang-rt-14-dev fonts-noto-cjk)
  # The Debian package's build and check (scripts/deb-check.sh).
  pkgs+=(debhelper dpkg-dev fakeroot lintian)
  # A node from elsewhere (e.g. NodeSource, which bundles npm) is fine:
  # Debian's npm package would conflict with it.
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    pkgs+=(nodejs npm)
  fi
  # The Nu Html Checker (vnu-jar) needs Java 17 or later; any installed one
  # will do, else Debian's default runtime.
  java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1 || true)
  if [ "${java_major:-0}" -lt 17 ]; then
    pkgs+=(default-jre-headless)
  fi
fi

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
    echo "deps.sh: run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi

[ "$mode" != --demo ] || exit 0

# The integration tests' packages, exactly as locked.
it=$top/tests/integration
if [ ! -d "$it/node_modules/parse5" ] || [ ! -d "$it/node_modules/playwright-core" ] ||
   [ "$it/package-lock.json" -nt "$it/node_modules/.package-lock.json" ]; then
  echo "deps.sh: npm ci in tests/integration"
  (cd "$it" && npm ci --no-audit --no-fund)
fi

# bench/'s one package, htmlparser-benchmark: its 258 real pages are the
# corpus of `make bench` and of tests/integration/corpus.test.mjs.
bench=$top/bench
if [ ! -d "$bench/node_modules/htmlparser-benchmark/files" ] ||
   [ "$bench/package-lock.json" -nt "$bench/node_modules/.package-lock.json" ]; then
  echo "deps.sh: npm ci in bench"
  (cd "$bench" && npm ci --no-audit --no-fund)
fi
