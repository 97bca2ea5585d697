# bench: the benchmark (bench/run.sh, described in bench/README.md).  Not a
# test: `make bench` runs it against the built daemon, the alibaba provider
# and the emulator.  CI runs the small form:
#	make bench BENCH_N=500 BENCH_QUICK=1

BENCH_N = 10000
BENCH_QUICK = 0
BENCH_CONCURRENCY = 16

# presign signs the requests wrk sends for the ceiling, with the emulator's
# signature code.  Built with "all" so that it cannot rot.
noinst_PROGRAMS += bench/presign
bench_presign_SOURCES = bench/presign.c \
	tests/emulators/emu_sign.c \
	tests/emulators/emu_sign.h
bench_presign_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/emulators \
	$(CRYPTO_CFLAGS)
bench_presign_LDADD = $(CRYPTO_LIBS)

# bareclient sends those requests through libcurl and does nothing else:
# the cost of the daemon's kind of HTTP client alone (see bench/README.md).
noinst_PROGRAMS += bench/bareclient
bench_bareclient_SOURCES = bench/bareclient.c
bench_bareclient_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS)
bench_bareclient_LDADD = $(CURL_LIBS) $(PTHREAD_LIBS)

EXTRA_DIST += bench/run.sh bench/README.md

.PHONY: bench
bench: xsecretsd$(EXEEXT) providers/alibaba/alibaba.la \
    providers/fake/fake.la tests/emulators/alibaba-emu$(EXEEXT) \
    bench/presign$(EXEEXT) bench/bareclient$(EXEEXT)
	XSECRETSD='$(abs_top_builddir)/xsecretsd$(EXEEXT)' \
	PROVIDER_SO='$(abs_top_builddir)/providers/alibaba/.libs/alibaba.so' \
	FAKE_SO='$(abs_top_builddir)/providers/fake/.libs/fake.so' \
	EMU='$(abs_top_builddir)/tests/emulators/alibaba-emu$(EXEEXT)' \
	PRESIGN='$(abs_top_builddir)/bench/presign$(EXEEXT)' \
	BARECLIENT='$(abs_top_builddir)/bench/bareclient$(EXEEXT)' \
	MKCERTS='$(abs_top_srcdir)/tests/emulators/mkcerts.sh' \
	BENCH_N='$(BENCH_N)' BENCH_QUICK='$(BENCH_QUICK)' \
	BENCH_CONCURRENCY='$(BENCH_CONCURRENCY)' \
	BENCH_JSON='$(abs_top_builddir)/bench/results.json' \
	    bash '$(abs_top_srcdir)/bench/run.sh'
