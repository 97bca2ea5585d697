/*
 * Tests of the reconciler's timer structure, jitter and backoff: pop order,
 * replacement, removal, urgent entries first among those due, a large
 * randomised run checked against the expected order, jitter bounds and
 * spread, and the backoff's doubling and cap, including a simulation of
 * permanently failing objects that must cost about one call per refresh
 * interval once the first retries are spent.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sched.h"
#include "tap.h"

#define HOUR_MS	(3600LL * 1000)
#define DAY_MS	(24 * HOUR_MS)

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
test_order(void)
{
	struct sched	*s;
	int64_t		 dues[] = { 50, 10, 40, 10, 30, 20 };
	uint64_t	 id, want[] = { 2, 4, 6, 5, 3, 1 };
	size_t		 i;
	int		 good = 1;

	s = sched_new();
	ok(s != NULL, "sched_new");
	is_int(sched_next_due(s), -1, "an empty scheduler has no due time");
	for (i = 0; i < 6; i++)
		sched_add(s, i + 1, dues[i], SCHED_PERIODIC);
	is_int(sched_len(s), 6, "six entries");
	is_int(sched_next_due(s), 10, "next due is the earliest");
	is_int(sched_pop_due(s, 9, &id), 0, "nothing due before the earliest");
	for (i = 0; i < 6; i++) {
		if (sched_pop_due(s, 100, &id) != 1 || id != want[i])
			good = 0;
	}
	ok(good, "pops by due time, ties in insertion order");
	is_int(sched_pop_due(s, 100, &id), 0, "empty after popping all");
	is_int(sched_len(s), 0, "length 0 after popping all");

	/* Equal due times run first come, first served. */
	for (i = 0; i < 50; i++)
		sched_add(s, (i * 37) % 50 + 100, 77, SCHED_PERIODIC);
	good = 1;
	for (i = 0; i < 50; i++) {
		if (sched_pop_due(s, 77, &id) != 1 ||
		    id != (i * 37) % 50 + 100)
			good = 0;
	}
	ok(good, "equal due times pop in insertion order");

	sched_add(s, 7, 100, SCHED_PERIODIC);
	sched_add(s, 8, 200, SCHED_PERIODIC);
	ok(sched_pop_due(s, 150, &id) == 1 && id == 7, "due entry popped");
	is_int(sched_pop_due(s, 150, &id), 0, "entry not yet due stays");
	is_int(sched_len(s), 1, "one left");
	sched_free(s);
}

static void
test_update_remove(void)
{
	struct sched	*s;
	int64_t		 due;
	uint64_t	 id;

	s = sched_new();
	sched_add(s, 1, 100, SCHED_PERIODIC);
	sched_add(s, 2, 300, SCHED_PERIODIC);
	sched_add(s, 1, 500, SCHED_PERIODIC);
	is_int(sched_len(s), 2, "re-adding an id replaces it");
	ok(sched_lookup(s, 1, &due) == 1 && due == 500,
	    "lookup sees the new due time");
	is_int(sched_next_due(s), 300, "next due follows the update");
	ok(sched_pop_due(s, 400, &id) == 1 && id == 2,
	    "the replaced entry does not fire at its old time");
	is_int(sched_pop_due(s, 400, &id), 0, "nothing else due at 400");

	sched_add(s, 1, 50, SCHED_PERIODIC);
	is_int(sched_next_due(s), 50, "moving an entry earlier");

	sched_add(s, 3, 60, SCHED_PERIODIC);
	sched_add(s, 4, 70, SCHED_PERIODIC);
	sched_remove(s, 3);
	sched_remove(s, 99);
	is_int(sched_len(s), 2, "remove takes one, absent ids are ignored");
	is_int(sched_lookup(s, 3, NULL), 0, "removed id is gone");
	ok(sched_pop_due(s, 1000, &id) == 1 && id == 1, "first after remove");
	ok(sched_pop_due(s, 1000, &id) == 1 && id == 4,
	    "second after remove");
	is_int(sched_pop_due(s, 1000, &id), 0, "removed id never pops");
	sched_free(s);
}

static void
test_urgent(void)
{
	struct sched	*s;
	uint64_t	 id;
	int64_t		 due;

	s = sched_new();
	sched_add(s, 1, 10, SCHED_PERIODIC);
	sched_add(s, 2, 50, SCHED_URGENT);
	sched_add(s, 3, 20, SCHED_PERIODIC);
	is_int(sched_next_due(s), 10, "next due looks at both classes");
	ok(sched_pop_due(s, 30, &id) == 1 && id == 1,
	    "an urgent entry not yet due does not block periodic ones");
	ok(sched_pop_due(s, 100, &id) == 1 && id == 2,
	    "a due urgent entry goes before an earlier periodic one");
	ok(sched_pop_due(s, 100, &id) == 1 && id == 3, "then periodic");

	/* An object that changes is moved from periodic to urgent. */
	sched_add(s, 4, 5, SCHED_PERIODIC);
	sched_add(s, 5, 6, SCHED_PERIODIC);
	sched_add(s, 5, 90, SCHED_URGENT);
	is_int(sched_len(s), 2, "changing class keeps one entry");
	ok(sched_lookup(s, 5, &due) == 1 && due == 90, "class change lookup");
	ok(sched_pop_due(s, 100, &id) == 1 && id == 5,
	    "an entry made urgent runs first");
	ok(sched_pop_due(s, 100, &id) == 1 && id == 4, "the other after it");

	/* And back to periodic. */
	sched_add(s, 6, 1, SCHED_URGENT);
	sched_add(s, 7, 2, SCHED_PERIODIC);
	sched_add(s, 6, 3, SCHED_PERIODIC);
	ok(sched_pop_due(s, 100, &id) == 1 && id == 7,
	    "urgent made periodic loses its precedence");
	sched_free(s);
}

