/*
 * xsecretsd: keeps the targets of ExternalSecrets in sync with their
 * providers.
 *
 * main() parses the command line, hardens the process, loads providers and
 * manifests, and hands them to the reconciler.  In daemon mode the main
 * thread then only waits: on a signalfd for SIGHUP (reload), SIGTERM and
 * SIGINT (finish in-flight writes, then exit), and on inotify for changes
 * under --manifests (reload after a short quiet period, so that an editor
 * or a kubelet symlink swap causes one reload, not ten).  Every other thread
 * is created after the signals are blocked, so only the main thread sees
 * them.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "host.h"
#include "log.h"
#include "manifest.h"
#include "reconcile.h"
#include "status.h"
#include "target.h"

#define RELOAD_QUIET_MS	200	/* wait for writes to settle */
#define WATCH_MAX	4096	/* directories watched under --manifests */

struct options {
	const char	*manifests;
	const char	*output_dir;
	const char	*provider_dir;
	const char	*status_file;
	const char	*metrics_addr;
	const char	*controller;
	const char	*ca_file;
	char		**allow;
	size_t		 nallow;
	int		 concurrency;
	int		 once;
	int		 check;
	int		 log_level;
	int		 log_format;
};

static const struct option longopts[] = {
	{ "manifests",		required_argument, NULL, 'm' },
	{ "output-dir",		required_argument, NULL, 'o' },
	{ "provider-dir",	required_argument, NULL, 'p' },
	{ "status-file",	required_argument, NULL, 's' },
	{ "metrics-addr",	required_argument, NULL, 'M' },
	{ "controller",		required_argument, NULL, 'C' },
	{ "ca-file",		required_argument, NULL, 'A' },
	{ "allow-endpoint",	required_argument, NULL, 'E' },
	{ "concurrency",	required_argument, NULL, 'j' },
	{ "once",		no_argument,	   NULL, '1' },
	{ "check",		no_argument,	   NULL, 'n' },
	{ "log-level",		required_argument, NULL, 'l' },
	{ "log-format",		required_argument, NULL, 'f' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL,			0,		   NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: xsecretsd --manifests PATH [--output-dir DIR] [options]\n"
	    "\n"
	    "  -m, --manifests PATH       manifest file or directory\n"
	    "  -o, --output-dir DIR       where targets are written\n"
	    "  -p, --provider-dir DIR     provider modules (default %s)\n"
	    "  -s, --status-file FILE     status of every object, as JSON\n"
	    "  -1, --once                 sync once, print a table, exit\n"
	    "  -n, --check                validate manifests and stores, "
	    "no network\n"
	    "  -j, --concurrency N        provider calls in parallel "
	    "(default 8)\n"
	    "  -M, --metrics-addr ADDR    serve /metrics, /healthz, "
	    "/readyz on ADDR\n"
	    "  -E, --allow-endpoint PAT   also allow provider requests to "
	    "PAT\n"
	    "  -A, --ca-file FILE         CA bundle for provider TLS\n"
	    "  -C, --controller CLASS     only stores of this controller "
	    "class\n"
	    "  -l, --log-level LEVEL      error, warn, info (default), "
	    "debug\n"
	    "  -f, --log-format FORMAT    text (default) or json\n"
	    "  -V, --version              print the version and exit\n"
	    "  -h, --help                 print this help and exit\n",
	    PROVIDER_DIR);
}

