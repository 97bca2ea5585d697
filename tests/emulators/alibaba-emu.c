/*
 * alibaba-emu: a local Alibaba Cloud KMS (2016-01-20) and STS (2015-04-01)
 * server for tests, benchmarks and the demo.  It checks signatures as
 * strictly as Alibaba's gateway does, so a client that works against it
 * signs correctly.
 *
 * Usage:
 *	alibaba-emu [--config FILE] [--port N] [--port-file FILE]
 *	    [--tls-cert PEM --tls-key PEM] [--sts-lifetime SECONDS]
 *	    [--nonce-cap N] [--max-connections N] [--verbose]
 *
 * It listens on 127.0.0.1 only, on port N (0, the default, picks a free one)
 * and, once ready, writes "port=N" to the port file (atomically) and to
 * stdout.  With a certificate and key it speaks HTTPS only.  SIGINT or
 * SIGTERM stops it.  One thread serves each connection; keep-alive works.
 *
 * The configuration file is JSON:
 *
 *	{ "access_keys": [ { "id": "testid", "secret": "testsecret" } ],
 *	  "secrets": {
 *	    "db": { "secret_type": "Generic", "tags": { "team": "pay" },
 *	            "versions": [ { "id": "v1", "stages": [ "ACSCurrent" ],
 *	                            "type": "text", "data": "s3cret" } ] } },
 *	  "oidc": { "provider_arn": "acs:ram::123:oidc-provider/ack",
 *	            "role_arn": "acs:ram::123:role/app",
 *	            "token_file": "/path/token", "lifetime_seconds": 3600 } }
 *
 * Versions are applied in order, as successive rotations: a later version
 * taking ACSCurrent leaves ACSPrevious to the one that held it.  A "binary"
 * version holds its data base64-encoded, and is returned as is with
 * SecretDataType binary.  The OIDC token file is read again at every
 * AssumeRoleWithOIDC; its content, without trailing white space, is the only
 * token accepted.  lifetime_seconds (or --sts-lifetime, which wins) replaces
 * the requested DurationSeconds, so that tests can get short-lived
 * credentials.
 *
 * API (any path but /_emu/): GetSecretValue and ListSecrets signed with
 * ACS3-HMAC-SHA256 (V3) or HMAC-SHA1 (V1), and the anonymous
 * AssumeRoleWithOIDC.  Checks, in order: the timestamp (format, then skew
 * of 15 minutes), the access key, the STS security token, the V3 signed
 * header list (host, the x-acs-* headers of the scheme, and every
 * content-type or x-acs-* header present), the signature, then the nonce.
 * Nonces are remembered 15 minutes in a table of fixed size (--nonce-cap,
 * 2^20 entries by default, about 24 MB); when a bucket is full its oldest
 * nonce is forgotten first.  Errors carry Alibaba's codes, HTTP statuses and
 * JSON body; SignatureDoesNotMatch echoes the server's string to sign (V1)
 * or canonical request (V3), security token included, as Alibaba does.
 *
 * Bounds: request bodies 256 KiB (413 RequestEntityTooLarge), 64 headers
 * (431), 128 KiB of request line and headers, 64 parameters, 512
 * connections (--max-connections), 100000 secrets of 32 versions, 4096
 * live STS credentials, 16 faults.
 *
 * Control API (unsigned, for tests only):
 *	GET    /_emu/stats		counts per action and per result code
 *	GET    /_emu/sts-times		{"issued": N, "times_ms": [...]}: how
 *		many credentials AssumeRoleWithOIDC issued, and when on the
 *		monotonic clock (ms), the last 1024, oldest first
 *	GET    /_emu/busiest		{"requests": N, "widths_ms": [100,
 *		1000], "busiest": [...]}: the KMS requests (GetSecretValue,
 *		ListSecrets) answered, and the most within any span of each
 *		width: what a server-side rate limit would see
 *	POST   /_emu/reset-stats	zero the counts and forget those times
 *	PUT    /_emu/secret?name=X	add or rotate a version; body
 *		{"id", "data", "type": "text"|"binary", "stages": [...],
 *		 "tags": {...}}.  Stages default to ["ACSCurrent"]; a version
 *		 taking ACSCurrent passes ACSPrevious to the former current.
 *	DELETE /_emu/secret?name=X	remove a secret
 *	POST   /_emu/fault		inject a fault; body {"action": name or
 *		"*", "mode": "throttle"|"5xx"|"latency"|"notfound"|"echo",
 *		"count": N or "ratio": 0..1 (neither: until removed),
 *		"latency_ms": N, "code": error code, "time_left_ms": N}.
 *		throttle: 429 Rejected.Throttling, or with code Throttling.User
 *		400 and "x-ratelimit-user-api: TimeLeft:<ms>"; 5xx: 503
 *		ServiceUnavailableTemporary or code InternalFailure (500);
 *		notfound: 404 Forbidden.ResourceNotFound; latency: delay, then
 *		serve; echo: 400 SignatureDoesNotMatch echoing the valid request's
 *		string to sign (with its security token).  Faults apply after
 *		authentication.
 *	DELETE /_emu/fault		remove every fault
 *	POST   /_emu/sts-expire		expire every STS credential issued
 */
