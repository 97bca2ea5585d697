/*
 * The secret store of alibaba-emu.  Secrets live in an array sorted by
 * name, so a lookup is a binary search and ListSecrets walks them in name
 * order.  A read-write lock guards it all: the actions hold the read lock
 * while they copy what they answer, the control API and the configuration
 * take the write lock.
 *
 * A secret keeps up to EMU_MAX_VERSIONS versions, each with up to
 * EMU_MAX_STAGES stages.  A stage belongs to one version at a time; putting
 * a version that takes ACSCurrent gives ACSPrevious to the former current
 * one, as a KMS rotation does.  When the versions are full, the oldest one
 * without a stage makes room.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "emu.h"

static pthread_rwlock_t	  store_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct secret	**secrets;	/* sorted by name */
static size_t		  nsecrets;
static size_t		  secrets_cap;

/* Takes the store's lock to read (lookups, listing). */
void
store_rdlock(void)
{
	pthread_rwlock_rdlock(&store_lock);
}

/* Takes the store's lock to change it (configuration, control API). */
void
store_wrlock(void)
{
	pthread_rwlock_wrlock(&store_lock);
}

/* Releases the lock taken by store_rdlock or store_wrlock. */
void
store_unlock(void)
{
	pthread_rwlock_unlock(&store_lock);
}

/* With the lock held: how many secrets there are. */
size_t
store_count(void)
{
	return nsecrets;
}

/* With the lock held: the i-th secret in name order (i < store_count). */
const struct secret *
store_at(size_t i)
{
	return secrets[i];
}

/* Frees a version's strings and zeroes it. */
void
version_clear(struct version *v)
{
	size_t	 i;

	free(v->id);
	for (i = 0; i < v->nstages; i++)
		free(v->stages[i]);
	free(v->data);
	memset(v, 0, sizeof(*v));
}

static void
secret_free(struct secret *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nv; i++)
		version_clear(&s->v[i]);
	for (i = 0; i < s->ntags; i++) {
		free(s->tags[i].key);
		free(s->tags[i].val);
	}
	free(s->name);
	free(s->type);
	free(s);
}

