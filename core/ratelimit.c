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
 * Permitted times are not start times: a caller may wake late from its
 * wait (the process was stopped, or its thread starved of CPU) and then
 * start together with callers reserved after it.  ratelimit_start, called
 * just before the request, keeps a second bucket of the same shape over the
 * actual starts and makes a late caller wait again for a token of its own.
 * Callers that wake on time always find one, so it costs them nothing.
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
	rl->started = rl->burst;
	rl->started_ms = INT64_MIN;
	rl->waits = 0;
}

/* Releases what ratelimit_init set up.  No caller may be inside. */
void
ratelimit_destroy(struct ratelimit *rl)
{
	pthread_mutex_destroy(&rl->lock);
}

/* Adds the tokens earned since *last, up to the burst; under rl->lock. */
static void
refill(const struct ratelimit *rl, double *tokens, int64_t *last,
    int64_t now_ms)
{
	if (*last == INT64_MIN)
		*last = now_ms;
	if (now_ms > *last) {
		*tokens += (double)(now_ms - *last) * rl->rate / 1000;
		if (*tokens > rl->burst)
			*tokens = rl->burst;
		*last = now_ms;
	}
}

/*
 * The ms until a deficit of tokens is earned, rounded up so that nobody
 * starts before the token is due.
 */
static int64_t
due_ms(const struct ratelimit *rl, double deficit)
{
	double	 wait = deficit * 1000 / rl->rate;

	return (int64_t)wait + ((double)(int64_t)wait < wait);
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

	if (rl->rate <= 0)
		return 0;

	pthread_mutex_lock(&rl->lock);
	refill(rl, &rl->tokens, &rl->last_ms, now_ms);
	/*
	 * A caller whose clock is behind last_ms is treated as if it came at
	 * last_ms: the tokens it may use did not exist before then.
	 */
	if (now_ms < rl->last_ms)
		delay = rl->last_ms - now_ms;
	rl->tokens -= 1;
	if (rl->tokens < 0) {
		delay += due_ms(rl, -rl->tokens);
		rl->waits++;
	}
	pthread_mutex_unlock(&rl->lock);
	return delay;
}

/*
 * Takes a start at now_ms and returns 0, or returns how many ms to wait
 * before asking again; see ratelimit.h.  Thread-safe.
 */
int64_t
ratelimit_start(struct ratelimit *rl, int64_t now_ms)
{
	int64_t	 delay = 0;

	if (rl->rate <= 0)
		return 0;
	pthread_mutex_lock(&rl->lock);
	refill(rl, &rl->started, &rl->started_ms, now_ms);
	/*
	 * A clock read behind started_ms counts as started_ms: the caller is
	 * here now.  A start within a thousandth of a token counts as on
	 * time, against floating-point error; it cannot accumulate.
	 */
	if (rl->started >= 1 - 1e-3)
		rl->started -= 1;
	else
		delay = due_ms(rl, 1 - rl->started);
	pthread_mutex_unlock(&rl->lock);
	return delay;
}
