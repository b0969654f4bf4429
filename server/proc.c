/* proc.c: the master and its workers' lives.
 *
 * The master only supervises. After forking the workers it waits in
 * poll() on a self-pipe that signal handlers and the scheduler write to
 * (and on stdin when the console is on). Handlers set flags; the loop
 * reaps and respawns workers into their slot (with a back-off when they
 * die young), writes the logs of finished tests, dumps stats and
 * rescans the catalogue. Its output goes through the event layer, which
 * never blocks, so a reader that stops reading cannot stop the master.
 *
 * A worker accepts on the listening socket it shares with its siblings
 * (the kernel hands each connection to one of them) and serves one
 * client at a time (session.c). It dies with the master: PR_SET_PDEATHSIG,
 * and a check that the master is still its parent once that is set (it
 * may have died between fork and prctl). SIGTERM/SIGINT only set a flag:
 * an idle worker leaves accept() and exits; a busy one finishes its
 * transfer first. A worker whose setup can never work exits with
 * FT_EXIT_FATAL, and the master then stops rather than respawn it. */
#include "proc.h"
#include "catalogue.h"
#include "console.h"
#include "lobby.h"
#include "report.h"
#include "sched.h"
#include "session.h"
#include "status.h"

#include "ft_event.h"
#include "ft_io.h"
#include "ft_time.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bsd/unistd.h>

#define SECOND_NS 1000000000LL
#define BACKOFF_MAX_NS (30 * SECOND_NS)

static volatile sig_atomic_t stop_requested;	/* master and workers */
static volatile sig_atomic_t got_usr1, got_hup, got_term;
static int wake_write_fd = -1;

/* Master-private bookkeeping for respawn back-off. */
struct slot_life {
	int64_t started_ns;
	int64_t respawn_at_ns;	/* 0: not waiting */
	unsigned quick_deaths;
};

struct master {
	const struct ft_conf *conf;
	const struct ft_sockets *socks;
	struct ft_shm *shm;
	int wake[2];		/* self-pipe */
	pid_t pid;
	bool console, stopping;
	int64_t stop_deadline;
	int fatal;
	struct slot_life lives[FT_MAX_WORKERS];
};

/* ---------------------------------------------------------------- worker */

static void
on_worker_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int
worker_signals(void)
{
	struct sigaction sa = { .sa_handler = on_worker_stop };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	/* No SA_RESTART: accept() and poll() must return to see the flag. */
	sigemptyset(&sa.sa_mask);
	sigemptyset(&ign.sa_mask);
	sigemptyset(&dfl.sa_mask);
	sigemptyset(&none);
	if (sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGPIPE, &ign, NULL) < 0 ||
	    sigaction(SIGUSR1, &ign, NULL) < 0 ||	/* the master's business */
	    sigaction(SIGHUP, &ign, NULL) < 0 ||
	    sigaction(SIGCHLD, &dfl, NULL) < 0)
		return -1;
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Closes so that our last words (often an ERR line) reach the client:
 * closing with unread input would reset the connection and drop them.
 * So: end our side, then read and discard until the client closes, for
 * a bounded time and amount, or until it has been quiet for LINGER_QUIET
 * (a silent client has nothing in flight to cause a reset). */
#define LINGER_MAX_MS 500
#define LINGER_QUIET_MS 100
static void
lingering_close(int fd)
{
	char sink[16384];
	int64_t deadline = ft_deadline_ms(LINGER_MAX_MS), quiet;
	size_t total = 0;
	ssize_t n;

	if (shutdown(fd, SHUT_WR) == 0)
		while (total < (1u << 20)) {
			quiet = ft_deadline_ms(LINGER_QUIET_MS);
			if (ft_wait_readable(fd, quiet < deadline ? quiet :
			    deadline) <= 0)
				break;
			n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
			if (n <= 0)
				break;
			total += (size_t)n;
		}
	close(fd);
}

/* For the test suite only: FTSERVER_FAULT=worker-setup makes a worker's
 * setup fail as if it could never work, so the fatal path is exercised
 * without breaking the machine. */
static bool
fault(const char *what)
{
	const char *f = getenv("FTSERVER_FAULT");

	return f != NULL && strcmp(f, what) == 0;
}

