/*
 * ClusterSecretStore conditions: which namespaces may use a cluster store.
 *
 * Each condition may name namespaces, unanchored POSIX extended regular
 * expressions over namespace names, and a label selector over the labels of
 * the Namespace manifests.  Everything is ORed, within a condition and
 * across conditions, as External Secrets Operator does; a store without
 * conditions serves every namespace.  A namespace that has no Namespace
 * manifest has no labels, so only selectors made of NotIn and DoesNotExist
 * (or an empty selector) can match it.
 *
 * The regular expressions were compiled once by the loader to validate
 * them; they are compiled again here, on each call, which keeps the model
 * structs plain data and the function safe to call from any thread.
 */
#include "config.h"

#include <regex.h>
#include <stddef.h>
#include <string.h>

#include "ere.h"
#include "manifest.h"

static const char *
label_value(const struct k8s_namespace *ns, const char *key)
{
	size_t	i;

	if (ns == NULL)
		return NULL;
	for (i = 0; i < ns->nlabels; i++)
		if (strcmp(ns->labels[i].key, key) == 0)
			return ns->labels[i].value;
	return NULL;
}

static int
expr_matches(const struct label_expr *e, const struct k8s_namespace *ns)
{
	const char	*v = label_value(ns, e->key);
	size_t		 i;
	int		 in = 0;

	switch (e->op) {
	case LABEL_EXISTS:
		return v != NULL;
	case LABEL_DOESNOTEXIST:
		return v == NULL;
	case LABEL_IN:
	case LABEL_NOTIN:
		for (i = 0; v != NULL && i < e->nvalues && !in; i++)
			in = strcmp(e->values[i], v) == 0;
		return e->op == LABEL_IN ? in : !in;
	default:
		return 0;
	}
}

/* A label selector: every matchLabels pair and every expression holds. */
static int
selector_matches(const struct store_condition *c,
    const struct k8s_namespace *ns)
{
	const char	*v;
	size_t		 i;

	for (i = 0; i < c->nmatch_labels; i++) {
		v = label_value(ns, c->match_labels[i].key);
		if (v == NULL || strcmp(v, c->match_labels[i].value) != 0)
			return 0;
	}
	for (i = 0; i < c->nexprs; i++)
		if (!expr_matches(&c->exprs[i], ns))
			return 0;
	return 1;
}

static int
regex_matches(const char *re, const char *s)
{
	regex_t	r;
	int	m;

	/* Checked at load, and here: the loader is not the only way in. */
	if (ere_check(re, NULL, 0) == -1 ||
	    regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

/*
 * Whether cluster store st serves namespace ns: 1 or 0.  Reads set
 * only; safe from any thread.
 */
int
store_allows_namespace(const struct manifest_set *set,
    const struct store *st, const char *ns)
{
	const struct store_condition	*c;
	const struct k8s_namespace	*nsobj;
	size_t				 i, j;

	if (st->nconds == 0)
		return 1;
	nsobj = manifest_namespace(set, ns);
	for (i = 0; i < st->nconds; i++) {
		c = &st->conds[i];
		for (j = 0; j < c->nnamespaces; j++)
			if (strcmp(c->namespaces[j], ns) == 0)
				return 1;
		for (j = 0; j < c->nregexes; j++)
			if (regex_matches(c->regexes[j], ns))
				return 1;
		if (c->has_selector && selector_matches(c, nsobj))
			return 1;
	}
	return 0;
}
