/* ftserver.h: the server's internal interfaces: options, the master's
 * and the workers' entry points, and the modules they share. The shared
 * memory they meet in is described in common/ft_shm.h. */
#ifndef FTSERVER_H
#define FTSERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "ft_shm.h"

#define FT_VERSION "1.0.0"

/* Exit code of a worker that must not be respawned (configuration can
 * never work); the master then stops with the same code. */
#define FT_EXIT_FATAL 3

struct server {
	/* Options. */
	unsigned workers;
	unsigned port;
	const char *bind_addr;
	const char *files_dir;
	const char *logs_dir;
	const char *pidfile;
	unsigned group_size;
	enum ft_proto_kind proto;
	unsigned datagram;
	bool reliable;
	int ready_timeout_s;	/* a joined client must say READY by then */
	int idle_timeout_s;	/* a new connection must ask by then */
	int io_timeout_s;	/* a stalled transfer fails after this */
	int grace_s;		/* SIGTERM: how long transfers may finish */
	/* Set up by the master before fork. */
	int listen_fd;
	int files_dirfd;
	int wake_fd[2];		/* self-pipe: signals and workers wake master */
	uint16_t bound_port;
	int udp_fds[FT_MAX_WORKERS];	/* UDP mode: worker k's socket */
	uint32_t udp_sndbuf_asked, udp_sndbuf_got;
	struct ft_shm *shm;
	/* In a worker: its slot (the master has -1). */
	int slot;
};

/* Flags set by signal handlers; work is done in the loops. */
extern volatile sig_atomic_t ft_stop_requested;

/* master.c */
int master_run(struct server *s);
void master_wake(struct server *s);

/* worker.c */
void worker_main(struct server *s, int slot) __attribute__((noreturn));

/* session.c: one TCP control conversation. */
void session_serve(struct server *s, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen);

/* catalogue.c */
int catalogue_scan(struct server *s);
bool catalogue_contains(struct ft_shm *shm, const char *name);
struct served_file {
	int fd;
	char name[FT_NAME_MAX + 1];
	uint64_t size;
	char sha256[FT_SHA256_HEX];
};
/* Opens a catalogue file and gets its (cached) SHA-256. On error returns
 * an FT_ERR_* code and a message in why. */
int catalogue_open(struct server *s, const char *name, struct served_file *f,
    char *why, size_t whylen);
void catalogue_print(struct server *s, FILE *out);

/* group.c */
struct join_result {
	int group;
	unsigned index;			/* in the group's member arrays */
	unsigned member, expected;	/* the client's number, the group size */
	int record;
};
/* The file a request would get: the open group's, or the requested one,
 * or the server's selection. 0, or an FT_ERR_* code with why. */
int group_choose_file(struct server *s, const struct ft_request *req,
    char *name, char *why, size_t whylen);
int group_join(struct server *s, const struct ft_request *req,
    const struct served_file *f, struct join_result *out, char *why,
    size_t whylen);
/* READY: waits for the synchronized start. 0 when released; -1 when the
 * group was aborted (why says so). */
int group_ready_wait(struct server *s, const struct join_result *j,
    char *why, size_t whylen);
/* The member leaves: done (transfer attempted, record filled) or gone. */
void group_leave(struct server *s, const struct join_result *j, bool done);
/* Master, after reaping a worker that held a membership. */
void group_member_died(struct server *s, int slot, const char *reason);
struct ft_xfer *group_record(struct server *s, int record);

/* udp_send.c: one UDP transfer, driven by a worker's session. */
struct ft_reader;
struct udp_job {
	int udp_fd, tcp_fd;
	struct ft_reader *in;		/* the control connection's reader */
	struct sockaddr_storage peer;	/* the client's UDP address */
	struct sockaddr_storage local;	/* our address on the TCP side */
	socklen_t peerlen;
	const struct served_file *file;
	unsigned dsize;
	uint32_t xfer;
	bool reliable;
	uint32_t peer_rcvbuf;
	int io_timeout_s;
	uint64_t *progress;		/* bytes sent, for the stats dump */
};
/* Sends until the control connection has something to say (the DONE
 * line, normally) or the client goes silent. 0, or -1 with x->reason. */
int udp_send_file(struct udp_job *job, struct ft_xfer *x);

/* report.c */
void report_complete_groups(struct server *s);
void report_stats(struct server *s, FILE *out);

/* console.c */
void console_prompt(void);
void console_handle_line(struct server *s, char *line);

#endif
