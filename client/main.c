/* main.c: ftclient's options and the run: open N connections, wait until
 * the server has taken them all, get the operator's go, start them
 * together, show progress, write the log and say how it went. */
#include "ftclient.h"
#include "ft_io.h"
#include "ft_opt.h"
#include "ft_sys.h"
#include "ft_time.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 200
/* Long options without a letter. */
enum { OPT_JSON = 256, OPT_JSON_STREAM };
/* -i: samples every 10 ms at the finest (the tick's own cost, a read of
 * each connection's counters, stays far below the transfer's), a minute
 * at the coarsest; 0 turns them off. */
#define INTERVAL_DEFAULT_NS (100 * 1000000LL)
#define INTERVAL_MIN_S 0.01
#define INTERVAL_MAX_S 60.0

static const struct option long_options[] = {
	{ "clients", required_argument, NULL, 'c' },
	{ "host", required_argument, NULL, 'H' },
	{ "port", required_argument, NULL, 'P' },
	{ "udp", no_argument, NULL, 'u' },
	{ "file", required_argument, NULL, 'f' },
	{ "yes", no_argument, NULL, 'y' },
	{ "out", required_argument, NULL, 'o' },
	{ "logs", required_argument, NULL, 'L' },
	{ "timeout", required_argument, NULL, 't' },
	{ "queue-timeout", required_argument, NULL, 'Q' },
	{ "keep-failed", no_argument, NULL, 'K' },
	{ "list", no_argument, NULL, 'l' },
	{ "interval", required_argument, NULL, 'i' },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "json-stream", no_argument, NULL, OPT_JSON_STREAM },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code ? stderr : stdout,
"usage: ftclient -c N [-H HOST] [-P PORT] [-u] [-f NAME] [-y] [-o DIR]\n"
"                [-L DIR] [-t SECONDS] [--queue-timeout SECONDS] [--keep-failed]\n"
"                [-i SECONDS] [--json FILE] [--json-stream]\n"
"       ftclient --list [-H HOST] [-P PORT]\n"
"Receives a file from ftserver over N connections that start together,\n"
"verifies each copy by SHA-256 and logs the test.\n"
"  -c, --clients N   concurrent connections, 1..%d (required)\n"
"  -H, --host HOST   server (default 127.0.0.1)\n"
"  -P, --port PORT   server port (default 5005)\n"
"  -u, --udp         receive over UDP\n"
"  -f, --file NAME   ask for this catalogue file (default: the server's)\n"
"  -y, --yes         start without asking for confirmation\n"
"  -o, --out DIR     received files (default ArchivosRecibidos)\n"
"  -L, --logs DIR    test logs (default Logs)\n"
"  -t, --timeout S   wait for each answer of the server at most S, and\n"
"                    for a busy server at most S in all (default 120)\n"
"      --queue-timeout S  wait queued for seats at most S (default 600)\n"
"      --keep-failed  keep a copy that failed as ClienteK-Prueba-N-failed.txt\n"
"  -i, --interval S  progress samples every S seconds, %g..%g, 0 for none\n"
"                    (default 0.1), in ...-samples.tsv beside the log\n"
"      --json FILE   the test as one JSON document (iperf3's names);\n"
"                    FILE - is stdout, and then nothing else goes there\n"
"      --json-stream one JSON event a line on stdout (start, interval...,\n"
"                    end), instead of the progress and the summary\n"
"  -l, --list        print the server's catalogue and exit\n"
"Exit status: 0 all verified, 1 a transfer failed, 2 misuse.\n",
	    FT_CLIENT_MAX, INTERVAL_MIN_S, INTERVAL_MAX_S);
	exit(code);
}

static long long
number(const char *arg, long long min, long long max, const char *what)
{
	return ft_option_number(arg, min, max, what, usage);
}

/* -i: decimal seconds ("0.05", "2"), 0 or within the bounds. Digits
 * and one point only: no sign, exponent, hex, inf or nan. */
static int64_t
interval_ns(const char *arg)
{
	size_t digits = strspn(arg, "0123456789.");
	const char *point = strchr(arg, '.');
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (digits == 0 || arg[digits] != '\0' || *end != '\0' || errno != 0 ||
	    (point != NULL && strchr(point + 1, '.') != NULL) ||
	    (v != 0 && (v < INTERVAL_MIN_S || v > INTERVAL_MAX_S))) {
		warnx("interval %s: seconds, 0 (no samples) or %g to %g", arg,
		    INTERVAL_MIN_S, INTERVAL_MAX_S);
		usage(2);
	}
	return (int64_t)(v * 1e9 + 0.5);
}

