/*
 * Value trees: construction, readers, property paths, copies and hashes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tap.h"
#include "value.h"

static struct xs_value *
str_node(int secure, const char *s)
{
	struct xs_value	*v = value_new(XS_VALUE_STRING, secure, "f.yaml", 3,
			    7);

	value_set_string(v, s, strlen(s));
	return v;
}

/* {"a": {"b.c": "dot", "list": ["x", "y", {"k": "deep"}]}, "n": "1"} */
static struct xs_value *
sample(int secure)
{
	struct xs_value	*root, *a, *list, *m;

	root = value_new(XS_VALUE_MAP, secure, "f.yaml", 1, 1);
	a = value_new(XS_VALUE_MAP, secure, "f.yaml", 2, 3);
	list = value_new(XS_VALUE_SEQ, secure, "f.yaml", 4, 5);
	m = value_new(XS_VALUE_MAP, secure, "f.yaml", 6, 7);
	value_append(m, "k", str_node(secure, "deep"));
	value_append(list, NULL, str_node(secure, "x"));
	value_append(list, NULL, str_node(secure, "y"));
	value_append(list, NULL, m);
	value_append(a, "b.c", str_node(secure, "dot"));
	value_append(a, "list", list);
	value_append(root, "a", a);
	value_append(root, "n", str_node(secure, "1"));
	return root;
}

static void
test_readers(void)
{
	struct xs_value	*root = sample(0), *s, *v;
	char		 buf[64];

	is_int(root->count, 2, "map has two members");
	is_str(value_get_str(root, "n"), "1", "value_get_str");
	ok(value_get(root, "missing") == NULL, "missing key is NULL");
	ok(value_get(NULL, "n") == NULL, "value_get accepts NULL");
	ok(value_str(value_get(root, "a")) == NULL, "value_str of a map");
	is_str(value_str(value_lookup(root, "a.list")) , NULL,
	    "value_lookup reaches a list, which has no string");
	ok(value_lookup(root, "a.list") != NULL, "value_lookup a.list");
	ok(value_lookup(root, "a.nope.x") == NULL, "value_lookup missing");
	is_str(value_str(value_path(root, "a.b\\.c")), "dot",
	    "value_path with an escaped dot");
	is_str(value_str(value_path(root, "a.list.1")), "y",
	    "value_path with an index");
	is_str(value_str(value_path(root, "a.list.2.k")), "deep",
	    "value_path through a list into a map");
	ok(value_path(root, "a.list.3") == NULL, "index out of range");
	ok(value_path(root, "a.list.01") == NULL, "index with leading zero");
	ok(value_path(root, "a.list.-1") == NULL, "negative index");
	ok(value_path(root, "n.x") == NULL, "path through a scalar");
	ok(value_path(root, "") == root, "empty path is the node");
	is_str(value_where(value_get(root, "n"), buf, sizeof(buf)),
	    "f.yaml:3:7", "value_where");

	/* Many members: arrays grow past their first capacities. */
	s = value_new(XS_VALUE_SEQ, 1, NULL, 0, 0);
	for (int i = 0; i < 1000; i++)
		value_append(s, NULL, str_node(1, i % 2 ? "odd" : "even"));
	is_int(s->count, 1000, "1000 items appended to a secure list");
	is_str(value_str(s->items[999]), "odd", "last item intact");
	v = str_node(1, "x");
	ok(value_append(s, "key", v) == -1 && s->count == 1000,
	    "a key is refused on a list");
	value_free(v);
	v = str_node(1, "x");
	ok(value_append(root, NULL, v) == -1 && root->count == 2,
	    "a map member needs a key");
	value_free(v);
	value_free(s);
	value_free(root);
}

static void
test_copy_hash(void)
{
	struct xs_value	*a = sample(1), *b, *c;
	uint64_t	 ha, hb;

	b = value_copy(a);
	ok(b != NULL && b->secure, "copy keeps the secure flag");
	is_str(value_str(value_path(b, "a.list.2.k")), "deep",
	    "copy is deep");
	ha = value_hash(a, 0);
	hb = value_hash(b, 0);
	ok(ha == hb, "copies hash alike");
	ok(value_hash(a, 1) != ha, "the seed changes the hash");
	c = sample(1);
	value_set_string((struct xs_value *)value_get(c, "n"), "2", 1);
	ok(value_hash(c, 0) != ha, "a changed string changes the hash");
	b->items[0]->items[1]->line = 99;
	ok(value_hash(b, 0) == ha, "positions do not change the hash");
	value_free(a);
	value_free(b);
	value_free(c);
}

static void
test_nul_strings(void)
{
	struct xs_value	*v = value_new(XS_VALUE_STRING, 1, NULL, 0, 0);

	value_set_string(v, "a\0b", 3);
	is_int(v->len, 3, "length includes the NUL byte");
	ok(memcmp(v->str, "a\0b", 4) == 0, "bytes kept, terminated");
	value_free(v);
}

int
main(void)
{
	test_readers();
	test_copy_hash();
	test_nul_strings();
	return tap_done();
}
