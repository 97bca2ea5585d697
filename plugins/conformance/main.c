/*
 * xsecrets-conformance: runs a provider module through ordered groups of
 * checks and reports each finding with the rule of xsecrets-provider(7) it
 * enforces.
 *
 * Each group runs in a child process with a time limit.  The child's
 * stdout and stderr go to files of their own (anything the provider writes
 * there is a finding), and its results to a third file, one record a line:
 *
 *	B <id>			the check starts
 *	R <id> <status> <text>	its outcome: pass, fail or skip
 *	E			the group finished
 *
 * The parent reads the records once the child is gone.  A child that dies
 * or outlives its time limit without its E record is reported by PROC-001,
 * naming the check that was running; the checks it did not reach are
 * skipped.  Results are printed as TAP on stdout, in the order of the table
 * below, and optionally as a JSON report.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "conformance.h"

#define SKIPS_MAX	64
#define MSG_MAX		512
#define GROUP_PARENT	-1	/* evaluated by the parent */

#define SEC_DESC	"THE DESCRIPTOR"
#define SEC_FUNCS	"PROVIDER FUNCTIONS"
#define SEC_HOST	"THE HOST API"
#define SEC_OWN		"OWNERSHIP"
#define SEC_THREADS	"THREADING"
#define SEC_CODES	"STATUS CODES"
#define SEC_VERSION	"VERSIONING"
#define SEC_RULES	"RESTRICTIONS"
#define SEC_BUILD	"BUILDING"

