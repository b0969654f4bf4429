/* main.c: ftserver's options and start-up: parse them into one const
 * struct ft_conf, create the shared segment, open the catalogue and the
 * sockets, then hand over to proc_run() (which forks the workers). Errors
 * here end the program with err(3) before any worker exists: 2 for
 * misuse, FT_EXIT_FATAL for a configuration that can never work. */
#include "conf.h"
#include "catalogue.h"
#include "ft_shm.h"
#include "proc.h"
#include "report.h"
#include "status.h"

#include "ft_addr.h"
#include "ft_dgram.h"
#include "ft_event.h"
#include "ft_io.h"
#include "ft_opt.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/libutil.h>
#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <bsd/unistd.h>

extern char **environ;

enum { OPT_PIDFILE = 256, OPT_IDLE, OPT_IO, OPT_TRANSFER, OPT_GRACE,
    OPT_PER_ADDRESS, OPT_LOGS_QUOTA, OPT_STATUS };

static const struct option long_options[] = {
	{ "workers", required_argument, NULL, 'p' },
	{ "port", required_argument, NULL, 'P' },
	{ "bind", required_argument, NULL, 'b' },
	{ "files", required_argument, NULL, 'd' },
	{ "logs", required_argument, NULL, 'L' },
	{ "file", required_argument, NULL, 'f' },
	{ "clients", required_argument, NULL, 'n' },
	{ "udp", no_argument, NULL, 'u' },
	{ "datagram", required_argument, NULL, 's' },
	{ "mode", required_argument, NULL, 'm' },
	{ "timeout", required_argument, NULL, 't' },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "io-timeout", required_argument, NULL, OPT_IO },
	{ "transfer-timeout", required_argument, NULL, OPT_TRANSFER },
	{ "per-address", required_argument, NULL, OPT_PER_ADDRESS },
	{ "logs-quota", required_argument, NULL, OPT_LOGS_QUOTA },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code ? stderr : stdout,
"usage: ftserver [-u] [-p WORKERS] [-P PORT] [-b ADDR] [-d DIR] [-L DIR]\n"
"                [-f NAME] [-n CLIENTS] [-s BYTES] [-m raw|reliable]\n"
"                [-t SECONDS] [--idle-timeout S] [--io-timeout S]\n"
"                [--transfer-timeout S] [--per-address N] [--grace S]\n"
"                [--logs-quota MB] [--pidfile FILE] [--status ADDR:PORT]\n"
"Sends a file from DIR to groups of clients that start together.\n"
"  -p, --workers N      worker processes, 1..%d (default 25)\n"
"  -P, --port PORT      TCP port (default 5005; 0 picks a free one)\n"
"  -b, --bind ADDR      address to listen on (default 0.0.0.0; :: for IPv6)\n"
"  -d, --files DIR      the catalogue folder (default files)\n"
"  -L, --logs DIR       where test logs go (default Logs)\n"
"  -f, --file NAME      file for the next tests (default: first in DIR)\n"
"  -n, --clients N      connections per test, at most WORKERS (default 0:\n"
"                       the client says)\n"
"  -u, --udp            send over UDP (worker k owns port PORT+k)\n"
"  -s, --datagram BYTES UDP payload, 512..65487 (default: the path MTU's)\n"
"  -m, --mode MODE      UDP delivery: reliable (default) or raw\n"
"  -t, --timeout SEC    a test must start within, from its first offer (60)\n"
"      --idle-timeout S a new connection must send its request within (10)\n"
"      --io-timeout S   a transfer without progress fails after (30)\n"
"      --transfer-timeout S  a whole transfer must end within (600)\n"
"      --per-address N  connections from one address that may wait to send\n"
"                       their request; beyond, they must send it at once\n"
"                       (default: half the workers, at most 8)\n"
"      --logs-quota MB  test logs kept in DIR at most; 0: no limit (1024)\n"
"      --grace S        on SIGTERM, transfers may finish within (30)\n"
"      --pidfile FILE   write the master's pid there\n"
"      --status ADDR:PORT  serve /metrics, /status.json and a status page\n"
"                       over HTTP there (e.g. 127.0.0.1:9105; off by default)\n"
"  -h, --help, -V, --version\n"
"Signals: USR1 stats dump, HUP rescan DIR, TERM/INT graceful stop.\n",
	    FT_MAX_WORKERS);
	exit(code);
}

static long long
number(const char *arg, long long min, long long max, const char *what)
{
	return ft_option_number(arg, min, max, what, usage);
}

static int
seconds(const char *arg, const char *what)
{
	return (int)number(arg, 1, 86400, what);
}

static void
parse_mode(struct ft_conf *conf, const char *arg)
{
	if (strcmp(arg, "raw") != 0 && strcmp(arg, "reliable") != 0) {
		warnx("mode %s: must be raw or reliable", arg);
		usage(2);
	}
	conf->reliable = strcmp(arg, "reliable") == 0;
}