/* Index of name, or of where it would go, in the sorted array. */
static size_t
store_index(const char *name, int *found)
{
	size_t	 lo = 0, hi = nsecrets, mid;
	int	 r;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = strcmp(secrets[mid]->name, name);
		if (r == 0) {
			*found = 1;
			return mid;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* With the lock held: the secret called name, or NULL. */
struct secret *
store_find(const char *name)
{
	size_t	 i;
	int	 found;

	i = store_index(name, &found);
	return found ? secrets[i] : NULL;
}

/*
 * With the write lock held: the secret called name, created empty (type
 * Generic) if need be; NULL when the store is full or memory runs out.
 */
struct secret *
store_get_or_add(const char *name)
{
	struct secret	**ns, *s;
	size_t		  i, ncap;
	int		  found;

	i = store_index(name, &found);
	if (found)
		return secrets[i];
	if (nsecrets >= EMU_MAX_SECRETS)
		return NULL;
	if (nsecrets == secrets_cap) {
		ncap = secrets_cap ? 2 * secrets_cap : 64;
		if ((ns = realloc(secrets, ncap * sizeof(*ns))) == NULL)
			return NULL;
		secrets = ns;
		secrets_cap = ncap;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->name = strdup(name)) == NULL ||
	    (s->type = strdup("Generic")) == NULL) {
		secret_free(s);
		return NULL;
	}
	s->created = s->updated = time(NULL);
	s->next_id = 1;
	memmove(&secrets[i + 1], &secrets[i],
	    (nsecrets - i) * sizeof(*secrets));
	secrets[i] = s;
	nsecrets++;
	return s;
}

/* With the write lock held: removes the secret called name, if any. */
void
store_remove(const char *name)
{
	size_t	 i;
	int	 found;

	i = store_index(name, &found);
	if (!found)
		return;
	secret_free(secrets[i]);
	memmove(&secrets[i], &secrets[i + 1],
	    (nsecrets - i - 1) * sizeof(*secrets));
	nsecrets--;
}

/* Frees every secret; at exit, when no thread serves any more. */
void
store_free(void)
{
	size_t	 i;

	for (i = 0; i < nsecrets; i++)
		secret_free(secrets[i]);
	free(secrets);
	secrets = NULL;
	nsecrets = secrets_cap = 0;
}

/* Whether version v carries stage. */
int
version_has_stage(const struct version *v, const char *stage)
{
	size_t	 i;

	for (i = 0; i < v->nstages; i++)
		if (strcmp(v->stages[i], stage) == 0)
			return 1;
	return 0;
}

static void
version_drop_stage(struct version *v, const char *stage)
{
	size_t	 i;

	for (i = 0; i < v->nstages; i++) {
		if (strcmp(v->stages[i], stage) != 0)
			continue;
		free(v->stages[i]);
		v->stages[i] = v->stages[--v->nstages];
		return;
	}
}

static int
version_add_stage(struct version *v, const char *stage)
{
	if (version_has_stage(v, stage))
		return 0;
	if (v->nstages >= EMU_MAX_STAGES)
		return -1;
	if ((v->stages[v->nstages] = strdup(stage)) == NULL)
		return -1;
	v->nstages++;
	return 0;
}

static struct version *
secret_version(struct secret *s, const char *id)
{
	size_t	 i;

	for (i = 0; i < s->nv; i++)
		if (strcmp(s->v[i].id, id) == 0)
			return &s->v[i];
	return NULL;
}

/* Checks that s is valid base64 (the form of binary data). */
static int
valid_base64(const char *s)
{
	unsigned char	*out;
	size_t		 len = strlen(s);
	int		 r;

	if (len % 4 != 0)
		return 0;
	if ((out = malloc(len / 4 * 3 + 1)) == NULL)
		return 0;
	r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	free(out);
	return r >= 0;
}

/*
 * Parses a version spec {"id", "data", "type", "stages"} into v.  When
 * stages is absent, defstage (or none) is used.  Returns 0 or -1 with err.
 */
int
version_parse(const cJSON *j, struct version *v, const char *defstage,
    char *err, size_t errlen)
{
	const cJSON	*id, *data, *type, *stages, *st;

	memset(v, 0, sizeof(*v));
	id = cJSON_GetObjectItemCaseSensitive(j, "id");
	data = cJSON_GetObjectItemCaseSensitive(j, "data");
	type = cJSON_GetObjectItemCaseSensitive(j, "type");
	stages = cJSON_GetObjectItemCaseSensitive(j, "stages");
	if (!cJSON_IsString(data)) {
		snprintf(err, errlen, "version needs a string \"data\"");
		return -1;
	}
	if (id != NULL && (!cJSON_IsString(id) || *id->valuestring == '\0')) {
		snprintf(err, errlen, "version \"id\" must be a string");
		return -1;
	}
	if (type != NULL && !(cJSON_IsString(type) &&
	    (strcmp(type->valuestring, "text") == 0 ||
	    strcmp(type->valuestring, "binary") == 0))) {
		snprintf(err, errlen, "version \"type\" is text or binary");
		return -1;
	}
	v->binary = type != NULL && strcmp(type->valuestring, "binary") == 0;
	if (v->binary && !valid_base64(data->valuestring)) {
		snprintf(err, errlen, "binary data must be base64");
		return -1;
	}
	if ((v->data = strdup(data->valuestring)) == NULL ||
	    (id != NULL && (v->id = strdup(id->valuestring)) == NULL))
		goto oom;
	v->created = time(NULL);
	if (stages == NULL) {
		if (defstage != NULL && version_add_stage(v, defstage) == -1)
			goto oom;
		return 0;
	}
	if (!cJSON_IsArray(stages)) {
		snprintf(err, errlen, "\"stages\" must be an array");
		goto fail;
	}
	cJSON_ArrayForEach(st, stages) {
		if (!cJSON_IsString(st) || *st->valuestring == '\0' ||
		    version_add_stage(v, st->valuestring) == -1) {
			snprintf(err, errlen, "bad or too many stages");
			goto fail;
		}
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	version_clear(v);
	return -1;
}

/*
 * Replaces the tags of s with the string members of the object tags.
 * Returns 0, or -1 with err.
 */
int
secret_set_tags(struct secret *s, const cJSON *tags, char *err,
    size_t errlen)
{
	const cJSON	*t;
	size_t		 i;

	if (!cJSON_IsObject(tags)) {
		snprintf(err, errlen, "\"tags\" must be an object");
		return -1;
	}
	for (i = 0; i < s->ntags; i++) {
		free(s->tags[i].key);
		free(s->tags[i].val);
	}
	s->ntags = 0;
	cJSON_ArrayForEach(t, tags) {
		if (!cJSON_IsString(t) || s->ntags >= EMU_MAX_TAGS) {
			snprintf(err, errlen, "tags: strings, at most %d",
			    EMU_MAX_TAGS);
			return -1;
		}
		s->tags[s->ntags].key = strdup(t->string);
		s->tags[s->ntags].val = strdup(t->valuestring);
		s->ntags++;
		if (s->tags[s->ntags - 1].key == NULL ||
		    s->tags[s->ntags - 1].val == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* Makes room for one more version by dropping the oldest stageless one. */
static int
secret_make_room(struct secret *s)
{
	size_t	 i;

	if (s->nv < EMU_MAX_VERSIONS)
		return 0;
	for (i = 0; i < s->nv; i++) {
		if (s->v[i].nstages != 0)
			continue;
		version_clear(&s->v[i]);
		memmove(&s->v[i], &s->v[i + 1],
		    (s->nv - i - 1) * sizeof(s->v[0]));
		s->nv--;
		return 0;
	}
	return -1;
}

/*
 * Adds v (taken over) to s, or replaces the version with its id.  Every
 * stage of v leaves the other versions; when v takes ACSCurrent, the former
 * current version becomes ACSPrevious.  Returns 0 or -1 with err.
 */
int
secret_put_version(struct secret *s, struct version *v, char *err,
    size_t errlen)
{
	struct version	*old;
	char		 idbuf[32];
	size_t		 i, j;

	while (v->id == NULL) {
		snprintf(idbuf, sizeof(idbuf), "v%u", s->next_id++);
		if (secret_version(s, idbuf) == NULL &&
		    (v->id = strdup(idbuf)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if ((old = secret_version(s, v->id)) == NULL) {
		if (secret_make_room(s) == -1) {
			snprintf(err, errlen, "too many versions with stages");
			return -1;
		}
		old = &s->v[s->nv++];
	} else
		version_clear(old);
	if (version_has_stage(v, "ACSCurrent")) {
		for (i = 0; i < s->nv; i++)
			if (&s->v[i] != old)
				version_drop_stage(&s->v[i], "ACSPrevious");
		for (i = 0; i < s->nv; i++)
			if (&s->v[i] != old &&
			    version_has_stage(&s->v[i], "ACSCurrent"))
				version_add_stage(&s->v[i], "ACSPrevious");
	}
	for (j = 0; j < v->nstages; j++)
		for (i = 0; i < s->nv; i++)
			if (&s->v[i] != old)
				version_drop_stage(&s->v[i], v->stages[j]);
	*old = *v;
	memset(v, 0, sizeof(*v));
	s->updated = time(NULL);
	return 0;
}