#include "config.h"

#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "emu.h"

#define EMU_MAX_CONFIG		(64 * 1024 * 1024)

/* Loads {"secret_type", "tags", "versions"} for the secret name. */
static void
config_secret(const char *name, const cJSON *j)
{
	const cJSON	*vs, *vj, *type, *tags;
	struct secret	*s;
	struct version	 v;
	char		 err[128];

	if (!cJSON_IsObject(j) || *name == '\0')
		die("config: secret \"%s\" must be an object", name);
	if ((s = store_get_or_add(name)) == NULL)
		die("config: too many secrets");
	type = cJSON_GetObjectItemCaseSensitive(j, "secret_type");
	if (cJSON_IsString(type)) {
		free(s->type);
		if ((s->type = strdup(type->valuestring)) == NULL)
			die("out of memory");
	}
	tags = cJSON_GetObjectItemCaseSensitive(j, "tags");
	if (tags != NULL && secret_set_tags(s, tags, err, sizeof(err)) == -1)
		die("config: secret %s: %s", name, err);
	vs = cJSON_GetObjectItemCaseSensitive(j, "versions");
	if (!cJSON_IsArray(vs))
		die("config: secret %s: \"versions\" must be an array", name);
	cJSON_ArrayForEach(vj, vs) {
		if (version_parse(vj, &v, NULL, err, sizeof(err)) == -1 ||
		    secret_put_version(s, &v, err, sizeof(err)) == -1)
			die("config: secret %s: %s", name, err);
	}
}

static char *
config_string(const cJSON *obj, const char *key, int required)
{
	const cJSON	*j;
	char		*s;

	j = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (j == NULL && !required)
		return NULL;
	if (!cJSON_IsString(j) || *j->valuestring == '\0')
		die("config: \"%s\" must be a non-empty string", key);
	if ((s = strdup(j->valuestring)) == NULL)
		die("out of memory");
	return s;
}

static void
config_load(const char *path)
{
	const cJSON	*keys, *k, *secrets, *s, *oidc, *life;
	cJSON		*root;
	char		*text, *id, *secret;
	size_t		 len;

	if ((text = read_file(path, EMU_MAX_CONFIG, &len)) == NULL)
		die("config %s: %s", path, strerror(errno));
	if ((root = cJSON_ParseWithLength(text, len)) == NULL)
		die("config %s: not valid JSON", path);
	free(text);
	keys = cJSON_GetObjectItemCaseSensitive(root, "access_keys");
	cJSON_ArrayForEach(k, keys) {
		id = config_string(k, "id", 1);
		secret = config_string(k, "secret", 1);
		if (auth_add_key(id, secret) == -1)
			die("config: at most %d access keys", EMU_MAX_KEYS);
		free(id);
		free(secret);
	}
	secrets = cJSON_GetObjectItemCaseSensitive(root, "secrets");
	cJSON_ArrayForEach(s, secrets)
		config_secret(s->string, s);
	if ((oidc = cJSON_GetObjectItemCaseSensitive(root, "oidc")) != NULL) {
		emu_oidc.provider = config_string(oidc, "provider_arn", 1);
		emu_oidc.role = config_string(oidc, "role_arn", 1);
		emu_oidc.token_file = config_string(oidc, "token_file", 1);
		life = cJSON_GetObjectItemCaseSensitive(oidc,
		    "lifetime_seconds");
		if (life != NULL && emu_oidc.lifetime == 0) {
			if (!cJSON_IsNumber(life) || life->valuedouble < 1 ||
			    life->valuedouble > 43200)
				die("config: lifetime_seconds is 1 to 43200");
			emu_oidc.lifetime = (long)life->valuedouble;
		}
	}
	cJSON_Delete(root);
}

