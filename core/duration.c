/*
 * Durations in Go's time.ParseDuration grammar:
 *
 *	[-+]? ( "0" | ( number unit )+ )
 *	number = digits [ "." digits* ] | "." digits
 *	unit   = "ns" | "us" | "µs" | "μs" | "ms" | "s" | "m" | "h"
 *
 * Both spellings of micro are accepted (U+00B5 and U+03BC).  The value is
 * accumulated in nanoseconds in an unsigned 64-bit integer and refused when
 * it would exceed Go's int64 range, so "2562047h" works and "2562048h" does
 * not, exactly as in Go.  Fraction digits beyond what fits are dropped, as
 * Go does.  The result is returned in milliseconds, rounded away from zero
 * so that a non-zero duration never becomes 0.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "manifest.h"

#define NS_LIMIT	((uint64_t)1 << 63)

static const struct {
	const char	*name;
	uint64_t	 ns;
} units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 },		/* U+00B5 MICRO SIGN */
	{ "\xce\xbcs", 1000 },		/* U+03BC GREEK SMALL LETTER MU */
	{ "ms", 1000000 },
	{ "s", 1000000000ULL },
	{ "m", 60ULL * 1000000000ULL },
	{ "h", 3600ULL * 1000000000ULL },
};

/* Reads leading digits; -1 on overflow of NS_LIMIT. */
static int
leading_int(const char **sp, uint64_t *out)
{
	const char	*s = *sp;
	uint64_t	 x = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > NS_LIMIT / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > NS_LIMIT)
			return -1;
	}
	*sp = s;
	*out = x;
	return 0;
}

/* Reads fraction digits into f / scale, dropping digits that overflow. */
static void
leading_fraction(const char **sp, uint64_t *f, double *scale)
{
	const char	*s = *sp;
	int		 overflow = 0;
	uint64_t	 y;

	*f = 0;
	*scale = 1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (overflow)
			continue;
		if (*f > (NS_LIMIT - 1) / 10) {
			overflow = 1;
			continue;
		}
		y = *f * 10 + (uint64_t)(*s - '0');
		if (y > NS_LIMIT) {
			overflow = 1;
			continue;
		}
		*f = y;
		*scale *= 10;
	}
	*sp = s;
}

/* Reads a unit at *sp; returns its length in nanoseconds, or 0. */
static uint64_t
read_unit(const char **sp)
{
	size_t	i, n, best = 0, besti = 0;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		n = strlen(units[i].name);
		if (strncmp(*sp, units[i].name, n) == 0 && n > best) {
			best = n;
			besti = i;
		}
	}
	if (best == 0)
		return 0;
	*sp += best;
	return units[besti].ns;
}

/* One "number unit" element, added to *total. */
static int
parse_element(const char **sp, uint64_t *total)
{
	const char	*s = *sp, *start;
	uint64_t	 v, f = 0, unit;
	double		 scale = 1;
	int		 pre, post = 0;

	if (!(*s == '.' || (*s >= '0' && *s <= '9')))
		return -1;
	start = s;
	if (leading_int(&s, &v) == -1)
		return -1;
	pre = s != start;
	if (*s == '.') {
		s++;
		start = s;
		leading_fraction(&s, &f, &scale);
		post = s != start;
	}
	if (!pre && !post)
		return -1;
	if ((unit = read_unit(&s)) == 0)
		return -1;
	if (v > NS_LIMIT / unit)
		return -1;
	v *= unit;
	if (f > 0) {
		v += (uint64_t)((double)f * ((double)unit / scale));
		if (v > NS_LIMIT)
			return -1;
	}
	if (v > NS_LIMIT - *total)
		return -1;
	*total += v;
	*sp = s;
	return 0;
}

/*
 * Parses s in Go's duration grammar into *ms; 0, or -1 (and *ms
 * untouched) when s is not a duration or does not fit in int64
 * nanoseconds.
 */
int
duration_parse(const char *s, int64_t *ms)
{
	uint64_t	total = 0, r;
	int		neg = 0;

	if (s == NULL)
		return -1;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0')
		if (parse_element(&s, &total) == -1)
			return -1;
	if (!neg && total > NS_LIMIT - 1)
		return -1;
	r = total / 1000000 + (total % 1000000 != 0);
	*ms = neg ? -(int64_t)r : (int64_t)r;
	return 0;
}
