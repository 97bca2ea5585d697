/*
 * Authentication in alibaba-emu: the access keys of the configuration, the
 * STS credentials AssumeRoleWithOIDC issues, the nonce memory, and the
 * checks of V3 (ACS3-HMAC-SHA256) and V1 (HMAC-SHA1) requests.
 *
 * The order of the checks is Alibaba's: time stamp format, then skew, then
 * the access key and (for STS keys) its security token, then what V3 must
 * sign, the body hash, the signature, and last the nonce, so that only a
 * correctly signed request can use a nonce up.  A mismatch keeps the
 * server's string to sign (V1) or canonical request (V3) in the call for
 * the error message, as the real gateway echoes it.
 *
 * Nonces: a sharded open-addressing table of 128-bit digests of key id and
 * nonce, with the time each was seen.  A nonce is used while its slot is
 * younger than 15 minutes.  Inserting looks at EMU_NONCE_PROBE slots and
 * takes an empty or expired one, or else the oldest: memory stays fixed and
 * only the oldest nonces of a crowded bucket are forgotten early.
 *
 * STS credentials are kept oldest first; expired ones stay an hour so that
 * a late caller learns "expired" rather than "not found".
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "emu.h"

#define EMU_MAX_SIGNED		32	/* headers in SignedHeaders */
#define EMU_SKEW		900	/* seconds either way */
#define EMU_NONCE_TTL		900
#define EMU_NONCE_SHARDS	16
#define EMU_NONCE_PROBE		16
#define EMU_MAX_CREDS		4096
#define EMU_CREDS_KEEP		3600	/* keep expired credentials so long */

struct access_key {
	char	*id;
	char	*secret;
};

struct nonce_slot {
	uint64_t	 h1;
	uint64_t	 h2;
	time_t		 t;	/* 0: empty */
};

struct nonce_shard {
	pthread_mutex_t		 lock;
	struct nonce_slot	*slot;
	size_t			 cap;
};

static struct access_key	 keys[EMU_MAX_KEYS];
static size_t			 nkeys;

static pthread_mutex_t		 creds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sts_cred		 creds[EMU_MAX_CREDS];	/* oldest first */
static size_t			 ncreds;

static struct nonce_shard	 nonces[EMU_NONCE_SHARDS];

/* Start-up: sizes the nonce table to about cap entries. */
void
auth_init(size_t cap)
{
	size_t	 i, per = cap / EMU_NONCE_SHARDS;

	if (per < EMU_NONCE_PROBE)
		per = EMU_NONCE_PROBE;
	for (i = 0; i < EMU_NONCE_SHARDS; i++) {
		pthread_mutex_init(&nonces[i].lock, NULL);
		nonces[i].slot = xzalloc(per * sizeof(struct nonce_slot));
		nonces[i].cap = per;
	}
}

/* Start-up: adds an access key; -1 when there are too many. */
int
auth_add_key(const char *id, const char *secret)
{
	if (nkeys >= EMU_MAX_KEYS)
		return -1;
	if ((keys[nkeys].id = strdup(id)) == NULL ||
	    (keys[nkeys].secret = strdup(secret)) == NULL)
		die("out of memory");
	nkeys++;
	return 0;
}

/* Returns 1 when nonce was seen in the last 15 minutes, else records it. */
static int
nonce_used(const char *key_id, const char *nonce)
{
	unsigned char		 md[SHA256_DIGEST_LENGTH];
	struct nonce_shard	*sh;
	struct nonce_slot	*s, *pick, *empty = NULL, *oldest = NULL;
	uint64_t		 h1, h2;
	time_t			 now = time(NULL);
	size_t			 i, idx;
	EVP_MD_CTX		*ctx;

	/* The key id scopes the nonce; the NUL keeps the two apart. */
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, key_id, strlen(key_id) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, nonce, strlen(nonce)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return 1;
	}
	EVP_MD_CTX_free(ctx);
	memcpy(&h1, md, 8);
	memcpy(&h2, md + 8, 8);
	sh = &nonces[h1 % EMU_NONCE_SHARDS];
	idx = (size_t)(h1 / EMU_NONCE_SHARDS) % sh->cap;
	pthread_mutex_lock(&sh->lock);
	for (i = 0; i < EMU_NONCE_PROBE; i++) {
		s = &sh->slot[(idx + i) % sh->cap];
		if (s->t == 0 || now - s->t >= EMU_NONCE_TTL) {
			if (empty == NULL)
				empty = s;
		} else if (s->h1 == h1 && s->h2 == h2) {
			pthread_mutex_unlock(&sh->lock);
			return 1;
		} else if (oldest == NULL || s->t < oldest->t)
			oldest = s;
	}
	pick = empty != NULL ? empty : oldest;
	pick->h1 = h1;
	pick->h2 = h2;
	pick->t = now;
	pthread_mutex_unlock(&sh->lock);
	return 0;
}