/*
 * 100,000 entries with random due times, classes, updates and removals;
 * the pop order must match what a reference array says.
 */
static void
test_large(void)
{
	enum { N = 100000 };
	struct sched	*s;
	int64_t		*due, last[2], d;
	int		*prio, *live, good = 1, lookups = 1, failed = 0;
	uint64_t	 id, i;
	size_t		 n = 0, nlive = 0;

	s = sched_new();
	due = calloc(N, sizeof(*due));
	prio = calloc(N, sizeof(*prio));
	live = calloc(N, sizeof(*live));
	if (due == NULL || prio == NULL || live == NULL)
		abort();
	for (i = 0; i < N; i++) {
		due[i] = (int64_t)(rnd() % 1000000);
		prio[i] = rnd() % 10 == 0 ? SCHED_URGENT : SCHED_PERIODIC;
		live[i] = 1;
		if (sched_add(s, i, due[i], prio[i]) == -1)
			failed = 1;
	}
	for (i = 0; i < N; i += 2) {
		due[i] = (int64_t)(rnd() % 1000000);
		if (sched_add(s, i, due[i], prio[i]) == -1)
			failed = 1;
	}
	for (i = 0; i < N; i += 4) {
		sched_remove(s, i + 1);
		live[i + 1] = 0;
	}
	ok(!failed, "100k adds and updates succeed");
	for (i = 0; i < N; i++) {
		nlive += live[i];
		if (sched_lookup(s, i, &d) != live[i] ||
		    (live[i] && d != due[i]))
			lookups = 0;
	}
	ok(lookups, "every lookup agrees after updates and removals");
	is_int(sched_len(s), nlive, "length counts live entries");

	/* Pop in slices of time: within one slice urgent ones come first. */
	last[0] = last[1] = -1;
	for (d = 0; d <= 1000000; d += 50000) {
		int	 seen_periodic = 0;

		while (sched_pop_due(s, d, &id) == 1) {
			n++;
			if (id >= N || !live[id] || due[id] > d ||
			    due[id] < last[prio[id]])
				good = 0;
			if (prio[id] == SCHED_PERIODIC)
				seen_periodic = 1;
			else if (seen_periodic)
				good = 0;
			last[prio[id]] = due[id];
			live[id] = 0;
		}
	}
	ok(good, "100k entries pop in order, urgent first in each slice");
	is_int(n, nlive, "every live entry popped exactly once");
	is_int(sched_len(s), 0, "empty at the end");
	free(due);
	free(prio);
	free(live);
	sched_free(s);
}

static void
test_jitter(void)
{
	enum { NKEYS = 10000, NBUCKETS = 10 };
	int64_t		 j, max = HOUR_MS / 10, lo = INT64_MAX, hi = -1;
	int		 bucket[NBUCKETS] = { 0 }, inbounds = 1, even = 1, i;
	char		 key[64];

	is_int(sched_jitter("ns/a", HOUR_MS), sched_jitter("ns/a", HOUR_MS),
	    "jitter is deterministic");
	ok(sched_jitter("ns/a", HOUR_MS) != sched_jitter("ns/b", HOUR_MS),
	    "close keys get different jitter");
	is_int(sched_jitter("ns/a", 0), 0, "no interval, no jitter");
	is_int(sched_jitter("ns/a", -5), 0, "negative interval, no jitter");
	is_int(sched_jitter("ns/a", 9), 0, "interval below 10 ms: 0");
	ok(sched_jitter(NULL, HOUR_MS) >= 0, "NULL key is accepted");

	for (i = 0; i < NKEYS; i++) {
		snprintf(key, sizeof(key), "team-%d/db-credentials-%d", i % 7,
		    i);
		j = sched_jitter(key, HOUR_MS);
		if (j < 0 || j > max) {
			inbounds = 0;
			continue;
		}
		if (j < lo)
			lo = j;
		if (j > hi)
			hi = j;
		bucket[j * NBUCKETS / (max + 1)]++;
		if (sched_jitter(key, 10) < 0 || sched_jitter(key, 10) > 1)
			inbounds = 0;
	}
	ok(inbounds, "jitter within [0, interval/10] for %d keys", NKEYS);
	for (i = 0; i < NBUCKETS; i++) {
		if (bucket[i] < NKEYS / NBUCKETS / 2 ||
		    bucket[i] > NKEYS / NBUCKETS * 3 / 2)
			even = 0;
	}
	ok(even, "distinct keys spread evenly over the jitter window");
	ok(lo < max / 100 && hi > max - max / 100,
	    "jitter reaches both ends of the window");
}

