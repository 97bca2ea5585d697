/*
 * dataFrom.find for the Alibaba provider: ListSecrets, then GetSecretValue
 * for each match.
 *
 * ListSecrets is read 100 secrets a page, with FetchTags so that tags can
 * be checked here.  Tag filters are also sent to KMS to shrink the pages:
 * one TagKey filter with every wanted key and one TagValue filter with
 * every wanted value.  KMS ORs the values of one filter, so the page is a
 * superset; each secret is then kept only when it carries every wanted
 * key=value pair.  The name regexp (POSIX extended) and the path (a name
 * prefix, since KMS has no folders) are applied here too.
 *
 * Bounds: FIND_MAX_PAGES pages, and FIND_MAX_SECRETS matches, beyond
 * which the find fails rather than write a silently truncated target.
 */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alibaba.h"

#define PAGE_SIZE	100
#define TAGS_MAX	10

/* The names found so far, in plain memory (names are not secret). */
struct names {
	char	*v[FIND_MAX_SECRETS];
	size_t	 n;
};

/* Appends s as a JSON string. */
static void
buf_json_str(struct buf *b, const char *s)
{
	unsigned char	c;

	buf_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf_add(b, "\\", 1);
			buf_add(b, s, 1);
		} else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_add(b, s, 1);
	}
	buf_add(b, "\"", 1);
}

/* The Filters parameter for the tags: a JSON array, or "" for none. */
static int
tag_filters(const struct xs_find *f, struct buf *b)
{
	size_t	i;

	if (f->ntags == 0)
		return 0;
	buf_str(b, "[{\"Key\":\"TagKey\",\"Values\":[");
	for (i = 0; i < f->ntags; i++) {
		if (i > 0)
			buf_add(b, ",", 1);
		buf_json_str(b, f->tags[i].key);
	}
	buf_str(b, "]},{\"Key\":\"TagValue\",\"Values\":[");
	for (i = 0; i < f->ntags; i++) {
		if (i > 0)
			buf_add(b, ",", 1);
		buf_json_str(b, f->tags[i].value != NULL ?
		    f->tags[i].value : "");
	}
	buf_str(b, "]}]");
	return b->failed ? -1 : 0;
}

/* Does the secret carry the tag key=value? */
static int
has_tag(const struct xs_host *h, const struct xs_value *secret,
    const struct xs_tag *t)
{
	const struct xs_value	*tags, *tag;
	const char		*k, *v;
	size_t			 i;

	tags = h->value_get(h->value_get(secret, "Tags"), "Tag");
	for (i = 0; i < h->value_count(tags); i++) {
		tag = h->value_at(tags, i, NULL);
		k = h->value_string(h->value_get(tag, "TagKey"), NULL);
		v = h->value_string(h->value_get(tag, "TagValue"), NULL);
		if (k != NULL && strcmp(k, t->key) == 0 && v != NULL &&
		    strcmp(v, t->value != NULL ? t->value : "") == 0)
			return 1;
	}
	return 0;
}

static int
wanted(const struct xs_host *h, const struct xs_find *f, const regex_t *re,
    const struct xs_value *secret, const char *name)
{
	size_t	i;

	if (f->path != NULL && strncmp(name, f->path, strlen(f->path)) != 0)
		return 0;
	if (re != NULL && regexec(re, name, 0, NULL, 0) != 0)
		return 0;
	for (i = 0; i < f->ntags; i++)
		if (!has_tag(h, secret, &f->tags[i]))
			return 0;
	return 1;
}

/* Keeps the wanted names of one page; *count is the page's size. */
static int32_t
page_names(struct ali_client *c, const struct xs_find *f, const regex_t *re,
    const struct xs_value *json, struct names *out, size_t *count,
    struct xs_diag *d)
{
	const struct xs_host	*h = c->host;
	const struct xs_value	*list, *secret;
	const char		*name;
	size_t			 i;

