/*
 * Limits on regular expressions from manifests.
 *
 * glibc's regcomp(3) is no place for hostile patterns.  It builds a
 * tree in which a{m,n} holds n copies of a and a+ two, so stacked
 * repetitions multiply: the 21 bytes "e" and twenty '+' take 700 MiB and
 * a second.  It parses groups by recursion, so 20,000 nested parentheses
 * (40 KB of a manifest) overflow the stack and kill the daemon.  Its
 * memory also grows with the square of the copies of a group that can
 * match the empty string, and back-references make matching exponential.
 *
 * ere_check scans a pattern once, without recursion, before regcomp sees
 * it.  It refuses patterns longer than ERE_MAX_LEN, groups nested deeper
 * than ERE_MAX_DEPTH, back-references (which Go's regexp, the syntax ESO
 * users write, does not have either), and repetitions that would add
 * more than ERE_MAX_COPIES atoms in all, counting each copy of a group at
 * the group's size.  Within these limits regcomp took at most 13 MiB and
 * a hundredth of a second on the worst patterns we could find (glibc
 * 2.36; tests/unit/test_ere.c keeps them under 64 MiB); a repeat count
 * over 1000 is an error in Go too.
 *
 * The scan follows regcomp's grammar only as far as it must to count:
 * bracket expressions are one atom, an interval that does not parse is a
 * literal, a repetition with nothing before it is a literal.  Where the
 * two could differ, the scan counts more, never less.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ere.h"

/* The sizes of one group level: earlier alternatives, the current one. */
struct level {
	size_t	alts;
	size_t	cur;
	size_t	last;	/* the atom a repetition repeats; 0: none */
};

static size_t
sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t
sat_mul(size_t a, size_t b)
{
	return b != 0 && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

static void
atom(struct level *l, size_t size)
{
	l->cur = sat_add(l->cur, size);
	l->last = size;
}

/*
 * A repetition that makes n copies of the last atom (1 for '*' and '?',
 * which regcomp does not copy); adds the copies made to *copies.
 */
static void
repeat(struct level *l, size_t n, size_t *copies)
{
	size_t	added;

	if (l->last == 0) {		/* nothing to repeat: a literal */
		atom(l, 1);
		return;
	}
	if (n == 0)
		n = 1;
	added = sat_mul(l->last, n - 1);
	*copies = sat_add(*copies, added);
	l->cur = sat_add(l->cur, sat_add(added, 1));
	l->last = sat_add(l->last, sat_add(added, 1));
}

/* Digits at *pp, saturating; advances *pp.  -1 if there is none. */
static int
number(const char **pp, size_t *n)
{
	const char	*p = *pp;

	if (*p < '0' || *p > '9')
		return -1;
	for (*n = 0; *p >= '0' && *p <= '9'; p++)
		*n = sat_add(sat_mul(*n, 10), (size_t)(*p - '0'));
	*pp = p;
	return 0;
}

/*
 * An interval at p ('{'): {m}, {m,}, {m,n} or glibc's {,n}.  Returns the
 * byte after it and sets *n to the copies it makes (m + 1 for {m,}), or
 * returns NULL if it is not one.
 */
static const char *
interval(const char *p, size_t *n)
{
	size_t	lo = 0, hi;

	p++;
	if (*p != ',' && number(&p, &lo) == -1)
		return NULL;
	hi = lo;
	if (*p == ',') {
		p++;
		if (number(&p, &hi) == -1)
			hi = sat_add(lo, 1);
	}
	if (*p != '}')
		return NULL;
	*n = hi > lo ? hi : lo;
	return p + 1;
}

/*
 * The byte after the bracket expression at p ('['), or the end of the
 * string if it is not closed (regcomp refuses it then).
 */
static const char *
bracket_end(const char *p)
{
	const char	*q;

	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p != '\0' && *p != ']') {
		if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			/* [:class:], [=equiv=], [.coll.] end at c] */
			for (q = p + 2; *q != '\0'; q++)
				if (*q == p[1] && q[1] == ']')
					break;
			p = *q != '\0' ? q + 2 : q;
			continue;
		}
		p++;
	}
	return *p == ']' ? p + 1 : p;
}

/* Writes the reason into why (when whylen > 0); returns -1. */
static int __attribute__((format(printf, 3, 4)))
refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list	ap;

	if (whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
ere_check(const char *re, char *why, size_t whylen)
{
	struct level	 lv[ERE_MAX_DEPTH + 1];
	const char	*p = re, *end;
	size_t		 d = 0, copies = 0, n;

	if (whylen > 0)
		why[0] = '\0';
	if (strlen(re) > ERE_MAX_LEN)
		return refuse(why, whylen, "is longer than %d bytes",
		    ERE_MAX_LEN);
	memset(&lv[0], 0, sizeof(lv[0]));
	while (*p != '\0') {
		switch (*p) {
		case '(':
			if (d == ERE_MAX_DEPTH)
				return refuse(why, whylen, "nests groups "
				    "deeper than %d", ERE_MAX_DEPTH);
			d++;
			memset(&lv[d], 0, sizeof(lv[d]));
			p++;
			break;
		case ')':
			if (d == 0) {		/* unmatched: a literal */
				atom(&lv[0], 1);
			} else {
				n = sat_add(sat_add(lv[d].alts, lv[d].cur), 1);
				d--;
				atom(&lv[d], n);
			}
			p++;
			break;
		case '|':
			lv[d].alts = sat_add(lv[d].alts, lv[d].cur);
			lv[d].cur = 0;
			lv[d].last = 0;
			p++;
			break;
		case '*':
		case '?':
			repeat(&lv[d], 1, &copies);
			p++;
			break;
		case '+':
			repeat(&lv[d], 2, &copies);
			p++;
			break;
		case '{':
			if ((end = interval(p, &n)) != NULL) {
				repeat(&lv[d], n, &copies);
				p = end;
			} else {
				atom(&lv[d], 1);
				p++;
			}
			break;
		case '[':
			atom(&lv[d], 1);
			p = bracket_end(p);
			break;
		case '\\':
			if (p[1] >= '1' && p[1] <= '9')
				return refuse(why, whylen, "has a "
				    "back-reference (\\%c): not supported",
				    p[1]);
			atom(&lv[d], 1);
			p += p[1] != '\0' ? 2 : 1;
			break;
		default:
			atom(&lv[d], 1);
			p++;
			break;
		}
		if (copies > ERE_MAX_COPIES)
			return refuse(why, whylen, "repeats too much: its "
			    "repetitions add more than %d copies in all",
			    ERE_MAX_COPIES);
	}
	return 0;
}
