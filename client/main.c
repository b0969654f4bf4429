/* main.c: ftclient's options and the run: open N connections, wait until
 * the server has taken them all, get the operator's go, start them
 * together, show progress, write the log and say how it went. */
#include "ftclient.h"
#include "ft_io.h"
#include "ft_opt.h"
#include "ft_time.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bsd/stdlib.h>

#define TICK_MS 200

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
"  -l, --list        print the server's catalogue and exit\n"
"Exit status: 0 all verified, 1 a transfer failed, 2 misuse.\n",
	    FT_CLIENT_MAX);
	exit(code);
}

static long long
number(const char *arg, long long min, long long max, const char *what)
{
	return ft_option_number(arg, min, max, what, usage);
}

static void
parse_options(struct client_opts *o, int argc, char **argv)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "c:H:P:uf:yo:L:t:Q:KlhV",
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

/* Redraws every tick, and at once when a connection changes state:
 * the threads signal cv, so no sleep ever delays the run. */
static void
wait_until(struct client *cl, bool (*done)(struct client *))
{
	struct timespec t;

	pthread_mutex_lock(&cl->mu);
	while (!done(cl)) {
		pthread_mutex_unlock(&cl->mu);
		view_update(cl, false);
		pthread_mutex_lock(&cl->mu);
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += TICK_MS * 1000000L;
		if (t.tv_nsec >= 1000000000L)
			t.tv_sec++, t.tv_nsec -= 1000000000L;
		if (!done(cl))
			pthread_cond_timedwait(&cl->cv, &cl->mu, &t);
	}
	pthread_mutex_unlock(&cl->mu);
	view_update(cl, true);
}

/* The operator's go: Enter on stdin, unless --yes. */
static bool
confirmed(struct client *cl)
{
	char line[64];

	if (cl->o.yes)
		return true;
	printf("All %u connections are ready. Press Enter to start the "
	    "transfer (Ctrl-D cancels): ", cl->o.clients);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL) {
		fprintf(stderr, "\nftclient: no confirmation (stdin closed); "
		    "use --yes to start without asking\n");
		return false;
	}
	return true;
}

static void
decide(struct client *cl, int go)
{
	pthread_mutex_lock(&cl->mu);
	cl->go = go;
	cl->start_wall = ft_wall_now();
	cl->start_ns = ft_mono_ns();
	pthread_cond_broadcast(&cl->cv);
	pthread_mutex_unlock(&cl->mu);
}


static const struct conn *
first_offer(const struct client *cl)
{
	unsigned i;

	for (i = 0; i < cl->o.clients; i++)
		if (cl->conns[i].offer.file[0])
			return &cl->conns[i];
	return NULL;
}

/* The test's start as the server released it (the DATA line says), so
 * both logs carry the same start; our own go when no DATA came. */
static struct timespec
test_start(const struct client *cl)
{
	unsigned i;

	for (i = 0; i < cl->o.clients; i++)
		if (cl->conns[i].server_start.tv_sec != 0)
			return cl->conns[i].server_start;
	return cl->start_wall;
}

static int
write_log(struct client *cl, char *path, size_t len)
{
	const struct conn *c = first_offer(cl);
	struct ft_xfer *x = calloc(cl->o.clients, sizeof(*x));
	struct ft_test t = { .role = "client", .proto = cl->o.udp ? FT_UDP : FT_TCP,
	    .mode = "-", .start = test_start(cl), .clients = cl->o.clients };
	unsigned i;
	int rc;

	if (x == NULL)
		return -1;
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

/* Ctrl-C or TERM: remove the files still being written (nothing half
 * written may stay behind, and each may hold 250 MB reserved), then die
 * of the same signal. An anonymous aside file goes with the process; a
 * named one is unlinked (unlinkat(2) is async-signal-safe). A store is
 * open (fd >= 0) only until it is published or discarded, so a name may
 * race with its publication at most, and then the unlink fails
 * harmlessly. */
static void
on_interrupt(int sig)
{
	struct client *cl = interrupted_run;
	unsigned i;

	for (i = 0; cl != NULL && i < cl->o.clients; i++)
		if (cl->conns[i].st.fd >= 0 && cl->conns[i].st.part[0] != '\0')
			unlinkat(cl->conns[i].st.dirfd, cl->conns[i].st.part, 0);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_interrupts(struct client *cl)
{
	struct sigaction sa = { .sa_handler = on_interrupt };

	interrupted_run = cl;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int
run(struct client *cl)
{
	char log_path[4200];
	unsigned i;
	bool go;

	for (i = 0; i < cl->o.clients; i++) {
		struct conn *c = &cl->conns[i];
		c->no = i + 1;
		c->cl = cl;
		c->fd = -1;
		c->udp_fd = -1;
		c->st.fd = c->st.dirfd = -1;
		if (pthread_create(&c->thread, NULL, conn_main, c) != 0)
			err(1, "pthread_create");
	}
	view_init(cl);
	wait_until(cl, all_settled);
	go = count_state(cl, C_FAILED) == 0 && confirmed(cl);
	if (!go && count_state(cl, C_FAILED) > 0)
		fprintf(stderr, "ftclient: %u of %u connections failed before "
		    "the start; cancelling the test\n", count_state(cl, C_FAILED),
		    cl->o.clients);
	decide(cl, go ? 1 : -1);
	wait_until(cl, all_finished);
	for (i = 0; i < cl->o.clients; i++)
		pthread_join(cl->conns[i].thread, NULL);
	cl->end_ns = ft_mono_ns();
	/* A cancelled test is logged too: each connection says why. */
	if (write_log(cl, log_path, sizeof(log_path)) < 0) {
		warn("cannot write the log in %s", cl->o.logs_dir);
		view_summary(cl, NULL);
		return 1;
	}
	view_summary(cl, log_path);
	return go && count_state(cl, C_DONE) == cl->o.clients ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct client cl = { .o = { .host = "127.0.0.1", .port = "5005",
	    .out_dir = "ArchivosRecibidos", .logs_dir = "Logs",
	    .timeout_s = 120, .queue_timeout_s = 600 } };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	int rc;

	parse_options(&cl.o, argc, argv);
	/* A dead peer or a full disk must be an error return, not a kill. */
	sigaction(SIGPIPE, &ign, NULL);
	sigaction(SIGXFSZ, &ign, NULL);
	if (cl.o.list)
		return list_catalogue(&cl.o);
	if (ft_make_dirs(cl.o.out_dir) < 0)
		err(1, "output folder %s", cl.o.out_dir);
	if (ft_make_dirs(cl.o.logs_dir) < 0)
		err(1, "logs folder %s", cl.o.logs_dir);
	while (cl.run == 0)
		if (getrandom(&cl.run, sizeof(cl.run), 0) != sizeof(cl.run))
			err(1, "getrandom");
	cl.conns = calloc(cl.o.clients, sizeof(*cl.conns));
	if (cl.conns == NULL)
		err(1, "calloc");
	pthread_mutex_init(&cl.mu, NULL);
	pthread_cond_init(&cl.cv, NULL);
	catch_interrupts(&cl);
	rc = run(&cl);
	interrupted_run = NULL;
	free(cl.conns);
	return rc;
}
