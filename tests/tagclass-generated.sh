#!/bin/sh
# tests/tagclass-generated.sh — lib/tagclass.c and lib/smo_tagclass_first.h
# are what tools/tagclass.awk writes from tools/tagclass.txt (a hand edit
# of a generated file, or a data change without `make tagclass`, fails
# here).  Exit 0 or 1.
srcdir=${srcdir:-$(dirname "$0")/..}
AWK=${AWK:-awk}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tagclass.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
if ! LC_ALL=C $AWK -v first="$tmp/smo_tagclass_first.h" \
        -f "$srcdir/tools/tagclass.awk" "$srcdir/tools/tagclass.txt" \
        > "$tmp/tagclass.c"; then
    echo "FAIL: tools/tagclass.awk did not run"
    exit 1
fi
status=0
for f in tagclass.c smo_tagclass_first.h; do
    if diff -u "$srcdir/lib/$f" "$tmp/$f"; then
        echo "PASS: lib/$f is what tools/tagclass.awk writes"
    else
        echo "FAIL: lib/$f differs from tools/tagclass.awk's output" \
             "(edit tools/tagclass.txt and run make tagclass)"
        status=1
    fi
done
exit $status