static void __attribute__((noreturn))
worker_fatal(const char *what)
{
	log_error("%s: this worker can never work; not to be respawned", what);
	_exit(FT_EXIT_FATAL);
}

/* Dies with the master; 0, or -1 when the master is already gone. */
static int
follow_master(pid_t master)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		worker_fatal("prctl(PR_SET_PDEATHSIG)");
	return getppid() == master ? 0 : -1;
}

/* The listening socket is non-blocking (the master polls it too, and
 * must never block in accept): a worker waits for a connection in epoll,
 * EPOLLEXCLUSIVE so that one idle worker wakes per connection, not all. */
static int
wait_for_connection(int ep)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, -1);

	return n < 0 && errno != EINTR ? -1 : 0;
}

static int
listen_queue(int listen_fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) < 0)
		return -1;
	return ep;
}

static void __attribute__((noreturn))
worker_main(struct master *m, int slot)
{
	struct worker w = { .conf = m->conf, .socks = m->socks, .shm = m->shm,
	    .slot = slot, .stop = &stop_requested };
	struct ft_slot *me = &m->shm->slots[slot];
	struct sockaddr_storage peer;
	char who[32];
	socklen_t len;
	int fd, ep;

	snprintf(who, sizeof(who), "worker %d", slot + 1);
	ft_event_who(who);
	if (follow_master(m->pid) < 0)
		_exit(0);
	if (worker_signals() < 0 || fault("worker-setup"))
		worker_fatal("signal handling");
	close(m->wake[0]);
	status_forget();
	if ((ep = listen_queue(m->socks->listen_fd)) < 0)
		worker_fatal("epoll on the listening socket");
	while (!stop_requested) {
		me->state = FT_SLOT_IDLE;
		setproctitle("worker %d idle", slot + 1);
		if (wait_for_connection(ep) < 0)
			worker_fatal("epoll_wait");
		len = sizeof(peer);
		fd = accept4(m->socks->listen_fd, (struct sockaddr *)&peer, &len,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EINVAL)
				break;	/* the master shut the socket: stopping */
			if (errno == EBADF || errno == ENOTSOCK)
				worker_fatal("the listening socket");
			if (errno == EAGAIN)
				continue;	/* another took it */
			if (errno != EINTR && errno != ECONNABORTED) {
				log_warn("accept: %s", strerror(errno));
				usleep(100000);	/* e.g. EMFILE: do not spin */
			}
			continue;
		}
		session_serve(&w, fd, &peer, len);
		/* No longer waiting for a request: out of the per-address
		 * count while the close lingers. */
		me->state = FT_SLOT_CLOSING;
		lingering_close(fd);
	}
	me->state = FT_SLOT_EXITING;
	_exit(0);
}

/* ---------------------------------------------------------------- master */

static void
on_master_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	switch (sig) {
	case SIGCHLD: break;
	case SIGUSR1: got_usr1 = 1; break;
	case SIGHUP: got_hup = 1; break;
	default: got_term++; break;
	}
	if (write(wake_write_fd, &c, 1) < 0) {
		/* Pipe full: the loop is already due to wake. */
	}
	errno = saved;
}

