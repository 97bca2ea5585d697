/*
 * JSON: parsing into secure trees, the limits, and printing back.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tap.h"
#include "value.h"

static int
parse(const char *s, struct xs_value **v, char *err, size_t errlen)
{
	return json_parse(s, strlen(s), v, err, errlen);
}

static void
test_parse(void)
{
	struct xs_value	*v;
	char		 err[256];

	ok(parse("{\"a\":{\"b\":[1,\"x\",true,null]},\"id\":"
	    "123456789012345678901}", &v, err, sizeof(err)) == 0,
	    "object parses");
	ok(v->secure, "tree is secure");
	is_int(v->type, XS_VALUE_MAP, "root is a map");
	is_int(value_path(v, "a.b.0")->type, XS_VALUE_NUMBER, "number type");
	is_str(value_path(v, "id")->str, "123456789012345678901",
	    "number text kept exactly");
	is_int(value_path(v, "a.b.2")->type, XS_VALUE_BOOL, "bool type");
	is_str(value_path(v, "a.b.2")->str, "true", "bool text");
	is_int(value_path(v, "a.b.3")->type, XS_VALUE_NULL, "null type");
	is_str(value_str(value_path(v, "a.b.1")), "x", "string");
	value_free(v);

	ok(parse("\"a\\u0000b\\n\\u00e9\\ud83d\\ude00\"", &v, err,
	    sizeof(err)) == 0, "escapes parse");
	is_int(v->len, 10, "decoded length with NUL, é and an emoji");
	ok(memcmp(v->str, "a\0b\n\xc3\xa9\xf0\x9f\x98\x80", 10) == 0,
	    "escapes decoded to UTF-8");
	value_free(v);

	ok(parse(" [ -0.5e+3 , 0 ] ", &v, err, sizeof(err)) == 0,
	    "numbers with exponent and whitespace");
	is_str(v->items[0]->str, "-0.5e+3", "exponent text kept");
	value_free(v);
}

static void
test_errors(void)
{
	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru",
		"\"abc", "\"\\x\"", "\"\\ud800\"", "{\"a\" 1}", "[1] x",
		"{\"a\":1,\"a\":2}", "\"tab\there\"", "{1:2}",
	};
	struct xs_value	*v;
	char		 err[256], *deep;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = (struct xs_value *)1;
		ok(parse(bad[i], &v, err, sizeof(err)) == -1 && v == NULL &&
		    strncmp(err, "JSON: ", 6) == 0, "refused: %s", bad[i]);
	}
	ok(parse("{\"a\":1,\"a\":2}", &v, err, sizeof(err)) == -1 &&
	    strstr(err, "duplicate") != NULL, "duplicate key named");

	deep = malloc(20001);
	memset(deep, '[', 10000);
	memset(deep + 10000, ']', 10000);
	deep[20000] = '\0';
	ok(parse(deep, &v, err, sizeof(err)) == -1 &&
	    strstr(err, "deep") != NULL, "10000 levels refused");
	memset(deep, '[', VALUE_MAX_DEPTH);
	memset(deep + VALUE_MAX_DEPTH, ']', VALUE_MAX_DEPTH);
	deep[2 * VALUE_MAX_DEPTH] = '\0';
	ok(parse(deep, &v, err, sizeof(err)) == 0, "%d levels accepted",
	    VALUE_MAX_DEPTH);
	value_free(v);
	free(deep);

	ok(json_parse("{}", VALUE_MAX_FILE + 1, &v, err, sizeof(err)) == -1,
	    "oversized text refused before reading");
}

static void
test_print(void)
{
	const char	*in = "{\"k\":\"v\\\"q\\u0001\",\"n\":[1.50,false,null"
			    ",{}],\"e\":[]}";
	struct xs_value	*v;
	char		 err[256], *out;
	size_t		 len;

	ok(parse(in, &v, err, sizeof(err)) == 0, "parse for printing");
	out = json_print(v, &len);
	is_str(out, in, "compact print round-trips");
	is_int(len, strlen(in), "length reported");
	xs_secure_free(out);
	value_free(v);
}

int
main(void)
{
	test_parse();
	test_errors();
	test_print();
	return tap_done();
}
