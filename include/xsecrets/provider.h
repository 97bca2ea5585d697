/*
 * xsecrets provider ABI.
 *
 * A provider is a shared object that exports one function, xs_provider_entry,
 * returning a pointer to a constant struct xs_provider.  The host validates the
 * descriptor (ABI version, size, name, required functions) before it calls
 * any other provider code.  Everything a provider needs from the outside world
 * (logging, memory, configuration, credentials, HTTP, crypto, JSON, time) comes
 * through the struct xs_host table the host passes in; a provider links no
 * third-party library of its own.
 *
 * Versioning: every table starts with its own size.  Tables only grow at
 * their end.  The host loads a provider when abi_major equals XS_ABI_MAJOR and
 * the provider's abi_minor (the minimum host minor it needs) is no newer than
 * the host's.  A provider must check host->size before it uses a host
 * function that was added after the minor it was built against.
 *
 * Only fixed-width integers, size_t, const char * and the structs below cross
 * the boundary.  Opaque handles (struct xs_value, struct xs_store, ...) are
 * owned by the host and valid only for the duration documented at each call.
 *
 * The whole contract is in xsecrets-provider(7).
 */
#ifndef XSECRETS_PROVIDER_H
#define XSECRETS_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XS_ABI_MAJOR	1
#define XS_ABI_MINOR	0

/* The one symbol a provider exports. */
#define XS_PROVIDER_ENTRY	"xs_provider_entry"

#if defined(__GNUC__)
#define XS_EXPORT	__attribute__((visibility("default")))
#define XS_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define XS_EXPORT
#define XS_PRINTF(f, a)
#endif

/*
 * Status codes.  Every provider function returns one of these.  The
 * reconciler's behaviour for each is in xsecrets-provider(7), STATUS CODES.
 */
#define XS_OK			  0	/* success */
#define XS_ERR_NOT_FOUND	 -1	/* the remote secret, version or
					   property does not exist */
#define XS_ERR_INVALID		 -2	/* bad store configuration or
					   request: permanent */
#define XS_ERR_AUTH		 -3	/* credentials missing, wrong or
					   expired */
#define XS_ERR_DENIED		 -4	/* authenticated, not allowed */
#define XS_ERR_UNAVAILABLE	 -5	/* transport error, timeout or 5xx:
					   retry later */
#define XS_ERR_THROTTLED	 -6	/* the remote side asked us to slow
					   down: retry later */
#define XS_ERR_PROTOCOL		 -7	/* malformed or unexpected response */
#define XS_ERR_NOMEM		 -8	/* an allocation failed */
#define XS_ERR_UNSUPPORTED	 -9	/* the provider does not do this */
#define XS_ERR_INTERNAL		-10	/* anything else */

/* Log levels, most severe first. */
#define XS_LOG_ERROR	0
#define XS_LOG_WARN	1
#define XS_LOG_INFO	2
#define XS_LOG_DEBUG	3

/* Value types of configuration and JSON trees. */
#define XS_VALUE_NULL	0
#define XS_VALUE_STRING	1	/* also YAML plain scalars */
#define XS_VALUE_NUMBER	2	/* JSON only; string form kept */
#define XS_VALUE_BOOL	3	/* JSON only; "true" or "false" */
#define XS_VALUE_MAP	4
#define XS_VALUE_SEQ	5

/* Opaque host objects. */
struct xs_value;	/* a node of a configuration or JSON tree */
struct xs_store;	/* the SecretStore or ClusterSecretStore being used */
struct xs_diag;		/* where a call reports its error and warnings */
struct xs_result;	/* where a call puts the secret data it fetched */
struct xs_http_response;

/* A reference to a key of a Kubernetes Secret, as written in a store. */
struct xs_secret_ref {
	const char	*name;
	const char	*key;
	const char	*ns;		/* NULL: the store's own namespace */
};

/* One header of an HTTP request. */
struct xs_http_header {
	const char	*name;
	const char	*value;
};

