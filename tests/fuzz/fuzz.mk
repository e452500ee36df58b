# tests/fuzz/fuzz.mk — included from Makefile.am (after unit_tests and
# EXTRA_DIST are defined).
#
# `make fuzz`: build the libFuzzer harnesses of tests/fuzz/ with clang
# (ASan + UBSan) and run each for FUZZ_SECONDS (default 60) from its seed
# corpus; fails when a target crashes or breaks an invariant, leaving the
# input in fuzz-out/<target>/.  `make fuzz FUZZ_SECONDS=600` for longer.
# Built only on demand: clang is not needed for the ordinary build.
fuzz:
	FUZZ_OUT="$(abs_top_builddir)/fuzz-out" \
	  $(SHELL) $(top_srcdir)/scripts/fuzz.sh

.PHONY: fuzz

# What the harnesses found, kept as ordinary unit tests.
unit_tests += tests/test_fuzz_regress
tests_test_fuzz_regress_SOURCES = tests/test_fuzz_regress.c $(test_common)
tests_test_fuzz_regress_CFLAGS = $(test_cflags)
tests_test_fuzz_regress_LDADD = $(test_ldadd)

EXTRA_DIST += scripts/fuzz.sh tests/fuzz
