/* worker.c: a preforked worker. It blocks in accept() on the listening
 * socket it shares with its siblings (the kernel hands each connection to
 * one of them) and serves one client at a time. SIGTERM/SIGINT only set a
 * flag: an idle worker leaves accept() and exits; a busy one finishes its
 * transfer first. */
#include "ftserver.h"
#include "ft_io.h"
#include "ft_time.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bsd/unistd.h>

static void
on_stop(int sig)
{
	(void)sig;
	ft_stop_requested = 1;
}

static void
worker_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t none;

	/* No SA_RESTART: accept() and poll() must return to see the flag. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);	/* the master's business */
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Closes so that our last words (often an ERR line) reach the client:
 * closing with unread input would reset the connection and drop them.
 * So: end our side, then read and discard until the client closes, for
 * a bounded time and amount. */
static void
lingering_close(int fd)
{
	char sink[16384];
	int64_t deadline = ft_deadline_ms(500);
	size_t total = 0;
	ssize_t n;

	shutdown(fd, SHUT_WR);
	while (total < (1u << 20) && ft_wait_readable(fd, deadline) > 0) {
		n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	close(fd);
}

static void
set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	/* A client that stops reading makes sendfile() fail with EAGAIN
	 * after this long instead of holding the worker forever. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void
worker_main(struct server *s, int slot)
{
	struct ft_slot *me = &s->shm->slots[slot];
	struct sockaddr_storage peer;
	socklen_t len;
	int fd;

	s->slot = slot;
	worker_signals();
	close(s->wake_fd[0]);
	if (s->files_dirfd < 0)
		_exit(FT_EXIT_FATAL);
	while (!ft_stop_requested) {
		me->state = FT_SLOT_IDLE;
		setproctitle("worker %d idle", slot + 1);
		len = sizeof(peer);
		fd = accept4(s->listen_fd, (struct sockaddr *)&peer, &len,
		    SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINVAL)
				break;	/* the master shut the socket: stopping */
			if (errno != EINTR && errno != ECONNABORTED) {
				fprintf(stderr, "ftserver: worker %d: accept: %s\n",
				    slot + 1, strerror(errno));
				usleep(100000);	/* e.g. EMFILE: do not spin */
			}
			continue;
		}
		set_timeouts(fd, s->io_timeout_s);
		session_serve(s, fd, &peer, len);
		lingering_close(fd);
	}
	me->state = FT_SLOT_EXITING;
	_exit(0);
}