const struct check checks[] = {
	{ "STATIC-001", GROUP_STATIC, LEVEL_BASIC, "error", SEC_RULES,
	  "only xs_provider_entry is exported",
	  "other exported symbols can interpose on the daemon's" },
	{ "STATIC-002", GROUP_STATIC, LEVEL_STANDARD, "error", SEC_RULES,
	  "no reference to a banned function",
	  "process state, global library state and stdio belong to the "
	  "daemon" },
	{ "STATIC-003", GROUP_STATIC, LEVEL_STANDARD, "error", SEC_BUILD,
	  "the file and its directory are safe to load from",
	  "the daemon refuses a module that another user could replace" },
	{ "LOAD-001", GROUP_LOAD, LEVEL_BASIC, "error", SEC_BUILD,
	  "loads with RTLD_NOW and returns one constant descriptor",
	  "unresolved symbols must fail at load, not at first use" },
	{ "LOAD-003", GROUP_LOAD, LEVEL_BASIC, "error", SEC_VERSION,
	  "the ABI version is one this host accepts",
	  "the daemon refuses another ABI before running any other code" },
	{ "LOAD-002", GROUP_LOAD, LEVEL_BASIC, "error", SEC_DESC,
	  "the descriptor is complete and well-formed",
	  "the host validates the descriptor before it calls the provider" },
	{ "LOAD-004", GROUP_LOAD, LEVEL_BASIC, "error", SEC_DESC,
	  "the provider's name is the file's name",
	  "stores name providers by the key under spec.provider" },
	{ "CONTRACT-001", GROUP_CONTRACT, LEVEL_BASIC, "error", SEC_FUNCS,
	  "validate_store accepts every valid fixture store",
	  "a valid store must never be reported invalid" },
	{ "CONTRACT-002", GROUP_CONTRACT, LEVEL_BASIC, "error", SEC_CODES,
	  "validate_store rejects each invalid store with a message",
	  "users fix stores from the message; INVALID stops the retries" },
	{ "CONTRACT-003", GROUP_CONTRACT, LEVEL_STANDARD, "error", SEC_FUNCS,
	  "validate_store does no I/O",
	  "xsecretsd --check validates stores without network or secrets" },
	{ "CONTRACT-004", GROUP_CONTRACT, LEVEL_BASIC, "error", SEC_FUNCS,
	  "auth builds clients; its failures use documented codes",
	  "the reconciler acts on the code of a failed auth" },
	{ "CONTRACT-005", GROUP_CONTRACT, LEVEL_BASIC, "error", SEC_FUNCS,
	  "get_secret returns the expected bytes",
	  "targets must hold exactly the remote value" },
	{ "CONTRACT-006", GROUP_CONTRACT, LEVEL_BASIC, "error", SEC_CODES,
	  "a missing key is exactly XS_ERR_NOT_FOUND",
	  "deletionPolicy depends on telling a deleted secret from a failure"
	},
	{ "CONTRACT-007", GROUP_CONTRACT, LEVEL_STANDARD, "error", SEC_FUNCS,
	  "calls are repeatable",
	  "the reconciler calls the same reference every refresh" },
	{ "CONTRACT-008", GROUP_CONTRACT, LEVEL_STRICT, "error", SEC_THREADS,
	  "get_secret is safe to call concurrently on one client",
	  "workers share one client per store" },
	{ "CONTRACT-009", GROUP_CONTRACT, LEVEL_STANDARD, "error", SEC_RULES,
	  "no fixture secret in a log line, error or warning",
	  "logs, status and events are not secret" },
	{ "CONTRACT-010", GROUP_CONTRACT, LEVEL_STANDARD, "error", SEC_OWN,
	  "nothing leaks after close, no free into the wrong family",
	  "the daemon runs for months and rebuilds clients" },
	{ "CONTRACT-011", GROUP_PARENT, LEVEL_STANDARD, "error", SEC_RULES,
	  "nothing is written to stdout or stderr",
	  "the daemon's standard streams carry its own output" },
	{ "CONTRACT-012", GROUP_CONTRACT, LEVEL_STANDARD, "error", SEC_FUNCS,
	  "get_secret_map returns the expected members",
	  "dataFrom.extract must hold exactly the remote members" },
	{ "CONTRACT-013", GROUP_CONTRACT, LEVEL_STANDARD, "warning",
	  SEC_CODES,
	  "every code is documented and every error has a message",
	  "an unknown code is treated as INTERNAL; users read the message" },
	{ "ROBUST-001", GROUP_ROBUST, LEVEL_STRICT, "error", SEC_CODES,
	  "each failing allocation gives an error code, never a wrong value",
	  "memory runs out under load; the daemon must survive it" },
	{ "ROBUST-002", GROUP_ROBUST, LEVEL_STRICT, "error", SEC_OWN,
	  "a failed allocation leaks nothing",
	  "error paths run for months too" },
	{ "ROBUST-003", GROUP_ROBUST, LEVEL_STRICT, "error", SEC_CODES,
	  "HTTP faults map to the documented codes",
	  "retries, backoff and deletion depend on the code" },
	{ "ROBUST-004", GROUP_ROBUST, LEVEL_STRICT, "warning", SEC_THREADS,
	  "deadlines are honoured under timeouts",
	  "a call may not block longer than its requests' timeouts" },
	{ "PROC-001", GROUP_PARENT, LEVEL_BASIC, "error", SEC_RULES,
	  "no group crashes or hangs",
	  "a provider runs inside the daemon" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL }
};

#define ST_NOTRUN	0
#define ST_PASS		1
#define ST_FAIL		2
#define ST_SKIP		3

struct outcome {
	int	status;
	char	msg[MSG_MAX];
};

static struct options	 opts;
static struct outcome	 outcomes[64];
static const char	*skips[SKIPS_MAX];
static int		 nskips;
static FILE		*results;	/* the child's result file */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: xsecrets-conformance [--fixtures file] "
	    "[--level n] [--seed n]\n\t[--repeat n] [--timeout seconds] "
	    "[--skip id] [--report file] provider.so\n");
	exit(1);
}

const struct check *
check_find(const char *id)
{
	size_t	i;

	for (i = 0; checks[i].id != NULL; i++)
		if (strcmp(checks[i].id, id) == 0)
			return &checks[i];
	return NULL;
}

static int
check_index(const char *id)
{
	const struct check	*c = check_find(id);

	return c == NULL ? -1 : (int)(c - checks);
}

int
check_wanted(const char *id)
{
	const struct check	*c = check_find(id);
	int			 i;

	if (c == NULL || c->level > opts.level)
		return 0;
	for (i = 0; i < nskips; i++)
		if (strcmp(skips[i], id) == 0)
			return 0;
	return 1;
}

