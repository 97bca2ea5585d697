/*
 * bareclient: sends presigned GetSecretValue requests through libcurl and
 * does nothing else.
 *
 * The benchmark compares the daemon's cold sync with wrk sending the same
 * requests.  The two clients differ in more than the daemon's own work:
 * wrk is one event loop, the daemon makes its requests through libcurl
 * from a pool of threads, each blocked in curl_easy_perform.  This program
 * is that second kind of client with nothing around it: CONCURRENCY
 * threads, one easy handle each, set up once and kept (so one connection a
 * thread, as in the daemon), each taking the next request until all are
 * sent.  No signing (bench/presign did it), no parsing of the answers, no
 * files.  Its rate against the same emulator bounds what any client built
 * on libcurl's easy interface reaches, and its CPU time is what such a
 * client spends on its requests alone.
 *
 * usage: bareclient URL CAFILE REQUESTS CONCURRENCY
 *
 * URL is the emulator's base ("https://127.0.0.1:PORT"); REQUESTS is
 * presign's output, one request a line, CRLF written as tabs.  TLS is
 * verified against CAFILE, as the daemon verifies it.  The Host and
 * Content-Length headers of the file are left to libcurl, which writes
 * the same ones.  One line on stdout at the end:
 *
 *	BARECLIENT requests=N ok=N seconds=S cpu=S
 *
 * ok counts HTTP 200 answers; seconds is the monotonic time from the
 * threads' start (so the TLS handshakes count, as they do in the daemon's
 * cold sync) to the last answer, and cpu the process's user and system
 * time over the same span.  Exits 1 on a bad file or when a thread cannot
 * start.
 */
#include <sys/resource.h>
#include <sys/time.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#define BARE_MAX_REQUESTS	10000000L
#define BARE_MAX_THREADS	256
#define BARE_MAX_LINE		8192

struct bare_req {
	char			*url;
	struct curl_slist	*hdrs;
};

struct bare {
	struct bare_req	*req;
	long		 nreq;
	const char	*cafile;
	long		 next;		/* atomic: the next request to send */
	long		 ok;		/* atomic: 200 answers */
};

/* Says what went wrong and exits 1; callable from any thread. */
static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "bareclient: %s\n", what);
	exit(1);
}

/* The answer's body is not looked at. */
static size_t
bare_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* Appends a copy of h to l and returns the list; dies if out of memory. */
static struct curl_slist *
bare_header(struct curl_slist *l, const char *h)
{
	struct curl_slist	*n;

	if ((n = curl_slist_append(l, h)) == NULL)
		die("out of memory");
	return n;
}

/*
 * One line of presign's output into a URL and a header list.  The method
 * is always POST with an empty body.
 */
static void
bare_parse(const char *base, char *line, struct bare_req *r)
{
	char	*save, *f, *path, *sp;
	size_t	 n;

	if ((f = strtok_r(line, "\t\n", &save)) == NULL ||
	    strncmp(f, "POST ", 5) != 0)
		die("a request line is not POST");
	path = f + 5;
	if ((sp = strchr(path, ' ')) == NULL)
		die("a request line has no version");
	*sp = '\0';
	n = strlen(base) + strlen(path) + 1;
	if ((r->url = malloc(n)) == NULL)
		die("out of memory");
	snprintf(r->url, n, "%s%s", base, path);
	while ((f = strtok_r(NULL, "\t\n", &save)) != NULL) {
		if (strncasecmp(f, "Host:", 5) == 0 ||
		    strncasecmp(f, "Content-Length:", 15) == 0)
			continue;
		r->hdrs = bare_header(r->hdrs, f);
	}
	/* libcurl would add these two to a POST; wrk sends neither. */
	r->hdrs = bare_header(r->hdrs, "Content-Type:");
	r->hdrs = bare_header(r->hdrs, "Expect:");
}