static void
sts_prune(time_t now)
{
	size_t	 drop = 0, i;

	while (drop < ncreds && creds[drop].expires + EMU_CREDS_KEEP < now)
		drop++;
	if (drop == 0 && ncreds == EMU_MAX_CREDS)
		drop = 1;
	for (i = 0; i < drop; i++)
		free(creds[i].token);
	memmove(&creds[0], &creds[drop],
	    (ncreds - drop) * sizeof(creds[0]));
	ncreds -= drop;
}

/*
 * Issues STS credentials valid for lifetime seconds into out; out->token
 * is a new string the caller frees.  Returns 0 or -1.
 */
int
auth_sts_issue(long lifetime, struct sts_cred *out)
{
	static const char	 alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 raw[96];
	struct sts_cred		*c;
	time_t			 now = time(NULL);
	size_t			 tlen = 4 + 4 * sizeof(raw) / 3 + 1;

	memset(out, 0, sizeof(*out));
	memcpy(out->id, "STS.", 4);
	random_chars(out->id + 4, 24, alnum);
	random_chars(out->secret, 30, alnum);
	if (RAND_bytes(raw, sizeof(raw)) != 1 ||
	    (out->token = malloc(tlen)) == NULL)
		return -1;
	/* Base64 gives "+", "/" and "=", which clients must encode. */
	memcpy(out->token, "CAIS", 4);
	EVP_EncodeBlock((unsigned char *)out->token + 4, raw, sizeof(raw));
	out->expires = now + lifetime;
	pthread_mutex_lock(&creds_lock);
	sts_prune(now);
	c = &creds[ncreds++];
	*c = *out;
	if ((c->token = strdup(out->token)) == NULL) {
		ncreds--;
		pthread_mutex_unlock(&creds_lock);
		free(out->token);
		return -1;
	}
	pthread_mutex_unlock(&creds_lock);
	return 0;
}

/* Expires every STS credential issued so far (control API). */
void
auth_sts_expire(void)
{
	size_t	 i;

	pthread_mutex_lock(&creds_lock);
	for (i = 0; i < ncreds; i++)
		creds[i].expires = time(NULL) - 1;
	pthread_mutex_unlock(&creds_lock);
}

/* Frees keys, credentials and nonces; at exit. */
void
auth_free(void)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++) {
		free(keys[i].id);
		free(keys[i].secret);
	}
	for (i = 0; i < ncreds; i++)
		free(creds[i].token);
	for (i = 0; i < EMU_NONCE_SHARDS; i++)
		free(nonces[i].slot);
}

/*
 * Looks up an access key.  Copies its secret into secret (64 bytes) and,
 * for STS keys, checks the token.  Returns C_OK or an error code.
 */
static int
key_lookup(const char *id, const char *token, char *secret, size_t len)
{
	size_t	 i;
	int	 code = C_KEY_NOT_FOUND;

	if (strncmp(id, "STS.", 4) != 0) {
		for (i = 0; i < nkeys; i++) {
			if (strcmp(keys[i].id, id) != 0)
				continue;
			snprintf(secret, len, "%s", keys[i].secret);
			return C_OK;
		}
		return C_KEY_NOT_FOUND;
	}
	pthread_mutex_lock(&creds_lock);
	for (i = 0; i < ncreds; i++) {
		if (strcmp(creds[i].id, id) != 0)
			continue;
		if (token == NULL)
			code = C_TOKEN_MISSING;
		else if (strcmp(token, creds[i].token) != 0)
			code = C_TOKEN_MISMATCH;
		else if (time(NULL) >= creds[i].expires)
			code = C_TOKEN_EXPIRED;
		else {
			snprintf(secret, len, "%s", creds[i].secret);
			code = C_OK;
		}
		break;
	}
	pthread_mutex_unlock(&creds_lock);
	return code;
}

/* Timestamp checks shared by both schemes. */
static int
check_time(struct call *c, const char *ts)
{
	time_t	 t, now = time(NULL);

	if (parse_time(ts, &t) == -1)
		return C_TS_ILLEGAL;
	if (t > now + EMU_SKEW || t < now - EMU_SKEW)
		return C_TS_EXPIRED;
	return C_OK;
}

/* Builds the SignatureDoesNotMatch message around the server's view. */
static void
set_echo(struct call *c, const char *what, const char *text)
{
	size_t	 len = strlen(what) + strlen(text) + 80;

	free(c->echo);
	if ((c->echo = malloc(len)) != NULL)
		snprintf(c->echo, len, "Specified signature is not matched "
		    "with our calculation. %s%s", what, text);
}

/*
 * The last steps of both schemes: keep the server's view for the error
 * message, compare the signatures in constant time, then spend the nonce
 * (only a correctly signed request may use one up).
 */
