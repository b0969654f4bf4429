/* ftclient.h: the client's shared types. One thread per connection:
 * each runs the protocol top to bottom with blocking I/O, and hashing
 * (the CPU-heavy part: 2 GB/s per core at best) spreads over every core
 * without any scheduling of our own. A few dozen threads cost little; the
 * main thread only draws the view and coordinates the start. */
#ifndef FTCLIENT_H
#define FTCLIENT_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ft_log.h"
#include "ft_proto.h"

#define FT_VERSION "1.0.0"
#define FT_CLIENT_MAX 1024

enum conn_state {
	C_CONNECTING,	/* connecting, or waiting for a worker to take it */
	C_QUEUED,	/* the server has no seats for the test yet */
	C_WAITING,	/* accepted: waiting for the others / confirmation */
	C_READY,	/* READY sent, waiting for the synchronized start */
	C_RECEIVING,
	C_VERIFYING,
	C_DONE,
	C_FAILED,
};

/* store.c: the received file, written aside (anonymous, or a hidden
 * name of its own) and published under its final name once verified,
 * never replacing a file already there. */
struct store {
	int fd, dirfd;
	char dir[4096];
	char stem[64];		/* "ClienteK-Prueba-N" */
	char part[128];		/* the aside name, "" when anonymous */
	char final[4300];	/* the published path, once published */
};

struct client;

struct udp_receiver;

struct conn {
	unsigned no;			/* K in ClienteK-Prueba-N */
	struct client *cl;
	pthread_t thread;
	int fd;
	int udp_fd;			/* UDP mode: where datagrams arrive */
	struct udp_receiver *udp_rx;	/* ...and its state, until the end */
	bool udp_gro;			/* ...which may read glued datagrams */
	_Atomic int state;		/* enum conn_state */
	_Atomic uint64_t bytes;		/* received so far */
	_Atomic unsigned ahead;		/* C_QUEUED: runs before ours */
	int64_t first_ns, end_ns;	/* first byte, DONE sent (__atomic: the live
				 * table reads them as they are written) */
	int64_t last_rx_ns;		/* UDP: the last new datagram's arrival */
	int64_t data_ns;		/* when the DATA line came */
	/* x's bytes and ns are final (stored with release by its thread):
	 * samples.c closes the connection's rows at the next tick */
	_Atomic bool ended;
	struct timespec server_start;	/* the test's release, from DATA */
	struct ft_offer offer;
	struct ft_xfer x;		/* the outcome, as logged */
	char path[4096];		/* final file name */
	struct store st;		/* reserved when the offer arrives */
	bool unfinished;		/* its thread still stuck at the end */
};

struct client_opts {
	unsigned clients;
	const char *host, *port;
	const char *file;		/* NULL: the server's selection */
	const char *out_dir, *logs_dir;
	bool udp, yes, list, keep_failed;
	int timeout_s;			/* each wait for the server */
	int64_t interval_ns;		/* samples every so often; 0: none */
	const char *json_path;		/* --json FILE ("-": stdout) */
	bool json_stream;		/* --json-stream on stdout */
	int queue_timeout_s;		/* queued for a turn, at most */
};

struct client {
	struct client_opts o;
	uint64_t run;
	struct conn *conns;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int go;				/* 0 wait, 1 start, -1 cancel */
	_Atomic int interrupted;	/* the signal, 0 until one (the handler
				 * writes it, every thread reads it) */
	bool stopped;			/* connections shut down after it */
	int64_t give_up;		/* ...and waited for until then */
	unsigned settled;		/* connections past the handshake */
	unsigned seated;		/* ...of them seated after a queue */
	struct timespec start_wall;
	int64_t start_ns, end_ns;
	struct samples *samples;	/* samples.c's state */
};

/* conn.c */
void *conn_main(void *arg);
int list_catalogue(const struct client_opts *o);

void conn_fail(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* udp_recv.c */
struct ft_reader;
struct ft_sha256;
int udp_open(struct conn *c, uint32_t *rcvbuf);
/* Receives the file into the open file descriptor, feeding h in file
 * order. 0 complete; 1 incomplete (raw mode losses: reason set); -1
 * failed (reason set). */
int udp_receive(struct conn *c, struct ft_reader *in, int file,
    struct ft_sha256 *h);
/* After DONE, until the verdict is readable on in (or the deadline):
 * answers the server's FIN probes with the final report. */
void udp_await_verdict(struct conn *c, struct ft_reader *in,
    int64_t deadline);
/* Frees the receiver's state (the socket is the connection's). */
void udp_close(struct conn *c);

/* store.c */
int store_open(struct store *st, const char *dir, unsigned k, unsigned n,
    uint64_t size, char *why, size_t whylen);
/* The copy is verified (its bytes hash to sha256): publish it. 0, or -1
 * with errno (the store is left open for store_discard/keep_failed);
 * EEXIST: every name was taken (store_no_name says so). */
int store_commit(struct store *st, const char *sha256);
void store_no_name(const struct store *st, char *why, size_t whylen);
/* --keep-failed: publish a failed copy as ClienteK-Prueba-N-failed.txt,
 * cut after the first `received` bytes (what arrived in order, over TCP),
 * or whole (STORE_KEEP_ALL: over UDP data land at their place, with holes
 * between). */
#define STORE_KEEP_ALL UINT64_MAX
int store_keep_failed(struct store *st, uint64_t received);
void store_discard(struct store *st);
void store_close(struct store *st);
extern bool store_named_aside;	/* unit tests: the path without O_TMPFILE */
extern uint64_t (*store_nonce)(void);	/* the aside name's random part */

/* run.c: the test's start as the log dates it (the server's release,
 * or our go when the server's clock is off ours); *skew_s: how far off. */
struct timespec run_test_start(const struct client *cl, long long *skew_s);
/* The same from C's own DATA line alone: the main thread's samples read
 * no other connection's, which its thread may be writing (all members
 * of a test get the same start). */
struct timespec run_conn_start(const struct client *cl, const struct conn *c,
    long long *skew_s);
/* The first connection that has the server's offer; NULL: none yet. */
const struct conn *run_first_offer(const struct client *cl);
/* Whether stdout carries JSON only (--json-stream, --json -). */
bool run_stdout_is_json(const struct client_opts *o);

/* samples.c: progress over time, from the main thread's tick (no cost
 * on the receiving threads beyond the counters they already publish).
 * Open before the run (-1 with errno, what failed in *what); start at
 * the go (or the cancellation); tick whenever the loop wakes (it samples
 * when due); finish once the log is written (log_path NULL: none).
 * finish returns -1 when the samples or the JSON could not be written
 * (said on stderr). */
int samples_open(struct client *cl, const char **what);
void samples_start(struct client *cl);
int64_t samples_due(const struct client *cl);	/* 0: nothing due */
void samples_tick(struct client *cl);
int samples_finish(struct client *cl, const char *log_path);

/* view.c */
const char *conn_state_name(int state);
void view_init(struct client *cl);
void view_update(struct client *cl, bool final);
void view_summary(struct client *cl, const char *log_path);

#endif
