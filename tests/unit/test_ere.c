/*
 * The limits on regular expressions from manifests (core/ere.c): what
 * people write passes and compiles; the patterns that make regcomp(3)
 * take hundreds of MiB, or overflow its stack, are refused before it sees
 * them; what passes at the edge of the limits stays small.
 */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ere.h"
#include "tap.h"

/* ASan's allocator keeps freed blocks, so peak RSS says nothing there. */
extern size_t __sanitizer_get_current_allocated_bytes(void)
    __attribute__((weak));

/* head, then s n times, then tail: a string to free. */
static char *
rep(const char *head, const char *s, size_t n, const char *tail)
{
	size_t	 len = strlen(head) + strlen(s) * n + strlen(tail) + 1, i;
	char	*buf, *p;

	if ((buf = malloc(len)) == NULL)
		abort();
	p = buf + strlen(strcpy(buf, head));
	for (i = 0; i < n; i++)
		p += strlen(strcpy(p, s));
	strcpy(p, tail);
	return buf;
}

/* n groups nested around "a". */
static char *
nest(size_t n)
{
	char	*open = rep("", "(", n, "a"), *all;

	all = rep(open, ")", n, "");
	free(open);
	return all;
}

static void
accepts(const char *re, const char *name)
{
	char	why[128];
	regex_t	r;
	int	rc;

	rc = ere_check(re, why, sizeof(why));
	if (!ok(rc == 0, "accepted: %s", name))
		printf("#   %s\n", why);
	rc = regcomp(&r, re, REG_EXTENDED);
	ok(rc == 0, "and regcomp compiles it: %s", name);
	if (rc == 0)
		regfree(&r);
}

static void
refuses(const char *re, const char *name, const char *because)
{
	char	why[128];

	ok(ere_check(re, why, sizeof(why)) == -1 &&
	    strstr(why, because) != NULL, "refused: %s (%s)", name, why);
}

static void
test_common(void)
{
	static const char *const common[] = {
		"^team-.*$",
		"^(dev|staging|prod)-[a-z0-9-]+$",
		"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?",
		"^db_(.*)$",
		"^(.*?)_suffix$",	/* Go's lazy form: regcomp takes it */
		"[[:alpha:]][[:alnum:]_]{0,62}",
		"[]a-]+x",
		"\\.json$",
		"a{,5}",
		"",
	};
	size_t	i;

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		accepts(common[i], common[i]);
}

static void
test_limits(void)
{
	char	*re, alt[ERE_MAX_LEN + 2];
	size_t	 i;

	/* A long list of namespaces is long, not large. */
	snprintf(alt, sizeof(alt), "^(team-000");
	for (i = 1; strlen(alt) + 12 < ERE_MAX_LEN; i++)
		snprintf(alt + strlen(alt), sizeof(alt) - strlen(alt),
		    "|team-%03zu", i % 1000);
	strcat(alt, ")$");
	accepts(alt, "an alternation of 450 names, under 4096 bytes");
	memset(alt, 'a', ERE_MAX_LEN + 1);
	alt[ERE_MAX_LEN + 1] = '\0';
	refuses(alt, "4097 bytes", "longer than 4096");

	re = nest(ERE_MAX_DEPTH);
	accepts(re, "64 nested groups");
	free(re);
	re = nest(ERE_MAX_DEPTH + 1);
	refuses(re, "65 nested groups", "deeper than 64");
	free(re);
	/* 40 KB of a manifest that overflowed regcomp's stack. */
	re = nest(20000);
	refuses(re, "20,000 nested groups", "");
	free(re);
	/* Parentheses that open no group. */
	re = rep("[", "(", 100, "]");
	accepts(re, "100 '(' in a bracket expression");
	free(re);
	re = rep("[[:alpha:]", "(", 100, "]");
	accepts(re, "and after a character class");
	free(re);
	re = rep("", "\\(", 100, "");
	accepts(re, "100 escaped '('");
	free(re);

	/* Repetitions: copies of copies multiply. */
	accepts("a{1000}", "a{1000}: 999 copies");
	refuses("a{1002}", "a{1002}", "more than 1000 copies");
	accepts("(a?){334}", "(a?){334}: 999 atoms added");
	refuses("(a?){335}", "(a?){335}", "more than 1000 copies");
	refuses("((a{30}){30}){30}", "((a{30}){30}){30}",
	    "more than 1000 copies");
	refuses("a{99999999999999999999999999}", "a count past SIZE_MAX",
	    "more than 1000 copies");
	refuses("a{5,2000}", "a{5,2000}", "more than 1000 copies");
	refuses("a{2000,}", "a{2000,}", "more than 1000 copies");
	refuses("a{,2000}", "a{,2000}", "more than 1000 copies");
	re = rep("e", "+", 20, "");
	refuses(re, "e and twenty '+' (700 MiB in regcomp)",
	    "more than 1000 copies");
	free(re);
	re = rep("e", "+", 8, "");
	accepts(re, "e and eight '+'");
	free(re);
	/* Counted as literals; regcomp refuses them. */
	ok(ere_check("a{x}", NULL, 0) == 0, "an interval that does not "
	    "parse is a literal");
	ok(ere_check("{5000}a", NULL, 0) == 0, "a repetition of nothing is "
	    "a literal");

	refuses("(a)\\1", "a back-reference", "back-reference (\\1)");
	accepts("a\\\\1", "an escaped backslash before a digit");
}

