#!/bin/sh
# Generate configure and Makefile.in (needs autoconf, automake, libtool,
# pkg-config: scripts/deps.sh installs them).
set -e
cd "$(dirname "$0")"
mkdir -p m4
autoreconf -fi
