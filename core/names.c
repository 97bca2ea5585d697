/*
 * Kubernetes' name rules, which also keep names safe as path components of
 * the output tree: a DNS-1123 label or subdomain holds no '/', and a secret
 * key is never "." or "..".
 */
#include "config.h"

#include <string.h>

#include "manifest.h"

#define DNS1123_LABEL_MAX	63
#define DNS1123_SUBDOMAIN_MAX	253
#define SECRET_KEY_MAX		253

static int
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..len). */
static int
segment_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return 0;
	for (i = 1; i + 1 < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/*
 * Whether s is a DNS-1123 label (namespaces): 1 or 0.
 */
int
name_is_dns1123_label(const char *s)
{
	size_t	len;

	if (s == NULL || (len = strlen(s)) > DNS1123_LABEL_MAX)
		return 0;
	return segment_ok(s, len);
}

/*
 * Whether s is a DNS-1123 subdomain (object names): 1 or 0.
 */
int
name_is_dns1123_subdomain(const char *s)
{
	const char	*dot;
	size_t		 len;

	if (s == NULL || strlen(s) > DNS1123_SUBDOMAIN_MAX)
		return 0;
	for (;;) {
		dot = strchr(s, '.');
		len = dot ? (size_t)(dot - s) : strlen(s);
		if (!segment_ok(s, len))
			return 0;
		if (dot == NULL)
			return 1;
		s = dot + 1;
	}
}

/*
 * Whether s may be a key of a Secret (and so a file name): 1 or 0.
 */
int
name_is_secret_key(const char *s)
{
	size_t	len;

	if (s == NULL || (len = strlen(s)) == 0 || len > SECRET_KEY_MAX)
		return 0;
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-._") == len;
}