#define XS_HTTP_GET	0
#define XS_HTTP_POST	1

/*
 * An HTTP request.  The host enforces the endpoint policy (scheme and host
 * allow-list), TLS verification, the response size cap and the timeout; it
 * never follows redirects.  Set size to sizeof(struct xs_http_request).
 */
struct xs_http_request {
	uint32_t		 size;
	int32_t			 method;	/* XS_HTTP_GET or XS_HTTP_POST */
	const char		*url;		/* scheme://host[:port]/path?q */
	const struct xs_http_header *headers;
	size_t			 nheaders;
	const uint8_t		*body;		/* may be NULL */
	size_t			 body_len;
	uint32_t		 timeout_ms;	/* 0: the host's default */
	uint32_t		 _pad;
	size_t			 max_response;	/* 0: the host's default */
	const char		*ca_pem;	/* extra trusted CAs, or NULL */
	size_t			 ca_pem_len;
};

/* What get_secret is asked for: one spec.data[].remoteRef. */
struct xs_remote_ref {
	uint32_t	 size;
	int32_t		 metadata;	/* 1: metadataPolicy Fetch */
	const char	*key;		/* never NULL */
	const char	*property;	/* NULL when absent */
	const char	*version;	/* NULL when absent */
};

/* One tag filter of dataFrom.find. */
struct xs_tag {
	const char	*key;
	const char	*value;
};

/* What find_secrets is asked for: one spec.dataFrom[].find. */
struct xs_find {
	uint32_t		 size;
	uint32_t		 _pad;
	const char		*name_regexp;	/* NULL: any name */
	const char		*path;		/* NULL: any path */
	const struct xs_tag	*tags;
	size_t			 ntags;
};

/*
 * The host API table.  All functions are safe to call from any thread, and
 * never call back into the provider.  Strings returned by the host stay
 * valid as long as the object they came from.
 */
struct xs_host {
	uint32_t	 abi_major;
	uint32_t	 abi_minor;
	uint32_t	 size;		/* sizeof(struct xs_host) of the host */
	uint32_t	 _pad;

	/*
	 * Logging.  log_enabled is cheap: test it before formatting anything
	 * costly.  The host prefixes the provider's name, rate-limits repeats
	 * and adds the line to the daemon's log.  Never pass secret material.
	 */
	int32_t	(*log_enabled)(int32_t level);
	void	(*log)(int32_t level, const char *fmt, ...) XS_PRINTF(2, 3);

	/*
	 * Memory.  alloc and calloc return NULL on failure.  Memory from
	 * secure_alloc is locked where the system allows it and zeroed by
	 * secure_free; use it for every buffer that holds a secret.  Never mix
	 * the two families, nor free host memory with the C library's free.
	 */
	void	*(*alloc)(size_t len);
	void	*(*calloc)(size_t n, size_t len);
	void	*(*realloc)(void *p, size_t len);
	void	 (*free)(void *p);
	char	*(*strdup)(const char *s);
	void	*(*secure_alloc)(size_t len);
	void	 (*secure_free)(void *p);
	void	 (*cleanse)(void *p, size_t len);

	/*
	 * The store's provider configuration (the value under
	 * spec.provider.<name>) as a read-only tree, valid as long as the
	 * store handle: for validate_store until it returns, for a client
	 * until its close.
	 */
	const struct xs_value *(*store_config)(const struct xs_store *st);
	const char *(*store_name)(const struct xs_store *st);
	const char *(*store_namespace)(const struct xs_store *st); /* "" for
							     a cluster store */
	int32_t	 (*store_is_cluster)(const struct xs_store *st);