	list = h->value_get(h->value_get(json, "SecretList"), "Secret");
	*count = h->value_count(list);
	for (i = 0; i < *count; i++) {
		secret = h->value_at(list, i, NULL);
		name = h->value_string(h->value_get(secret, "SecretName"),
		    NULL);
		if (name == NULL || name[0] == '\0' ||
		    !wanted(h, f, re, secret, name))
			continue;
		if (out->n == FIND_MAX_SECRETS) {
			h->error(d, "find: more than %d secrets match; narrow "
			    "the name, path or tags", FIND_MAX_SECRETS);
			return XS_ERR_INVALID;
		}
		if ((out->v[out->n] = h->strdup(name)) == NULL)
			return XS_ERR_NOMEM;
		out->n++;
	}
	return XS_OK;
}

/* Lists every page; the wanted names go to out. */
static int32_t
list_all(struct ali_client *c, const struct xs_find *f, const regex_t *re,
    struct names *out, struct xs_diag *d)
{
	const struct xs_host	*h = c->host;
	struct sign_param	 p[4];
	struct xs_value		*json;
	struct buf		 filters;
	char			 page[24], size[16];
	const char		*total;
	size_t			 n = 3, count;
	long			 pageno;
	int32_t			 rc = XS_OK;

	buf_init(&filters, h);
	if (tag_filters(f, &filters) == -1) {
		buf_free(&filters);
		return XS_ERR_NOMEM;
	}
	snprintf(size, sizeof(size), "%d", PAGE_SIZE);
	p[0] = (struct sign_param){ "PageNumber", page };
	p[1] = (struct sign_param){ "PageSize", size };
	p[2] = (struct sign_param){ "FetchTags", "true" };
	if (filters.len > 0)
		p[n++] = (struct sign_param){ "Filters", filters.p };
	for (pageno = 1; pageno <= FIND_MAX_PAGES; pageno++) {
		snprintf(page, sizeof(page), "%ld", pageno);
		json = NULL;
		if ((rc = kms_call(c, "ListSecrets", p, n, "ListSecrets",
		    &json, d)) != XS_OK)
			break;
		rc = page_names(c, f, re, json, out, &count, d);
		total = h->value_string(h->value_get(json, "TotalCount"),
		    NULL);
		if (rc == XS_OK && (count < PAGE_SIZE || (total != NULL &&
		    pageno * PAGE_SIZE >= strtol(total, NULL, 10)))) {
			h->json_free(json);
			break;
		}
		h->json_free(json);
		if (rc != XS_OK)
			break;
	}
	buf_free(&filters);
	return rc;
}

int32_t
find_secrets(void *client, const struct xs_find *f, struct xs_result *r,
    struct xs_diag *d)
{
	struct ali_client	*c = client;
	const struct xs_host	*h = c->host;
	struct names		*names;
	struct ali_secret	 s;
	regex_t			 re;
	int			 have_re = 0;
	size_t			 i;
	int32_t			 rc;

	if (f->ntags > TAGS_MAX) {
		h->error(d, "find: at most %d tags", TAGS_MAX);
		return XS_ERR_INVALID;
	}
	if (f->name_regexp != NULL && f->name_regexp[0] != '\0') {
		if (strlen(f->name_regexp) > 1024 || regcomp(&re,
		    f->name_regexp, REG_EXTENDED | REG_NOSUB) != 0) {
			h->error(d, "find: name.regexp is not a valid POSIX "
			    "extended regular expression");
			return XS_ERR_INVALID;
		}
		have_re = 1;
	}
	if ((names = h->calloc(1, sizeof(*names))) == NULL) {
		rc = XS_ERR_NOMEM;
		goto done;
	}
	rc = list_all(c, f, have_re ? &re : NULL, names, d);
	for (i = 0; i < names->n && rc == XS_OK; i++) {
		if ((rc = secret_fetch(c, names->v[i], NULL, &s, d)) != XS_OK)
			break;
		rc = h->result_put(r, names->v[i], s.data, s.len);
		secret_clear(c, &s);
	}
	for (i = 0; i < names->n; i++)
		h->free(names->v[i]);
	h->free(names);
done:
	if (have_re)
		regfree(&re);
	return rc;
}
