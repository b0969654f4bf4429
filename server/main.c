/* main.c: ftserver's options and start-up: parse, open the catalogue
 * and the listening socket, create the shared segment, then hand over to
 * the master loop (which forks the workers). */
#include "ftserver.h"
#include "ft_addr.h"
#include "ft_dgram.h"
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

enum { OPT_PIDFILE = 256, OPT_IDLE, OPT_IO, OPT_GRACE };

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
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
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
"                [-t SECONDS] [--pidfile FILE]\n"
"Sends a file from DIR to groups of clients that start together.\n"
"  -p, --workers N      worker processes, 1..%d (default 25)\n"
"  -P, --port PORT      TCP port (default 5005; 0 picks a free one)\n"
"  -b, --bind ADDR      address to listen on (default 0.0.0.0; :: for IPv6)\n"
"  -d, --files DIR      the catalogue folder (default files)\n"
"  -L, --logs DIR       where test logs go (default Logs)\n"
"  -f, --file NAME      file for the next tests (default: first in DIR)\n"
"  -n, --clients N      connections per test (default 0: the client says)\n"
"  -u, --udp            send over UDP (worker k owns port PORT+k)\n"
"  -s, --datagram BYTES UDP payload, 512..65487 (default: the path MTU's)\n"
"  -m, --mode MODE      UDP delivery: reliable (default) or raw\n"
"  -t, --timeout SEC    a joined client must confirm ready within (60)\n"
"      --idle-timeout S a new connection must send its request within (10)\n"
"      --io-timeout S   a stalled transfer fails after (30)\n"
"      --grace S        on SIGTERM, transfers may finish within (30)\n"
"      --pidfile FILE   write the master's pid there\n"
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

