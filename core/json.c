/*
 * JSON texts to value trees and back.
 *
 * JSON here mostly carries secrets (provider responses, secret values that
 * hold JSON objects), so the parser is our own small recursive-descent one
 * rather than cJSON: it writes every string straight into the secure tree
 * (no intermediate copy left in the heap), keeps a number's text exactly as
 * written (a 19-digit account id survives), keeps \u0000 as a NUL byte, and
 * refuses duplicate object keys instead of silently picking one.
 *
 * Bounds: the text is at most VALUE_MAX_FILE bytes, nesting at most
 * VALUE_MAX_DEPTH, at most VALUE_MAX_NODES values, each string at most
 * VALUE_MAX_SCALAR bytes.  Error messages name a byte offset and never
 * quote the text.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "value.h"

struct jparser {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	size_t		 nodes;
	char		*err;
	size_t		 errlen;
};

static int	parse_value(struct jparser *, int, struct xs_value **);

static int
jfail(struct jparser *p, const char *what)
{
	if (p->errlen > 0)
		snprintf(p->err, p->errlen, "JSON: %s at offset %zu", what,
		    p->pos);
	return -1;
}

static void
skip_ws(struct jparser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' ||
	    p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	    p->s[p->pos] == '\r'))
		p->pos++;
}

static int
new_node(struct jparser *p, int32_t type, struct xs_value **out)
{
	if (++p->nodes > VALUE_MAX_NODES)
		return jfail(p, "too many values");
	if ((*out = value_new(type, 1, NULL, 0, 0)) == NULL)
		return jfail(p, "out of memory");
	(*out)->column = (uint32_t)(p->pos > UINT32_MAX - 1 ? 0 :
	    p->pos + 1);
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the 4 hex digits of a \u escape at p->pos. */
static int
read_hex4(struct jparser *p, uint32_t *cp)
{
	int	i, d;

	if (p->len - p->pos < 4)
		return jfail(p, "truncated \\u escape");
	*cp = 0;
	for (i = 0; i < 4; i++) {
		if ((d = hexval((unsigned char)p->s[p->pos + i])) < 0)
			return jfail(p, "bad \\u escape");
		*cp = *cp << 4 | (uint32_t)d;
	}
	p->pos += 4;
	return 0;
}

static size_t
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes one escape after the backslash into o; returns bytes written. */
static int
read_escape(struct jparser *p, char *o, size_t *n)
{
	static const char	 from[] = "\"\\/bfnrt";
	static const char	 to[] = "\"\\/\b\f\n\r\t";
	const char		*q;
	uint32_t		 cp, lo;

	if (p->pos >= p->len)
		return jfail(p, "truncated escape");
	if ((q = strchr(from, p->s[p->pos])) != NULL && *q != '\0') {
		o[0] = to[q - from];
		p->pos++;
		*n = 1;
		return 0;
	}
	if (p->s[p->pos++] != 'u')
		return jfail(p, "bad escape");
	if (read_hex4(p, &cp) == -1)
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return jfail(p, "lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
		    p->s[p->pos + 1] != 'u')
			return jfail(p, "lone high surrogate");
		p->pos += 2;
		if (read_hex4(p, &lo) == -1)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return jfail(p, "bad surrogate pair");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	*n = put_utf8(o, cp);
	return 0;
}

/*
 * Reads a string at p->pos (on the opening quote) into secure memory.  The
 * decoded form is never longer than the source, which sizes the buffer.
 */
