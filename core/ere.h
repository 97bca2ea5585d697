/*
 * Limits on the POSIX extended regular expressions manifests carry
 * (namespaceRegexes, rewrite sources, find.name.regexp), checked before
 * regcomp(3) sees them.  See ere.c.
 */
#ifndef XS_ERE_H
#define XS_ERE_H

#include <stddef.h>

#define ERE_MAX_LEN	4096	/* bytes */
#define ERE_MAX_DEPTH	64	/* nested groups */
#define ERE_MAX_COPIES	1000	/* atoms repetitions add, in all */

/*
 * 0 if re is within the limits, else -1 with the reason in why (when
 * whylen > 0), e.g. "nests groups deeper than 64".  Says nothing of the
 * syntax: regcomp still decides whether re is valid.
 */
int	ere_check(const char *re, char *why, size_t whylen);

#endif /* XS_ERE_H */
