/*
 * The YAML reader: documents, positions, scalars kept as strings, and each
 * rule and limit that fails a document while the stream goes on.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tap.h"
#include "value.h"
#include "yamldoc.h"

#define MAX_DOCS	16
/* A literal that may hold NUL bytes. */
#define RUN_LIT(r, s)	run((r), (s), sizeof(s) - 1)

struct result {
	struct xs_value	*roots[MAX_DOCS];
	char		 errors[MAX_DOCS][256];
	uint32_t	 lines[MAX_DOCS];
	int		 ndocs;		/* roots and errors, in order */
	int		 nerrors;
	int		 rc;
	char		 last[256];	/* the last error, even past MAX_DOCS */
	uint32_t	 last_line;
};

static int
collect(void *arg, struct yaml_doc *d)
{
	struct result	*r = arg;

	if (d->error != NULL) {
		snprintf(r->last, sizeof(r->last), "%s", d->error);
		r->last_line = d->line;
	}
	if (r->ndocs >= MAX_DOCS) {
		value_free(d->root);
		return 0;
	}
	r->lines[r->ndocs] = d->line;
	if (d->error != NULL) {
		snprintf(r->errors[r->ndocs], sizeof(r->errors[0]), "%s",
		    d->error);
		r->nerrors++;
	} else
		r->roots[r->ndocs] = d->root;
	r->ndocs++;
	return 0;
}

static void
run(struct result *r, const char *text, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->rc = yaml_parse("t.yaml", text, len, 1, collect, r);
}

static void
run_str(struct result *r, const char *text)
{
	run(r, text, strlen(text));
}

static void
done(struct result *r)
{
	int	i;

	for (i = 0; i < r->ndocs; i++)
		value_free(r->roots[i]);
}

static void
test_documents(void)
{
	struct result		 r;
	const struct xs_value	*v;

	run_str(&r, "# comment only\n---\n---\n# c\n...\n---\na: 1\n...\n"
	    "---\nb: [x, 'y']\n---\n");
	is_int(r.rc, 0, "stream read");
	is_int(r.ndocs, 2, "empty and comment-only documents skipped");
	is_int(r.nerrors, 0, "no errors");
	v = value_get(r.roots[0], "a");
	is_str(value_str(v), "1", "integer stays a string");
	is_int(v->line, 7, "line is 1-based");
	is_int(v->column, 4, "column is 1-based");
	is_str(v->file, "t.yaml", "file recorded");
	ok(r.roots[0]->secure, "tree is secure");
	ok(!v->quoted, "plain scalar not quoted");
	ok(value_path(r.roots[1], "b.1")->quoted, "quoted scalar flagged");
	done(&r);

	run_str(&r, "");
	is_int(r.ndocs, 0, "empty stream has no documents");
	run_str(&r, "# nothing\n");
	is_int(r.ndocs, 0, "comment-only stream has no documents");
}

static void
test_scalars(void)
{
	struct result	r;

	run_str(&r, "a: yes\nb: 0644\nc: 1.10\nd: ~\ne: on\nf: |\n  x\n"
	    "g: 0x1F\nh: \"\\0\"\n");
	is_int(r.nerrors, 0, "parses");
	is_str(value_get_str(r.roots[0], "a"), "yes", "yes stays a string");
	is_str(value_get_str(r.roots[0], "b"), "0644", "0644 stays a string");
	is_str(value_get_str(r.roots[0], "c"), "1.10", "1.10 stays a string");
	is_str(value_get_str(r.roots[0], "d"), "~", "~ stays a string");
	is_str(value_get_str(r.roots[0], "e"), "on", "on stays a string");
	is_str(value_get_str(r.roots[0], "f"), "x\n", "block scalar");
	ok(value_get(r.roots[0], "f")->quoted, "block scalar flagged");
	is_str(value_get_str(r.roots[0], "g"), "0x1F", "hex stays a string");
	is_int(value_get(r.roots[0], "h")->len, 1, "escaped NUL kept");
	done(&r);

	run_str(&r, "a: !!str 5\nb: !!int 5\nc: ! x\n");
	is_int(r.nerrors, 0, "standard tags accepted");
	is_str(value_get_str(r.roots[0], "b"), "5", "tagged int is a string");
	done(&r);
}

