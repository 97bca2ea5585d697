/*
 * libFuzzer harness for the manifest loader and the JSON parser: every
 * input is read as a manifest file and as a JSON text.  The patterns an
 * ExternalSecret loads with also run as the sync would run them: its
 * rewrites and key conversion over every key it names, its find.name
 * regexp matched against them.  Nothing may crash, leak or take
 * unbounded time or memory.  `make fuzz` builds it with
 * libFuzzer; make check replays its corpus.  See tests/fuzz/README.md.
 */
#include "config.h"

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "manifest.h"
#include "reconcile_int.h"
#include "value.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* key through one dataFrom's rewrites and conversion, and its find. */
static void
transform(const struct es_data_from *df, const char *key)
{
	regex_t	 re;
	char	 err[256], *k, *c;

	if (df->find_name != NULL && regcomp(&re, df->find_name,
	    REG_EXTENDED | REG_NOSUB) == 0) {
		(void)regexec(&re, key, 0, NULL, 0);
		regfree(&re);
	}
	if ((k = reconcile_rewrite(df->rewrites, df->nrewrites, key, err,
	    sizeof(err))) == NULL)
		return;
	if ((c = reconcile_convert(df->ref.conversion, k)) != NULL)
		free(c);
	free(k);
}

/*
 * The keys an ExternalSecret names, through each of its dataFroms; the
 * first few of each, so that a large input stays a fast one.
 */
static void
transforms(const struct externalsecret *es)
{
	size_t	i, j;

	for (i = 0; i < es->ndata_from && i < 8; i++) {
		transform(&es->data_from[i], es->name);
		if (es->data_from[i].ref.key != NULL)
			transform(&es->data_from[i], es->data_from[i].ref.key);
		for (j = 0; j < es->ndata && j < 8; j++) {
			transform(&es->data_from[i], es->data[j].secret_key);
			transform(&es->data_from[i], es->data[j].ref.key);
		}
	}
}

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
	for (i = 0; i < set->ness; i++)
		transforms(&set->ess[i]);
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
