/* lobby.h: the master's answer when every worker is busy (lobby.c). */
#ifndef LOBBY_H
#define LOBBY_H

#include <poll.h>

#include "conf.h"
#include "ft_shm.h"

struct lobby {
	const struct ft_conf *conf;
	const struct ft_sockets *socks;
	struct ft_shm *shm;
};

void lobby_init(void);
/* The descriptors to poll: the listening socket while the pool is busy,
 * and the connections waiting for their request. Returns how many. */
int lobby_fill_poll(const struct lobby *l, struct pollfd *pfd, int max);
/* When to look again (ms), -1 for no need. */
int lobby_timeout_ms(void);
/* After poll: takes connections, reads requests, answers, expires. */
void lobby_handle(const struct lobby *l, const struct pollfd *pfd, int n);
void lobby_close_all(void);

#endif
