/* ft_udp_rx.c: the UDP receiver's decisions (ft_udp_rx.h), no system
 * calls. */
#include "ft_udp_rx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fail(struct ft_udp_rx *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct ft_udp_rx *r, const char *fmt, ...)
{
	va_list ap;

	if (r->phase == FT_RX_FAILED || r->phase == FT_RX_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	r->phase = FT_RX_FAILED;
}

int
ft_udp_rx_init(struct ft_udp_rx *r, const struct ft_udp_rx_conf *c,
    int64_t now)
{
	memset(r, 0, sizeof(*r));
	r->conf = *c;
	if (!ft_dg_fits(c->size, c->dsize))
		return -1;
	r->total = ft_dg_count(c->size, c->dsize);
	r->phase = r->total == 0 ? FT_RX_DONE : FT_RX_HELLO;
	/* Reports clock the sender: each lets out as many datagrams as it
	 * acknowledges, so frequent ones keep bursts small enough for a
	 * shaper's short queue. */
	r->status_every = ft_dg_window(c->rcvbuf, c->dsize) / 8;
	if (r->status_every > FT_UDP_STATUS_EVERY_MAX)
		r->status_every = FT_UDP_STATUS_EVERY_MAX;
	if (r->status_every < 1)
		r->status_every = 1;
	r->started_ns = now;
	r->have = calloc(r->total / 8 + 1, 1);
	return r->have != NULL ? 0 : -1;
}

void
ft_udp_rx_free(struct ft_udp_rx *r)
{
	free(r->have);
	r->have = NULL;
}

bool
ft_udp_rx_have(const struct ft_udp_rx *r, uint32_t seq)
{
	return seq < r->total && ft_bit_get(r->have, seq);
}

static void
check_finished(struct ft_udp_rx *r)
{
	if (r->phase == FT_RX_RECEIVING &&
	    (r->unique == r->total || (!r->conf.reliable && r->fin_seen)))
		r->phase = FT_RX_DONE;
}

/* The highest transmission seen moves forward only (tx numbers wrap
 * after 2^32, so compared as a difference). */
static void
saw_tx(struct ft_udp_rx *r, uint32_t tx)
{
	if (!r->any_tx || (int32_t)(tx - r->max_tx) > 0)
		r->max_tx = tx, r->any_tx = true;
}

static enum ft_rx_verdict
take_fin(struct ft_udp_rx *r, const struct ft_dg_header *h,
    const uint8_t *buf, size_t n)
{
	uint32_t total, tx;

	if (ft_dg_get_fin(buf, n, &total, &tx) < 0 || total != r->total) {
		r->bad++;
		return FT_RX_BAD;
	}
	/* Everything sent before the FIN has arrived or is lost. */
	if (tx > 0)
		saw_tx(r, tx - 1);
	if (h->flags & FT_DG_END)
		r->fin_seen = true;
	r->since_status = r->status_every;	/* answer at once */
	if (r->phase == FT_RX_HELLO)
		r->phase = FT_RX_RECEIVING;
	check_finished(r);
	return FT_RX_FIN;
}

enum ft_rx_verdict
ft_udp_rx_datagram(struct ft_udp_rx *r, const uint8_t *buf, size_t n,
    bool truncated, int64_t arrival, uint32_t *seq, unsigned *len)
{
	struct ft_dg_header h;

	if (truncated || ft_dg_get_header(buf, n, &h) < 0 ||
	    h.xfer != r->conf.xfer) {
		r->bad++;
		return FT_RX_BAD;
	}
	if (h.type == FT_DG_FIN)
		return take_fin(r, &h, buf, n);
	if (h.type != FT_DG_DATA || h.seq >= r->total ||
	    h.len != ft_dg_len(r->conf.size, r->conf.dsize, h.seq)) {
		r->bad++;
		return FT_RX_BAD;
	}
	if (r->phase == FT_RX_HELLO)
		r->phase = FT_RX_RECEIVING;
	r->rx_count++;
	r->since_status++;
	saw_tx(r, h.tx);
	if (ft_bit_get(r->have, h.seq)) {
		r->dups++;
		return FT_RX_DUP;
	}
	ft_bit_set(r->have, h.seq, true);
	r->unique++;
	r->bytes += h.len;
	if (!(h.flags & FT_DG_RESENT) && h.seq + 1 > r->max_seq)
		r->max_seq = h.seq + 1;
	while (r->low < r->total && ft_bit_get(r->have, r->low))
		r->low++;
	r->last_rx_ns = arrival;
	if (r->first_rx_ns == 0 || arrival < r->first_rx_ns)
		r->first_rx_ns = arrival;
	*seq = h.seq;
	*len = h.len;
	check_finished(r);
	return FT_RX_NEW;
}

bool
ft_udp_rx_hello_due(struct ft_udp_rx *r, int64_t now)
{
	if (r->phase != FT_RX_HELLO ||
	    (r->hellos > 0 && now - r->last_hello_ns < FT_UDP_HELLO_EVERY_NS))
		return false;
	r->hellos++;
	r->last_hello_ns = now;
	return true;
}

bool
ft_udp_rx_status_due(const struct ft_udp_rx *r, bool drained, int64_t now)
{
	if (r->phase == FT_RX_HELLO || r->phase == FT_RX_FAILED)
		return false;
	return r->since_status >= r->status_every ||
	    (drained && r->since_status > 0) ||
	    (r->conf.reliable && r->phase == FT_RX_RECEIVING &&
	    now - r->last_status_ns >= FT_UDP_IDLE_STATUS_NS);
}

/* Missing ranges from the first gap up to what should have arrived. */
static void
collect_ranges(const struct ft_udp_rx *r, struct ft_dg_status *st)
{
	uint32_t limit = r->fin_seen ? r->total : r->max_seq, q = r->low, first;

	st->nranges = 0;
	while (q < limit && st->nranges < FT_DG_MAX_RANGES) {
		if (ft_bit_get(r->have, q)) {
			q++;
			continue;
		}
		first = q;
		while (q < limit && !ft_bit_get(r->have, q))
			q++;
		st->ranges[st->nranges++] = (struct ft_dg_range){ first, q - first };
	}
}

void
ft_udp_rx_status(struct ft_udp_rx *r, struct ft_dg_status *st, int64_t now)
{
	st->secret = r->conf.secret;
	st->max_tx = r->max_tx;
	st->rx_count = r->rx_count;
	st->unique = r->unique;
	st->nranges = 0;
	if (r->conf.reliable)
		collect_ranges(r, st);
	r->since_status = 0;
	r->last_status_ns = now;
}

void
ft_udp_rx_tick(struct ft_udp_rx *r, int64_t now)
{
	int64_t quiet = now - (r->last_rx_ns ? r->last_rx_ns : r->started_ns);

	if (r->phase == FT_RX_HELLO && quiet > r->conf.silence_ns)
		fail(r, "no datagram from the server within %d s (%u hellos "
		    "sent): UDP is blocked on the way (firewall? NAT?)",
		    r->conf.silence_s, r->hellos);
	else if (r->phase != FT_RX_RECEIVING)
		return;
	else if (!r->conf.reliable && r->last_rx_ns &&
	    quiet > FT_UDP_RAW_END_NS) {
		r->fin_seen = true;	/* the end-of-pass FIN was lost */
		check_finished(r);
	} else if (quiet > r->conf.silence_ns)
		fail(r, "no data from the server for %d s (%llu of %llu bytes)",
		    r->conf.silence_s, (unsigned long long)r->bytes,
		    (unsigned long long)r->conf.size);
}

int64_t
ft_udp_rx_wait_ns(const struct ft_udp_rx *r, int64_t now)
{
	int64_t next;

	if (r->phase == FT_RX_HELLO) {
		next = r->last_hello_ns + FT_UDP_HELLO_EVERY_NS - now;
		return next < 0 ? 0 : next;
	}
	return FT_UDP_IDLE_STATUS_NS;
}

uint64_t
ft_udp_rx_lost(const struct ft_udp_rx *r)
{
	if (!r->conf.reliable)
		return r->total - r->unique;
	if (!r->any_tx || r->rx_count > (uint64_t)r->max_tx + 1)
		return 0;
	return (uint64_t)r->max_tx + 1 - r->rx_count;
}