/* Writes one record; msg loses its tabs and newlines. */
static void
record(const char *id, const char *status, char *msg)
{
	char	*p;

	if (!check_wanted(id))
		return;
	for (p = msg; *p != '\0'; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(results, "R\t%s\t%s\t%s\n", id, status, msg);
	fflush(results);
}

/* Notes that check id starts, so that a crash can name it. */
void
result_begin(const char *id)
{
	fprintf(results, "B\t%s\n", id);
	fflush(results);
}

void
result_pass(const char *id)
{
	char	msg[1] = "";

	record(id, "pass", msg);
}

void
result_fail(const char *id, const char *fmt, ...)
{
	char	msg[MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	record(id, "fail", msg);
}

void
result_skip(const char *id, const char *fmt, ...)
{
	char	msg[MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	record(id, "skip", msg);
}

static void
set_outcome(const char *id, int status, const char *msg)
{
	int	i = check_index(id);

	if (i < 0)
		return;
	outcomes[i].status = status;
	snprintf(outcomes[i].msg, sizeof(outcomes[i].msg), "%s", msg);
}

/* Reads a child's records; returns 1 when it finished the group. */
static int
read_results(FILE *f, char *last, size_t lastlen)
{
	char	 line[MSG_MAX + 128], *id, *st, *msg, *save;
	int	 done = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "E") == 0) {
			done = 1;
			continue;
		}
		if (strtok_r(line, "\t", &save) == NULL ||
		    (id = strtok_r(NULL, "\t", &save)) == NULL)
			continue;
		if (line[0] == 'B') {
			snprintf(last, lastlen, "%s", id);
			continue;
		}
		if ((st = strtok_r(NULL, "\t", &save)) == NULL)
			continue;
		msg = strtok_r(NULL, "", &save);
		set_outcome(id, strcmp(st, "pass") == 0 ? ST_PASS :
		    strcmp(st, "fail") == 0 ? ST_FAIL : ST_SKIP,
		    msg != NULL ? msg : "");
	}
	return done;
}

static long
file_size(FILE *f)
{
	struct stat	sb;

	return fstat(fileno(f), &sb) == -1 ? 0 : (long)sb.st_size;
}

/* Waits for pid up to the time limit; kills it after.  -1 on timeout. */
static int
wait_child(pid_t pid, int *status)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	long		 waited;
	pid_t		 r;

	for (waited = 0; waited < opts.timeout * 100L; waited++) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			return 0;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -1;
}

static void (*const group_fn[NGROUPS])(const struct options *) = {
	group_static, group_load, group_contract, group_robust
};
static const char *const group_name[NGROUPS] = {
	"static", "load", "contract", "robustness"
};

/* Copies the first lines a crashed child wrote to stderr, as TAP notes. */
static void
save_stderr(FILE *err, char *buf, size_t len)
{
	char	line[256];
	size_t	n;
	int	k = 0;

	rewind(err);
	while (k++ < 8 && fgets(line, sizeof(line), err) != NULL) {
		n = strlen(buf);
		snprintf(buf + n, len - n, "#   %s%s", line,
		    strchr(line, '\n') == NULL ? "\n" : "");
	}
}

/*
 * Runs group g in a child; accumulates the crash and output findings of
 * the parent-evaluated checks in crash and output.
 */