static void
parse_option(struct ft_conf *conf, int ch, const char *arg)
{
	switch (ch) {
	case 'p': conf->workers = (unsigned)number(arg, 1, FT_MAX_WORKERS, "workers"); break;
	case 'P': conf->port = (unsigned)number(arg, 0, 65535, "port"); break;
	case 'b': conf->bind_addr = arg; break;
	case 'd': conf->files_dir = arg; break;
	case 'L': conf->logs_dir = arg; break;
	case 'f': conf->file = arg; break;
	case 'n': conf->group_size = (unsigned)number(arg, 0, FT_MAX_WORKERS, "clients"); break;
	case 'u': conf->proto = FT_UDP; break;
	case 's': conf->datagram = (unsigned)number(arg, 0, 1 << 30, "datagram"); break;
	case 'm': parse_mode(conf, arg); break;
	case 't': conf->ready_timeout_s = seconds(arg, "timeout"); break;
	case OPT_IDLE: conf->idle_timeout_s = seconds(arg, "idle timeout"); break;
	case OPT_IO: conf->io_timeout_s = seconds(arg, "io timeout"); break;
	case OPT_TRANSFER: conf->transfer_timeout_s = seconds(arg, "transfer timeout"); break;
	case OPT_GRACE: conf->grace_s = (int)number(arg, 0, 86400, "grace"); break;
	case OPT_PER_ADDRESS: conf->per_address = (unsigned)number(arg, 1, FT_MAX_WORKERS, "per-address"); break;
	case OPT_LOGS_QUOTA: conf->logs_quota = (uint64_t)number(arg, 0, 1 << 24, "logs quota") << 20; break;
	case OPT_PIDFILE: conf->pidfile = arg; break;
	case OPT_STATUS: conf->status = arg; break;
	case 'V': printf("ftserver %s\n", FT_VERSION); exit(0);
	case 'h': usage(0);
	default: usage(2);
	}
}

/* --status: its form now (misuse, 2); whether it can bind, later. */
static void
check_status(const struct ft_conf *conf)
{
	char host[64];
	const char *why;
	unsigned port;

	if (conf->status != NULL && status_parse_addr(conf->status, host,
	    sizeof(host), &port, &why) < 0)
		errx(2, "--status %s: %s", conf->status, why);
}

/* The endpoint, before any worker exists: its line comes before the
 * listening line, so a script that waited for that one finds it. */
static void
start_status(const struct ft_conf *conf, const struct ft_sockets *socks,
    struct ft_shm *shm)
{
	char why[256];
	uint16_t port;
	int rc;

	if (conf->status == NULL)
		return;
	if ((rc = status_start(conf, socks, shm, &port, why, sizeof(why))) != 0)
		errx(rc, "--status %s: %s", conf->status, why);
	/* The address as given (brackets and all), the port as bound. */
	ft_out("ftserver: status on http://%.*s:%u/ (/metrics, /status.json)\n",
	    (int)(strrchr(conf->status, ':') - conf->status), conf->status,
	    port);
}

/* Options, then what they must agree on. Misuse exits 2. */
static void
parse_options(struct ft_conf *conf, int argc, char **argv)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "p:P:b:d:L:f:n:us:m:t:hV",
	    long_options, NULL)) != -1)
		parse_option(conf, ch, optarg);
	if (optind != argc) {
		warnx("unexpected argument: %s", argv[optind]);
		usage(2);
	}
	/* Below the pool, or idle connections fill every worker and the rest
	 * wait in the listen queue, where no limit sees them. */
	if (conf->per_address == 0)
		conf->per_address = conf->workers / 2 < 1 ? 1 :
		    conf->workers / 2 > 8 ? 8 : conf->workers / 2;
	if (strlen(conf->logs_dir) > FT_LOGS_DIR_MAX)
		errx(2, "logs folder (a path of %zu bytes): too long, at most %d",
		    strlen(conf->logs_dir), FT_LOGS_DIR_MAX);
	if (conf->group_size > conf->workers)
		errx(2, "clients %u: a test of %u connections needs %u workers, and "
		    "there are %u (use -n %u or less, or -p %u)", conf->group_size,
		    conf->group_size, conf->group_size, conf->workers,
		    conf->workers, conf->group_size);
	check_status(conf);
	if (conf->datagram != 0 && (conf->datagram < FT_DG_MIN ||
	    conf->datagram > FT_DG_MAX))
		errx(2, "datagram size %u: must be %d..%d (the largest UDP payload "
		    "less the %d-byte header)", conf->datagram, FT_DG_MIN,
		    FT_DG_MAX, FT_DG_HEADER);
}

