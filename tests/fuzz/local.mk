# Fuzzing: one libFuzzer harness per parser that reads untrusted input
# (see tests/fuzz/README.md).
#
# make check links each harness with tests/fuzz/replay.c instead of
# libFuzzer and replays its corpus: the seeds and every input that once
# found a bug.  `make fuzz` builds the real fuzzers with clang
# (FUZZ_CC) and the sanitizers; run them by hand.

fuzz_corpus = $(abs_top_srcdir)/tests/fuzz/corpus
# The manifest fuzzer's seeds also include the hostile corpus and the
# examples.
fuzz_data = $(abs_top_srcdir)/tests/data/manifests
fuzz_examples = $(abs_top_srcdir)/examples

check_PROGRAMS += tests/fuzz/replay_manifest
TESTS += tests/fuzz/replay_manifest
tests_fuzz_replay_manifest_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_manifest.c
tests_fuzz_replay_manifest_CPPFLAGS = $(unit_cppflags) \
	-DFUZZ_CORPUS='"$(fuzz_corpus)/manifest:$(fuzz_data):$(fuzz_examples)"'
tests_fuzz_replay_manifest_LDADD = $(unit_libs)

check_PROGRAMS += tests/fuzz/replay_alibaba
TESTS += tests/fuzz/replay_alibaba
tests_fuzz_replay_alibaba_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_alibaba.c $(alibaba_test_host) $(alibaba_all_sources)
tests_fuzz_replay_alibaba_CPPFLAGS = $(alibaba_test_cppflags) \
	-DFUZZ_CORPUS='"$(fuzz_corpus)/alibaba"'
tests_fuzz_replay_alibaba_LDADD = $(alibaba_test_libs)

EXTRA_DIST += tests/fuzz/README.md tests/fuzz/yaml.dict \
	tests/fuzz/alibaba.dict tests/fuzz/corpus

# The fuzzers themselves, with clang's libFuzzer: rebuilt on every
# `make fuzz`, from every C file of the engine or of the provider.
FUZZ_CC = clang
# UBSan findings stop a run through UBSAN_OPTIONS=halt_on_error=1: with
# -fno-sanitize-recover, clang instruments far fewer edges for coverage.
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined

fuzz:
	@$(MKDIR_P) tests/fuzz
	set -e; cfiles() { for f in "$$@"; do case $$f in \
	    *.c) echo "$(srcdir)/$$f" ;; esac; done; }; \
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DHAVE_CONFIG_H -I. \
	    $(libxscore_la_CPPFLAGS) -o tests/fuzz/fuzz_manifest \
	    $(srcdir)/tests/fuzz/fuzz_manifest.c \
	    $$(cfiles $(libxscore_la_SOURCES)) \
	    $(libxscore_la_LIBADD) $(LIBS); \
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DHAVE_CONFIG_H -I. \
	    $(alibaba_test_cppflags) -o tests/fuzz/fuzz_alibaba \
	    $(srcdir)/tests/fuzz/fuzz_alibaba.c \
	    $$(cfiles $(alibaba_test_host) $(alibaba_all_sources)) \
	    $(alibaba_test_libs) $(LIBS)
.PHONY: fuzz

CLEANFILES += tests/fuzz/fuzz_manifest tests/fuzz/fuzz_alibaba