static void
test_backoff(void)
{
	int64_t		 d, want, prev;
	int		 f, good = 1, capped = 1, i;
	char		 key[32];

	is_int(sched_backoff("ns/a", 3, 1000, HOUR_MS),
	    sched_backoff("ns/a", 3, 1000, HOUR_MS),
	    "backoff is deterministic");
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "ns/es-%d", i);
		for (f = 1; f <= 10; f++) {
			want = 1000LL << (f - 1);
			d = sched_backoff(key, f, 1000, DAY_MS);
			if (d < want || d > want + want / 5)
				good = 0;
		}
	}
	ok(good, "delay doubles with up to 20%% jitter");
	ok(sched_backoff("ns/a", 0, 1000, HOUR_MS) <= 1200 &&
	    sched_backoff("ns/a", -3, 1000, HOUR_MS) >= 1000,
	    "failures below 1 count as the first");
	d = sched_backoff("ns/a", 1, 1000, HOUR_MS);
	ok(d != sched_backoff("ns/a", 2, 1000, HOUR_MS) / 2 ||
	    d != sched_backoff("ns/b", 1, 1000, HOUR_MS),
	    "jitter varies with key and failure count");

	for (f = 1; f <= 1000; f++) {
		if (sched_backoff("ns/a", f, 5000, HOUR_MS) > HOUR_MS)
			capped = 0;
		if (sched_backoff("ns/a", f, 5000, 0) > DAY_MS)
			capped = 0;
		if (sched_backoff("ns/a", f, INT64_MAX / 2, HOUR_MS) !=
		    HOUR_MS)
			capped = 0;
	}
	ok(capped, "never above the cap, one day without a cap, no overflow");
	is_int(sched_backoff("ns/a", 64, 1, 0), DAY_MS,
	    "no cap given: one day");
	is_int(sched_backoff("ns/a", 2, 0, HOUR_MS) >= 2, 1,
	    "a base below 1 ms counts as 1 ms");

	/* A daily secret that fails: the delays grow, then stay at 24h. */
	prev = 0;
	good = 1;
	for (f = 1; f <= 40; f++) {
		d = sched_backoff("payments/db", f, 10000, DAY_MS);
		if (d < prev || d > DAY_MS)
			good = 0;
		prev = d;
	}
	ok(good, "24h interval: delays never shrink nor pass 24h");
	is_int(sched_backoff("payments/db", 15, 10000, DAY_MS), DAY_MS,
	    "24h interval: capped at 24h from the 15th failure");
	is_int(sched_backoff("payments/db", 40, 10000, DAY_MS), DAY_MS,
	    "24h interval: stays at 24h");
}

/*
 * Counts the attempts of an object that fails forever, starting at 0 and
 * retrying after each backoff, within [from, to).
 */
static int
attempts(const char *key, int64_t base, int64_t cap, int64_t from,
    int64_t to)
{
	int64_t	 t = 0;
	int	 failures = 0, n = 0;

	while (t < to) {
		if (t >= from)
			n++;
		failures++;
		t += sched_backoff(key, failures, base, cap);
	}
	return n;
}

static void
test_failing_cost(void)
{
	int64_t	 w, win = 10 * 60 * 1000;
	int	 i, worst = 0, first = 0, n;
	char	 key[32];

	/* 100 objects, 1h refresh, 10s base: 10-minute windows after 2h. */
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "ns/failing-%d", i);
		n = attempts(key, 10000, HOUR_MS, 0, win);
		if (n > first)
			first = n;
		for (w = 2 * HOUR_MS; w < 12 * HOUR_MS; w += win / 2) {
			n = attempts(key, 10000, HOUR_MS, w, w + win);
			if (n > worst)
				worst = n;
		}
	}
	ok(first <= 7, "first 10 minutes: the first few retries (%d)", first);
	ok(worst <= 1, "1h refresh, failing: at most 1 call in any 10 "
	    "minutes once backed off (%d)", worst);

	/* A day: at most one call an hour after the ramp-up. */
	n = attempts("ns/failing-0", 10000, HOUR_MS, 0, DAY_MS);
	ok(n <= 24 + 10, "1h refresh, failing: %d calls in a day", n);
	/* 24h refresh over 30 days: about one call a day. */
	n = attempts("ns/failing-0", 10000, DAY_MS, DAY_MS, 31 * DAY_MS);
	ok(n <= 30, "24h refresh, failing: %d calls in 30 days", n);
}

int
main(void)
{
	test_order();
	test_update_remove();
	test_urgent();
	test_large();
	test_jitter();
	test_backoff();
	test_failing_cost();
	return tap_done();
}