/* The line scripts wait for and parse: "listening on ADDR:PORT". */
static void
print_listening(const struct ft_conf *conf, const struct ft_sockets *socks,
    const struct ft_shm *shm)
{
	struct sockaddr_storage bound;
	struct sockaddr *sa = (struct sockaddr *)&bound;
	socklen_t len = sizeof(bound);
	char host[NI_MAXHOST] = "?", udp[128] = "", dsize[32] = "auto (path MTU)";

	if (getsockname(socks->listen_fd, sa, &len) < 0 ||
	    getnameinfo(sa, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
		err(FT_EXIT_FATAL, "the listening socket's address");
	if (conf->datagram != 0)
		snprintf(dsize, sizeof(dsize), "%u", conf->datagram);
	if (conf->proto == FT_UDP)
		snprintf(udp, sizeof(udp), ", %s, UDP ports %u-%u, datagram %s, "
		    "GSO %s", conf->reliable ? "reliable" : "raw",
		    socks->bound_port + 1, socks->bound_port + conf->workers, dsize,
		    socks->udp_gso ? "on" : "off (the kernel lacks UDP_SEGMENT)");
	ft_out("ftserver: listening on %s%s%s:%u (%s%s, %u workers, sending "
	    "%s)\n", sa->sa_family == AF_INET6 ? "[" : "", host,
	    sa->sa_family == AF_INET6 ? "]" : "", socks->bound_port,
	    ft_proto_name(conf->proto), udp, conf->workers,
	    shm->config.selected[0] ? shm->config.selected : "nothing yet");
}

/* UDP mode: worker k (1-based) owns PORT+k. Bound here, before fork,
 * so a port in use is a clear start-up error and a respawned worker gets
 * its socket back from the master. -1 with errno on failure. */
static int
open_udp_ports(const struct ft_conf *conf, struct ft_sockets *socks,
    const struct addrinfo *ai)
{
	struct sockaddr_storage a;
	int k, rc, size = 4 << 20;
	socklen_t len = sizeof(socks->udp_sndbuf_got);

	for (k = 0; k < (int)conf->workers; k++) {
		memcpy(&a, ai->ai_addr, ai->ai_addrlen);
		if (socks->bound_port + k + 1 > 65535) {
			errno = EADDRNOTAVAIL;
			goto fail;
		}
		ft_addr_set_port(&a, (uint16_t)(socks->bound_port + k + 1));
		socks->udp_fds[k] = socket(a.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (socks->udp_fds[k] < 0 ||
		    bind(socks->udp_fds[k], (struct sockaddr *)&a, ai->ai_addrlen) < 0 ||
		    setsockopt(socks->udp_fds[k], SOL_SOCKET, SO_SNDBUF, &size,
		    sizeof(size)) < 0 || getsockopt(socks->udp_fds[k], SOL_SOCKET,
		    SO_SNDBUF, &socks->udp_sndbuf_got, &len) < 0)
			goto fail;
	}
	socks->udp_sndbuf_asked = (uint32_t)size;
	socks->udp_gso = conf->workers > 0 && ft_udp_gso_probe(socks->udp_fds[0]);
	return 0;
fail:
	rc = errno;
	for (; k >= 0; k--)
		if (socks->udp_fds[k] >= 0)
			close(socks->udp_fds[k]);
	for (k = 0; k < FT_MAX_WORKERS; k++)
		socks->udp_fds[k] = -1;
	errno = rc;
	return -1;
}

static int
tcp_listener(struct ft_sockets *socks, const struct addrinfo *ai)
{
	int one = 1;

	/* Non-blocking: the master accepts too when every worker is busy,
	 * and must never block in accept (lobby.c, proc.c). */
	socks->listen_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (socks->listen_fd < 0)
		err(FT_EXIT_FATAL, "socket");
	/* A deep backlog: connections beyond the workers wait their turn. */
	if (setsockopt(socks->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) < 0 || bind(socks->listen_fd, ai->ai_addr,
	    ai->ai_addrlen) < 0 || listen(socks->listen_fd, 1024) < 0) {
		close(socks->listen_fd);
		return -1;
	}
	socks->bound_port = ft_local_port(socks->listen_fd);
	return 0;
}

/* Binds the TCP socket every worker accepts on, and in UDP mode the
 * workers' UDP ports; with -P 0, tries other ports until PORT+1..PORT+N
 * are free too. Exits on failure. */
static void
open_listener(const struct ft_conf *conf, struct ft_sockets *socks)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char port[8];
	int rc, attempt;

	snprintf(port, sizeof(port), "%u", conf->port);
	if ((rc = getaddrinfo(conf->bind_addr, port, &hints, &ai)) != 0)
		errx(FT_EXIT_FATAL, "bind address %s: %s", conf->bind_addr,
		    gai_strerror(rc));
	for (attempt = 0; attempt < 50; attempt++) {
		if (tcp_listener(socks, ai) < 0)
			err(FT_EXIT_FATAL, "cannot listen on %s port %s",
			    conf->bind_addr, port);
		if (conf->proto == FT_TCP || open_udp_ports(conf, socks, ai) == 0)
			break;
		if (conf->port != 0)
			err(FT_EXIT_FATAL, "UDP ports %u..%u on %s", conf->port + 1,
			    conf->port + conf->workers, conf->bind_addr);
		close(socks->listen_fd);
	}
	if (attempt == 50)
		errx(FT_EXIT_FATAL, "found no free run of %u UDP ports",
		    conf->workers);
	freeaddrinfo(ai);
}

static void
open_logs(const struct ft_conf *conf)
{
	struct stat st;

	if (ft_make_dirs(conf->logs_dir) < 0 || stat(conf->logs_dir, &st) < 0)
		err(FT_EXIT_FATAL, "logs folder %s", conf->logs_dir);
	if (!S_ISDIR(st.st_mode)) {	/* mkdir's EEXIST covers files too */
		errno = ENOTDIR;
		err(FT_EXIT_FATAL, "logs folder %s", conf->logs_dir);
	}
	if (access(conf->logs_dir, W_OK) < 0)
		err(FT_EXIT_FATAL, "logs folder %s", conf->logs_dir);
}

static void
open_catalogue(const struct ft_conf *conf, struct ft_shm *shm)
{
	const char *file = conf->file;
	unsigned found;
	int served = catalogue_scan(shm, conf, &found);

	if (served < 0)
		err(FT_EXIT_FATAL, "files folder %s (run 'make files' or use -d)",
		    conf->files_dir);
	if (found > (unsigned)served)
		log_warn("files folder %s: %u files, only the first %d by name "
		    "are served", conf->files_dir, found, served);
	if (file != NULL && !catalogue_contains(shm, file))
		errx(FT_EXIT_FATAL, "%s is not in the catalogue %s", file,
		    conf->files_dir);
	if (file == NULL && shm->catalogue_count > 0)
		file = shm->catalogue[0].name;
	if (file != NULL)
		strlcpy(shm->config.selected, file, sizeof(shm->config.selected));
}

static struct pidfh *starting_pidfile;

static void
remove_unwritten_pidfile(void)
{
	if (starting_pidfile != NULL)
		pidfile_remove(starting_pidfile);
}

/* First, so a second server on the same pidfile stops here; until the
 * start is complete, a fatal error removes the (empty) file again. */
static struct pidfh *
open_pidfile(const char *path)
{
	struct pidfh *pfh;
	pid_t other;

	if (path == NULL)
		return NULL;
	if ((pfh = pidfile_open(path, 0644, &other)) == NULL) {
		if (errno == EEXIST)
			errx(FT_EXIT_FATAL, "already running as pid %d (%s)",
			    (int)other, path);
		err(FT_EXIT_FATAL, "pidfile %s", path);
	}
	starting_pidfile = pfh;
	if (atexit(remove_unwritten_pidfile) != 0)
		errx(FT_EXIT_FATAL, "atexit");
	return pfh;
}

int
main(int argc, char **argv)
{
	static struct ft_conf conf = {
		.workers = 25, .port = 5005, .bind_addr = "0.0.0.0",
		.files_dir = "files", .logs_dir = "Logs", .proto = FT_TCP,
		.reliable = true, .ready_timeout_s = 60, .idle_timeout_s = 10,
		.io_timeout_s = 30, .transfer_timeout_s = 600, .grace_s = 30,
		.logs_quota = 1024ull << 20,
	};
	static struct ft_sockets socks;
	struct ft_shm *shm;
	struct pidfh *pfh;
	int rc, k;

	setproctitle_init(argc, argv, environ);
	parse_options(&conf, argc, argv);
	pfh = open_pidfile(conf.pidfile);
	for (k = 0; k < FT_MAX_WORKERS; k++)
		socks.udp_fds[k] = -1;
	if ((shm = ft_shm_create()) == NULL)
		err(FT_EXIT_FATAL, "shared memory");
	shm->config.group_size = conf.group_size;
	ft_event_setup("ftserver", &shm->events);
	open_logs(&conf);
	report_init(&conf);
	open_catalogue(&conf, shm);
	open_listener(&conf, &socks);
	start_status(&conf, &socks, shm);
	print_listening(&conf, &socks, shm);
	if (pfh && pidfile_write(pfh) < 0)
		err(FT_EXIT_FATAL, "pidfile %s", conf.pidfile);
	starting_pidfile = NULL;
	rc = proc_run(&conf, &socks, shm);
	status_stop();
	if (pfh)
		pidfile_remove(pfh);
	ft_shm_destroy(shm);
	return rc;
}