static enum MHD_Result
ctl_reply(struct MHD_Connection *conn, int status, const char *error)
{
	cJSON	*j = cJSON_CreateObject();

	if (error != NULL)
		cJSON_AddStringToObject(j, "error", error);
	else
		cJSON_AddTrueToObject(j, "ok");
	return api_send_json(conn, status, j, NULL, NULL);
}

static enum MHD_Result
ctl_secret_put(struct MHD_Connection *conn, struct req *r, const char *name)
{
	const cJSON	*tags, *type;
	struct secret	*s;
	struct version	 v;
	cJSON		*j;
	char		 err[128], *ntype;
	int		 rc = -1;

	if ((j = cJSON_ParseWithLength(r->body ? r->body : "",
	    r->bodylen)) == NULL)
		return ctl_reply(conn, 400, "body is not JSON");
	if (version_parse(j, &v, "ACSCurrent", err, sizeof(err)) == -1) {
		cJSON_Delete(j);
		return ctl_reply(conn, 400, err);
	}
	tags = cJSON_GetObjectItemCaseSensitive(j, "tags");
	type = cJSON_GetObjectItemCaseSensitive(j, "secret_type");
	store_wrlock();
	if ((s = store_get_or_add(name)) == NULL)
		snprintf(err, sizeof(err), "too many secrets");
	else if (tags == NULL ||
	    secret_set_tags(s, tags, err, sizeof(err)) == 0)
		rc = secret_put_version(s, &v, err, sizeof(err));
	if (rc == 0 && cJSON_IsString(type) &&
	    (ntype = strdup(type->valuestring)) != NULL) {
		free(s->type);
		s->type = ntype;
	}
	store_unlock();
	version_clear(&v);
	cJSON_Delete(j);
	return ctl_reply(conn, rc == 0 ? 200 : 400, rc == 0 ? NULL : err);
}

static enum MHD_Result
ctl_fault_add(struct MHD_Connection *conn, struct req *r)
{
	const char	*err;
	cJSON		*j;
	int		 rc;

	if ((j = cJSON_ParseWithLength(r->body ? r->body : "",
	    r->bodylen)) == NULL)
		return ctl_reply(conn, 400, "body is not JSON");
	rc = api_fault_add(j, &err);
	cJSON_Delete(j);
	return ctl_reply(conn, rc == 0 ? 200 : 400, rc == 0 ? NULL : err);
}

