/*
 * The Alibaba Cloud KMS provider's internal interfaces: the store
 * configuration (config.c), the client and its signed KMS calls (kms.c),
 * reading secrets (alibaba.c) and discovery (find.c).
 */
#ifndef ALIBABA_H
#define ALIBABA_H

#include <stdint.h>

#include "xsecrets/provider.h"
#include "errors.h"
#include "rrsa.h"
#include "sign.h"

#define ALI_KMS_VERSION		"2016-01-20"
#define ALI_URL_MAX		300
#define ALI_DEFAULT_SESSION	"xsecrets"
#define ALI_DEFAULT_DURATION	3600
#define ALI_CA_MAX		(1024 * 1024)

/*
 * A store's spec.provider.alibaba, checked.  Strings are borrowed from the
 * store's tree or the daemon's environment.
 */
struct ali_config {
	const char		*region;
	const char		*endpoint;	/* NULL: the region's */
	const char		*ca_bundle;	/* base64 PEM, or NULL */
	int			 sigv1;		/* signatureVersion "v1" */
	int			 use_rrsa;
	struct xs_secret_ref	 id_ref;
	struct xs_secret_ref	 secret_ref;
	const char		*role_arn;
	const char		*provider_arn;
	const char		*token_file;
	const char		*session_name;
	uint32_t		 duration;
};

/*
 * Reads and checks a store's configuration, with the RRSA fields that are
 * absent taken from the daemon's environment.  XS_OK, or XS_ERR_INVALID
 * with the first problem in d; unknown fields are warnings.  No I/O.
 */
int32_t	config_load(const struct xs_host *host, const struct xs_store *st,
	    struct ali_config *c, struct xs_diag *d);

/*
 * Turns an endpoint written as a host, "host:port" or
 * "http[s]://host[:port][/]" into a base URL without a trailing slash
 * and the Host header that request will carry (no default port).
 * Returns 0, or -1 when the text is not one of those forms.
 */
int	config_endpoint(const char *in, char url[ALI_URL_MAX],
	    char hosthdr[ALI_URL_MAX]);

/*
 * The STS base URL from ALIBABA_CLOUD_STS_ENDPOINT, else
 * ALIBABA_CLOUD_STS_REGION (with ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true,
 * the sts-vpc form), else https://sts.aliyuncs.com.  0, or -1 with a
 * message in d when a variable is malformed.
 */
int	config_sts_url(const struct xs_host *host, char url[ALI_URL_MAX],
	    struct xs_diag *d);

/* Checks an ARN of a RAM role or OIDC provider; 1 when well-formed. */
int	config_arn_ok(const char *arn, const char *kind);
/* Checks a RoleSessionName; 1 when well-formed. */
int	config_session_ok(const char *s);

/* A client: one per store generation. */
struct ali_client {
	const struct xs_host	*host;
	const struct xs_store	*st;
	char			 url[ALI_URL_MAX];
	char			 host_hdr[ALI_URL_MAX];
	int			 sigv1;
	char			*ca_pem;	/* secure, NUL-terminated */
	size_t			 ca_len;
	struct ali_creds	 key;		/* AccessKey, without RRSA */
	struct rrsa_session	*rrsa;		/* NULL with an AccessKey */
	const struct errors_policy *policy;
};

/*
 * Calls a KMS action with its parameters, signed afresh for every attempt
 * and retried by errors_call.  what names the call in messages.  On XS_OK
 * *json is the response (free with host->json_free).  Thread-safe.
 */
int32_t	kms_call(struct ali_client *c, const char *action,
	    const struct sign_param *params, size_t nparams, const char *what,
	    struct xs_value **json, struct xs_diag *d);

/* A secret's value, decoded, in secure memory. */
struct ali_secret {
	uint8_t		*data;
	size_t		 len;
};

/*
 * Fetches a secret with GetSecretValue: name is a SecretName or ARN,
 * version NULL (ACSCurrent), "stage:<name>" or a VersionId.  Binary values
 * are base64-decoded.  XS_OK with out filled (free with secret_clear).
 */
int32_t	secret_fetch(struct ali_client *c, const char *name,
	    const char *version, struct ali_secret *out, struct xs_diag *d);
void	secret_clear(struct ali_client *c, struct ali_secret *s);

/* The provider's entry point (alibaba.c). */
XS_EXPORT const struct xs_provider *xs_provider_entry(void);

/* dataFrom.find, the provider's find_secrets. */
int32_t	find_secrets(void *client, const struct xs_find *f,
	    struct xs_result *r, struct xs_diag *d);

/* At most this many secrets are fetched by one find. */
#define FIND_MAX_SECRETS	500
/* At most this many ListSecrets pages are read by one find. */
#define FIND_MAX_PAGES		100

#endif /* ALIBABA_H */
