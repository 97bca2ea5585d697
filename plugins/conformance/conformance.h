/*
 * xsecrets-conformance: the parts of the harness and how they meet.
 *
 * main.c runs the groups of checks, each in a child process with a time
 * limit, and reports them as TAP and JSON.  A child writes one record per
 * check it starts and finishes into a result file that the parent reads when
 * the child is gone, so that a crash or a hang costs only the rest of that
 * group.  elf.c does the static checks, checks.c the load, contract and
 * robustness checks, chost.c the instrumented host table they hand the
 * provider, and fixtures.c reads the provider author's fixtures file.
 */
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xsecrets/provider.h"

/* Check levels: --level basic, standard, strict. */
#define LEVEL_BASIC	1
#define LEVEL_STANDARD	2
#define LEVEL_STRICT	3

#define GROUP_STATIC	0
#define GROUP_LOAD	1
#define GROUP_CONTRACT	2
#define GROUP_ROBUST	3
#define NGROUPS		4

/* One check of the table in main.c. */
struct check {
	const char	*id;		/* "CONTRACT-006" */
	int		 group;
	int		 level;		/* lowest that runs it */
	const char	*severity;	/* "error" or "warning" */
	const char	*section;	/* of xsecrets-provider(7) */
	const char	*title;		/* one line: what is checked */
	const char	*rationale;	/* one line: why */
};

const struct check *check_find(const char *id);
extern const struct check checks[];

/* The options every group sees. */
struct options {
	const char	*path;		/* the provider module */
	const char	*fixtures;	/* NULL: no contract checks */
	int		 level;
	uint64_t	 seed;
	int		 repeat;
	int		 timeout;	/* seconds per group */
};

