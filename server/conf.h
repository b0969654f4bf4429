/* conf.h: what ftserver was told (options, fixed once main has parsed
 * them: every module gets a const struct ft_conf) and what main opened
 * for the workers to inherit. Data only: every module may include it. */
#ifndef FT_CONF_H
#define FT_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "ft_proto.h"

#define FT_VERSION "1.0.0"
#define FT_MAX_WORKERS_CONF 128	/* = FT_MAX_WORKERS (ft_shm.h) */

/* Exit code of a worker that must not be respawned (its setup can never
 * work); the master then stops with the same code. */
#define FT_EXIT_FATAL 3

struct ft_conf {
	unsigned workers;
	unsigned port;
	const char *bind_addr;
	const char *files_dir;
	const char *logs_dir;
	const char *pidfile;
	const char *file;		/* -f, NULL: the first in the folder */
	unsigned group_size;		/* -n at start (the console may change
					 * the live value in the segment) */
	enum ft_proto_kind proto;
	unsigned datagram;		/* -s, 0: from the path MTU */
	bool reliable;
	int ready_timeout_s;	/* a test must start within, from its offer */
	int idle_timeout_s;	/* the handshake phase, LIST replies included */
	int io_timeout_s;	/* a transfer without progress fails after */
	int transfer_timeout_s;	/* a whole transfer must end within */
	int grace_s;		/* SIGTERM: how long transfers may finish */
	unsigned per_address;	/* connections from one address waiting to
				 * send their request; beyond, at once */
	const char *status;	/* --status ADDR:PORT, NULL: no endpoint */
	uint64_t logs_quota;	/* bytes of test logs in the logs folder,
				 * beyond which no more are written; 0: none */
};

/* Opened by main before the master forks; every worker inherits them. */
struct ft_sockets {
	int listen_fd;
	uint16_t bound_port;
	int udp_fds[FT_MAX_WORKERS_CONF];	/* UDP mode: worker k's socket */
	uint32_t udp_sndbuf_asked, udp_sndbuf_got;
	bool udp_gso;		/* the kernel segments our datagrams (GSO) */
};

#endif
