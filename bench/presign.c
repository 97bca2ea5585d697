/*
 * presign: writes N signed KMS GetSecretValue requests for wrk.
 *
 * The benchmark's ceiling is the rate at which wrk alone gets answers to
 * GetSecretValue from the emulator.  The emulator checks every signature
 * and refuses a nonce it has seen, and wrk's Lua has no HMAC, so the
 * requests are signed here beforehand, each with its own nonce, and wrk
 * sends each one once.  The emulator then does exactly the work it does for
 * the daemon.  They must be sent within the emulator's 15 minutes of
 * allowed clock skew.
 *
 * usage: presign HOST:PORT CREDFILE N KEYS
 *
 * CREDFILE holds "id:secret" (a file, so that the key is in no argv).
 * Request i asks for SecretName bench-(i % KEYS).  Each request is one
 * line on stdout: the raw HTTP/1.1 request with every CRLF written as a
 * tab, the blank line that ends the header included.  Signing is
 * ACS3-HMAC-SHA256 through the emulator's own signature code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu_sign.h"

#define PRESIGN_MAX	10000000L
#define SIGNED_HEADERS	"host;x-acs-action;x-acs-content-sha256;" \
			"x-acs-date;x-acs-signature-nonce;x-acs-version"

struct cred {
	char	 id[128];
	char	 secret[128];
};

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "presign: %s\n", what);
	exit(1);
}

static long
number(const char *s, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < 1 || v > max)
		die("bad number");
	return v;
}

static void
cred_read(const char *path, struct cred *c)
{
	FILE	*f;
	char	 line[300], *colon;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		die("cannot open the credential file");
	if (fgets(line, sizeof(line), f) == NULL)
		die("empty credential file");
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if ((colon = strchr(line, ':')) == NULL ||
	    (size_t)(colon - line) >= sizeof(c->id) ||
	    strlen(colon + 1) >= sizeof(c->secret))
		die("the credential file must hold id:secret");
	memcpy(c->id, line, (size_t)(colon - line));
	c->id[colon - line] = '\0';
	memcpy(c->secret, colon + 1, strlen(colon + 1) + 1);
}

/* Writes request i to stdout; 0 or -1. */
static int
presign_one(const char *host, const struct cred *c, long i, long keys,
    const char *date, const char *empty_hash)
{
	struct emu_params	 q;
	struct emu_header	 h[6];
	char			 name[64], nonce[64], sig[65];
	char			*canon = NULL, *sts = NULL;
	int			 rc = -1;

	memset(&q, 0, sizeof(q));
	snprintf(name, sizeof(name), "bench-%ld", i % keys);
	snprintf(nonce, sizeof(nonce), "presign-%ld-%ld-%ld", (long)getpid(),
	    (long)time(NULL), i);
	if (emu_params_add(&q, "SecretName", name) == -1)
		goto out;
	h[0] = (struct emu_header){ "host", host };
	h[1] = (struct emu_header){ "x-acs-action", "GetSecretValue" };
	h[2] = (struct emu_header){ "x-acs-content-sha256", empty_hash };
	h[3] = (struct emu_header){ "x-acs-date", date };
	h[4] = (struct emu_header){ "x-acs-signature-nonce", nonce };
	h[5] = (struct emu_header){ "x-acs-version", "2016-01-20" };
	if ((canon = emu_v3_canonical_request("POST", "/", &q, h, 6,
	    SIGNED_HEADERS, empty_hash)) == NULL ||
	    (sts = emu_v3_string_to_sign(canon)) == NULL ||
	    emu_v3_sign(c->secret, sts, sig, sizeof(sig)) == -1)
		goto out;
	printf("POST /?SecretName=%s HTTP/1.1\tHost: %s\t"
	    "x-acs-action: GetSecretValue\tx-acs-version: 2016-01-20\t"
	    "x-acs-date: %s\tx-acs-signature-nonce: %s\t"
	    "x-acs-content-sha256: %s\tContent-Length: 0\t"
	    "Authorization: ACS3-HMAC-SHA256 Credential=%s,"
	    "SignedHeaders=%s,Signature=%s\t\t\n", name, host, date, nonce,
	    empty_hash, c->id, SIGNED_HEADERS, sig);
	rc = 0;
out:
	emu_params_free(&q);
	free(canon);
	free(sts);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct cred	 c;
	struct tm	 tm;
	time_t		 now;
	char		 date[32], empty_hash[65];
	long		 n, keys, i;

	if (argc != 5) {
		fprintf(stderr, "usage: presign HOST:PORT CREDFILE N KEYS\n");
		return 2;
	}
	cred_read(argv[2], &c);
	n = number(argv[3], PRESIGN_MAX);
	keys = number(argv[4], PRESIGN_MAX);
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	emu_sha256_hex("", 0, empty_hash);

	for (i = 0; i < n; i++)
		if (presign_one(argv[1], &c, i, keys, date, empty_hash) == -1)
			die("out of memory");
	if (fflush(stdout) == EOF || ferror(stdout))
		die("cannot write the requests");
	return 0;
}
