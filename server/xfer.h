/* xfer.h: a transfer, the same steps for both protocols. The session
 * hands over the open file, the control connection and the limits; the
 * transfer sends DATA and the file (xfer_tcp_send, xfer_udp_send), then
 * reads the client's DONE and answers BYE (xfer_confirm), filling the
 * outcome (bytes, time, reason) as it goes. */
#ifndef XFER_H
#define XFER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "catalogue.h"
#include "ft_log.h"

struct ft_reader;

struct xfer_job {
	int tcp_fd;
	struct ft_reader *in;		/* the control connection's reader */
	const struct served_file *file;
	struct timespec start;		/* the test's release, for the DATA line */
	int64_t deadline_ns;		/* the whole transfer, DATA to BYE */
	int limit_s;			/* ...the same, for messages */
	int stall_s;			/* no progress for this long fails */
	volatile uint64_t *progress;	/* bytes sent, for the stats dump */
	volatile sig_atomic_t *stop;	/* the server is stopping */
	/* UDP only */
	int udp_fd;
	struct sockaddr_storage local;	/* our address on the TCP side */
	unsigned dsize;
	uint32_t xfer;
	bool reliable;
	uint32_t peer_rcvbuf;
	uint64_t secret;		/* OK's secret=: proves hello and reports */
	bool gso;			/* the kernel segments our sends */
};

/* DATA and the file's bytes: 0 when all of it went out, -1 otherwise
 * (x->reason says why). TCP: *first_ns is when the first byte left (the
 * session stops the clock at the confirmation). UDP fills x->ns itself,
 * first datagram to last, and x->confirm_ns up to the client's DONE;
 * *acked: the bytes the client's reports acknowledge. */
int xfer_tcp_send(const struct xfer_job *job, struct ft_xfer *x,
    int64_t *first_ns);
int xfer_udp_send(const struct xfer_job *job, struct ft_xfer *x,
    uint64_t *acked);

/* xfer.c: what both share. */
int xfer_send_data_line(const struct xfer_job *job, struct ft_xfer *x);
/* After the last byte: the client's DONE, checked against our own count
 * (sent: the bytes that went out; acked: those the client acknowledged,
 * over TCP the same) and hash; then BYE. 0 when it matches (x->ok set). */
int xfer_confirm(const struct xfer_job *job, uint64_t sent, uint64_t acked,
    struct ft_xfer *x);
/* The sooner of the stall limit from now and the transfer's deadline. */
int64_t xfer_next_deadline(const struct xfer_job *job);

#endif