static void
run_group(int g, char *crash, size_t crashlen, char *output,
    size_t outlen, char *notes, size_t noteslen)
{
	FILE	*res, *out, *err;
	char	 last[64] = "";
	pid_t	 pid;
	int	 status = 0, timedout, done, i, n;

	for (i = 0; checks[i].id != NULL; i++)
		if (checks[i].group == g && check_wanted(checks[i].id))
			break;
	if (checks[i].id == NULL)
		return;
	if ((res = tmpfile()) == NULL || (out = tmpfile()) == NULL ||
	    (err = tmpfile()) == NULL) {
		fprintf(stderr, "xsecrets-conformance: tmpfile: %s\n",
		    strerror(errno));
		exit(1);
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "xsecrets-conformance: fork: %s\n",
		    strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		results = res;
		if (dup2(fileno(out), STDOUT_FILENO) == -1 ||
		    dup2(fileno(err), STDERR_FILENO) == -1)
			_exit(2);
		group_fn[g](&opts);
		fprintf(results, "E\n");
		fflush(results);
		_exit(0);
	}
	timedout = wait_child(pid, &status) == -1;
	done = read_results(res, last, sizeof(last));
	if (!done || timedout) {
		n = (int)strlen(crash);
		if (timedout)
			snprintf(crash + n, crashlen - n, "%s%s group: no end "
			    "after %d s, in %s", n > 0 ? "; " : "",
			    group_name[g], opts.timeout, last);
		else if (WIFSIGNALED(status))
			snprintf(crash + n, crashlen - n, "%s%s group: killed "
			    "by signal %d in %s", n > 0 ? "; " : "",
			    group_name[g], WTERMSIG(status), last);
		else
			snprintf(crash + n, crashlen - n, "%s%s group: exit %d "
			    "in %s", n > 0 ? "; " : "", group_name[g],
			    WEXITSTATUS(status), last);
		save_stderr(err, notes, noteslen);
	}
	if (g != GROUP_STATIC && (file_size(out) > 0 ||
	    (done && file_size(err) > 0))) {
		n = (int)strlen(output);
		snprintf(output + n, outlen - n, "%s%s group: %ld bytes on "
		    "stdout, %ld on stderr", n > 0 ? "; " : "", group_name[g],
		    file_size(out), done ? file_size(err) : 0L);
	}
	fclose(res);
	fclose(out);
	fclose(err);
}

static int
report_json(const char *path, int failed)
{
	cJSON	*root, *list, *c;
	char	*text;
	FILE	*f;
	int	 i, rc = -1;
	static const char *const names[] = { "skip", "pass", "fail", "skip" };

	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "provider", opts.path);
	cJSON_AddNumberToObject(root, "level", opts.level);
	cJSON_AddNumberToObject(root, "seed", (double)opts.seed);
	cJSON_AddBoolToObject(root, "passed", !failed);
	list = cJSON_AddArrayToObject(root, "checks");
	for (i = 0; checks[i].id != NULL; i++) {
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "id", checks[i].id);
		cJSON_AddStringToObject(c, "severity", checks[i].severity);
		cJSON_AddNumberToObject(c, "level", checks[i].level);
		cJSON_AddStringToObject(c, "section", checks[i].section);
		cJSON_AddStringToObject(c, "title", checks[i].title);
		cJSON_AddStringToObject(c, "rationale", checks[i].rationale);
		cJSON_AddStringToObject(c, "result",
		    names[outcomes[i].status]);
		cJSON_AddStringToObject(c, "message", outcomes[i].msg);
		cJSON_AddItemToArray(list, c);
	}
	if ((text = cJSON_Print(root)) != NULL &&
	    (f = fopen(path, "w")) != NULL) {
		rc = fprintf(f, "%s\n", text) < 0 ? -1 : 0;
		if (fclose(f) != 0)
			rc = -1;
	}
	free(text);
	cJSON_Delete(root);
	return rc;
}

/* Prints the TAP stream; returns 1 when a check failed that counts. */
static int
report_tap(const char *notes)
{
	const struct check	*c;
	const struct outcome	*o;
	int			 i, failed = 0, counts;

	printf("# xsecrets-conformance %s: level %d, seed %llu\n", opts.path,
	    opts.level, (unsigned long long)opts.seed);
	for (i = 0; checks[i].id != NULL; i++) {
		c = &checks[i];
		o = &outcomes[i];
		if (o->status != ST_FAIL) {
			printf("ok %d - %s %s", i + 1, c->id, c->title);
			if (o->status != ST_PASS)
				printf(" # SKIP %s", o->msg[0] != '\0' ?
				    o->msg : "not run at this level");
			printf("\n");
			continue;
		}
		counts = strcmp(c->severity, "error") == 0 ||
		    opts.level >= LEVEL_STRICT;
		printf("not ok %d - %s %s%s\n", i + 1, c->id, c->title,
		    counts ? "" : " # TODO warning below --level strict");
		printf("#   %s\n#   why: %s\n#   see xsecrets-provider(7), "
		    "%s\n", o->msg, c->rationale, c->section);
		if (strcmp(c->id, "PROC-001") == 0)
			printf("%s", notes);
		failed |= counts;
	}
	printf("1..%d\n", i);
	return failed;
}

