/*
 * Durations against Go's time.ParseDuration, case by case.
 */
#include "config.h"

#include <stdint.h>

#include "manifest.h"
#include "tap.h"

static const struct {
	const char	*in;
	int		 rc;
	int64_t		 ms;
} cases[] = {
	{ "0", 0, 0 },
	{ "+0", 0, 0 },
	{ "-0", 0, 0 },
	{ "1h", 0, 3600000 },
	{ "1h30m", 0, 5400000 },
	{ "1.5h", 0, 5400000 },
	{ "300ms", 0, 300 },
	{ "-1s", 0, -1000 },
	{ "+5s", 0, 5000 },
	{ ".5s", 0, 500 },
	{ "1.s", 0, 1000 },
	{ "1h1m1s1ms", 0, 3661001 },
	{ "1ns", 0, 1 },		/* rounded up, never 0 */
	{ "1500us", 0, 2 },
	{ "1000\xc2\xb5s", 0, 1 },	/* micro sign */
	{ "1000\xce\xbcs", 0, 1 },	/* Greek mu */
	{ "0s", 0, 0 },
	{ "0.000000001s", 0, 1 },
	{ "2562047h", 0, 9223369200000LL },
	{ "9223372036854775807ns", 0, 9223372036855LL },
	{ "", -1, 0 },
	{ "1", -1, 0 },
	{ "1hh", -1, 0 },
	{ "h", -1, 0 },
	{ ".s", -1, 0 },
	{ "-", -1, 0 },
	{ "1 h", -1, 0 },
	{ " 1h", -1, 0 },
	{ "1h ", -1, 0 },
	{ "1d", -1, 0 },
	{ "1H", -1, 0 },
	{ "1.5.5h", -1, 0 },
	{ "--1s", -1, 0 },
	{ "2562048h", -1, 0 },
	{ "9223372036854775808ns", -1, 0 },
	{ "99999999999999999999h", -1, 0 },
	{ "1e3s", -1, 0 },
};

int
main(void)
{
	size_t	i;
	int64_t	ms;
	int	rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ms = -12345;
		rc = duration_parse(cases[i].in, &ms);
		is_int(rc, cases[i].rc, cases[i].in);
		if (cases[i].rc == 0)
			is_int(ms, cases[i].ms, cases[i].in);
	}
	is_int(duration_parse(NULL, &ms), -1, "NULL refused");
	return tap_done();
}