static int
master_signals(struct master *m)
{
	struct sigaction sa = { .sa_handler = on_master_signal };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	int sigs[] = { SIGCHLD, SIGUSR1, SIGHUP, SIGTERM, SIGINT };
	size_t i;

	wake_write_fd = m->wake[1];
	sigemptyset(&sa.sa_mask);
	sigemptyset(&ign.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	return sigaction(SIGPIPE, &ign, NULL);
}

static int
spawn(struct master *m, int slot)
{
	struct ft_slot *S = &m->shm->slots[slot];
	pid_t pid;

	memset(S, 0, sizeof(*S));
	S->test = S->outcome = FT_NO_INDEX;
	S->state = FT_SLOT_IDLE;
	pid = fork();
	if (pid < 0) {
		log_warn("fork: %s", strerror(errno));
		S->state = FT_SLOT_EMPTY;
		m->lives[slot].respawn_at_ns = ft_mono_ns() + SECOND_NS;
		return -1;
	}
	if (pid == 0)
		worker_main(m, slot);
	S->pid = pid;
	m->lives[slot].started_ns = ft_mono_ns();
	m->lives[slot].respawn_at_ns = 0;
	return 0;
}

static int
slot_of(struct master *m, pid_t pid)
{
	unsigned k;

	for (k = 0; k < m->conf->workers; k++)
		if (m->shm->slots[k].pid == pid)
			return (int)k;
	return -1;
}

/* Respawn soon, later if the worker keeps dying young (no fork storm). */
static void
schedule_respawn(struct master *m, int slot)
{
	struct slot_life *l = &m->lives[slot];
	int64_t now = ft_mono_ns(), delay;

	if (now - l->started_ns < SECOND_NS)
		l->quick_deaths++;
	else
		l->quick_deaths = 0;
	delay = l->quick_deaths == 0 ? 0 :
	    (100000000LL << (l->quick_deaths > 9 ? 9 : l->quick_deaths));
	l->respawn_at_ns = now + (delay > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : delay);
}

static void
describe_death(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

static void
one_death(struct master *m, int slot, pid_t pid, int status)
{
	char how[64], reason[FT_REASON_MAX + 64];
	struct sched_unstarted u;
	bool fatal = WIFEXITED(status) && WEXITSTATUS(status) == FT_EXIT_FATAL;

	if (fatal)
		m->fatal = FT_EXIT_FATAL;
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		describe_death(status, how, sizeof(how));
		snprintf(reason, sizeof(reason), "worker %d (pid %d) %s", slot + 1,
		    (int)pid, how);
		log_warn("%s%s", reason, m->stopping || m->fatal ? "" :
		    "; respawning it");
		sched_member_died(m->shm, slot, reason, &u);
		if (u.freed)
			log_info("test %u never started: %s (%s, %u of %u "
			    "connections; the last one: %s)", u.test_no, u.reason,
			    u.file, u.joined, u.expected, reason);
	}
	m->shm->slots[slot].pid = 0;
	m->shm->slots[slot].state = FT_SLOT_EMPTY;
	if (!m->stopping && !m->fatal)
		schedule_respawn(m, slot);
}

static void
reap(struct master *m)
{
	int status, slot;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if ((slot = slot_of(m, pid)) >= 0)
			one_death(m, slot, pid, status);
}

static void
respawn_due(struct master *m)
{
	int64_t now = ft_mono_ns();
	unsigned k;

	for (k = 0; k < m->conf->workers; k++)
		if (m->shm->slots[k].pid == 0 && m->lives[k].respawn_at_ns != 0 &&
		    m->lives[k].respawn_at_ns <= now && spawn(m, (int)k) == 0)
			__atomic_fetch_add(&m->shm->totals.worker_restarts, 1,
			    __ATOMIC_RELAXED);
}

static unsigned
live_workers(struct master *m)
{
	unsigned k, n = 0;

	for (k = 0; k < m->conf->workers; k++)
		n += m->shm->slots[k].pid != 0;
	return n;
}

static void
signal_workers(struct master *m, int sig)
{
	unsigned k;

	for (k = 0; k < m->conf->workers; k++)
		if (m->shm->slots[k].pid > 0)
			kill(m->shm->slots[k].pid, sig);
}

static void
drain_wake_pipe(struct master *m)
{
	char buf[256];

	while (read(m->wake[0], buf, sizeof(buf)) > 0)
		;
}

static int
poll_timeout(struct master *m)
{
	int64_t now = ft_mono_ns(), next = now + SECOND_NS;
	unsigned k;

	for (k = 0; k < m->conf->workers; k++)
		if (m->shm->slots[k].pid == 0 && m->lives[k].respawn_at_ns != 0 &&
		    m->lives[k].respawn_at_ns < next)
			next = m->lives[k].respawn_at_ns;
	if (m->stopping && next > now + SECOND_NS / 10)
		next = now + SECOND_NS / 10;
	return next <= now ? 0 : (int)((next - now) / 1000000) + 1;
}

static void
console_input(struct master *m)
{
	char line[512];
	ssize_t n = read(STDIN_FILENO, line, sizeof(line) - 1);

	if (n <= 0) {
		m->console = false;	/* EOF: the console goes quiet */
		return;
	}
	line[n] = '\0';
	console_handle_line(m->shm, m->conf, line);
	console_prompt();
}

static void
begin_stop(struct master *m)
{
	log_notice("stopping: letting transfers in flight finish (at most %d "
	    "s; signal again to stop at once)", m->conf->grace_s);
	m->stopping = true;
	stop_requested = 1;
	signal_workers(m, SIGTERM);
	/* Busy workers still hold the listening socket: shut it down for all
	 * of them, or the kernel would go on queueing new connections that
	 * nobody will answer. New clients are refused from here on. */
	shutdown(m->socks->listen_fd, SHUT_RDWR);
	m->stop_deadline = ft_mono_ns() + (int64_t)m->conf->grace_s * SECOND_NS;
}

static void
rescan(struct master *m)
{
	unsigned found;
	int served = catalogue_scan(m->shm, m->conf, &found);

	report_init(m->conf);	/* the logs folder too, for its quota */
	if (served < 0)
		log_warn("SIGHUP: files folder %s: %s; the catalogue is empty "
		    "until it is back", m->conf->files_dir, strerror(errno));
	else if (found > (unsigned)served)
		log_warn("SIGHUP: catalogue rescanned, %u files, only the first "
		    "%d by name are served", found, served);
	else
		log_notice("SIGHUP: catalogue rescanned, %d files", served);
}

static void
handle_flags(struct master *m)
{
	char *text;

	if (got_usr1) {
		got_usr1 = 0;
		if ((text = report_stats_text(m->shm, m->conf)) != NULL)
			ft_out("%s", text);
		free(text);
	}
	if (got_hup) {
		got_hup = 0;
		rescan(m);
	}
}

/* One turn of the loop: wait, then everything the flags ask. The status
 * endpoint (when on) is one descriptor here, and goes on answering while
 * the server stops. */
#define POLL_MAX 40
#define POLL_FIXED 3		/* wake pipe, console, status endpoint */
static void
master_turn(struct master *m)
{
	struct lobby l = { .conf = m->conf, .socks = m->socks, .shm = m->shm };
	struct pollfd pfd[POLL_MAX] = {
		{ .fd = m->wake[0], .events = POLLIN },
		{ .fd = m->console ? STDIN_FILENO : -1, .events = POLLIN },
		{ .fd = status_poll_fd(), .events = POLLIN },
	};
	int n = m->stopping ? 0 : lobby_fill_poll(&l, pfd + POLL_FIXED,
	    POLL_MAX - POLL_FIXED);
	int timeout = poll_timeout(m), lt = lobby_timeout_ms(),
	    st = status_timeout_ms();

	if (lt >= 0 && lt < timeout)
		timeout = lt;
	if (st >= 0 && st < timeout)
		timeout = st;
	if (poll(pfd, (nfds_t)(POLL_FIXED + n), timeout) > 0) {
		drain_wake_pipe(m);
		if (pfd[1].revents & (POLLIN | POLLHUP))
			console_input(m);
	}
	status_handle(pfd[2].revents != 0);
	if (!m->stopping)
		lobby_handle(&l, pfd + POLL_FIXED, n);
	if (got_term && !m->stopping) {
		begin_stop(m);
		lobby_close_all();
	}
	if (m->stopping && (got_term > 1 || ft_mono_ns() > m->stop_deadline))
		signal_workers(m, SIGKILL);
	reap(m);
	if (m->fatal && !m->stopping) {
		log_error("a worker's setup can never work; stopping");
		begin_stop(m);
	}
	handle_flags(m);
	report_complete_tests(m->shm, m->conf);
	if (!m->stopping)
		respawn_due(m);
}

int
proc_run(const struct ft_conf *conf, const struct ft_sockets *socks,
    struct ft_shm *shm)
{
	static struct master m;
	unsigned k;

	m = (struct master){ .conf = conf, .socks = socks, .shm = shm,
	    .pid = getpid(), .console = isatty(STDIN_FILENO) };
	if (pipe2(m.wake, O_NONBLOCK | O_CLOEXEC) < 0 || master_signals(&m) < 0) {
		log_error("the master's signals: %s", strerror(errno));
		return FT_EXIT_FATAL;
	}
	shm->wake_fd = m.wake[1];
	lobby_init();
	ft_event_who("master");
	setproctitle("master");
	for (k = 0; k < conf->workers; k++)
		spawn(&m, (int)k);
	if (m.console)
		console_prompt();
	while (!(m.stopping && live_workers(&m) == 0))
		master_turn(&m);
	report_complete_tests(shm, conf);
	return m.fatal;
}