static int
parse_options(int argc, char *argv[], struct options *o)
{
	char	*end;
	long	 n;
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->provider_dir = PROVIDER_DIR;
	o->concurrency = 8;
	o->log_level = XS_LOG_INFO;
	o->allow = xcalloc((size_t)argc, sizeof(*o->allow));

	while ((ch = getopt_long(argc, argv, "m:o:p:s:M:C:A:E:j:1nl:f:Vh",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'm': o->manifests = optarg; break;
		case 'o': o->output_dir = optarg; break;
		case 'p': o->provider_dir = optarg; break;
		case 's': o->status_file = optarg; break;
		case 'M': o->metrics_addr = optarg; break;
		case 'C': o->controller = optarg; break;
		case 'A': o->ca_file = optarg; break;
		case 'E': o->allow[o->nallow++] = optarg; break;
		case '1': o->once = 1; break;
		case 'n': o->check = 1; break;
		case 'j':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || n < 1 || n > 1024) {
				fprintf(stderr, "xsecretsd: --concurrency: "
				    "expected 1 to 1024, got \"%s\"\n",
				    optarg);
				return -1;
			}
			o->concurrency = (int)n;
			break;
		case 'l':
			if ((o->log_level = log_level_parse(optarg)) == -1) {
				fprintf(stderr, "xsecretsd: --log-level: "
				    "unknown level \"%s\"\n", optarg);
				return -1;
			}
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				o->log_format = LOG_FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				o->log_format = LOG_FORMAT_JSON;
			else {
				fprintf(stderr, "xsecretsd: --log-format: "
				    "expected text or json\n");
				return -1;
			}
			break;
		case 'V':
			printf("xsecretsd %s (provider ABI %d.%d)\n",
			    PACKAGE_VERSION, XS_ABI_MAJOR, XS_ABI_MINOR);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xsecretsd: unexpected argument \"%s\"\n",
		    argv[optind]);
		return -1;
	}
	if (o->manifests == NULL) {
		fprintf(stderr, "xsecretsd: --manifests is required\n");
		return -1;
	}
	if (o->output_dir == NULL && !o->check) {
		fprintf(stderr, "xsecretsd: --output-dir is required\n");
		return -1;
	}
	if (o->provider_dir[0] != '/') {
		fprintf(stderr, "xsecretsd: --provider-dir must be an "
		    "absolute path\n");
		return -1;
	}
	return 0;
}

/*
 * The metrics address: a bare port means that port on the loopback
 * address, so that exposing metrics beyond the host is always explicit.
 */
static const char *
metrics_address(const char *arg, char *buf, size_t len)
{
	if (arg == NULL || arg[0] == '\0' ||
	    strspn(arg, "0123456789") != strlen(arg))
		return arg;
	snprintf(buf, len, "127.0.0.1:%s", arg);
	return buf;
}

/*
 * Keeps secrets out of core dumps and away from ptrace by other users, and
 * makes every file the daemon creates private whatever the caller's umask.
 */
static void
harden(void)
{
	struct rlimit	rl = { 0, 0 };

	umask(077);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		log_warn("prctl(PR_SET_DUMPABLE)");
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		log_warn("setrlimit(RLIMIT_CORE)");
}

/* Logs every load problem; returns how many there were. */
static size_t
report_errors(const struct manifest_set *set)
{
	char	buf[1024];
	size_t	i;

	for (i = 0; i < set->nerrors; i++)
		log_warnx("%s", manifest_error_str(&set->errors[i], buf,
		    sizeof(buf)));
	return set->nerrors;
}

static struct manifest_set *
load_manifests(const char *path)
{
	struct manifest_set	*set;

	if ((set = manifest_load(path)) == NULL)
		fatalx("out of memory loading manifests");
	report_errors(set);
	log_info("loaded %zu stores, %zu externalsecrets, %zu secrets "
	    "from %s", set->nstores, set->ness, set->nsecrets, path);
	return set;
}

static void check_report(const struct store *, const char *, ...)
	    XS_PRINTF(2, 3);

/* Logs one --check finding about store st: "file:line: store ns/name: ". */
static void
check_report(const struct store *st, const char *fmt, ...)
{
	char	msg[DIAG_MSG_MAX + 64];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%u: store %s%s%s: %s", st->origin.file, st->origin.line,
	    st->ns, st->ns[0] ? "/" : "", st->name, msg);
}

