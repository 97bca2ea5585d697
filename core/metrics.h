/*
 * The metrics and health endpoint: a small HTTP server (libmicrohttpd) on
 * --metrics-addr serving /metrics (Prometheus text format 0.0.4), /healthz
 * and /readyz.  The reconciler renders the metrics through a callback, so
 * the numbers live with the objects they describe.
 */
#ifndef XS_METRICS_H
#define XS_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* A growing text buffer with a hard cap. */
struct mbuf {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	int	 failed;	/* an append did not fit or failed */
};

void	mbuf_printf(struct mbuf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Appends a label value escaped per the text format (\\, \", \n). */
void	mbuf_label(struct mbuf *b, const char *value);
void	mbuf_free(struct mbuf *b);

struct metrics_ops {
	/* Appends every metric family to b.  Called from the server thread. */
	void	(*render)(struct mbuf *b, void *arg);
	/* 1 when ready (first round done), else 0. */
	int	(*ready)(void *arg);
	void	*arg;
};

struct metrics;

/*
 * Starts serving on addr ("127.0.0.1:9464", "[::1]:9464", ":9464" for all
 * addresses).  NULL with a message in err.
 */
struct metrics	*metrics_start(const char *addr, const struct metrics_ops *ops,
		    char *err, size_t errlen);
void		 metrics_stop(struct metrics *m);
/* The port m listens on (after binding port 0, say), or -1. */
int		 metrics_port(struct metrics *m);

#endif /* XS_METRICS_H */
