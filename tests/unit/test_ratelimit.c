/*
 * Tests of the token bucket with synthetic clocks: unlimited buckets, the
 * burst and then the steady rate, refill, clocks that read behind, and
 * threads reserving at once, whose permitted times must never put more
 * than rate * window + burst requests into any window while still using
 * the whole rate; and callers that wake late from their wait, whose actual
 * starts must keep to the rate too.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ratelimit.h"
#include "tap.h"

#define NTHREADS	8
#define PER_THREAD	500

struct shared {
	struct ratelimit	 rl;
	pthread_mutex_t		 lock;	/* guards clock and the times */
	int64_t			 clock;
	int64_t			 times[NTHREADS * PER_THREAD];
	size_t			 n;
};

static void
test_unlimited(void)
{
	struct ratelimit	 rl;
	int			 i, zero = 1;

	ratelimit_init(&rl, 0, 1);
	for (i = 0; i < 10000; i++)
		if (ratelimit_reserve(&rl, 5) != 0)
			zero = 0;
	ok(zero, "rate 0: never waits");
	is_int(rl.waits, 0, "rate 0: no waits counted");
	ratelimit_destroy(&rl);

	ratelimit_init(&rl, -1, 1);
	is_int(ratelimit_reserve(&rl, 0) + ratelimit_reserve(&rl, 0), 0,
	    "negative rate: unlimited");
	ratelimit_destroy(&rl);
}

static void
test_burst_then_rate(void)
{
	struct ratelimit	 rl;
	int64_t			 d;
	int			 i, good = 1;

	ratelimit_init(&rl, 10, 5);
	for (i = 0; i < 5; i++)
		if (ratelimit_reserve(&rl, 1000) != 0)
			good = 0;
	ok(good, "the burst goes at once");
	for (i = 1; i <= 20; i++) {
		d = ratelimit_reserve(&rl, 1000);
		if (d != i * 100)
			good = 0;
	}
	ok(good, "then one every 100 ms at 10/s");
	is_int(rl.waits, 20, "twenty reservations waited");

	/* The debt of 20 tokens at 1000 is paid back at 3000. */
	is_int(ratelimit_reserve(&rl, 2000), 1100,
	    "debt is paid back at the rate");
	is_int(ratelimit_reserve(&rl, 3000), 200,
	    "the next caller queues behind the debt");
	/* Long idle refills to the burst, no more. */
	good = 1;
	for (i = 0; i < 5; i++)
		if (ratelimit_reserve(&rl, 100000) != 0)
			good = 0;
	ok(good, "idle refills the burst");
	is_int(ratelimit_reserve(&rl, 100000), 100,
	    "but not past the burst");
	ratelimit_destroy(&rl);

	ratelimit_init(&rl, 3, 0);
	is_int(ratelimit_reserve(&rl, 0), 0, "burst below 1 counts as 1");
	is_int(ratelimit_reserve(&rl, 0), 334,
	    "fractional delays are rounded up");
	ratelimit_destroy(&rl);
}

static void
test_clock_behind(void)
{
	struct ratelimit	 rl;

	ratelimit_init(&rl, 1, 10);
	is_int(ratelimit_reserve(&rl, 1000), 0, "first at 1000");
	ok(900 + ratelimit_reserve(&rl, 900) >= 1000,
	    "a clock behind is not permitted before the bucket's time");
	ratelimit_destroy(&rl);
}

/*
 * The largest number of permitted times in any window [t, t + w) of the
 * sorted array.
 */
