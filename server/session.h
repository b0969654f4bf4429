/* session.h: one client's conversation with a worker. */
#ifndef SESSION_H
#define SESSION_H

#include <signal.h>
#include <sys/socket.h>

#include "conf.h"
#include "ft_shm.h"

/* What a worker knows of its world; proc.c fills it after fork. */
struct worker {
	const struct ft_conf *conf;
	const struct ft_sockets *socks;
	struct ft_shm *shm;
	int slot;
	volatile sig_atomic_t *stop;	/* set by SIGTERM/SIGINT */
};

/* Serves one accepted connection (non-blocking socket) to the end; the
 * caller closes it. */
void session_serve(const struct worker *w, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen);

#endif
