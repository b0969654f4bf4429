/* ft_udp_tx.h: the UDP sender's state machine. No system calls: the
 * driver (server/xfer_udp.c) feeds it events (the client's hello, a
 * report, the clock) and does what it decides (send these datagrams, a
 * FIN, wait so long, give up), so every decision can be replayed in a
 * unit test (t/unit-udp-tx.c).
 *
 * Phases: HELLO until the client's hello proves where it is (nothing is
 * sent before), SENDING (the first pass, then repairs) until the driver
 * sees the client's DONE, or FAILED with a reason.
 *
 * Bounds, whatever the reports say:
 * - the window: at most what the receiver's buffer holds, and never more
 *   than FT_UDP_WINDOW_MAX_BYTES in flight;
 * - the repair budget: at most FT_UDP_REPAIR_FACTOR times the file's
 *   datagrams re-sent, then the transfer fails;
 * - the work per report: at most FT_UDP_WALK_FACTOR windows of missing
 *   datagrams looked at (what is not looked at now is reported again);
 * - time: the hello must come within hello_ns; progress (the receiver's
 *   count of datagrams grows) within stall_ns; everything by deadline.
 * Reports are checked against what was sent: one that acknowledges a
 * transmission never made, counts that go back, ranges out of order or
 * past what was sent, more missing than not received: impossible, so
 * ignored and counted. */
#ifndef FT_UDP_TX_H
#define FT_UDP_TX_H

#include <stdbool.h>
#include <stdint.h>

#include "ft_dgram.h"
#include "ft_log.h"

#define FT_UDP_REPAIR_FACTOR	2	/* repairs: at most twice the file */
#define FT_UDP_WINDOW_MAX_BYTES	(16u << 20)
#define FT_UDP_WALK_FACTOR	2
#define FT_UDP_PROBE_NS		(20 * 1000000LL)	/* silence, then a FIN */
#define FT_UDP_SENT_RING	4096
#define FT_UDP_INITIAL_WINDOW	32
#define FT_UDP_REORDER_MARGIN	4
#define FT_UDP_QUEUE_SLACK_NS	(4 * 1000000LL)	/* RTT above min: a queue */

enum ft_tx_phase { FT_TX_HELLO, FT_TX_SENDING, FT_TX_FAILED };

struct ft_udp_tx_conf {
	uint64_t size;
	unsigned dsize;
	bool reliable;
	uint32_t peer_rcvbuf;	/* READY's rcvbuf: the receiver's buffer */
	uint64_t secret;	/* OK's secret=: every hello and report has it */
	int64_t hello_ns;	/* the hello must come within, from init */
	int64_t stall_ns;	/* no progress for so long fails */
	int64_t deadline;	/* monotonic ns: the whole transfer */
	int hello_s, stall_s, limit_s;	/* the same, for messages */
};

struct ft_udp_tx {
	struct ft_udp_tx_conf conf;
	enum ft_tx_phase phase;
	char reason[FT_REASON_MAX];
	uint32_t total, next_seq, tx;
	uint64_t budget;		/* transmissions allowed in all */
	uint64_t bytes;			/* payload of the first pass */
	uint64_t resent, bad_reports, stale_reports;
	uint32_t *last_tx;		/* per datagram: its latest tx */
	uint8_t *queued;		/* bitmap: in the repair queue */
	uint32_t *rq;			/* the repair queue (a ring) */
	uint32_t rq_cap, rq_head, rq_len;
	uint32_t window, window_max;
	bool slow_start;
	int64_t *sent_at;		/* by tx % FT_UDP_SENT_RING */
	int64_t min_rtt_ns;
	uint32_t delay_judged_tx;
	bool heard;			/* a report was taken */
	uint32_t peer_max_tx, peer_rx, peer_unique;
	uint32_t base_tx, base_rx;	/* where the last loss judgement ended */
	int64_t hello_deadline, first_ns, last_data_ns, last_progress_ns;
	int64_t last_fin_ns;
};

/* 0, or -1 when out of memory. now: monotonic ns. */
int ft_udp_tx_init(struct ft_udp_tx *t, const struct ft_udp_tx_conf *c,
    int64_t now);
void ft_udp_tx_free(struct ft_udp_tx *t);
/* A hello with this secret: true when it is the client's (sending
 * starts, or goes on; the driver sends to where it came from), false
 * for a forgery (counted in bad_reports). */
bool ft_udp_tx_hello(struct ft_udp_tx *t, uint64_t secret, int64_t now);
/* A report: 0 taken (the driver sends to where it came from), 1 stale
 * (overtaken by a newer one: ignored), -1 forged (no secret) or
 * impossible: ignored and counted in bad_reports. */
int ft_udp_tx_report(struct ft_udp_tx *t, const struct ft_dg_status *st,
    int64_t now);
/* The datagrams to send now, at most max: seqs[] and resent[], with
 * transmission numbers first_tx, first_tx + 1, ...; counted as sent at
 * now. 0 when the window is full or nothing is left (or the budget is
 * spent: then the phase is FAILED). */
unsigned ft_udp_tx_pick(struct ft_udp_tx *t, uint32_t *seqs, bool *resent,
    unsigned max, uint32_t *first_tx, int64_t now);
/* Whether to send a FIN now (*end: the pass is over, else a probe); if
 * so it counts as sent. */
bool ft_udp_tx_fin_due(struct ft_udp_tx *t, int64_t now, bool *end);
/* Checks the deadlines: the phase becomes FAILED with the reason. */
void ft_udp_tx_tick(struct ft_udp_tx *t, int64_t now);
/* How long the driver may wait for an event before asking again (ns). */
int64_t ft_udp_tx_wait_ns(const struct ft_udp_tx *t, int64_t now);
/* The receiver's reports acknowledge every datagram of the file. */
bool ft_udp_tx_complete(const struct ft_udp_tx *t);
/* Bytes the receiver's reports acknowledge (the file's size once they
 * acknowledge every datagram). */
uint64_t ft_udp_tx_acked_bytes(const struct ft_udp_tx *t);
/* Transmissions the receiver reported lost. */
uint64_t ft_udp_tx_lost(const struct ft_udp_tx *t);

#endif