static size_t
max_in_window(const int64_t *t, size_t n, int64_t w)
{
	size_t	 i, j = 0, best = 0;

	for (i = 0; i < n; i++) {
		while (j < n && t[j] < t[i] + w)
			j++;
		if (j - i > best)
			best = j - i;
	}
	return best;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

#define LATE_N		20

/*
 * Twenty callers reserve at once (rate 10/s, burst 2) and each then starts
 * at its permitted time, or, after a stall, all at 1500 ms at the earliest;
 * a caller that ratelimit_start turns away comes back when told.  Returns
 * the start times, sorted, in starts; wakes gets the times they woke.
 */
static void
late_run(int64_t stall_end, int64_t *starts, int64_t *wakes, int *turned)
{
	struct ratelimit	 rl;
	int64_t			 ready[LATE_N], d;
	int			 i, next, n = 0;

	*turned = 0;
	ratelimit_init(&rl, 10, 2);
	for (i = 0; i < LATE_N; i++) {
		ready[i] = ratelimit_reserve(&rl, 0);
		if (ready[i] < stall_end)
			ready[i] = stall_end;
		wakes[i] = ready[i];
	}
	while (n < LATE_N) {
		next = -1;
		for (i = 0; i < LATE_N; i++)
			if (ready[i] >= 0 && (next == -1 ||
			    ready[i] < ready[next]))
				next = i;
		d = ratelimit_start(&rl, ready[next]);
		if (d > 0) {
			ready[next] += d;
			(*turned)++;
			continue;
		}
		starts[n++] = ready[next];
		ready[next] = -1;
	}
	ratelimit_destroy(&rl);
	qsort(starts, LATE_N, sizeof(*starts), cmp64);
	qsort(wakes, LATE_N, sizeof(*wakes), cmp64);
}

static void
test_late_starts(void)
{
	int64_t	 starts[LATE_N], wakes[LATE_N], windows[] = { 1, 100, 1000 };
	size_t	 i, allowed;
	int	 turned, good = 1;

	late_run(0, starts, wakes, &turned);
	is_int(turned, 0, "callers on time are never turned away");
	ok(starts[LATE_N - 1] == wakes[LATE_N - 1],
	    "and start when they wake (last at %lld ms)",
	    (long long)starts[LATE_N - 1]);

	late_run(1500, starts, wakes, &turned);
	ok(max_in_window(wakes, LATE_N, 1000) > 10 + 2 + 1,
	    "after a stall, the wake times alone exceed the rate (%zu in 1 s)",
	    max_in_window(wakes, LATE_N, 1000));
	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		allowed = (size_t)(10 * (windows[i] + 1) / 1000) + 2;
		if (max_in_window(starts, LATE_N, windows[i]) > allowed)
			good = 0;
	}
	ok(good, "the starts keep to rate * w + burst in every window");
	ok(turned > 0, "late callers were turned away (%d times)", turned);
	ok(starts[LATE_N - 1] <= 1500 + (LATE_N - 2) * 100 + 1,
	    "and all start as soon as the rate allows (last at %lld ms)",
	    (long long)starts[LATE_N - 1]);
}

static void *
worker(void *arg)
{
	struct shared	*sh = arg;
	int64_t		 now, d;
	int		 i;

	for (i = 0; i < PER_THREAD; i++) {
		/* The synthetic clock moves 1 ms every 8 reservations. */
		pthread_mutex_lock(&sh->lock);
		now = sh->clock / 8;
		sh->clock++;
		pthread_mutex_unlock(&sh->lock);

		d = ratelimit_reserve(&sh->rl, now);

		pthread_mutex_lock(&sh->lock);
		sh->times[sh->n++] = now + d;
		pthread_mutex_unlock(&sh->lock);
	}
	return NULL;
}

static void
test_threads(void)
{
	static struct shared	 sh;
	pthread_t		 th[NTHREADS];
	const double		 rate = 200;
	const int		 burst = 20;
	int64_t			 windows[] = { 1, 10, 100, 1000, 5000 };
	size_t			 i, most, allowed;
	int			 good = 1;

	ratelimit_init(&sh.rl, rate, burst);
	pthread_mutex_init(&sh.lock, NULL);
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, &sh);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	is_int(sh.n, NTHREADS * PER_THREAD, "every reservation answered");
	qsort(sh.times, sh.n, sizeof(sh.times[0]), cmp64);

	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		most = max_in_window(sh.times, sh.n, windows[i]);
		/* One more ms of tokens for rounding delays up. */
		allowed = (size_t)(rate * (windows[i] + 1) / 1000) + burst;
		if (most > allowed) {
			good = 0;
			printf("# window %lld ms: %zu permitted, %zu allowed\n",
			    (long long)windows[i], most, allowed);
		}
	}
	ok(good, "%d threads: no window holds more than rate*w + burst",
	    NTHREADS);
	/* 4000 requests at 200/s after a burst of 20: about 19.9 s. */
	ok(sh.times[sh.n - 1] <= (int64_t)((sh.n - burst) * 1000 / rate) + 2,
	    "the whole rate is used (last permitted at %lld ms)",
	    (long long)sh.times[sh.n - 1]);
	/* The clock covers 500 ms, which refill 100 tokens. */
	ok(sh.rl.waits + burst + 100 + 1 >= sh.n,
	    "waits are counted (%llu)", (unsigned long long)sh.rl.waits);
	pthread_mutex_destroy(&sh.lock);
	ratelimit_destroy(&sh.rl);
}

int
main(void)
{
	test_unlimited();
	test_burst_then_rate();
	test_clock_behind();
	test_threads();
	test_late_starts();
	return tap_done();
}