	/* Walking a tree.  All accept NULL and then return NULL, 0 or -1. */
	int32_t	 (*value_type)(const struct xs_value *v);
	const struct xs_value *(*value_get)(const struct xs_value *map,
		    const char *key);
	const char *(*value_string)(const struct xs_value *v, size_t *len);
	size_t	 (*value_count)(const struct xs_value *v);
	const struct xs_value *(*value_at)(const struct xs_value *v,
		    size_t i, const char **key);
	/* "file:line:column" of a configuration node, for messages. */
	const char *(*value_where)(const struct xs_value *v, char *buf,
		    size_t len);
	/*
	 * The node at a property path: "a.b.0", with "\." for a literal dot.
	 * NULL when there is none.
	 */
	const struct xs_value *(*value_path)(const struct xs_value *v,
		    const char *path);

	/*
	 * JSON.  json_parse builds a tree in secure memory, bounded in depth
	 * and size; free it with json_free.  Its d may be NULL, so that a
	 * provider can report a failure in its own words.  json_print returns
	 * the compact JSON text of a node in secure memory (free with
	 * secure_free).  json_free(NULL) does nothing.
	 */
	int32_t	 (*json_parse)(const char *text, size_t len,
		    struct xs_value **out, struct xs_diag *d);
	void	 (*json_free)(struct xs_value *v);
	char	*(*json_print)(const struct xs_value *v, size_t *len);

	/*
	 * Resolves a credential reference written in the store to the bytes
	 * of that Secret key, in secure memory (free with secure_free).  The
	 * host enforces the namespace rules: a namespaced store reaches only
	 * its own namespace, a cluster store must name one.  Returns XS_OK,
	 * XS_ERR_NOT_FOUND, or XS_ERR_INVALID with a message in d.
	 */
	int32_t	 (*credential_get)(const struct xs_store *st,
		    const struct xs_secret_ref *ref, uint8_t **out,
		    size_t *len, struct xs_diag *d);

	/*
	 * Errors and warnings of the current call; a message, never secret
	 * material.  Only the first error is kept.  Every host function that
	 * takes a struct xs_diag * accepts NULL and then reports nothing.
	 */
	void	 (*error)(struct xs_diag *d, const char *fmt, ...)
		    XS_PRINTF(2, 3);
	void	 (*warn)(struct xs_diag *d, const char *fmt, ...)
		    XS_PRINTF(2, 3);

	/*
	 * Results.  result_set stores the value of get_secret; result_put adds
	 * one key of get_secret_map or find_secrets.  Both copy the data into
	 * secure memory.  Return XS_OK, XS_ERR_NOMEM, XS_ERR_PROTOCOL when
	 * the result would exceed the host's caps on keys or bytes, or
	 * XS_ERR_INTERNAL for a NULL key or result.
	 */
	int32_t	 (*result_set)(struct xs_result *r, const uint8_t *data,
		    size_t len);
	int32_t	 (*result_put)(struct xs_result *r, const char *key,
		    const uint8_t *data, size_t len);

	/*
	 * HTTP.  Performs one request under the host's policy.  On XS_OK the
	 * response is in *resp, whatever its HTTP status; release it with
	 * http_free.  Errors: XS_ERR_DENIED (endpoint refused by policy),
	 * XS_ERR_UNAVAILABLE (transport, timeout, TLS), XS_ERR_PROTOCOL
	 * (response too large), XS_ERR_INTERNAL (a malformed request),
	 * XS_ERR_NOMEM.  The body is kept in secure memory.  A request's
	 * ca_pem replaces the trusted CAs for that request, as a private
	 * gateway needs.  May be called concurrently.  http_free(NULL) does
	 * nothing.
	 */
	int32_t	 (*http_request)(const struct xs_store *st,
		    const struct xs_http_request *req,
		    struct xs_http_response **resp, struct xs_diag *d);
	int32_t	 (*http_status)(const struct xs_http_response *r);
	const uint8_t *(*http_body)(const struct xs_http_response *r,
		    size_t *len);
	/* The value of a response header, case-insensitive name, or NULL. */
	const char *(*http_header)(const struct xs_http_response *r,
		    const char *name);
	void	 (*http_free)(struct xs_http_response *r);