/*
 * Reads presign's file at path into b->req, each URL on base.  Dies on a
 * file it cannot read, a line over BARE_MAX_LINE bytes, more than
 * BARE_MAX_REQUESTS requests, or none.
 */
static void
bare_read(struct bare *b, const char *base, const char *path)
{
	FILE	*f;
	char	*line;
	long	 cap = 1024;

	if ((f = fopen(path, "r")) == NULL)
		die("cannot open the requests");
	if ((line = malloc(BARE_MAX_LINE)) == NULL ||
	    (b->req = calloc((size_t)cap, sizeof(*b->req))) == NULL)
		die("out of memory");
	while (fgets(line, BARE_MAX_LINE, f) != NULL) {
		if (strchr(line, '\n') == NULL)
			die("a request is too long");
		if (b->nreq == cap) {
			if (cap >= BARE_MAX_REQUESTS)
				die("too many requests");
			cap *= 2;
			b->req = reallocarray(b->req, (size_t)cap,
			    sizeof(*b->req));
			if (b->req == NULL)
				die("out of memory");
		}
		memset(&b->req[b->nreq], 0, sizeof(*b->req));
		bare_parse(base, line, &b->req[b->nreq++]);
	}
	if (ferror(f) || b->nreq == 0)
		die("no requests read");
	fclose(f);
	free(line);
}

/* A worker: one easy handle, requests until none is left. */
static void *
bare_worker(void *arg)
{
	struct bare	*b = arg;
	CURL		*h;
	long		 i, code;

	if ((h = curl_easy_init()) == NULL)
		die("curl_easy_init failed");
	curl_easy_setopt(h, CURLOPT_CAINFO, b->cafile);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, bare_discard);
	for (;;) {
		i = __atomic_fetch_add(&b->next, 1, __ATOMIC_RELAXED);
		if (i >= b->nreq)
			break;
		curl_easy_setopt(h, CURLOPT_URL, b->req[i].url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, b->req[i].hdrs);
		if (curl_easy_perform(h) != CURLE_OK)
			continue;
		if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) ==
		    CURLE_OK && code == 200)
			__atomic_fetch_add(&b->ok, 1, __ATOMIC_RELAXED);
	}
	curl_easy_cleanup(h);
	return NULL;
}

/* The process's user and system time so far, all threads, in seconds. */
static double
cpu_seconds(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The monotonic clock, in seconds. */
static double
mono_seconds(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct bare	 b;
	pthread_t	 t[BARE_MAX_THREADS];
	double		 t0, t1, c0, c1;
	char		*end = NULL;
	long		 conc = 0, i;

	if (argc == 5)
		conc = strtol(argv[4], &end, 10);
	if (end == NULL || *end != '\0' || conc < 1 ||
	    conc > BARE_MAX_THREADS) {
		fprintf(stderr, "usage: bareclient URL CAFILE REQUESTS "
		    "CONCURRENCY (1 to %d)\n", BARE_MAX_THREADS);
		return 2;
	}
	memset(&b, 0, sizeof(b));
	b.cafile = argv[2];
	bare_read(&b, argv[1], argv[3]);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("curl_global_init failed");

	c0 = cpu_seconds();
	t0 = mono_seconds();
	for (i = 0; i < conc; i++)
		if (pthread_create(&t[i], NULL, bare_worker, &b) != 0)
			die("cannot start a thread");
	for (i = 0; i < conc; i++)
		pthread_join(t[i], NULL);
	t1 = mono_seconds();
	c1 = cpu_seconds();

	printf("BARECLIENT requests=%ld ok=%ld seconds=%.6f cpu=%.3f\n",
	    b.nreq, b.ok, t1 - t0, c1 - c0);
	for (i = 0; i < b.nreq; i++) {
		free(b.req[i].url);
		curl_slist_free_all(b.req[i].hdrs);
	}
	free(b.req);
	curl_global_cleanup();
	return fflush(stdout) == EOF ? 1 : 0;
}