/*
 * --check: validates every manifest and runs each store through its
 * provider's validate_store, which does no I/O.  Returns the number of
 * problems found.
 */
static int
check_all(const struct options *o, const struct provider_set *ps,
    const struct xs_host *host)
{
	struct manifest_set	*set;
	const struct provider	*p;
	const struct store	*st;
	struct xs_store		 xst;
	struct xs_diag		 d;
	size_t			 i;
	int			 problems, w;

	set = load_manifests(o->manifests);
	problems = (int)set->nerrors;
	for (i = 0; i < set->nstores; i++) {
		st = &set->stores[i];
		if ((p = loader_find(ps, st->provider)) == NULL) {
			check_report(st, "provider \"%s\" is not loaded",
			    st->provider);
			problems++;
			continue;
		}
		xst.store = st;
		xst.set = set;
		xst.desc = p->desc;
		diag_init(&d);
		host_enter(p->desc);
		if (p->desc->validate_store(host, &xst, &d) != XS_OK) {
			check_report(st, "%s", d.error[0] ? d.error :
			    "invalid provider configuration");
			problems++;
		}
		host_enter(NULL);
		for (w = 0; w < d.nwarnings; w++)
			check_report(st, "warning: %s", d.warnings[w]);
	}
	printf("%s: %zu stores, %zu externalsecrets, %d problem%s\n",
	    o->manifests, set->nstores, set->ness, problems,
	    problems == 1 ? "" : "s");
	manifest_free(set);
	return problems;
}

static int
run_once(struct reconciler *r)
{
	struct status_entry	*st;
	size_t			 n;
	int			 failed;

	failed = reconcile_once(r);
	if (reconcile_status(r, &st, &n) == 0) {
		status_print_table(stdout, st, n);
		free(st);
	}
	fflush(stdout);
	return failed == 0 ? 0 : 1;
}

/* Watches path and, when it is a directory, every directory below it. */
static void
watch_tree(int fd, const char *path, int depth, size_t *nwatch)
{
	const uint32_t	 mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
			    IN_CREATE | IN_DELETE | IN_DELETE_SELF |
			    IN_MOVE_SELF | IN_ATTRIB | IN_DONT_FOLLOW;
	struct dirent	*de;
	DIR		*dir;
	char		 sub[PATH_MAX];

	if (depth > 32 || *nwatch >= WATCH_MAX)
		return;
	if (inotify_add_watch(fd, path, mask) == -1) {
		if (errno != ENOTDIR)
			log_warn("inotify: %s", path);
		return;
	}
	(*nwatch)++;
	if ((dir = opendir(path)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
		    de->d_name) >= sizeof(sub))
			continue;
		watch_tree(fd, sub, depth + 1, nwatch);
	}
	closedir(dir);
}

/*
 * (Re)creates the inotify descriptor watching the manifests; -1 when inotify
 * is unavailable (SIGHUP still reloads).
 */
static int
watch_manifests(int old, const char *path)
{
	struct stat	sb;
	size_t		nwatch = 0;
	int		fd;

	if (old != -1)
		close(old);
	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("inotify_init1");
		return -1;
	}
	/* A file's directory is watched too, to see it replaced by rename. */
	if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
		char	dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash == NULL)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		watch_tree(fd, dir, 32, &nwatch);
	} else
		watch_tree(fd, path, 0, &nwatch);
	if (nwatch >= WATCH_MAX)
		log_warnx("%s: more than %d directories; changes below the "
		    "first %d are seen only on SIGHUP", path, WATCH_MAX,
		    WATCH_MAX);
	return fd;
}