static int
read_string(struct jparser *p, char **out, size_t *outlen)
{
	size_t		 start = ++p->pos, end, n = 0, k;
	char		*buf;
	unsigned char	 c;

	for (end = start; end < p->len && p->s[end] != '"'; end++)
		if (p->s[end] == '\\')
			end++;
	if (end >= p->len)
		return jfail(p, "unterminated string");
	if (end - start > VALUE_MAX_SCALAR)
		return jfail(p, "string too long");
	if ((buf = xs_secure_alloc(end - start + 1)) == NULL)
		return jfail(p, "out of memory");
	while (p->pos < end) {
		c = (unsigned char)p->s[p->pos];
		if (c < 0x20) {
			xs_secure_free(buf);
			return jfail(p, "control character in string");
		}
		if (c != '\\') {
			buf[n++] = (char)c;
			p->pos++;
			continue;
		}
		p->pos++;
		if (read_escape(p, buf + n, &k) == -1) {
			xs_secure_free(buf);
			return -1;
		}
		n += k;
	}
	p->pos = end + 1;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

static int
set_text(struct jparser *p, struct xs_value *v, const char *s, size_t len)
{
	if (value_set_string(v, s, len) == -1)
		return jfail(p, "out of memory");
	return 0;
}

/* A number in JSON's grammar; its text is kept as written. */
static int
parse_number(struct jparser *p, struct xs_value **out)
{
	size_t	start = p->pos, digits;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	for (digits = 0; p->pos < p->len && p->s[p->pos] >= '0' &&
	    p->s[p->pos] <= '9'; digits++)
		p->pos++;
	if (digits == 0 || (digits > 1 && p->s[p->pos - digits] == '0'))
		return jfail(p, "bad number");
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		for (digits = 0; p->pos < p->len && p->s[p->pos] >= '0' &&
		    p->s[p->pos] <= '9'; digits++)
			p->pos++;
		if (digits == 0)
			return jfail(p, "bad number");
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' ||
		    p->s[p->pos] == '-'))
			p->pos++;
		for (digits = 0; p->pos < p->len && p->s[p->pos] >= '0' &&
		    p->s[p->pos] <= '9'; digits++)
			p->pos++;
		if (digits == 0)
			return jfail(p, "bad number");
	}
	if (p->pos - start > 512)
		return jfail(p, "number too long");
	if (new_node(p, XS_VALUE_NUMBER, out) == -1)
		return -1;
	return set_text(p, *out, p->s + start, p->pos - start);
}

static int
parse_word(struct jparser *p, struct xs_value **out)
{
	static const struct {
		const char	*word;
		int32_t		 type;
	} words[] = {
		{ "true", XS_VALUE_BOOL },
		{ "false", XS_VALUE_BOOL },
		{ "null", XS_VALUE_NULL },
	};
	size_t	i, n;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i].word);
		if (p->len - p->pos < n ||
		    memcmp(p->s + p->pos, words[i].word, n) != 0)
			continue;
		if (new_node(p, words[i].type, out) == -1)
			return -1;
		p->pos += n;
		if (words[i].type == XS_VALUE_NULL)
			return 0;
		return set_text(p, *out, words[i].word, n);
	}
	return jfail(p, "unexpected character");
}

static int
parse_array(struct jparser *p, int depth, struct xs_value *arr)
{
	struct xs_value	*child;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (parse_value(p, depth + 1, &child) == -1)
			return -1;
		if (value_append(arr, NULL, child) == -1) {
			value_free(child);
			return jfail(p, "out of memory");
		}
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			return 0;
		}
		return jfail(p, "expected ',' or ']'");
	}
}

/*
 * Duplicate keys are refused: which of two values a reader would see is
 * ambiguous.  The keys are sorted once per object, so a hostile object with
 * many members costs n log n, not n squared.
 */
static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
check_duplicates(struct jparser *p, const struct xs_value *obj)
{
	char	**sorted;
	size_t	  i;
	int	  dup = 0;

	if (obj->count < 2)
		return 0;
	if ((sorted = xs_secure_alloc(obj->count * sizeof(*sorted))) == NULL)
		return jfail(p, "out of memory");
	memcpy(sorted, obj->keys, obj->count * sizeof(*sorted));
	qsort(sorted, obj->count, sizeof(*sorted), key_cmp);
	for (i = 1; i < obj->count && !dup; i++)
		dup = strcmp(sorted[i - 1], sorted[i]) == 0;
	xs_secure_free(sorted);
	return dup ? jfail(p, "duplicate object key") : 0;
}

static int
parse_object(struct jparser *p, int depth, struct xs_value *obj)
{
	struct xs_value	*child;
	char		*key;
	size_t		 klen;
	int		 rc;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != '"')
			return jfail(p, "expected a string key");
		if (read_string(p, &key, &klen) == -1)
			return -1;
		skip_ws(p);
		if (strlen(key) != klen) {
			xs_secure_free(key);
			return jfail(p, "NUL byte in key");
		}
		if (p->pos >= p->len || p->s[p->pos] != ':') {
			xs_secure_free(key);
			return jfail(p, "expected ':'");
		}
		p->pos++;
		if (parse_value(p, depth + 1, &child) == -1) {
			xs_secure_free(key);
			return -1;
		}
		rc = value_append(obj, key, child);
		xs_secure_free(key);
		if (rc == -1) {
			value_free(child);
			return jfail(p, "out of memory");
		}
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			return check_duplicates(p, obj);
		}
		return jfail(p, "expected ',' or '}'");
	}
}

