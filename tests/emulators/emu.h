/*
 * alibaba-emu's parts and what they share.  The emulator is one program in
 * five files, one concern each:
 *
 *	emu_util.c	time stamps, numbers, random strings, bounded file reads
 *	emu_store.c	the secrets: versions, stages, tags, rotation
 *	emu_auth.c	access keys, STS credentials, nonces and the V1 and V3
 *			signature checks
 *	emu_api.c	the KMS and STS actions, faults, counters and Alibaba's
 *			error responses
 *	alibaba-emu.c	configuration, the control API, the HTTP glue, main
 *
 * Every function may be called from any connection thread unless it says
 * otherwise; each part keeps its own locks.
 */
#ifndef EMU_H
#define EMU_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "emu_sign.h"

#define EMU_MAX_BODY		EMU_MAX_PARAMS_BYTES
#define EMU_MAX_HEADERS		64
#define EMU_MAX_SECRETS		100000
#define EMU_MAX_VERSIONS	32
#define EMU_MAX_STAGES		8
#define EMU_MAX_TAGS		20
#define EMU_MAX_KEYS		64
#define EMU_MAX_FAULTS		16
#define EMU_MAX_TOKEN		(64 * 1024)

/* Result codes: what the emulator can answer, and how often it did. */
enum code {
	C_OK,
	C_NOT_FOUND,
	C_THROTTLED,
	C_THROTTLED_USER,
	C_UNAVAILABLE,
	C_INTERNAL,
	C_KEY_NOT_FOUND,
	C_TOKEN_EXPIRED,
	C_TOKEN_MISMATCH,
	C_TOKEN_MISSING,
	C_SIG_MISMATCH,
	C_SIG_INCOMPLETE,
	C_NONCE_USED,
	C_TS_EXPIRED,
	C_TS_ILLEGAL,
	C_MISSING_PARAM,
	C_INVALID_PARAM,
	C_NO_ACTION,
	C_BAD_VERSION,
	C_OIDC_INVALID,
	C_OIDC_NOPERM,
	C_NO_ROLE,
	C_SESSION_NAME,
	C_DURATION,
	C_TOO_LARGE,
	C_TOO_MANY_HEADERS,
	C_MAX
};

struct emu_code {
	const char	*name;
	int		 status;
	const char	*message;
};

extern const struct emu_code	 emu_codes[C_MAX];

enum action {
	A_GET,
	A_LIST,
	A_ASSUME,
	A_OTHER,
	A_MAX
};

extern const char *const	 emu_actions[A_MAX];

struct version {
	char	*id;
	char	*stages[EMU_MAX_STAGES];
	size_t	 nstages;
	char	*data;
	int	 binary;
	time_t	 created;
};

struct tag {
	char	*key;
	char	*val;
};

struct secret {
	char		*name;
	char		*type;
	struct version	 v[EMU_MAX_VERSIONS];
	size_t		 nv;
	unsigned int	 next_id;
	struct tag	 tags[EMU_MAX_TAGS];
	size_t		 ntags;
	time_t		 created;
	time_t		 updated;
};

/* Issued STS credentials. */
struct sts_cred {
	char	 id[32];
	char	 secret[32];
	char	*token;
	time_t	 expires;
};

/* Per request: the raw URI (kept by the URI callback) and the body. */
struct req {
	char	*uri;
	char	*body;
	size_t	 bodylen;
	int	 started;
	int	 too_large;
};

/* One API call being answered. */
struct call {
	struct MHD_Connection	*conn;
	struct req		*r;
	const char		*method;
	struct emu_params	 query;
	struct emu_params	 form;
	struct emu_params	 all;
	const char		*host;
	int			 action;
	char			 request_id[40];
	char			*echo;		/* server's string to sign */
	char			 errmsg[256];
};

/* Settings of AssumeRoleWithOIDC, fixed after start-up. */
struct emu_oidc {
	char	*provider;
	char	*role;
	char	*token_file;
	long	 lifetime;	/* 0: as requested */
};

extern struct emu_oidc	 emu_oidc;
extern int		 emu_verbose;

/* emu_util.c */
void	 die(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));
void	*xzalloc(size_t);
void	 fmt_time(time_t, char *, size_t);
int	 parse_time(const char *, time_t *);
int	 parse_long(const char *, long, long, long *);
void	 random_chars(char *, size_t, const char *);
char	*read_file(const char *, size_t, size_t *);
const char *call_header(struct call *, const char *);

/* emu_store.c */
void	 store_rdlock(void);
void	 store_wrlock(void);
void	 store_unlock(void);
size_t	 store_count(void);
const struct secret *store_at(size_t);
struct secret *store_find(const char *);
struct secret *store_get_or_add(const char *);
void	 store_remove(const char *);
void	 store_free(void);
int	 version_has_stage(const struct version *, const char *);
int	 version_parse(const cJSON *, struct version *, const char *, char *,
	    size_t);
void	 version_clear(struct version *);
int	 secret_set_tags(struct secret *, const cJSON *, char *, size_t);
int	 secret_put_version(struct secret *, struct version *, char *, size_t);

/* emu_auth.c */
void	 auth_init(size_t);
int	 auth_add_key(const char *, const char *);
int	 auth_check(struct call *);
int	 auth_sts_issue(long, struct sts_cred *);
void	 auth_sts_expire(void);
void	 auth_free(void);

/* emu_api.c */
enum MHD_Result api_serve(struct call *);
enum MHD_Result api_send_json(struct MHD_Connection *, int, cJSON *,
	    const char *, const char *);
cJSON	*api_stats(void);
cJSON	*api_sts_times(void);
cJSON	*api_busiest(void);
void	 api_stats_reset(void);
int	 api_fault_add(const cJSON *, const char **);
void	 api_fault_clear(void);
void	 api_free(void);

#endif /* EMU_H */
