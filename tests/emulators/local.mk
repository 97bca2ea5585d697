# tests/emulators: the Alibaba KMS+STS emulator, its signature code, and its
# own tests.  The emulator is built with "all" because the integration
# scenarios, the benchmark and the README demo all run it.

emu_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/emulators \
	-I$(top_srcdir)/tests/unit

noinst_PROGRAMS += tests/emulators/alibaba-emu
tests_emulators_alibaba_emu_SOURCES = \
	tests/emulators/alibaba-emu.c \
	tests/emulators/emu.h \
	tests/emulators/emu_api.c \
	tests/emulators/emu_auth.c \
	tests/emulators/emu_sign.c \
	tests/emulators/emu_sign.h \
	tests/emulators/emu_store.c \
	tests/emulators/emu_util.c
tests_emulators_alibaba_emu_CPPFLAGS = $(emu_cppflags) $(MHD_CFLAGS) \
	$(CJSON_CFLAGS) $(CRYPTO_CFLAGS)
tests_emulators_alibaba_emu_LDADD = $(MHD_LIBS) $(CJSON_LIBS) \
	$(CRYPTO_LIBS) $(PTHREAD_LIBS)

# The signature code against every published test vector.
check_PROGRAMS += tests/emulators/test_emu_sign
TESTS += tests/emulators/test_emu_sign
tests_emulators_test_emu_sign_SOURCES = \
	tests/emulators/test_emu_sign.c \
	tests/emulators/emu_sign.c \
	tests/emulators/emu_sign.h
tests_emulators_test_emu_sign_CPPFLAGS = $(emu_cppflags) $(CRYPTO_CFLAGS)
tests_emulators_test_emu_sign_LDADD = $(CRYPTO_LIBS)

# The live test: test_emu.sh starts emulators and runs emu_client, a libcurl
# program that signs requests and checks the answers.
check_PROGRAMS += tests/emulators/emu_client
tests_emulators_emu_client_SOURCES = \
	tests/emulators/emu_client.c \
	tests/emulators/emu_sign.c \
	tests/emulators/emu_sign.h
tests_emulators_emu_client_CPPFLAGS = $(emu_cppflags) $(CURL_CFLAGS) \
	$(CJSON_CFLAGS) $(CRYPTO_CFLAGS)
tests_emulators_emu_client_LDADD = $(CURL_LIBS) $(CJSON_LIBS) $(CRYPTO_LIBS)

TESTS += tests/emulators/test_emu.sh
dist_noinst_SCRIPTS += tests/emulators/mkcerts.sh \
	tests/emulators/test_emu.sh
