#!/bin/sh
# tests/tagclass-generated.sh — lib/tagclass.c is what tools/tagclass.awk
# writes from tools/tagclass.txt (a hand edit of the generated file, or a
# data change without `make tagclass`, fails here).  Exit 0 or 1.
srcdir=${srcdir:-$(dirname "$0")/..}
AWK=${AWK:-awk}
tmp=$(mktemp "${TMPDIR:-/tmp}/tagclass.XXXXXX") || exit 1
trap 'rm -f "$tmp"' EXIT
if ! LC_ALL=C $AWK -f "$srcdir/tools/tagclass.awk" \
        "$srcdir/tools/tagclass.txt" > "$tmp"; then
    echo "FAIL: tools/tagclass.awk did not run"
    exit 1
fi
if diff -u "$srcdir/lib/tagclass.c" "$tmp"; then
    echo "PASS: lib/tagclass.c is what tools/tagclass.awk writes"
    exit 0
fi
echo "FAIL: lib/tagclass.c differs from tools/tagclass.awk's output" \
     "(edit tools/tagclass.txt and run make tagclass)"
exit 1