static void
drain(int fd)
{
	char	buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void
reload(struct reconciler *r, const char *path, const char *why)
{
	log_info("reloading manifests (%s)", why);
	reconcile_apply(r, load_manifests(path));
}

/*
 * The daemon's main loop: returns when SIGTERM or SIGINT arrives.
 */
static void
serve(struct reconciler *r, const char *path, int sfd)
{
	struct signalfd_siginfo	 si;
	struct pollfd		 pfd[2];
	int			 ifd, pending = 0, n;

	ifd = watch_manifests(-1, path);
	for (;;) {
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = ifd;
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, pending ? RELOAD_QUIET_MS : -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (n == 0 && pending) {
			pending = 0;
			ifd = watch_manifests(ifd, path);
			reload(r, path, "manifests changed");
			continue;
		}
		if (ifd != -1 && (pfd[1].revents & POLLIN)) {
			drain(ifd);
			pending = 1;
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			pending = 0;
			ifd = watch_manifests(ifd, path);
			reload(r, path, "SIGHUP");
			continue;
		}
		log_info("%s: finishing in-flight work",
		    si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	if (ifd != -1)
		close(ifd);
}

int
main(int argc, char *argv[])
{
	struct options		 o;
	struct host_config	 hc;
	struct provider_set	 ps;
	struct reconcile_config	 rc;
	struct reconciler	*r;
	struct target_root	*root;
	const struct xs_host	*host;
	sigset_t		 sigs;
	char			 err[512], maddr[64];
	int			 sfd, status, zeroed;

	/* Before anything allocates through OpenSSL. */
	zeroed = xs_zero_library_heaps();
	if (parse_options(argc, argv, &o) == -1) {
		free(o.allow);
		return 2;
	}
	log_init(o.log_level, o.log_format);
	harden();
	if (zeroed == -1)
		log_warnx("OpenSSL's freed memory will not be zeroed: it "
		    "allocated before main");
#ifdef __GLIBC__
	/*
	 * glibc gives each thread its own malloc arena, up to eight a CPU.
	 * Workers spend their time waiting on the network, so sharing two
	 * arenas costs them nothing, while sixteen arenas each keep their
	 * own free pages: about 1 MiB more at the peak of a cold sync.
	 */
	mallopt(M_ARENA_MAX, 2);
#endif

	/* Only the main thread takes signals, through a signalfd. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) == -1)
		fatal("sigprocmask");
	if ((sfd = signalfd(-1, &sigs, SFD_CLOEXEC)) == -1)
		fatal("signalfd");

	memset(&hc, 0, sizeof(hc));
	hc.ca_file = o.ca_file;
	hc.allow = o.allow;
	hc.nallow = o.nallow;
	if ((host = host_init(&hc)) == NULL)
		fatalx("cannot initialise the provider host API");

	memset(&ps, 0, sizeof(ps));
	if (loader_load_dir(o.provider_dir, &ps) == -1)
		log_warnx("no providers loaded from %s", o.provider_dir);

	if (o.check) {
		status = check_all(&o, &ps, host) == 0 ? 0 : 1;
		goto done;
	}

	if ((root = target_open(o.output_dir, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	target_cleanup(root);

	memset(&rc, 0, sizeof(rc));
	rc.host = host;
	rc.providers = &ps;
	rc.targets = root;
	rc.status_file = o.status_file;
	rc.controller = o.controller;
	rc.concurrency = o.concurrency;
	rc.metrics_addr = metrics_address(o.metrics_addr, maddr,
	    sizeof(maddr));
	rc.progress = o.once;
	if ((r = reconcile_new(&rc, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	reconcile_apply(r, load_manifests(o.manifests));

	if (o.once)
		status = run_once(r);
	else {
		if (reconcile_start(r) == -1)
			fatalx("cannot start the reconciler");
		log_info("xsecretsd %s started: %zu provider%s, output %s",
		    PACKAGE_VERSION, ps.nproviders,
		    ps.nproviders == 1 ? "" : "s", o.output_dir);
		serve(r, o.manifests, sfd);
		reconcile_stop(r);
		status = 0;
	}
	reconcile_free(r);
	target_close(root);
done:
	loader_free(&ps);
	host_shutdown();
	free(o.allow);
	close(sfd);
	return status;
}
