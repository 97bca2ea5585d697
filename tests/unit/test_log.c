/*
 * Unit tests of core/log.c: level names and checks, the text and JSON line
 * formats (one line per message, escaped), log_warn's errno, and the secure
 * memory helpers.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "logcapture.h"
#include "tap.h"

static void
test_levels(void)
{
	is_int(log_level_parse("error"), XS_LOG_ERROR, "error");
	is_int(log_level_parse("warn"), XS_LOG_WARN, "warn");
	is_int(log_level_parse("info"), XS_LOG_INFO, "info");
	is_int(log_level_parse("debug"), XS_LOG_DEBUG, "debug");
	is_int(log_level_parse("verbose"), -1, "unknown level");
	is_int(log_level_parse(""), -1, "empty level");

	log_init(XS_LOG_WARN, LOG_FORMAT_TEXT);
	ok(log_enabled(XS_LOG_ERROR) && log_enabled(XS_LOG_WARN),
	    "warn level lets errors and warnings through");
	ok(!log_enabled(XS_LOG_INFO) && !log_enabled(XS_LOG_DEBUG),
	    "and holds info and debug back");
	log_info("hidden %d", 1);
	log_debug("hidden %d", 2);
	is_str(log_read(), "", "nothing below the level is written");
}

static void
test_text(void)
{
	const char	*out;

	log_init(XS_LOG_DEBUG, LOG_FORMAT_TEXT);
	log_warnx("externalsecret %s/%s: %s", "ns", "name", "failed");
	out = log_read();
	ok(strstr(out, " warn: externalsecret ns/name: failed\n") != NULL,
	    "text line: %s", out);
	ok(out[4] == '-' && out[10] == 'T' && out[19] == 'Z',
	    "starts with a UTC timestamp");
	is_int(log_count(out, "\n"), 1, "one line");

	errno = ENOENT;
	log_warn("open %s", "/nowhere");
	out = log_read();
	ok(strstr(out, "open /nowhere: No such file or directory") != NULL,
	    "log_warn adds strerror(errno)");
}

static void
test_json(void)
{
	const char	*out;

	log_init(XS_LOG_DEBUG, LOG_FORMAT_JSON);
	log_info("quote \" backslash \\ newline \n tab \t end");
	out = log_read();
	ok(strncmp(out, "{\"time\":\"", 9) == 0, "JSON object: %s", out);
	ok(strstr(out, "\"level\":\"info\"") != NULL, "level field");
	ok(strstr(out, "\"msg\":\"quote \\\" backslash \\\\ newline "
	    "\\u000a tab \\u0009 end\"}\n") != NULL, "message escaped");
	is_int(log_count(out, "\n"), 1, "a newline in a message stays one line");
}

static void
test_secure(void)
{
	char	*p;
	size_t	 i;
	int	 zero = 1;

	p = xs_secure_alloc(64);
	ok(p != NULL, "secure_alloc");
	for (i = 0; i < 64; i++)
		zero &= p[i] == 0;
	ok(zero, "secure memory starts zeroed");
	memset(p, 'x', 64);
	xs_cleanse(p, 64);
	zero = 1;
	for (i = 0; i < 64; i++)
		zero &= p[i] == 0;
	ok(zero, "xs_cleanse zeroes");
	xs_secure_free(p);
	xs_secure_free(NULL);
	ok(1, "xs_secure_free(NULL) is a no-op");
	ok(xs_secure_alloc(SIZE_MAX) == NULL, "an impossible size fails");

	p = xs_secure_strndup("secret\0tail", 6);
	is_str(p, "secret", "secure_strndup copies len bytes");
	xs_secure_free(p);
}

int
main(void)
{
	log_capture();
	test_levels();
	test_text();
	test_json();
	test_secure();
	return tap_done();
}
