/*
 * Token buckets, one per store: rate tokens a second, up to burst.  Safe to
 * call from any thread.
 */
#ifndef XS_RATELIMIT_H
#define XS_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

struct ratelimit {
	pthread_mutex_t	 lock;
	double		 rate;		/* tokens a second; 0: unlimited */
	double		 burst;
	double		 tokens;
	int64_t		 last_ms;	/* monotonic */
	uint64_t	 waits;		/* reservations that had to wait */
};

void	ratelimit_init(struct ratelimit *rl, double rate, int burst);
void	ratelimit_destroy(struct ratelimit *rl);
/*
 * Takes one token at now_ms, possibly going into debt: returns how many ms
 * the caller must wait before using it (0: at once).  Callers that each wait
 * their returned delay never exceed the rate, however many there are.
 */
int64_t	ratelimit_reserve(struct ratelimit *rl, int64_t now_ms);

#endif /* XS_RATELIMIT_H */
