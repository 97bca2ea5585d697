/*
 * libFuzzer harness for the manifest loader and the JSON parser: every
 * input is read as a manifest file and as a JSON text.  Nothing may crash,
 * leak or take unbounded time or memory.  `make fuzz` builds it with
 * libFuzzer; make check replays its corpus.  See tests/fuzz/README.md.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "manifest.h"
#include "value.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct manifest_set	*set;
	struct xs_value		*v;
	char			 err[256], buf[1024], *out;
	size_t			 i, n;

	set = manifest_load_buffer("fuzz.yaml", (const char *)data, len);
	for (i = 0; i < set->nerrors; i++)
		manifest_error_str(&set->errors[i], buf, sizeof(buf));
	for (i = 0; i < set->nstores; i++)
		store_allows_namespace(set, &set->stores[i], "default");
	manifest_free(set);

	if (json_parse((const char *)data, len, &v, err, sizeof(err)) == 0) {
		out = json_print(v, &n);
		value_free(v);
		if (out != NULL && json_parse(out, n, &v, err,
		    sizeof(err)) == 0)
			value_free(v);
		xs_secure_free(out);
	}
	return 0;
}