static void
parse_options(struct server *s, int argc, char **argv, const char **file)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "p:P:b:d:L:f:n:us:m:t:hV",
	    long_options, NULL)) != -1) {
		switch (ch) {
		case 'p': s->workers = (unsigned)number(optarg, 1, FT_MAX_WORKERS, "workers"); break;
		case 'P': s->port = (unsigned)number(optarg, 0, 65535, "port"); break;
		case 'b': s->bind_addr = optarg; break;
		case 'd': s->files_dir = optarg; break;
		case 'L': s->logs_dir = optarg; break;
		case 'f': *file = optarg; break;
		case 'n': s->group_size = (unsigned)number(optarg, 0, FT_MAX_WORKERS, "clients"); break;
		case 'u': s->proto = FT_UDP; break;
		case 's': s->datagram = (unsigned)number(optarg, 0, 1 << 30, "datagram"); break;
		case 'm':
			if (strcmp(optarg, "raw") != 0 && strcmp(optarg, "reliable") != 0) {
				warnx("mode %s: must be raw or reliable", optarg);
				usage(2);
			}
			s->reliable = strcmp(optarg, "reliable") == 0;
			break;
		case 't': s->ready_timeout_s = (int)number(optarg, 1, 86400, "timeout"); break;
		case OPT_IDLE: s->idle_timeout_s = (int)number(optarg, 1, 86400, "idle timeout"); break;
		case OPT_IO: s->io_timeout_s = (int)number(optarg, 1, 86400, "io timeout"); break;
		case OPT_GRACE: s->grace_s = (int)number(optarg, 0, 86400, "grace"); break;
		case OPT_PIDFILE: s->pidfile = optarg; break;
		case 'V': printf("ftserver %s\n", FT_VERSION); exit(0);
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (optind != argc) {
		warnx("unexpected argument: %s", argv[optind]);
		usage(2);
	}
}

/* The line scripts wait for and parse: "listening on ADDR:PORT". */
static void
print_listening(struct server *s)
{
	struct sockaddr_storage bound;
	struct sockaddr *sa = (struct sockaddr *)&bound;
	socklen_t len = sizeof(bound);
	char host[NI_MAXHOST] = "?", udp[96] = "", dsize[32] = "auto (path MTU)";

	getsockname(s->listen_fd, sa, &len);
	getnameinfo(sa, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
	if (s->datagram != 0)
		snprintf(dsize, sizeof(dsize), "%u", s->datagram);
	if (s->proto == FT_UDP)
		snprintf(udp, sizeof(udp), ", %s, UDP ports %u-%u, datagram %s",
		    s->reliable ? "reliable" : "raw", s->bound_port + 1,
		    s->bound_port + s->workers, dsize);
	printf("ftserver: listening on %s%s%s:%u (%s%s, %u workers, sending %s)\n",
	    sa->sa_family == AF_INET6 ? "[" : "", host,
	    sa->sa_family == AF_INET6 ? "]" : "", s->bound_port,
	    ft_proto_name(s->proto), udp, s->workers,
	    s->shm->config.selected[0] ? s->shm->config.selected : "nothing yet");
	fflush(stdout);
}

/* UDP mode: worker k (1-based) owns PORT+k. Bound here, before fork,
 * so a port in use is a clear start-up error and a respawned worker gets
 * its socket back from the master. -1 with errno on failure. */
static int
open_udp_ports(struct server *s, const struct addrinfo *ai)
{
	struct sockaddr_storage a;
	int k, rc, size = 4 << 20;
	socklen_t len = sizeof(s->udp_sndbuf_got);

	for (k = 0; k < (int)s->workers; k++) {
		memcpy(&a, ai->ai_addr, ai->ai_addrlen);
		if (s->bound_port + k + 1 > 65535) {
			errno = EADDRNOTAVAIL;
			goto fail;
		}
		ft_addr_set_port(&a, (uint16_t)(s->bound_port + k + 1));
		s->udp_fds[k] = socket(a.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s->udp_fds[k] < 0 ||
		    bind(s->udp_fds[k], (struct sockaddr *)&a, ai->ai_addrlen) < 0)
			goto fail;
		setsockopt(s->udp_fds[k], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		getsockopt(s->udp_fds[k], SOL_SOCKET, SO_SNDBUF, &s->udp_sndbuf_got,
		    &len);
	}
	s->udp_sndbuf_asked = (uint32_t)size;
	return 0;
fail:
	rc = errno;
	for (; k >= 0; k--)
		if (s->udp_fds[k] >= 0)
			close(s->udp_fds[k]);
	for (k = 0; k < FT_MAX_WORKERS; k++)
		s->udp_fds[k] = -1;
	errno = rc;
	return -1;
}

static int
tcp_listener(struct server *s, const struct addrinfo *ai)
{
	int one = 1;

	s->listen_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		err(FT_EXIT_FATAL, "socket");
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A deep backlog: connections beyond the workers wait their turn. */
	if (bind(s->listen_fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(s->listen_fd, 1024) < 0) {
		close(s->listen_fd);
		return -1;
	}
	s->bound_port = ft_local_port(s->listen_fd);
	return 0;
}

/* Binds the TCP socket every worker accepts on, and in UDP mode the
 * workers' UDP ports; with -P 0, tries other ports until PORT+1..PORT+N
 * are free too. Exits on failure. */
static void
open_listener(struct server *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char port[8];
	int rc, attempt;

	snprintf(port, sizeof(port), "%u", s->port);
	if ((rc = getaddrinfo(s->bind_addr, port, &hints, &ai)) != 0)
		errx(FT_EXIT_FATAL, "bind address %s: %s", s->bind_addr,
		    gai_strerror(rc));
	for (attempt = 0; attempt < 50; attempt++) {
		if (tcp_listener(s, ai) < 0)
			err(FT_EXIT_FATAL, "cannot listen on %s port %s",
			    s->bind_addr, port);
		if (s->proto == FT_TCP || open_udp_ports(s, ai) == 0)
			break;
		if (s->port != 0)
			err(FT_EXIT_FATAL, "UDP ports %u..%u on %s", s->port + 1,
			    s->port + s->workers, s->bind_addr);
		close(s->listen_fd);
	}
	if (attempt == 50)
		errx(FT_EXIT_FATAL, "found no free run of %u UDP ports",
		    s->workers);
	freeaddrinfo(ai);
	print_listening(s);
}

static void
open_catalogue(struct server *s, const char *file)
{
	struct stat st;

	s->files_dirfd = open(s->files_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->files_dirfd < 0)
		err(FT_EXIT_FATAL, "files folder %s (run 'make files' or use -d)",
		    s->files_dir);
	if (mkdir(s->logs_dir, 0755) < 0 && errno != EEXIST)
		err(FT_EXIT_FATAL, "logs folder %s", s->logs_dir);
	if (stat(s->logs_dir, &st) < 0)
		err(FT_EXIT_FATAL, "logs folder %s", s->logs_dir);
	if (!S_ISDIR(st.st_mode)) {	/* mkdir's EEXIST covers files too */
		errno = ENOTDIR;
		err(FT_EXIT_FATAL, "logs folder %s", s->logs_dir);
	}
	if (access(s->logs_dir, W_OK) < 0)
		err(FT_EXIT_FATAL, "logs folder %s", s->logs_dir);
	catalogue_scan(s);
	if (file != NULL && !catalogue_contains(s->shm, file))
		errx(FT_EXIT_FATAL, "%s is not in the catalogue %s", file,
		    s->files_dir);
	if (file == NULL && s->shm->catalogue_count > 0)
		file = s->shm->catalogue[0].name;
	if (file != NULL)
		strlcpy(s->shm->config.selected, file,
		    sizeof(s->shm->config.selected));
}

static struct pidfh *starting_pidfile;

static void
remove_unwritten_pidfile(void)
{
	if (starting_pidfile != NULL)
		pidfile_remove(starting_pidfile);
}

int
main(int argc, char **argv)
{
	struct server s = {
		.workers = 25, .port = 5005, .bind_addr = "0.0.0.0",
		.files_dir = "files", .logs_dir = "Logs", .proto = FT_TCP,
		.reliable = true, .ready_timeout_s = 60, .idle_timeout_s = 10,
		.io_timeout_s = 30, .grace_s = 30, .slot = -1,
	};
	const char *file = NULL;
	struct pidfh *pfh = NULL;
	pid_t other;
	int rc;

	setproctitle_init(argc, argv, environ);
	parse_options(&s, argc, argv, &file);
	/* First, so a second server on the same pidfile stops here; until the
	 * start is complete, a fatal error removes the (empty) file again. */
	if (s.pidfile && (pfh = pidfile_open(s.pidfile, 0644, &other)) == NULL) {
		if (errno == EEXIST)
			errx(FT_EXIT_FATAL, "already running as pid %d (%s)",
			    (int)other, s.pidfile);
		err(FT_EXIT_FATAL, "pidfile %s", s.pidfile);
	}
	starting_pidfile = pfh;
	atexit(remove_unwritten_pidfile);
	for (int k = 0; k < FT_MAX_WORKERS; k++)
		s.udp_fds[k] = -1;
	if (s.datagram != 0 && (s.datagram < FT_DG_MIN || s.datagram > FT_DG_MAX))
		errx(2, "datagram size %u: must be %d..%d (the largest UDP payload "
		    "less the %d-byte header)", s.datagram, FT_DG_MIN, FT_DG_MAX,
		    FT_DG_HEADER);
	if ((s.shm = ft_shm_create()) == NULL)
		err(FT_EXIT_FATAL, "shared memory");
	s.shm->config.workers = s.workers;
	s.shm->config.group_size = s.group_size;
	s.shm->config.proto = s.proto;
	open_catalogue(&s, file);
	open_listener(&s);
	if (pipe2(s.wake_fd, O_NONBLOCK | O_CLOEXEC) < 0)
		err(FT_EXIT_FATAL, "pipe");
	if (pfh)
		pidfile_write(pfh);
	starting_pidfile = NULL;
	rc = master_run(&s);
	if (pfh)
		pidfile_remove(pfh);
	ft_shm_destroy(s.shm);
	return rc;
}