/* Writing results from a group's child (main.c). */
void	result_begin(const char *id);
void	result_pass(const char *id);
void	result_fail(const char *id, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	result_skip(const char *id, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* 1 when the check is to run at this level and was not --skip'ed. */
int	check_wanted(const char *id);

/* The groups (elf.c, checks.c); each reports through result_*. */
void	group_static(const struct options *o);
void	group_load(const struct options *o);
void	group_contract(const struct options *o);
void	group_robust(const struct options *o);

/*
 * Fixtures (fixtures.c): what the provider author promises.  Trees are the
 * harness's own struct xs_value (chost.c), built from the JSON file.
 */
struct fx_store {
	char		*name;
	char		*ns;		/* "" for a cluster store */
	int		 cluster;
	int		 valid;
	int32_t		 auth;		/* what auth must return */
	struct xs_value	*config;
};

struct fx_secret {
	char		*store;
	char		*key;
	char		*property;	/* NULL when absent */
	char		*version;	/* NULL when absent */
	int		 map;		/* for get_secret_map */
	char		*value;		/* expected bytes */
	size_t		 len;
	struct xs_value	*members;	/* expected members (map) */
};

struct fx_route {
	int		 method;	/* XS_HTTP_*, or -1 for any */
	char		*match;		/* substring of the URL */
	int		 status;
	char		*body;
	size_t		 len;
	char		**hnames;
	char		**hvalues;
	size_t		 nheaders;
};

struct fx_fault {
	char		*id;		/* "401", "timeout", ... */
	int32_t		 expect;	/* the XS_ERR_* expected */
};

struct fx_cred {
	char		*ns;
	char		*name;
	char		*key;
	char		*value;
};

/* How host->http_request answers (the fixtures' "http.mode"). */
#define HTTP_FAKE	0	/* from the routes, never the network */
#define HTTP_PASSTHROUGH 1	/* real servers the allow list admits */

struct fixtures {
	char		 *file;
	struct fx_store	 *stores;
	size_t		  nstores;
	struct fx_secret *secrets;	/* existing keys */
	size_t		  nsecrets;
	struct fx_secret *missing;	/* keys that must be not found */
	size_t		  nmissing;
	int		  http_mode;
	struct fx_route	 *routes;
	size_t		  nroutes;
	char		**allow;	/* passthrough: admitted origins */
	size_t		  nallow;
	char		**env_names;	/* what host->getenv serves */
	char		**env_values;
	size_t		  nenv;
	struct fx_fault	 *faults;
	size_t		  nfaults;
	struct fx_cred	 *creds;
	size_t		  ncreds;
	char		**secret_words;	/* never to appear in logs */
	size_t		  nsecret_words;
};

/* Reads path; 0, or -1 with a reason in err. */
int	fixtures_load(const char *path, struct fixtures *fx, char *err,
	    size_t errlen);
const struct fx_store *fixtures_store(const struct fixtures *fx,
	    const char *name);
/* XS_ERR_* for "NOT_FOUND", "AUTH", ...; 1 when the name is unknown. */
int32_t	status_parse(const char *name);
const char *status_name(int32_t rc);
/* 1 when rc is one of the documented codes. */
int	status_valid(int32_t rc);

/*
 * The instrumented host (chost.c).  One per child process.
 */
struct xs_diag {
	char	error[512];
	char	warnings[8][512];
	int	nwarnings;
};

struct xs_result {
	int		 has_value;
	uint8_t		*data;
	size_t		 len;
	char		**keys;
	uint8_t		**values;
	size_t		*lens;
	size_t		 nitems;
};

struct xs_store {
	const struct fx_store	*fx;
};

/* An answer of the fake, or of a real server (chttp.c). */
struct xs_http_response {
	int		 status;
	uint8_t		*body;		/* malloc'd, NUL-terminated */
	size_t		 len;
	const struct fx_route *route;	/* fake: the route, for headers */
	char		*hdrs;		/* real: "name\0value\0" ... */
	size_t		 hdrlen;
	size_t		 nhdrs;
};

/* Passthrough HTTP (chttp.c). */
int	chttp_init(void);
int	chttp_pattern_valid(const char *pattern);
int32_t	chttp_request(const char *const *allow, size_t nallow,
	    const struct xs_http_request *req, struct xs_http_response *resp,
	    char *why, size_t whylen);

/* What the host saw; counters are reset by chost_reset. */
struct chost_stats {
	long		 live;		/* blocks not freed */
	long		 misuse;	/* wrong-family or unknown frees */
	long		 ops;		/* fallible operations */
	long		 http;		/* http_request calls */
	long		 creds;		/* credential_get calls */
	long		 max_timeout_ms;
};

/* HTTP fault injection. */
#define FAULT_NONE	0
#define FAULT_TIMEOUT	1
#define FAULT_TLS	2
#define FAULT_STATUS	3	/* answer with fault_status, empty JSON */
#define FAULT_MALFORMED	4	/* 200 with a body that is not JSON */
#define FAULT_OVERSIZE	5	/* too large: XS_ERR_PROTOCOL */

const struct xs_host *chost_init(const struct fixtures *fx, uint64_t seed);
void	chost_reset(void);
void	chost_stats(struct chost_stats *out);
/* Fail the nth fallible operation from now (1-based); 0: never. */
void	chost_fail_at(long n);
void	chost_fault(int kind, int status);
/* Calls f(line, arg) for every log line recorded so far. */
void	chost_log_lines(void (*f)(const char *, void *), void *arg);
void	chost_log_clear(void);

void	diag_reset(struct xs_diag *d);
void	res_init(struct xs_result *r);
void	res_clear(struct xs_result *r);

/* Trees of the harness's own struct xs_value (chost.c). */
struct cJSON;
struct xs_value	*tree_from_json(const struct cJSON *j,
	    const char *where);
void	 tree_free(struct xs_value *v);
int	 tree_type(const struct xs_value *v);
const char *tree_string(const struct xs_value *v, size_t *len);
size_t	 tree_count(const struct xs_value *v);
const struct xs_value *tree_at(const struct xs_value *v, size_t i,
	    const char **key);

#endif /* CONFORMANCE_H */
