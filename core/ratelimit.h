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
	double		 started;	/* the bucket of actual starts */
	int64_t		 started_ms;
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

/*
 * Called when a caller that waited its reserved delay is about to make its
 * request: takes a start at now_ms and returns 0, or returns how many ms to
 * wait before asking again (nothing taken).  A caller that woke late (a
 * stalled process, a starved thread) would otherwise start together with
 * those reserved after it; this keeps the actual starts, too, within the
 * rate and burst.  Callers that wake on time never wait here.
 */
int64_t	ratelimit_start(struct ratelimit *rl, int64_t now_ms);

#endif /* XS_RATELIMIT_H */