static void
parse_options(struct client_opts *o, int argc, char **argv)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "c:H:P:uf:yo:L:t:Q:Kli:hV",
	    long_options, NULL)) != -1) {
		switch (ch) {
		case 'c': o->clients = (unsigned)number(optarg, 1, FT_CLIENT_MAX, "clients"); break;
		case 'H': o->host = optarg; break;
		case 'P': number(optarg, 1, 65535, "port"); o->port = optarg; break;
		case 'u': o->udp = true; break;
		case 'f':
			if (!ft_name_valid(optarg)) {
				warnx("file %s: not a catalogue name (no '/', no '..')",
				    optarg);
				usage(2);
			}
			o->file = optarg;
			break;
		case 'y': o->yes = true; break;
		case 'o': o->out_dir = optarg; break;
		case 'L': o->logs_dir = optarg; break;
		case 't': o->timeout_s = (int)number(optarg, 1, 86400, "timeout"); break;
		case 'K': o->keep_failed = true; break;
		case 'Q': o->queue_timeout_s = (int)number(optarg, 1, 86400, "queue timeout"); break;
		case 'l': o->list = true; break;
		case 'i': o->interval_ns = interval_ns(optarg); break;
		case OPT_JSON:
			if (optarg[0] == '\0')
				errx(2, "--json: a file name, or - for stdout");
			o->json_path = optarg;
			break;
		case OPT_JSON_STREAM: o->json_stream = true; break;
		case 'V': printf("ftclient %s\n", FT_VERSION); exit(0);
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (optind != argc) {
		warnx("unexpected argument: %s", argv[optind]);
		usage(2);
	}
	if (o->clients == 0 && !o->list) {
		warnx("how many connections? use -c N");
		usage(2);
	}
	if (o->json_stream && o->json_path != NULL &&
	    strcmp(o->json_path, "-") == 0) {
		warnx("--json - and --json-stream both want stdout: choose one");
		usage(2);
	}
	if (strlen(o->logs_dir) > FT_LOGS_DIR_MAX)
		errx(2, "logs folder (a path of %zu bytes): too long, at most %d",
		    strlen(o->logs_dir), FT_LOGS_DIR_MAX);
}

static unsigned
count_state(struct client *cl, int state)
{
	unsigned i, n = 0;

	for (i = 0; i < cl->o.clients; i++)
		n += atomic_load(&cl->conns[i].state) == state;
	return n;
}

static bool
all_settled(struct client *cl)
{
	return cl->settled == cl->o.clients;
}

static bool
all_finished(struct client *cl)
{
	return count_state(cl, C_DONE) + count_state(cl, C_FAILED) ==
	    cl->o.clients;
}

/* Ctrl-C, TERM or HUP, seen at the next tick: no go for a run still
 * waiting for it, and every connection shut down, so each thread's wait
 * ends at once (a connect(2) in progress too) and it fails as
 * "interrupted after N bytes". A socket a thread opens later is refused
 * (conn.c checks stopped under mu when it registers one). Under mu. */
static void
stop_connections(struct client *cl)
{
	unsigned i;

	cl->stopped = true;
	if (cl->go == 0)
		cl->go = -1;
	for (i = 0; i < cl->o.clients; i++) {
		int fd = __atomic_load_n(&cl->conns[i].fd, __ATOMIC_RELAXED);
		int udp = __atomic_load_n(&cl->conns[i].udp_fd, __ATOMIC_RELAXED);
		if (fd >= 0)
			ft_sock_shutdown(fd);
		if (udp >= 0)
			ft_sock_shutdown(udp);
	}
	pthread_cond_broadcast(&cl->cv);
}

/* Redraws every tick, and at once when a connection changes state:
 * the threads signal cv, so no sleep ever delays the run. After an
 * interruption, every wait of the run ends INTERRUPT_WAIT_MS later at
 * most (a thread may be stuck where no shutdown reaches: a name lookup,
 * a disk): one deadline for the run, not one per wait. */
#define INTERRUPT_WAIT_MS 2000
/* Until the next redraw or the next sample, whichever comes first. */
static int
tick_ms(const struct client *cl)
{
	int64_t due = samples_due(cl), left;

	if (due == 0)
		return TICK_MS;
	left = (due - ft_mono_ns() + 999999) / 1000000;
	return left < 1 ? 1 : left > TICK_MS ? TICK_MS : (int)left;
}

static void
wait_until(struct client *cl, bool (*done)(struct client *))
{
	int64_t view_due = 0;
	bool woke = true;
	struct timespec t;

	pthread_mutex_lock(&cl->mu);
	while (!done(cl)) {
		if (cl->interrupted && !cl->stopped) {
			stop_connections(cl);
			cl->give_up = ft_deadline_ms(INTERRUPT_WAIT_MS);
		}
		if (cl->give_up != 0 && ft_mono_ns() > cl->give_up)
			break;
		pthread_mutex_unlock(&cl->mu);
		samples_tick(cl);
		if (woke || ft_mono_ns() >= view_due) {
			view_update(cl, false);
			view_due = ft_mono_ns() + TICK_MS * 1000000LL;
		}
		pthread_mutex_lock(&cl->mu);
		t = ft_wall_after_ms(tick_ms(cl));
		woke = !done(cl) &&
		    pthread_cond_timedwait(&cl->cv, &cl->mu, &t) != ETIMEDOUT;
	}
	pthread_mutex_unlock(&cl->mu);
	view_update(cl, true);
}

/* A line on stdin (the go), its end, or an interruption: a signal that
 * came just before a blocking read would not interrupt it, and the
 * prompt would wait for Enter forever, so the wait looks at the flag
 * every tick. */
static bool
stdin_answered(struct client *cl)
{
	char line[64];
	int rc = 0;

	while (!cl->interrupted && rc == 0)
		rc = ft_stdin_line(line, sizeof(line), TICK_MS);
	return rc > 0 && !cl->interrupted;
}

/* The operator's go: Enter on stdin, unless --yes. */
static bool
confirmed(struct client *cl)
{
	if (cl->o.yes)
		return true;
	/* stdout may be JSON's only (--json-stream): the prompt on stderr */
	FILE *prompt = run_stdout_is_json(&cl->o) ? stderr : stdout;

	fprintf(prompt, "All %u connections are ready. Press Enter to start "
	    "the transfer (Ctrl-D cancels): ", cl->o.clients);
	fflush(prompt);
	if (!stdin_answered(cl)) {
		if (!cl->interrupted)
			fprintf(stderr, "\nftclient: no confirmation (stdin "
			    "closed); use --yes to start without asking\n");
		return false;
	}
	return true;
}

/* An interruption is final: a go decided just before it is no go. */
static void
decide(struct client *cl, int go)
{
	pthread_mutex_lock(&cl->mu);
	cl->go = cl->interrupted ? -1 : go;
	cl->start_wall = ft_wall_now();
	cl->start_ns = ft_mono_ns();
	pthread_cond_broadcast(&cl->cv);
	pthread_mutex_unlock(&cl->mu);
}


/* One run's connections share one test: one file, one size, one hash,
 * one test number and size, one mode. */
static bool
same_test(const struct ft_offer *a, const struct ft_offer *b)
{
	return strcmp(a->file, b->file) == 0 && a->size == b->size &&
	    strcmp(a->sha256, b->sha256) == 0 && a->test == b->test &&
	    a->group == b->group && a->reliable == b->reliable &&
	    a->datagram == b->datagram;
}

/* Checks every offer against the others before the start: a server
 * that offers one run different files, tests or member numbers would
 * get a log that pairs rows which do not belong together. Each
 * offending connection fails saying why; true when all agree. */
static bool
offers_agree(struct client *cl)
{
	const struct conn *first = NULL;
	unsigned i, j;
	bool agree = true;

	for (i = 0; i < cl->o.clients; i++) {
		struct conn *c = &cl->conns[i];

		if (atomic_load(&c->state) == C_FAILED)
			continue;
		if (first == NULL) {
			first = c;
			continue;
		}
		if (!same_test(&first->offer, &c->offer)) {
			conn_fail(c, "not one test: offered %s (%llu bytes, test "
			    "%u of %u), connection %u %s (%llu bytes, test %u of "
			    "%u)", c->offer.file,
			    (unsigned long long)c->offer.size, c->offer.test,
			    c->offer.group, first->no, first->offer.file,
			    (unsigned long long)first->offer.size,
			    first->offer.test, first->offer.group);
			agree = false;
			continue;
		}
		/* Members name the copies (K) unless the server's groups are
		 * smaller than this run (then K is ours: an older server). */
		if (c->offer.group < cl->o.clients)
			continue;
		for (j = 0; j < i; j++)
			if (atomic_load(&cl->conns[j].state) != C_FAILED &&
			    cl->conns[j].offer.member == c->offer.member) {
				conn_fail(c, "the server offered member %u of %u "
				    "twice: connection %u has it",
				    c->offer.member, c->offer.group,
				    cl->conns[j].no);
				agree = false;
				break;
			}
	}
	return agree;
}

static int
write_log(struct client *cl, char *path, size_t len)
{
	const struct conn *c = run_first_offer(cl);
	struct ft_xfer *x = calloc(cl->o.clients, sizeof(*x));
	struct ft_test t = { .role = "client", .proto = cl->o.udp ? FT_UDP : FT_TCP,
	    .mode = "-", .clients = cl->o.clients, .copies_dir = cl->o.out_dir };
	long long skew_s;
	unsigned i;
	int rc;

	if (x == NULL)
		return -1;
	t.start = run_test_start(cl, &skew_s);
	if (skew_s != 0)
		fprintf(stderr, "ftclient: the server's clock is %lld s %s this "
		    "machine's: the log is dated by this machine's clock\n",
		    skew_s < 0 ? -skew_s : skew_s, skew_s < 0 ? "behind" : "ahead of");
	if (c != NULL) {
		if (cl->o.udp)
			t.mode = c->offer.reliable ? "reliable" : "raw";
		memcpy(t.file, c->offer.file, sizeof(t.file));
		if (c->offer.group > t.clients)	/* gathered with other runs */
			t.clients = c->offer.group;
		t.size = c->offer.size;
		memcpy(t.sha256, c->offer.sha256, sizeof(t.sha256));
	} else
		strcpy(t.file, "-"), strcpy(t.sha256, "-");
	for (i = 0; i < cl->o.clients; i++)
		x[i] = cl->conns[i].x;
	rc = ft_log_write(cl->o.logs_dir, &t, x, cl->o.clients, path, len);
	free(x);
	return rc;
}

static struct client *interrupted_run;

/* Ctrl-C, TERM or HUP: only noted here; the main thread stops the
 * connections at its next tick (at most TICK_MS later), each copy being
 * written is removed by its thread, and the log and the summary are
 * written as for any other end, before exiting 128 + the signal. A second
 * signal, the same or another of the three, ends the process at once
 * (the default action): an anonymous copy goes with it, a named aside
 * file may stay. The others are blocked while this runs (sa_mask), so a
 * second one is only delivered once they are reset (ft_sys.h). errno is
 * the interrupted code's. */
static void
on_interrupt(int sig)
{
	int saved = errno;

	if (interrupted_run != NULL)
		atomic_store(&interrupted_run->interrupted, sig);
	ft_interrupts_default();
	errno = saved;
}

static void
catch_interrupts(struct client *cl)
{
	interrupted_run = cl;
	if (ft_catch_interrupts(on_interrupt) < 0)
		err(1, "sigaction");
}

/* Connections a stuck thread left unfinished after an interruption. */
static void
mark_unfinished(struct client *cl)
{
	unsigned i;

	pthread_mutex_lock(&cl->mu);
	for (i = 0; i < cl->o.clients; i++) {
		struct conn *c = &cl->conns[i];
		int st = atomic_load(&c->state);
		if (st == C_DONE || st == C_FAILED)
			continue;
		ft_set_reason(&c->x, "interrupted after %llu bytes",
		    (unsigned long long)atomic_load(&c->bytes));
		atomic_store(&c->state, C_FAILED);
		c->unfinished = true;
	}
	pthread_mutex_unlock(&cl->mu);
}

/* One thread per connection. Only the main thread takes INT, TERM and
 * HUP (the threads start with them blocked): a signal sent to the
 * process goes to any thread that does not block it, so two arriving
 * together could run the handler in two threads at once, each before
 * the other reset the dispositions, and the second signal would not end
 * the run (t/39: 4 to 8 runs in 20 went on to their summary). */
static void
start_connections(struct client *cl)
{
	unsigned i;
	int rc;

	if ((rc = ft_interrupts_hold()) != 0)
		errx(1, "pthread_sigmask: %s", strerror(rc));
	for (i = 0; i < cl->o.clients; i++) {
		struct conn *c = &cl->conns[i];

		c->no = i + 1;
		c->cl = cl;
		c->fd = -1;
		c->udp_fd = -1;
		c->st.fd = c->st.dirfd = -1;
		if ((rc = pthread_create(&c->thread, NULL, conn_main, c)) != 0)
			errx(1, "pthread_create: %s", strerror(rc));
	}
	if ((rc = ft_interrupts_release()) != 0)
		errx(1, "pthread_sigmask: %s", strerror(rc));
}

static int
run(struct client *cl)
{
	char log_path[4200] = "";
	unsigned i;
	bool go;

	start_connections(cl);
	view_init(cl);
	wait_until(cl, all_settled);
	/* Interrupted, the run asks nothing and starts nothing, even when
	 * the wait above gave up on threads still connecting. */
	go = !cl->interrupted && count_state(cl, C_FAILED) == 0 &&
	    offers_agree(cl) && confirmed(cl);
	if (!go && !cl->interrupted && count_state(cl, C_FAILED) > 0)
		fprintf(stderr, "ftclient: %u of %u connections failed before "
		    "the start; cancelling the test\n", count_state(cl, C_FAILED),
		    cl->o.clients);
	decide(cl, go ? 1 : -1);
	samples_start(cl);
	wait_until(cl, all_finished);
	if (cl->interrupted)
		mark_unfinished(cl);
	for (i = 0; i < cl->o.clients; i++)
		if (!cl->conns[i].unfinished)
			pthread_join(cl->conns[i].thread, NULL);
	cl->end_ns = ft_mono_ns();
	/* A cancelled or interrupted test is logged too: each connection
	 * says why. A log that cannot be written is said once, and does not
	 * change what the transfers were. */
	if (write_log(cl, log_path, sizeof(log_path)) < 0)
		warn("cannot write the log in %s", cl->o.logs_dir);
	samples_finish(cl, log_path[0] ? log_path : NULL);
	view_summary(cl, log_path[0] ? log_path : NULL);
	if (cl->interrupted)
		return 128 + cl->interrupted;
	return go && count_state(cl, C_DONE) == cl->o.clients ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct client cl = { .o = { .host = "127.0.0.1", .port = "5005",
	    .out_dir = "ArchivosRecibidos", .logs_dir = "Logs",
	    .timeout_s = 120, .queue_timeout_s = 600,
	    .interval_ns = INTERVAL_DEFAULT_NS } };
	const char *what;
	int rc;

	parse_options(&cl.o, argc, argv);
	/* Sockets, the console; a dead peer or a full disk must be an error
	 * return, not a kill. */
	if (ft_sys_init() < 0)
		err(1, "initialising the system's sockets");
	if (cl.o.list)
		return list_catalogue(&cl.o);
	if (ft_make_dirs(cl.o.out_dir) < 0)
		err(1, "output folder %s", cl.o.out_dir);
	if (ft_make_dirs(cl.o.logs_dir) < 0)
		err(1, "logs folder %s", cl.o.logs_dir);
	while (cl.run == 0)
		if (ft_random(&cl.run, sizeof(cl.run)) < 0)
			err(1, "no random numbers from the system");
	cl.conns = calloc(cl.o.clients, sizeof(*cl.conns));
	if (cl.conns == NULL)
		err(1, "calloc");
	if (samples_open(&cl, &what) < 0)
		err(1, "%s", what);
	pthread_mutex_init(&cl.mu, NULL);
	pthread_cond_init(&cl.cv, NULL);
	catch_interrupts(&cl);
	rc = run(&cl);
	interrupted_run = NULL;
	for (unsigned i = 0; i < cl.o.clients; i++)
		if (cl.conns[i].unfinished)
			exit(rc);	/* its thread still holds its conn */
	free(cl.conns);
	return rc;
}