static int
sig_conclude(struct call *c, const char *what, const char *text,
    const char *want, const char *sig, const char *id, const char *nonce)
{
	size_t	 len = strlen(want);

	set_echo(c, what, text);
	if (len != strlen(sig) || CRYPTO_memcmp(want, sig, len) != 0)
		return C_SIG_MISMATCH;
	return nonce_used(id, nonce) ? C_NONCE_USED : C_OK;
}

/* Splits "Credential=..,SignedHeaders=..,Signature=.." into its parts. */
static int
v3_parse_auth(const char *auth, char *cred, char *signed_headers,
    char *sig, size_t len)
{
	const char	*p, *end, *eq;
	char		*dst;
	size_t		 n;

	*cred = *signed_headers = *sig = '\0';
	for (p = auth; *p != '\0'; p = *end ? end + 1 : end) {
		while (*p == ' ')
			p++;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		if ((eq = memchr(p, '=', end - p)) == NULL)
			return -1;
		if (eq - p == 10 && strncmp(p, "Credential", 10) == 0)
			dst = cred;
		else if (eq - p == 13 && strncmp(p, "SignedHeaders", 13) == 0)
			dst = signed_headers;
		else if (eq - p == 9 && strncmp(p, "Signature", 9) == 0)
			dst = sig;
		else
			return -1;
		n = end - eq - 1;
		while (n > 0 && eq[n] == ' ')
			n--;
		if (n >= len)
			return -1;
		memcpy(dst, eq + 1, n);
		dst[n] = '\0';
	}
	return *cred && *signed_headers && *sig ? 0 : -1;
}

/* The raw path of the request, without the query, as a new string. */
static char *
raw_path(struct call *c)
{
	const char	*u = c->r->uri, *q;

	if ((q = strchr(u, '?')) == NULL)
		q = u + strlen(u);
	if (q == u)
		return strdup("/");
	return strndup(u, q - u);
}

struct unsigned_hdr {
	const struct emu_header	*hdrs;
	size_t			 nh;
	char			 name[64];	/* the first one found */
};

/* Finds a content-type or x-acs-* header left out of SignedHeaders. */
static enum MHD_Result
find_unsigned(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct unsigned_hdr	*un = cls;
	size_t			 i;

	if (strcasecmp(key, "content-type") != 0 &&
	    strncasecmp(key, "x-acs-", 6) != 0)
		return MHD_YES;
	for (i = 0; i < un->nh; i++)
		if (strcasecmp(un->hdrs[i].name, key) == 0)
			return MHD_YES;
	snprintf(un->name, sizeof(un->name), "%s", key);
	return MHD_NO;
}

static int
v3_verify(struct call *c, const char *auth)
{
	static const char *const required[] = { "host", "x-acs-action",
	    "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
	    "x-acs-content-sha256", NULL };
	struct emu_header	 hdrs[EMU_MAX_SIGNED];
	char			 cred[256], sh[1024], shcopy[1024], sig[256];
	char			 secret[64], body_hash[65], want[65];
	char			*canon = NULL, *sts = NULL, *path = NULL;
	char			*name, *save;
	const char		*date, *nonce, *csha, *token;
	struct unsigned_hdr	 un;
	size_t			 nh = 0, i, j;
	int			 code;

	if (v3_parse_auth(auth, cred, sh, sig, 256) == -1 ||
	    strlen(sh) >= sizeof(sh))
		return C_SIG_INCOMPLETE;
	date = call_header(c, "x-acs-date");
	nonce = call_header(c, "x-acs-signature-nonce");
	csha = call_header(c, "x-acs-content-sha256");
	token = call_header(c, "x-acs-security-token");
	if (date == NULL || nonce == NULL || csha == NULL || *nonce == '\0') {
		snprintf(c->errmsg, sizeof(c->errmsg), "x-acs-date, "
		    "x-acs-signature-nonce and x-acs-content-sha256 are "
		    "required.");
		return C_SIG_INCOMPLETE;
	}
	if ((code = check_time(c, date)) != C_OK)
		return code;
	if ((code = key_lookup(cred, token, secret, sizeof(secret))) != C_OK)
		return code;

	/* The signed header list, and the headers that must be in it. */
	snprintf(shcopy, sizeof(shcopy), "%s", sh);
	for (name = strtok_r(shcopy, ";", &save); name != NULL;
	    name = strtok_r(NULL, ";", &save)) {
		if (nh == EMU_MAX_SIGNED)
			return C_SIG_INCOMPLETE;
		hdrs[nh].name = name;
		if ((hdrs[nh].val = call_header(c, name)) == NULL) {
			snprintf(c->errmsg, sizeof(c->errmsg),
			    "Signed header %s is absent.", name);
			return C_SIG_INCOMPLETE;
		}
		nh++;
	}
	for (i = 0; required[i] != NULL; i++) {
		for (j = 0; j < nh && strcmp(hdrs[j].name, required[i]); j++)
			;
		if (j == nh) {
			snprintf(c->errmsg, sizeof(c->errmsg),
			    "Header %s must be signed.", required[i]);
			return C_SIG_INCOMPLETE;
		}
	}
	un.hdrs = hdrs;
	un.nh = nh;
	un.name[0] = '\0';
	MHD_get_connection_values(c->conn, MHD_HEADER_KIND, find_unsigned,
	    &un);
	if (un.name[0] != '\0') {
		snprintf(c->errmsg, sizeof(c->errmsg), "Header %s is present "
		    "but not signed.", un.name);
		return C_SIG_INCOMPLETE;
	}

	emu_sha256_hex(c->r->body ? c->r->body : "", c->r->bodylen,
	    body_hash);
	if (strcmp(body_hash, csha) != 0) {
		snprintf(c->errmsg, sizeof(c->errmsg), "The x-acs-content-"
		    "sha256 header does not match the request body.");
		return C_SIG_MISMATCH;
	}
	if ((path = raw_path(c)) == NULL ||
	    (canon = emu_v3_canonical_request(c->method, path, &c->query,
	    hdrs, nh, sh, body_hash)) == NULL ||
	    (sts = emu_v3_string_to_sign(canon)) == NULL ||
	    emu_v3_sign(secret, sts, want, sizeof(want)) == -1) {
		code = C_INTERNAL;
		goto out;
	}
	code = sig_conclude(c, "server canonical request is:", canon, want,
	    sig, cred, nonce);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	free(path);
	free(canon);
	free(sts);
	return code;
}

