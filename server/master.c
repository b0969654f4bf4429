/* master.c: the supervisor. After forking the workers it only waits:
 * in poll() on a self-pipe that signal handlers and workers write to
 * (and on stdin when the console is on). Handlers set flags; the loop
 * reaps and respawns workers into their slot, writes the logs of
 * finished tests, dumps stats and rescans the catalogue. */
#include "ftserver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bsd/unistd.h>

#include "ft_time.h"

volatile sig_atomic_t ft_stop_requested;
static volatile sig_atomic_t got_chld, got_usr1, got_hup, got_term;
static int wake_write_fd = -1;

/* Master-private bookkeeping for respawn back-off. */
struct slot_life {
	int64_t started_ns;
	int64_t respawn_at_ns;	/* 0: not waiting */
	unsigned quick_deaths;
};
static struct slot_life lives[FT_MAX_WORKERS];

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	switch (sig) {
	case SIGCHLD: got_chld = 1; break;
	case SIGUSR1: got_usr1 = 1; break;
	case SIGHUP: got_hup = 1; break;
	default: got_term++; break;
	}
	if (write(wake_write_fd, &c, 1) < 0) {
		/* Pipe full: the loop is already due to wake. */
	}
	errno = saved;
}

void
master_wake(struct server *s)
{
	char c = 'w';

	if (write(s->wake_fd[1], &c, 1) < 0) {
		/* Full pipe means the master will wake anyway. */
	}
}

static void
master_signals(struct server *s)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int sigs[] = { SIGCHLD, SIGUSR1, SIGHUP, SIGTERM, SIGINT };
	size_t i;

	wake_write_fd = s->wake_fd[1];
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int
spawn(struct server *s, int slot)
{
	struct ft_slot *S = &s->shm->slots[slot];
	pid_t pid;

	memset(S, 0, sizeof(*S));
	S->group = S->record = FT_NO_INDEX;
	S->state = FT_SLOT_IDLE;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ftserver: fork: %s\n", strerror(errno));
		S->state = FT_SLOT_EMPTY;
		return -1;
	}
	if (pid == 0)
		worker_main(s, slot);
	S->pid = pid;
	lives[slot].started_ns = ft_mono_ns();
	lives[slot].respawn_at_ns = 0;
	return 0;
}

static int
slot_of(struct server *s, pid_t pid)
{
	unsigned k;

	for (k = 0; k < s->workers; k++)
		if (s->shm->slots[k].pid == pid)
			return (int)k;
	return -1;
}

/* Respawn soon, later if the worker keeps dying young (no fork storm). */
static void
schedule_respawn(int slot)
{
	struct slot_life *l = &lives[slot];
	int64_t now = ft_mono_ns(), delay;

	if (now - l->started_ns < 1000000000LL)
		l->quick_deaths++;
	else
		l->quick_deaths = 0;
	delay = l->quick_deaths == 0 ? 0 :
	    (100000000LL << (l->quick_deaths > 9 ? 9 : l->quick_deaths));
	if (delay > 30000000000LL)
		delay = 30000000000LL;
	l->respawn_at_ns = now + delay;
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

/* Returns FT_EXIT_FATAL when a worker reported a fatal error. */
static int
reap(struct server *s, bool stopping)
{
	char how[64], reason[FT_REASON_MAX + 64];
	int status, slot, fatal = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((slot = slot_of(s, pid)) < 0)
			continue;
		describe_death(status, how, sizeof(how));
		if (WIFEXITED(status) && WEXITSTATUS(status) == FT_EXIT_FATAL)
			fatal = FT_EXIT_FATAL;
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			snprintf(reason, sizeof(reason), "worker %d (pid %d) %s",
			    slot + 1, (int)pid, how);
			fprintf(stderr, "ftserver: %s%s\n", reason, stopping ||
			    fatal ? "" : "; respawning it");
			group_member_died(s, slot, reason);
		}
		s->shm->slots[slot].pid = 0;
		s->shm->slots[slot].state = FT_SLOT_EMPTY;
		if (!stopping && !fatal)
			schedule_respawn(slot);
	}
	return fatal;
}