/* A failing document between two good ones: the stream goes on. */
static void
check_doc_error(const char *bad, const char *want, uint32_t line)
{
	struct result	r;
	char		*text;

	if (asprintf(&text, "ok: 1\n---\n%s\n---\nok: 2\n", bad) == -1)
		abort();
	run_str(&r, text);
	is_int(r.ndocs, 3, want);
	ok(r.nerrors == 1 && strstr(r.errors[1], want) != NULL,
	    "error says \"%s\" (got \"%s\")", want, r.errors[1]);
	is_int(r.lines[1], line, "error line");
	ok(r.roots[2] != NULL && strcmp(value_get_str(r.roots[2], "ok"),
	    "2") == 0, "next document still read");
	done(&r);
	free(text);
}

static void
test_rules(void)
{
	check_doc_error("a: 1\nb: 2\na: 3", "duplicate key \"a\"", 5);
	check_doc_error("m:\n  x: 1\n  x: 1", "duplicate key \"x\"", 5);
	check_doc_error("a: &x 1\n<<: {b: 2}", "merge keys", 4);
	check_doc_error("a: !vault x", "unknown tag !vault", 3);
	check_doc_error("a: !!python/object x", "unknown tag", 3);
	check_doc_error("a: *nope", "unknown anchor", 3);
	check_doc_error("a: &r [*r]", "unknown anchor", 3);
	check_doc_error("? [a]\n: 1", "mapping keys must be scalars", 3);
	check_doc_error("\"a\\0b\": 1", "NUL byte", 3);
}

