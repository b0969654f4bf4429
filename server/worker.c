/* worker.c: a preforked worker. It blocks in accept() on the listening
 * socket it shares with its siblings (the kernel hands each connection to
 * one of them) and serves one client at a time. SIGTERM/SIGINT only set a
 * flag: an idle worker leaves accept() and exits; a busy one finishes its
 * transfer first. */
#include "ftserver.h"

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
			if (errno != EINTR && errno != ECONNABORTED) {
				fprintf(stderr, "ftserver: worker %d: accept: %s\n",
				    slot + 1, strerror(errno));
				usleep(100000);	/* e.g. EMFILE: do not spin */
			}
			continue;
		}
		set_timeouts(fd, s->io_timeout_s);
		session_serve(s, fd, (struct sockaddr *)&peer, len);
		close(fd);
	}
	me->state = FT_SLOT_EXITING;
	_exit(0);
}