	/* Crypto.  Digests write 32 (SHA-256) or 20 (SHA-1) bytes. */
	void	 (*sha256)(const void *data, size_t len, uint8_t out[32]);
	void	 (*hmac_sha256)(const void *key, size_t klen,
		    const void *data, size_t len, uint8_t out[32]);
	void	 (*hmac_sha1)(const void *key, size_t klen,
		    const void *data, size_t len, uint8_t out[20]);
	/* Random bytes from the system CSPRNG; XS_OK or XS_ERR_INTERNAL. */
	int32_t	 (*random)(void *buf, size_t len);
	/*
	 * Base64 (standard alphabet, padded).  Results are NUL-terminated, in
	 * secure memory, freed with secure_free; NULL on failure.
	 * base64_decode also accepts the URL alphabet when url is 1, and
	 * returns NULL for input that is not base64.
	 */
	char	*(*base64_encode)(const void *data, size_t len,
		    size_t *outlen);
	uint8_t	*(*base64_decode)(const char *text, size_t len, int32_t url,
		    size_t *outlen);

	/* Time: wall clock and monotonic clock, in milliseconds. */
	int64_t	 (*now_ms)(void);
	int64_t	 (*monotonic_ms)(void);

	/* The value of an environment variable the daemon was started with. */
	const char *(*getenv)(const char *name);
};

/*
 * The provider descriptor.  Set size to sizeof(struct xs_provider).  The
 * function pointers marked optional may be NULL.
 *
 * Threading: validate_store and auth may run concurrently for different
 * stores; get_secret, get_secret_map and find_secrets may run concurrently on
 * one client; close runs once per client, after every other call on it has
 * returned.  No call may block longer than its HTTP requests' timeouts.
 */
struct xs_provider {
	uint32_t	 abi_major;	/* XS_ABI_MAJOR */
	uint32_t	 abi_minor;	/* the oldest host minor it works with */
	uint32_t	 size;		/* sizeof(struct xs_provider) */
	uint32_t	 default_rate;	/* requests per second a store may
					   make by default; 0: no limit */
	const char	*name;		/* the key under spec.provider */
	const char	*version;

	/*
	 * Host patterns the provider's requests may reach by default, e.g.
	 * "*.aliyuncs.com", NULL-terminated; HTTPS only.  NULL: none.  The
	 * daemon's operator can add more.
	 */
	const char *const *endpoints;

	/*
	 * Checks a store's configuration.  Pure: no I/O, no credential
	 * lookups.  Returns XS_OK or XS_ERR_INVALID with a message in d; may
	 * add warnings in either case.
	 */
	int32_t	(*validate_store)(const struct xs_host *host,
		    const struct xs_store *st, struct xs_diag *d);

	/*
	 * Builds a client for a store: resolves credentials, and may
	 * exchange them.  On XS_OK *client belongs to the host until it
	 * passes it to close.  The store handle is valid until close.
	 */
	int32_t	(*auth)(const struct xs_host *host, const struct xs_store *st,
		    void **client, struct xs_diag *d);

	/* Fetches one remote value into r with host->result_set. */
	int32_t	(*get_secret)(void *client, const struct xs_remote_ref *ref,
		    struct xs_result *r, struct xs_diag *d);

	/* Optional: dataFrom.extract; each member with host->result_put. */
	int32_t	(*get_secret_map)(void *client,
		    const struct xs_remote_ref *ref, struct xs_result *r,
		    struct xs_diag *d);

	/* Frees a client and everything it owns. */
	void	(*close)(void *client);

	/* Optional: dataFrom.find; each secret with host->result_put. */
	int32_t	(*find_secrets)(void *client, const struct xs_find *f,
		    struct xs_result *r, struct xs_diag *d);
};

/* The entry point every provider defines, with XS_EXPORT. */
typedef const struct xs_provider *(*xs_provider_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* XSECRETS_PROVIDER_H */