static void
test_aliases(void)
{
	struct result	 r;
	char		*text, *p;
	int		 i, j;

	run_str(&r, "base: &b {k: v}\nuse: *b\nkey: &k name\n*k : 2\n");
	is_int(r.nerrors, 0, "aliases resolve");
	is_str(value_str(value_path(r.roots[0], "use.k")), "v",
	    "alias copies the anchored map");
	is_str(value_get_str(r.roots[0], "name"), "2", "alias as a key");
	done(&r);

	/* Billion laughs: 9^9 nodes must fail fast, not expand. */
	text = p = malloc(4096);
	p += sprintf(p, "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
	for (i = 1; i < 9; i++) {
		p += sprintf(p, "%c: &%c [", 'a' + i, 'a' + i);
		for (j = 0; j < 9; j++)
			p += sprintf(p, "%s*%c", j ? "," : "", 'a' + i - 1);
		p += sprintf(p, "]\n");
	}
	run_str(&r, text);
	ok(r.nerrors == 1 && strstr(r.errors[0], "nodes") != NULL,
	    "alias bomb refused: %s", r.errors[0]);
	ok(r.lines[0] > 1, "alias bomb error has a line");
	done(&r);
	free(text);

	/* Few nodes but big scalars: the byte budget stops it. */
	text = malloc(VALUE_MAX_SCALAR + 4096);
	p = text + sprintf(text, "a: &a ");
	memset(p, 'x', VALUE_MAX_SCALAR - 10);
	p += VALUE_MAX_SCALAR - 10;
	p += sprintf(p, "\nb: [");
	for (i = 0; i < 40; i++)
		p += sprintf(p, "%s*a", i ? "," : "");
	p += sprintf(p, "]\n");
	run(&r, text, (size_t)(p - text));
	ok(r.nerrors == 1 && strstr(r.errors[0], "bytes") != NULL,
	    "scalar alias bomb refused: %s", r.errors[0]);
	done(&r);
	free(text);
}

static void
test_limits(void)
{
	struct result	 r;
	char		*text;
	size_t		 n = 10000, len;

	text = malloc(2 * n + 16);
	len = (size_t)sprintf(text, "k: ");
	memset(text + len, '[', n);
	memset(text + len + n, ']', n);
	len += 2 * n;
	run(&r, text, len);
	ok(r.nerrors == 1 && strstr(r.errors[0], "nesting deeper") != NULL,
	    "10000 levels refused: %s", r.errors[0]);
	is_int(r.lines[0], 1, "depth error line");
	is_int(r.rc, -1, "deep nesting ends the stream (libyaml is "
	    "quadratic in flow depth)");
	done(&r);

	/* Nesting inside a document that already failed is bounded too. */
	len = (size_t)sprintf(text, "a: 1\na: 2\nk: ");
	memset(text + len, '[', n);
	len += n;
	run(&r, text, len);
	ok(r.nerrors == 1 && strstr(r.errors[0], "duplicate") != NULL &&
	    r.rc == -1, "deep nesting after an error ends the stream: %s",
	    r.errors[0]);
	done(&r);

	len = (size_t)sprintf(text, "k: ");
	memset(text + len, '[', VALUE_MAX_DEPTH - 1);
	memset(text + len + VALUE_MAX_DEPTH - 1, ']', VALUE_MAX_DEPTH - 1);
	len += 2 * (VALUE_MAX_DEPTH - 1);
	run(&r, text, len);
	is_int(r.nerrors, 0, "the maximum depth is accepted");
	done(&r);
	free(text);

	len = 2 * 1024 * 1024;
	text = malloc(len + 16);
	memcpy(text, "k: ", 3);
	memset(text + 3, 'y', len);
	run(&r, text, len + 3);
	ok(r.nerrors == 1 && strstr(r.errors[0], "scalar longer") != NULL,
	    "2 MiB scalar refused: %s", r.errors[0]);
	done(&r);
	free(text);

	text = malloc((YAML_MAX_DOCS + 1) * 10);
	for (len = 0, n = 0; n <= YAML_MAX_DOCS; n++)
		len += (size_t)sprintf(text + len, "a: 1\n---\n");
	memset(&r, 0, sizeof(r));
	r.rc = yaml_parse("t.yaml", text, len, 0, collect, &r);
	is_int(r.rc, -1, "too many documents end the stream");
	ok(strstr(r.last, "more than 10000 documents") != NULL,
	    "document limit reported: %s", r.last);
	done(&r);
	free(text);
}

static void
test_directives(void)
{
	struct result	 r;
	char		*text;
	size_t		 len = 0;
	int		 i;

	run_str(&r, "%YAML 1.1\n%TAG !e! tag:example.com,2000:\n---\n"
	    "a: 1\n");
	is_int(r.nerrors, 0, "a few directives are fine");
	done(&r);

	text = malloc(200 * 32);
	for (i = 0; i < 200; i++)
		len += (size_t)sprintf(text + len, "%%TAG !%x! t:\n", i);
	len += (size_t)sprintf(text + len, "---\na: 1\n");
	run(&r, text, len);
	ok(r.nerrors == 1 && strstr(r.errors[0], "directives") != NULL,
	    "a flood of directives refused: %s", r.errors[0]);
	is_int(r.lines[0], 65, "at the first directive too many");
	done(&r);
	free(text);
}

static void
test_syntax(void)
{
	struct result	r;

	run_str(&r, "a: 1\n---\nb: [unclosed\n---\nc: 3\n");
	is_int(r.rc, -1, "syntax error ends the stream");
	is_int(r.ndocs, 2, "document before the error kept");
	ok(r.nerrors == 1 && strncmp(r.errors[1], "YAML: ", 6) == 0,
	    "syntax error reported: %s", r.errors[1]);
	ok(r.lines[1] >= 3, "syntax error line %u", r.lines[1]);
	done(&r);

	RUN_LIT(&r, "a: 1\n---\nb: \xc3\x28\n");
	/* The reader decodes ahead: the error may come before document 1. */
	ok(r.nerrors == 1 && strstr(r.last, "UTF-8") != NULL,
	    "invalid UTF-8 refused: %s", r.last);
	is_int(r.last_line, 3, "invalid UTF-8 line");
	done(&r);

	RUN_LIT(&r, "a: 1\nb: x\0y\n");
	ok(r.nerrors == 1 && strstr(r.errors[0], "control") != NULL,
	    "NUL byte refused: %s", r.errors[0]);
	is_int(r.lines[0], 2, "NUL byte line");
	done(&r);
}

/*
 * libyaml frees and reallocates through our yaml_free and yaml_realloc,
 * which zero each block: a long scalar grows its buffer, so both run.
 */
static void
test_cleansing_allocator(void)
{
	struct result	r;
	uint64_t	f0, r0, f1, r1;

	yaml_alloc_counts(&f0, &r0);
	run_str(&r, "apiVersion: v1\nkind: Secret\nstringData:\n"
	    "  password: a-long-secret-value-that-outgrows-the-first-buffer\n");
	is_int(r.nerrors, 0, "cleansing: a Secret parsed");
	done(&r);
	yaml_alloc_counts(&f1, &r1);
	ok(f1 > f0, "cleansing: libyaml frees through our yaml_free "
	    "(%llu blocks)", (unsigned long long)(f1 - f0));
	ok(r1 > r0, "cleansing: and grows a scalar through our "
	    "yaml_realloc (%llu)", (unsigned long long)(r1 - r0));
}

int
main(void)
{
	test_documents();
	test_scalars();
	test_rules();
	test_aliases();
	test_limits();
	test_directives();
	test_syntax();
	test_cleansing_allocator();
	return tap_done();
}