static int
parse_value(struct jparser *p, int depth, struct xs_value **out)
{
	struct xs_value	*v;
	char		*s;
	size_t		 n;
	int		 rc;

	*out = NULL;
	if (depth > VALUE_MAX_DEPTH)
		return jfail(p, "nesting too deep");
	skip_ws(p);
	if (p->pos >= p->len)
		return jfail(p, "unexpected end of text");
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		if (new_node(p, p->s[p->pos] == '{' ? XS_VALUE_MAP :
		    XS_VALUE_SEQ, &v) == -1)
			return -1;
		rc = v->type == XS_VALUE_MAP ? parse_object(p, depth, v) :
		    parse_array(p, depth, v);
		if (rc == -1) {
			value_free(v);
			return -1;
		}
		*out = v;
		return 0;
	case '"':
		if (new_node(p, XS_VALUE_STRING, &v) == -1)
			return -1;
		if (read_string(p, &s, &n) == -1) {
			value_free(v);
			return -1;
		}
		v->str = s;
		v->len = n;
		*out = v;
		return 0;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		rc = parse_number(p, out);
		break;
	default:
		rc = parse_word(p, out);
		break;
	}
	if (rc == -1) {
		value_free(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * Parses len bytes of JSON text into a new secure tree in *out (the
 * caller frees it with value_free).  On -1, *out is NULL and err holds a
 * message naming a byte offset, never the text.  Thread-safe.
 */
int
json_parse(const char *text, size_t len, struct xs_value **out, char *err,
    size_t errlen)
{
	struct jparser	p;
	struct xs_value	*v;

	memset(&p, 0, sizeof(p));
	p.s = text;
	p.len = len;
	p.err = err;
	p.errlen = errlen;
	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (text == NULL || len > VALUE_MAX_FILE)
		return jfail(&p, "text too large");
	if (parse_value(&p, 1, &v) == -1)
		return -1;
	skip_ws(&p);
	if (p.pos != p.len) {
		value_free(v);
		return jfail(&p, "trailing characters");
	}
	*out = v;
	return 0;
}

/*
 * Printing: one pass measures, a second writes, so the result is allocated
 * once (in secure memory for a secure tree) and never reallocated.
 */
static size_t
print_string(char *o, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, n = 0;
	unsigned char		 c;

	if (o)
		o[n] = '"';
	n++;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			if (o) {
				o[n] = '\\';
				o[n + 1] = (char)c;
			}
			n += 2;
		} else if (c < 0x20) {
			if (o) {
				memcpy(o + n, "\\u00", 4);
				o[n + 4] = hex[c >> 4];
				o[n + 5] = hex[c & 0xf];
			}
			n += 6;
		} else {
			if (o)
				o[n] = (char)c;
			n++;
		}
	}
	if (o)
		o[n] = '"';
	return n + 1;
}

static size_t
print_raw(char *o, const char *s, size_t len)
{
	if (o)
		memcpy(o, s, len);
	return len;
}

static size_t
print_node(char *o, const struct xs_value *v)
{
	size_t	n = 0, i;
	int	map;

	switch (v->type) {
	case XS_VALUE_STRING:
		return print_string(o, v->str ? v->str : "", v->len);
	case XS_VALUE_NUMBER:
	case XS_VALUE_BOOL:
		if (v->str != NULL)
			return print_raw(o, v->str, v->len);
		return print_raw(o, "null", 4);
	case XS_VALUE_MAP:
	case XS_VALUE_SEQ:
		map = v->type == XS_VALUE_MAP;
		n += print_raw(o ? o + n : NULL, map ? "{" : "[", 1);
		for (i = 0; i < v->count; i++) {
			if (i > 0)
				n += print_raw(o ? o + n : NULL, ",", 1);
			if (map) {
				n += print_string(o ? o + n : NULL,
				    v->keys[i], strlen(v->keys[i]));
				n += print_raw(o ? o + n : NULL, ":", 1);
			}
			n += print_node(o ? o + n : NULL, v->items[i]);
		}
		n += print_raw(o ? o + n : NULL, map ? "}" : "]", 1);
		return n;
	default:
		return print_raw(o, "null", 4);
	}
}

/*
 * Compact JSON text of v, NUL-terminated, its length in *len.  In
 * secure memory (xs_secure_free) when v is secure, else malloc (free).
 * NULL when out of memory.
 */
char *
json_print(const struct xs_value *v, size_t *len)
{
	size_t	 n;
	char	*o;

	if (v == NULL)
		return NULL;
	n = print_node(NULL, v);
	o = v->secure ? xs_secure_alloc(n + 1) : malloc(n + 1);
	if (o == NULL)
		return NULL;
	print_node(o, v);
	o[n] = '\0';
	if (len != NULL)
		*len = n;
	return o;
}