static void
respawn_due(struct server *s)
{
	int64_t now = ft_mono_ns();
	unsigned k;

	for (k = 0; k < s->workers; k++)
		if (s->shm->slots[k].pid == 0 && lives[k].respawn_at_ns != 0 &&
		    lives[k].respawn_at_ns <= now)
			spawn(s, (int)k);
}

static unsigned
live_workers(struct server *s)
{
	unsigned k, n = 0;

	for (k = 0; k < s->workers; k++)
		n += s->shm->slots[k].pid != 0;
	return n;
}

static void
signal_workers(struct server *s, int sig)
{
	unsigned k;

	for (k = 0; k < s->workers; k++)
		if (s->shm->slots[k].pid > 0)
			kill(s->shm->slots[k].pid, sig);
}

static void
drain_wake_pipe(struct server *s)
{
	char buf[256];

	while (read(s->wake_fd[0], buf, sizeof(buf)) > 0)
		;
}

static int
poll_timeout(struct server *s, bool stopping)
{
	int64_t now = ft_mono_ns(), next = now + 1000000000LL;
	unsigned k;

	for (k = 0; k < s->workers; k++)
		if (s->shm->slots[k].pid == 0 && lives[k].respawn_at_ns != 0 &&
		    lives[k].respawn_at_ns < next)
			next = lives[k].respawn_at_ns;
	if (stopping && next > now + 100000000LL)
		next = now + 100000000LL;
	return next <= now ? 0 : (int)((next - now) / 1000000) + 1;
}

static void
console_input(struct server *s, bool *console)
{
	char line[512];

	if (fgets(line, sizeof(line), stdin) == NULL) {
		*console = false;	/* EOF: the console goes quiet */
		return;
	}
	console_handle_line(s, line);
	console_prompt();
}

static void
begin_stop(struct server *s, int64_t *deadline)
{
	fprintf(stderr, "ftserver: stopping: letting transfers in flight "
	    "finish (at most %d s; signal again to stop at once)\n", s->grace_s);
	ft_stop_requested = 1;
	signal_workers(s, SIGTERM);
	/* Busy workers still hold the listening socket: shut it down for all
	 * of them, or the kernel would go on queueing new connections that
	 * nobody will answer. New clients are refused from here on. */
	shutdown(s->listen_fd, SHUT_RDWR);
	close(s->listen_fd);
	s->listen_fd = -1;
	*deadline = ft_mono_ns() + (int64_t)s->grace_s * 1000000000LL;
}

static void
handle_flags(struct server *s)
{
	if (got_usr1) {
		got_usr1 = 0;
		report_stats(s, stdout);
		fflush(stdout);
	}
	if (got_hup) {
		got_hup = 0;
		fprintf(stderr, "ftserver: SIGHUP: catalogue rescanned, %d files\n",
		    catalogue_scan(s));
	}
}

int
master_run(struct server *s)
{
	struct pollfd pfd[2];
	bool console = isatty(STDIN_FILENO), stopping = false;
	int64_t deadline = 0;
	int fatal = 0;
	unsigned k;

	master_signals(s);
	setproctitle("master");
	for (k = 0; k < s->workers; k++)
		spawn(s, (int)k);
	if (console)
		console_prompt();
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = s->wake_fd[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = console ? STDIN_FILENO : -1,
		    .events = POLLIN };
		if (poll(pfd, 2, poll_timeout(s, stopping)) > 0) {
			drain_wake_pipe(s);
			if (pfd[1].revents & (POLLIN | POLLHUP))
				console_input(s, &console);
		}
		if (got_term && !stopping) {
			stopping = true;
			begin_stop(s, &deadline);
		}
		if (stopping && (got_term > 1 || ft_mono_ns() > deadline))
			signal_workers(s, SIGKILL);
		got_chld = 0;
		if (reap(s, stopping) != 0 && !stopping) {
			fatal = FT_EXIT_FATAL;
			fprintf(stderr, "ftserver: a worker hit a fatal error; "
			    "stopping\n");
			stopping = true;
			begin_stop(s, &deadline);
		}
		handle_flags(s);
		report_complete_groups(s);
		if (stopping && live_workers(s) == 0)
			break;
		if (!stopping)
			respawn_due(s);
	}
	report_complete_groups(s);
	return fatal;
}