static enum MHD_Result
serve_control(struct MHD_Connection *conn, struct req *r, const char *url,
    const char *method)
{
	struct emu_params	 q = { .n = 0 };
	const char		*qs, *name;
	enum MHD_Result		 ret;

	if (strcmp(url, "/_emu/stats") == 0 && strcmp(method, "GET") == 0)
		return api_send_json(conn, 200, api_stats(), NULL, NULL);
	if (strcmp(url, "/_emu/sts-times") == 0 && strcmp(method, "GET") == 0)
		return api_send_json(conn, 200, api_sts_times(), NULL, NULL);
	if (strcmp(url, "/_emu/busiest") == 0 && strcmp(method, "GET") == 0)
		return api_send_json(conn, 200, api_busiest(), NULL, NULL);
	if (strcmp(url, "/_emu/reset-stats") == 0 &&
	    strcmp(method, "POST") == 0) {
		api_stats_reset();
		return ctl_reply(conn, 200, NULL);
	}
	if (strcmp(url, "/_emu/fault") == 0 && strcmp(method, "POST") == 0)
		return ctl_fault_add(conn, r);
	if (strcmp(url, "/_emu/fault") == 0 && strcmp(method, "DELETE") == 0) {
		api_fault_clear();
		return ctl_reply(conn, 200, NULL);
	}
	if (strcmp(url, "/_emu/sts-expire") == 0 &&
	    strcmp(method, "POST") == 0) {
		auth_sts_expire();
		return ctl_reply(conn, 200, NULL);
	}
	if (strcmp(url, "/_emu/secret") != 0)
		return ctl_reply(conn, 404, "no such control endpoint");
	if ((qs = strchr(r->uri, '?')) == NULL ||
	    emu_params_parse(&q, qs + 1, strlen(qs + 1)) == -1 ||
	    (name = emu_params_get(&q, "name")) == NULL || *name == '\0') {
		emu_params_free(&q);
		return ctl_reply(conn, 400, "name= is required");
	}
	if (strcmp(method, "PUT") == 0)
		ret = ctl_secret_put(conn, r, name);
	else if (strcmp(method, "DELETE") == 0) {
		store_wrlock();
		store_remove(name);
		store_unlock();
		ret = ctl_reply(conn, 200, NULL);
	} else
		ret = ctl_reply(conn, 405, "PUT or DELETE");
	emu_params_free(&q);
	return ret;
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->uri = strdup(uri)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static void
on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req	*r = *con_cls;

	if (r == NULL)
		return;
	free(r->uri);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void
body_append(struct req *r, const char *data, size_t len)
{
	char	*nb;

	if (r->too_large || r->bodylen + len > EMU_MAX_BODY) {
		r->too_large = 1;
		return;
	}
	if ((nb = realloc(r->body, r->bodylen + len + 1)) == NULL) {
		r->too_large = 1;
		return;
	}
	memcpy(nb + r->bodylen, data, len);
	r->body = nb;
	r->bodylen += len;
	r->body[r->bodylen] = '\0';
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct req	*r = *con_cls;
	struct call	 c;
	const char	*host;
	enum MHD_Result	 ret;
	unsigned char	 rnd[16];

	if (r == NULL)
		return MHD_NO;
	if (!r->started) {
		r->started = 1;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		body_append(r, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (strncmp(url, "/_emu/", 6) == 0)
		return serve_control(conn, r, url, method);

	memset(&c, 0, sizeof(c));
	c.conn = conn;
	c.r = r;
	c.method = method;
	c.action = A_OTHER;
	host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	c.host = host != NULL ? host : "localhost";
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	snprintf(c.request_id, sizeof(c.request_id),
	    "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
	    "%02X%02X%02X%02X%02X%02X", rnd[0], rnd[1], rnd[2], rnd[3],
	    rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9], rnd[10], rnd[11],
	    rnd[12], rnd[13], rnd[14], rnd[15]);
	ret = api_serve(&c);
	emu_params_free(&c.query);
	emu_params_free(&c.form);
	emu_params_free(&c.all);
	free(c.echo);
	return ret;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: alibaba-emu [--config FILE] [--port N] [--port-file FILE]\n"
"           [--tls-cert PEM --tls-key PEM] [--sts-lifetime SECONDS]\n"
"           [--nonce-cap N] [--max-connections N] [--verbose]\n"
"\n"
"A local Alibaba Cloud KMS and STS for tests, on 127.0.0.1 only.  It checks\n"
"V3 (ACS3-HMAC-SHA256) and V1 (HMAC-SHA1) signatures, timestamps, nonces and\n"
"STS tokens, and serves GetSecretValue, ListSecrets and AssumeRoleWithOIDC.\n"
"Port 0 (the default) picks a free port; \"port=N\" goes to stdout and to the\n"
"port file once the server is ready.  --sts-lifetime overrides the lifetime\n"
"of issued STS credentials.  The configuration format is described at the\n"
"top of alibaba-emu.c.\n"
"\n"
"Control API (unsigned, tests only):\n"
"  GET    /_emu/stats              counts per action and result code\n"
"  GET    /_emu/sts-times          issued STS credentials and when\n"
"                 (monotonic ms, the last 1024)\n"
"  GET    /_emu/busiest            KMS requests in the busiest 100 ms, 1 s\n"
"  POST   /_emu/reset-stats        zero the counts and those times\n"
"  PUT    /_emu/secret?name=X      add or rotate a version, body\n"
"                 {\"id\", \"data\", \"type\", \"stages\", \"tags\"}\n"
"  DELETE /_emu/secret?name=X      remove a secret\n"
"  POST   /_emu/fault              inject a fault, body {\"action\",\n"
"                 \"mode\": throttle|5xx|latency|notfound|echo,\n"
"                 \"count\" | \"ratio\", \"latency_ms\", \"code\",\n"
"                 \"time_left_ms\"}\n"
"  DELETE /_emu/fault              remove every fault\n"
"  POST   /_emu/sts-expire         expire every issued STS credential\n");
}

static void
write_port_file(const char *path, unsigned int port)
{
	char	 tmp[PATH_MAX];
	FILE	*f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		die("port file name too long");
	if ((f = fopen(tmp, "w")) == NULL)
		die("%s: %s", tmp, strerror(errno));
	fprintf(f, "port=%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) == -1)
		die("%s: %s", path, strerror(errno));
}

int
main(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "sts-lifetime", required_argument, NULL, 'l' },
		{ "nonce-cap", required_argument, NULL, 'n' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct MHD_OptionItem	 mo[12];
	const union MHD_DaemonInfo *info;
	struct sockaddr_in	 sin;
	struct MHD_Daemon	*d;
	const char		*config = NULL, *port_file = NULL;
	const char		*cert_path = NULL, *key_path = NULL;
	char			*cert = NULL, *key = NULL;
	long			 port = 0, nonce_cap = 1 << 20, maxconn = 512;
	size_t			 len, nmo = 0;
	unsigned int		 flags;
	sigset_t		 set;
	int			 ch, sig;

	while ((ch = getopt_long(argc, argv, "c:p:f:C:K:l:n:m:vh", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'p':
			if (parse_long(optarg, 0, 65535, &port) == -1)
				die("bad --port %s", optarg);
			break;
		case 'f':
			port_file = optarg;
			break;
		case 'C':
			cert_path = optarg;
			break;
		case 'K':
			key_path = optarg;
			break;
		case 'l':
			if (parse_long(optarg, 1, 43200, &emu_oidc.lifetime) == -1)
				die("bad --sts-lifetime %s", optarg);
			break;
		case 'n':
			if (parse_long(optarg, 1024, 1 << 26, &nonce_cap) == -1)
				die("bad --nonce-cap %s", optarg);
			break;
		case 'm':
			if (parse_long(optarg, 1, 65536, &maxconn) == -1)
				die("bad --max-connections %s", optarg);
			break;
		case 'v':
			emu_verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (cert_path == NULL) != (key_path == NULL)) {
		usage(stderr);
		return 2;
	}
	if (config != NULL)
		config_load(config);
	auth_init((size_t)nonce_cap);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &sin };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK,
	    (intptr_t)on_uri, NULL };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)on_done, NULL };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    maxconn, NULL };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    120, NULL };
	mo[nmo++] = (struct MHD_OptionItem){
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, 128 * 1024, NULL };
	if (cert_path != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			die("libmicrohttpd was built without TLS");
		if ((cert = read_file(cert_path, 1 << 20, &len)) == NULL)
			die("%s: %s", cert_path, strerror(errno));
		if ((key = read_file(key_path, 1 << 20, &len)) == NULL)
			die("%s: %s", key_path, strerror(errno));
		flags |= MHD_USE_TLS;
		mo[nmo++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_MEM_CERT, 0, cert };
		mo[nmo++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_MEM_KEY, 0, key };
	}
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	/* Threads inherit the mask; main waits for the signals below. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_ARRAY, mo, MHD_OPTION_END);
	if (d == NULL)
		die("cannot start the server on 127.0.0.1:%ld", port);
	if ((info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) ==
	    NULL)
		die("cannot learn the bound port");
	if (port_file != NULL)
		write_port_file(port_file, info->port);
	printf("port=%u\n", info->port);
	fflush(stdout);

	while (sigwait(&set, &sig) != 0)
		;
	MHD_stop_daemon(d);
	if (key != NULL)
		OPENSSL_cleanse(key, strlen(key));
	free(cert);
	free(key);
	store_free();
	auth_free();
	api_free();
	return 0;
}
