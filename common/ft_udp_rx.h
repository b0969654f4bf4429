/* ft_udp_rx.h: the UDP receiver's state machine. No system calls: the
 * driver (client/udp_recv.c) hands it each datagram from the server's
 * address and the clock, writes and hashes the new data it points at,
 * and sends the hello and the reports it asks for, so every decision can
 * be replayed in a unit test (t/unit-udp-rx.c, t/unit-udp-pair.c).
 *
 * Phases: HELLO until the first datagram of this transfer arrives (a
 * hello goes out every FT_UDP_HELLO_EVERY_NS meanwhile: it opens the
 * NAT mapping and the firewall state the data needs, and tells the
 * server where to send), RECEIVING, then DONE (every datagram, or raw
 * mode's end) or FAILED with a reason.
 *
 * Reports (STATUS): every status_every new transmissions, whenever the
 * socket is drained, at once after a FIN, and every FT_UDP_IDLE_STATUS_NS
 * of silence in reliable mode (so a lost report cannot stall the sender,
 * and the path stays open). Each carries the secret, the highest
 * transmission seen, the counts and, in reliable mode, the missing
 * ranges from the first gap up to what should have arrived. */
#ifndef FT_UDP_RX_H
#define FT_UDP_RX_H

#include <stdbool.h>
#include <stdint.h>

#include "ft_dgram.h"
#include "ft_log.h"

#define FT_UDP_HELLO_EVERY_NS	(100 * 1000000LL)
#define FT_UDP_IDLE_STATUS_NS	(10 * 1000000LL)
#define FT_UDP_RAW_END_NS	(1000 * 1000000LL) /* raw: silence ends it */
#define FT_UDP_STATUS_EVERY_MAX	16

enum ft_rx_phase { FT_RX_HELLO, FT_RX_RECEIVING, FT_RX_DONE, FT_RX_FAILED };

/* What a datagram was. */
enum ft_rx_verdict { FT_RX_NEW, FT_RX_DUP, FT_RX_FIN, FT_RX_BAD };

struct ft_udp_rx_conf {
	uint64_t size;
	unsigned dsize;
	uint32_t xfer;
	uint64_t secret;
	bool reliable;
	uint32_t rcvbuf;	/* our socket's buffer: the report rhythm */
	int64_t silence_ns;	/* no datagram for so long fails */
	int silence_s;		/* the same, for messages */
};

struct ft_udp_rx {
	struct ft_udp_rx_conf conf;
	enum ft_rx_phase phase;
	char reason[FT_REASON_MAX];
	uint32_t total;
	uint8_t *have;			/* bitmap: datagrams that arrived */
	uint32_t unique, low, max_seq, max_tx, rx_count;
	uint64_t bytes, dups, bad;
	bool any_tx, fin_seen;
	unsigned status_every, since_status, hellos;
	int64_t started_ns, last_status_ns, last_hello_ns;
	int64_t first_rx_ns, last_rx_ns;	/* data arrivals */
};

int ft_udp_rx_init(struct ft_udp_rx *r, const struct ft_udp_rx_conf *c,
    int64_t now);
void ft_udp_rx_free(struct ft_udp_rx *r);
/* One datagram from the server's address (n bytes; truncated: it did not
 * fit). FT_RX_NEW: *seq is new data, its payload at buf + FT_DG_HEADER,
 * *len bytes, for offset seq * dsize. arrival: when it arrived. */
enum ft_rx_verdict ft_udp_rx_datagram(struct ft_udp_rx *r, const uint8_t *buf,
    size_t n, bool truncated, int64_t arrival, uint32_t *seq, unsigned *len);
bool ft_udp_rx_have(const struct ft_udp_rx *r, uint32_t seq);
/* Whether to send a hello now (counted as sent). */
bool ft_udp_rx_hello_due(struct ft_udp_rx *r, int64_t now);
/* Whether a report is due: drained says the socket had no more. */
bool ft_udp_rx_status_due(const struct ft_udp_rx *r, bool drained,
    int64_t now);
/* The report to send now (counted as sent). */
void ft_udp_rx_status(struct ft_udp_rx *r, struct ft_dg_status *st,
    int64_t now);
/* Checks the clock: raw mode's end, silences that fail. */
void ft_udp_rx_tick(struct ft_udp_rx *r, int64_t now);
/* How long the driver may wait for a datagram before asking again. */
int64_t ft_udp_rx_wait_ns(const struct ft_udp_rx *r, int64_t now);
/* Transmissions lost (reliable: by tx numbers), or datagrams never
 * received (raw). */
uint64_t ft_udp_rx_lost(const struct ft_udp_rx *r);

#endif