/*
 * The worst patterns within the limits, compiled in a child: its peak RSS
 * grows by less than 64 MiB (13 MiB when measured).  Refused ones take
 * 150 MiB to 700 MiB.
 */
static void
test_worst(void)
{
	/*
	 * Groups that can match nothing, repeated as often as the limit
	 * lets: a group of size atoms whose own repetitions made base
	 * copies.
	 */
	static const struct {
		const char	*group;
		int		 size, base;
	} worst_of[] = {
		{ "(a?)", 3, 0 },
		{ "(a*)", 3, 0 },
		{ "([a-z]?)", 3, 0 },
		{ "(a|b?)", 4, 0 },
		{ "(((a?){6}){6})", 122, 115 },
	};
	char		worst[5][32];
	struct rusage	ru;
	size_t		i;
	long		before;
	regex_t		r;
	pid_t		pid;
	int		st, sub;

	if (__sanitizer_get_current_allocated_bytes != NULL) {
		printf("ok %d # SKIP peak RSS under AddressSanitizer\n",
		    ++tap_n);
		return;
	}
	for (i = 0; i < sizeof(worst) / sizeof(worst[0]); i++)
		snprintf(worst[i], sizeof(worst[i]), "%s{%d}",
		    worst_of[i].group, (ERE_MAX_COPIES - worst_of[i].base) /
		    worst_of[i].size + 1);
	for (i = 0; i < sizeof(worst) / sizeof(worst[0]); i++) {
		ok(ere_check(worst[i], NULL, 0) == 0, "within the limits: %s",
		    worst[i]);
		for (sub = 0; sub < 2; sub++) {
			fflush(stdout);
			if ((pid = fork()) == 0) {
				getrusage(RUSAGE_SELF, &ru);
				before = ru.ru_maxrss;
				if (regcomp(&r, worst[i], REG_EXTENDED |
				    (sub ? 0 : REG_NOSUB)) != 0)
					_exit(2);
				getrusage(RUSAGE_SELF, &ru);
				_exit(ru.ru_maxrss - before < 64 * 1024 ?
				    0 : 1);
			}
			st = -1;
			if (pid > 0)
				waitpid(pid, &st, 0);
			ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			    "regcomp %s%s: under 64 MiB", worst[i],
			    sub ? " with submatches" : "");
		}
	}
}

int
main(void)
{
	test_common();
	test_limits();
	test_worst();
	return tap_done();
}
