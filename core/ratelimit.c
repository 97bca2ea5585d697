/*
 * Token buckets with reservations.
 *
 * A bucket holds up to burst tokens and gains rate tokens a second.  A
 * caller never sleeps in here: ratelimit_reserve takes one token at once,
 * letting the balance go negative, and returns how long the caller must wait
 * before the token is really there.  The debt is what orders concurrent
 * callers: the k-th caller past the burst is told to wait k / rate seconds,
 * so callers that each sleep their own delay are spread at exactly the rate,
 * however many threads ask at the same instant.  The permitted times of all
 * callers therefore never put more than burst + rate * W requests into any
 * window of W seconds (plus one for rounding delays up to whole
 * milliseconds).
 *
 * Time comes from the caller (monotonic milliseconds), which keeps the
 * bucket testable with synthetic clocks.  A caller whose clock reads a
 * little behind another's (threads read the clock before taking the lock)
 * does not move the bucket back in time.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>

#include "log.h"
#include "ratelimit.h"

/*
 * Sets up rl for rate tokens a second and bursts of up to burst (at least
 * 1); a rate of 0 or less (or not a number) means unlimited.  The bucket
 * starts full.  Not thread-safe: call before sharing rl.
 */
void
ratelimit_init(struct ratelimit *rl, double rate, int burst)
{
	if (pthread_mutex_init(&rl->lock, NULL) != 0)
		fatalx("ratelimit: cannot initialise a mutex");
	rl->rate = isfinite(rate) && rate > 0 ? rate : 0;
	rl->burst = burst < 1 ? 1 : burst;
	rl->tokens = rl->burst;
	rl->last_ms = INT64_MIN;	/* no reservation yet */
	rl->waits = 0;
}

/* Releases what ratelimit_init set up.  No caller may be inside. */
void
ratelimit_destroy(struct ratelimit *rl)
{
	pthread_mutex_destroy(&rl->lock);
}

/*
 * Takes one token at now_ms (monotonic) and returns the number of ms the
 * caller must wait before using it: 0 when a token was there.  Always
 * succeeds; an unlimited bucket always returns 0.  Thread-safe.
 */
int64_t
ratelimit_reserve(struct ratelimit *rl, int64_t now_ms)
{
	int64_t	 delay = 0;
	double	 wait;

	if (rl->rate <= 0)
		return 0;

	pthread_mutex_lock(&rl->lock);
	if (rl->last_ms == INT64_MIN)
		rl->last_ms = now_ms;
	if (now_ms > rl->last_ms) {
		rl->tokens += (double)(now_ms - rl->last_ms) * rl->rate / 1000;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_ms = now_ms;
	}
	/*
	 * A caller whose clock is behind last_ms is treated as if it came at
	 * last_ms: the tokens it may use did not exist before then.
	 */
	if (now_ms < rl->last_ms)
		delay = rl->last_ms - now_ms;
	rl->tokens -= 1;
	if (rl->tokens < 0) {
		/* Round up, so that nobody starts before the token is due. */
		wait = -rl->tokens * 1000 / rl->rate;
		delay += (int64_t)wait;
		if ((double)(int64_t)wait < wait)
			delay++;
		rl->waits++;
	}
	pthread_mutex_unlock(&rl->lock);
	return delay;
}