static int
v1_verify(struct call *c, const char *sig)
{
	static const char *const required[] = { "AccessKeyId",
	    "SignatureMethod", "SignatureVersion", "SignatureNonce",
	    "Timestamp", "Format", NULL };
	const char	*id, *token, *nonce;
	char		 secret[64], want[64];
	char		*sts;
	size_t		 i;
	int		 code;

	for (i = 0; required[i] != NULL; i++) {
		if (emu_params_get(&c->all, required[i]) == NULL) {
			snprintf(c->errmsg, sizeof(c->errmsg),
			    "%s is mandatory for this action.", required[i]);
			return C_MISSING_PARAM;
		}
	}
	if (strcmp(emu_params_get(&c->all, "SignatureMethod"),
	    "HMAC-SHA1") != 0 ||
	    strcmp(emu_params_get(&c->all, "SignatureVersion"), "1.0") != 0) {
		snprintf(c->errmsg, sizeof(c->errmsg), "SignatureMethod must "
		    "be HMAC-SHA1 and SignatureVersion 1.0.");
		return C_SIG_INCOMPLETE;
	}
	if (strcmp(emu_params_get(&c->all, "Format"), "JSON") != 0) {
		snprintf(c->errmsg, sizeof(c->errmsg), "Format must be JSON "
		    "(the emulator does not answer XML).");
		return C_INVALID_PARAM;
	}
	code = check_time(c, emu_params_get(&c->all, "Timestamp"));
	if (code != C_OK)
		return code;
	id = emu_params_get(&c->all, "AccessKeyId");
	token = emu_params_get(&c->all, "SecurityToken");
	nonce = emu_params_get(&c->all, "SignatureNonce");
	if ((code = key_lookup(id, token, secret, sizeof(secret))) != C_OK)
		return code;
	if ((sts = emu_v1_string_to_sign(c->method, &c->all)) == NULL ||
	    emu_v1_sign(secret, sts, want, sizeof(want)) == -1) {
		code = C_INTERNAL;
		goto out;
	}
	code = sig_conclude(c, "server string to sign is:", sts, want, sig,
	    id, nonce);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	free(sts);
	return code;
}

/*
 * Authenticates the KMS call c by its Authorization header (V3) or its
 * Signature parameter (V1).  Returns C_OK or the error code to answer;
 * c->errmsg and c->echo may be set for the message.
 */
int
auth_check(struct call *c)
{
	const char	*auth, *sig;

	auth = call_header(c, "Authorization");
	if (auth != NULL && strncmp(auth, "ACS3-HMAC-SHA256 ", 17) == 0)
		return v3_verify(c, auth + 17);
	if (auth != NULL) {
		snprintf(c->errmsg, sizeof(c->errmsg), "Only "
		    "ACS3-HMAC-SHA256 is accepted in Authorization.");
		return C_SIG_INCOMPLETE;
	}
	if ((sig = emu_params_get(&c->all, "Signature")) != NULL)
		return v1_verify(c, sig);
	snprintf(c->errmsg, sizeof(c->errmsg), "The request is not signed.");
	return C_SIG_INCOMPLETE;
}
