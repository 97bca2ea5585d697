/*
 * A test host for the Alibaba provider's unit tests: a struct xs_host whose
 * crypto and base64 come from OpenSSL, whose trees come from cJSON, and
 * whose HTTP, clock, environment and credentials are fakes the tests drive.
 *
 * The opaque ABI handles are the test's own: a struct xs_value is a cJSON
 * node, a struct xs_store holds a parsed configuration and a credential
 * table, a struct xs_diag and a struct xs_result are plain records the
 * tests read back.
 */
#ifndef TEST_ALIBABA_HOST_H
#define TEST_ALIBABA_HOST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "xsecrets/provider.h"

struct xs_diag {
	char	error[512];
	char	warnings[8][512];
	int	nwarnings;
};

#define TH_MAX_CREDS	8

struct xs_store {
	void		*config;	/* cJSON root */
	const char	*name;
	const char	*ns;		/* "" for a cluster store */
	struct {
		const char	*name;
		const char	*key;
		const char	*value;
	}		 creds[TH_MAX_CREDS];
	int		 ncreds;
};

#define TH_MAX_ITEMS	64

struct xs_result {
	int	 has_value;
	char	*value;
	size_t	 len;
	char	*keys[TH_MAX_ITEMS];
	char	*values[TH_MAX_ITEMS];
	size_t	 lens[TH_MAX_ITEMS];
	size_t	 nitems;
};

/* What the fake HTTP handler sees and answers. */
struct th_request {
	int		 method;
	const char	*url;
	const struct xs_http_header *headers;
	size_t		 nheaders;
	const char	*body;
	size_t		 body_len;
	uint32_t	 timeout_ms;
	const char	*ca_pem;
};

struct th_response {
	int32_t		 rc;		/* what http_request returns */
	int		 status;
	char		 body[8192];
	size_t		 len;		/* of body; 0: up to its NUL */
	char		 hname[64], hvalue[256];	/* one header */
};

typedef void (*th_http_fn)(const struct th_request *req,
    struct th_response *resp, void *arg);

/* The host table; th_init resets every fake. */
extern struct xs_host th_host;
void	th_init(void);

/* Fakes. */
void	th_set_http(th_http_fn fn, void *arg);
void	th_set_env(const char *name, const char *value);
void	th_set_clock(int64_t wall_ms, int64_t mono_ms);
void	th_advance(int64_t ms);
/* Secure allocations still live (a leak check). */
long	th_secure_live(void);
/* Everything logged so far, for canary checks. */
const char *th_log_text(void);

/* A store from a JSON text of spec.provider.alibaba. */
struct xs_store *th_store(const char *json, const char *name,
	    const char *ns);
void	th_store_cred(struct xs_store *st, const char *name, const char *key,
	    const char *value);
void	th_store_free(struct xs_store *st);

void	th_diag_init(struct xs_diag *d);
void	th_result_init(struct xs_result *r);
void	th_result_clear(struct xs_result *r);
/* The value of key in r, or NULL. */
const char *th_result_get(const struct xs_result *r, const char *key);

/* A header of a request, case-insensitive, or NULL. */
const char *th_header(const struct th_request *req, const char *name);
/* The value of a query parameter of a URL (decoded), into buf; or NULL. */
const char *th_query(const char *url, const char *key, char *buf,
	    size_t len);

#endif /* TEST_ALIBABA_HOST_H */