static int
parse_level(const char *s)
{
	if (strcmp(s, "1") == 0 || strcmp(s, "basic") == 0)
		return LEVEL_BASIC;
	if (strcmp(s, "2") == 0 || strcmp(s, "standard") == 0)
		return LEVEL_STANDARD;
	if (strcmp(s, "3") == 0 || strcmp(s, "strict") == 0)
		return LEVEL_STRICT;
	return -1;
}

static long
parse_num(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max)
		usage();
	return v;
}

/* Makes path absolute without resolving links, for dlopen. */
static char *
absolute(const char *path)
{
	char	cwd[PATH_MAX], *p;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    asprintf(&p, "%s/%s", cwd, path) == -1)
		return NULL;
	return p;
}

static void
parse_options(int argc, char **argv, const char **report)
{
	static const struct option longopts[] = {
		{ "fixtures", required_argument, NULL, 'f' },
		{ "level", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "skip", required_argument, NULL, 'k' },
		{ "report", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	opts.level = LEVEL_STANDARD;
	opts.seed = 1;
	opts.repeat = 3;
	opts.timeout = 60;
	while ((ch = getopt_long(argc, argv, "f:l:s:r:t:k:o:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			opts.fixtures = optarg;
			break;
		case 'l':
			if ((opts.level = parse_level(optarg)) == -1)
				usage();
			break;
		case 's':
			opts.seed = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			opts.repeat = (int)parse_num(optarg, 1, 1000);
			break;
		case 't':
			opts.timeout = (int)parse_num(optarg, 1, 3600);
			break;
		case 'k':
			if (nskips == SKIPS_MAX || check_find(optarg) == NULL)
				usage();
			skips[nskips++] = optarg;
			break;
		case 'o':
			*report = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if ((opts.path = absolute(argv[optind])) == NULL) {
		fprintf(stderr, "xsecrets-conformance: %s: %s\n",
		    argv[optind], strerror(errno));
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	static struct fixtures fx;
	const char	*report = NULL;
	char		 err[512], crash[1024] = "", output[1024] = "";
	char		 notes[4096] = "";
	int		 g, i, failed;

	parse_options(argc, argv, &report);
	if (opts.fixtures != NULL &&
	    fixtures_load(opts.fixtures, &fx, err, sizeof(err)) == -1) {
		fprintf(stderr, "xsecrets-conformance: %s\n", err);
		return 1;
	}
	for (i = 0; checks[i].id != NULL; i++)
		if (!check_wanted(checks[i].id))
			outcomes[i].status = ST_SKIP;
	for (g = 0; g < NGROUPS; g++)
		run_group(g, crash, sizeof(crash), output, sizeof(output),
		    notes, sizeof(notes));
	for (i = 0; checks[i].id != NULL; i++)
		if (outcomes[i].status == ST_NOTRUN)
			set_outcome(checks[i].id, ST_SKIP, check_wanted(
			    checks[i].id) ? "its group stopped early" : "");
	if (check_wanted("PROC-001"))
		set_outcome("PROC-001", crash[0] != '\0' ? ST_FAIL : ST_PASS,
		    crash);
	if (check_wanted("CONTRACT-011"))
		set_outcome("CONTRACT-011", output[0] != '\0' ? ST_FAIL :
		    ST_PASS, output);
	failed = report_tap(notes);
	if (report != NULL && report_json(report, failed) == -1) {
		fprintf(stderr, "xsecrets-conformance: %s: cannot write the "
		    "report\n", report);
		return 1;
	}
	return failed ? 1 : 0;
}
