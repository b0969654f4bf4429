/* ft_udp_tx.c: the UDP sender's decisions (ft_udp_tx.h), no system calls.
 *
 * Pacing: at most `window` datagrams in flight beyond the highest
 * transmission the receiver reports, and never more than its buffer
 * holds, so the buffer is never overrun; the reports clock the sender.
 * The window starts small and doubles while loss stays low (a slow start:
 * a shaper's queue may hold far less than the receiver's buffer), shrinks
 * by a quarter when more than 10% of a stretch of at least 64
 * transmissions was lost, and then grows by one per such stretch; random
 * loss below that is repaired, not treated as congestion. Before any
 * loss, a queue shows as delay: each report that new arrivals prompted
 * gives a round-trip sample (not the idle timer's, nor a FIN probe's
 * answer: they repeat an old max_tx), and when it rises well above the
 * smallest seen the window shrinks by an eighth and stops growing.
 *
 * Repairs (reliable): a missing datagram is queued only if its last
 * transmission is older than what the receiver has already seen (a report
 * that crossed a repair in flight causes no second copy), at most once
 * (a bitmap), and a report is looked at only as far as the window needs,
 * so its cost follows what is re-sent, not the size of its ranges. */
#include "ft_udp_tx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fail(struct ft_udp_tx *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct ft_udp_tx *t, const char *fmt, ...)
{
	va_list ap;

	if (t->phase == FT_TX_FAILED)
		return;
	va_start(ap, fmt);
	vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
	va_end(ap);
	t->phase = FT_TX_FAILED;
}

int
ft_udp_tx_init(struct ft_udp_tx *t, const struct ft_udp_tx_conf *c,
    int64_t now)
{
	uint32_t cap_by_bytes;

	memset(t, 0, sizeof(*t));
	t->conf = *c;
	if (!ft_dg_fits(c->size, c->dsize))
		return -1;
	t->phase = FT_TX_HELLO;
	t->total = ft_dg_count(c->size, c->dsize);
	t->budget = (uint64_t)t->total * (1 + FT_UDP_REPAIR_FACTOR) + 16;
	cap_by_bytes = FT_UDP_WINDOW_MAX_BYTES / (c->dsize + FT_DG_HEADER);
	t->window_max = ft_dg_window(c->peer_rcvbuf, c->dsize);
	if (t->window_max > cap_by_bytes)
		t->window_max = cap_by_bytes;
	if (t->window_max < 8)
		t->window_max = 8;
	t->window = t->window_max < FT_UDP_INITIAL_WINDOW ? t->window_max :
	    FT_UDP_INITIAL_WINDOW;
	t->slow_start = true;
	t->rq_cap = FT_UDP_WALK_FACTOR * t->window_max + 64;
	t->last_tx = calloc(t->total + 1, sizeof(*t->last_tx));
	t->queued = calloc(t->total / 8 + 1, 1);
	t->rq = calloc(t->rq_cap, sizeof(*t->rq));
	t->sent_at = calloc(FT_UDP_SENT_RING, sizeof(*t->sent_at));
	t->hello_deadline = now + c->hello_ns;
	t->last_progress_ns = now;
	if (t->last_tx == NULL || t->queued == NULL || t->rq == NULL ||
	    t->sent_at == NULL) {
		ft_udp_tx_free(t);
		return -1;
	}
	return 0;
}

void
ft_udp_tx_free(struct ft_udp_tx *t)
{
	free(t->last_tx);
	free(t->queued);
	free(t->rq);
	free(t->sent_at);
	t->last_tx = t->rq = NULL;
	t->queued = NULL;
	t->sent_at = NULL;
}

bool
ft_udp_tx_hello(struct ft_udp_tx *t, uint64_t secret, int64_t now)
{
	if (secret != t->conf.secret) {
		t->bad_reports++;
		return false;
	}
	if (t->phase == FT_TX_HELLO) {
		t->phase = FT_TX_SENDING;
		t->last_progress_ns = now;
	}
	return t->phase == FT_TX_SENDING;
}

static uint32_t
in_flight(const struct ft_udp_tx *t)
{
	uint32_t seen = t->heard ? t->peer_max_tx + 1 : 0;

	return t->tx > seen ? t->tx - seen : 0;
}

/* ---------------------------------------------------------------- reports */

/* What no honest receiver can report, given what was sent. */
static bool
impossible(const struct ft_udp_tx *t, const struct ft_dg_status *st)
{
	uint64_t prev_end = 0, missing = 0;
	uint32_t r;

	if (t->tx == 0 || st->max_tx >= t->tx || st->unique > t->next_seq ||
	    st->rx_count < st->unique)
		return true;
	for (r = 0; r < st->nranges; r++) {
		uint64_t first = st->ranges[r].first, count = st->ranges[r].count;
		if (count == 0 || first < prev_end || first + count > t->next_seq)
			return true;
		prev_end = first + count;
		missing += count;
	}
	return missing > (uint64_t)t->next_seq - st->unique;
}

/* A round trip longer than the shortest by FT_UDP_QUEUE_SLACK_NS means a
 * queue is filling on the path: shrink a little, once per window.
 *
 * Only a report that new arrivals prompted measures a round trip: the
 * receiver sends it as it reads them, so it left about when max_tx
 * arrived. The others repeat an old max_tx long after it arrived: the
 * idle timer's (10 ms of silence, reliable mode) and the answers to FIN
 * probes (no arrival, or a FIN naming transmissions lost on the way).
 * Taken as samples they said the round trip was 10-20 ms longer than
 * the path's: a queue, on every window-limited round trip, and the
 * window shrank to its floor (over 20 ms: 0.6 MB/s of 12). */
static bool
measures_rtt(const struct ft_udp_tx *t, const struct ft_dg_status *st)
{
	if (!t->heard)
		return st->rx_count > 0;
	return (int32_t)(st->max_tx - t->peer_max_tx) > 0 &&
	    st->rx_count > t->peer_rx;
}

static void
adapt_to_delay(struct ft_udp_tx *t, const struct ft_dg_status *st,
    int64_t now)
{
	int64_t rtt, sent;

	if (t->tx - st->max_tx > FT_UDP_SENT_RING || !measures_rtt(t, st))
		return;
	if ((sent = t->sent_at[st->max_tx % FT_UDP_SENT_RING]) == 0)
		return;
	rtt = now - sent;
	if (t->min_rtt_ns == 0 || rtt < t->min_rtt_ns)
		t->min_rtt_ns = rtt;
	if (rtt < t->min_rtt_ns + FT_UDP_QUEUE_SLACK_NS ||
	    (int32_t)(st->max_tx - t->delay_judged_tx) < 0)
		return;
	t->window = t->window * 7 / 8 < 8 ? 8 : t->window * 7 / 8;
	t->slow_start = false;
	t->delay_judged_tx = t->tx;	/* react again once these are seen */
	t->base_tx = st->max_tx;	/* and do not grow on this window */
	t->base_rx = st->rx_count;
}

/* Judges loss over at least 64 transmissions at a time. */
static void
adapt_window(struct ft_udp_tx *t, const struct ft_dg_status *st)
{
	uint32_t d_tx = st->max_tx - t->base_tx;
	uint32_t d_rx = st->rx_count - t->base_rx;

	if (d_tx < 64)
		return;
	if ((uint64_t)d_rx * 10 < (uint64_t)d_tx * 9) {
		t->window = t->window * 3 / 4 < 8 ? 8 : t->window * 3 / 4;
		t->slow_start = false;
	} else if (t->window < t->window_max)
		t->window = t->slow_start ? t->window * 2 : t->window + 1;
	if (t->window > t->window_max)
		t->window = t->window_max;
	t->base_tx = st->max_tx;
	t->base_rx = st->rx_count;
}

static void
queue_repair(struct ft_udp_tx *t, uint32_t q)
{
	if (t->rq_len == t->rq_cap || ft_bit_get(t->queued, q))
		return;
	ft_bit_set(t->queued, q, true);
	t->rq[(t->rq_head + t->rq_len) % t->rq_cap] = q;
	t->rq_len++;
}

/* The report's missing datagrams that the receiver has had time to see,
 * looked at in order up to FT_UDP_WALK_FACTOR windows of them. */
static void
take_ranges(struct ft_udp_tx *t, const struct ft_dg_status *st)
{
	/* Once the receiver has seen up to our last transmission (it answers
	 * a FIN), nothing can still be on its way: no reordering margin. */
	uint32_t margin = st->max_tx + 1 == t->tx ? 0 : FT_UDP_REORDER_MARGIN;
	uint64_t walk = (uint64_t)FT_UDP_WALK_FACTOR * t->window_max, q, end;
	uint32_t r;

	for (r = 0; r < st->nranges && walk > 0; r++) {
		q = st->ranges[r].first;
		end = q + st->ranges[r].count;
		for (; q < end && walk > 0; q++, walk--)
			if ((uint64_t)t->last_tx[q] + margin <= st->max_tx)
				queue_repair(t, (uint32_t)q);
	}
}

int
ft_udp_tx_report(struct ft_udp_tx *t, const struct ft_dg_status *st,
    int64_t now)
{
	if (t->phase != FT_TX_SENDING || st->secret != t->conf.secret ||
	    impossible(t, st)) {
		t->bad_reports++;
		return -1;
	}
	/* Overtaken by a newer one on the way: an older max_tx, or the same
	 * with lower counts (a late transmission arrived between the two). */
	if (t->heard && ((int32_t)(st->max_tx - t->peer_max_tx) < 0 ||
	    (st->max_tx == t->peer_max_tx && (st->rx_count < t->peer_rx ||
	    st->unique < t->peer_unique)))) {
		t->stale_reports++;
		return 1;
	}
	if (t->heard && (st->rx_count < t->peer_rx || st->unique <
	    t->peer_unique)) {
		t->bad_reports++;	/* counts never go back */
		return -1;
	}
	adapt_to_delay(t, st, now);
	adapt_window(t, st);
	if (!t->heard || st->unique > t->peer_unique)
		t->last_progress_ns = now;
	t->heard = true;
	t->peer_max_tx = st->max_tx;
	t->peer_rx = st->rx_count;
	t->peer_unique = st->unique;
	if (t->conf.reliable)
		take_ranges(t, st);
	return 0;
}

/* ---------------------------------------------------------------- sending */

static bool
pass_done(const struct ft_udp_tx *t)
{
	return t->next_seq >= t->total && t->rq_len == 0;
}

/* The next datagram: a repair first, else the first pass. */
static bool
next_to_send(struct ft_udp_tx *t, uint32_t *seq, bool *resent)
{
	while (t->rq_len > 0) {
		uint32_t q = t->rq[t->rq_head];
		t->rq_head = (t->rq_head + 1) % t->rq_cap;
		t->rq_len--;
		ft_bit_set(t->queued, q, false);
		*seq = q, *resent = true;
		return true;
	}
	if (t->next_seq < t->total) {
		*seq = t->next_seq++, *resent = false;
		return true;
	}
	return false;
}

unsigned
ft_udp_tx_pick(struct ft_udp_tx *t, uint32_t *seqs, bool *resent,
    unsigned max, uint32_t *first_tx, int64_t now)
{
	unsigned n = 0;
	uint32_t fl;

	*first_tx = t->tx;
	if (t->phase != FT_TX_SENDING || ft_udp_tx_complete(t))
		return 0;
	fl = in_flight(t);
	if (fl >= t->window)
		return 0;
	if (max > t->window - fl)
		max = t->window - fl;
	while (n < max && (uint64_t)t->tx + n < t->budget &&
	    next_to_send(t, &seqs[n], &resent[n])) {
		uint32_t q = seqs[n];
		t->last_tx[q] = t->tx + n;
		t->sent_at[(t->tx + n) % FT_UDP_SENT_RING] = now;
		if (resent[n])
			t->resent++;
		else
			t->bytes += ft_dg_len(t->conf.size, t->conf.dsize, q);
		n++;
	}
	if (n < max && (uint64_t)t->tx + n >= t->budget && !pass_done(t))
		fail(t, "the repair budget is spent (%d times the file re-sent): "
		    "the path loses too much", FT_UDP_REPAIR_FACTOR);
	if (n > 0) {
		if (t->first_ns == 0)
			t->first_ns = now;
		t->last_data_ns = now;
		t->tx += n;
	}
	return n;
}

bool
ft_udp_tx_fin_due(struct ft_udp_tx *t, int64_t now, bool *end)
{
	*end = pass_done(t);
	if (t->phase != FT_TX_SENDING || t->tx == 0 ||
	    now - t->last_fin_ns < FT_UDP_PROBE_NS)
		return false;
	/* At the end of a pass, or when the window has stalled: the FIN
	 * travels behind the data, so its answer settles what was lost. */
	if (!*end && now - t->last_progress_ns < FT_UDP_PROBE_NS)
		return false;
	t->last_fin_ns = now;
	return true;
}

void
ft_udp_tx_tick(struct ft_udp_tx *t, int64_t now)
{
	if (t->phase == FT_TX_HELLO && now >= t->hello_deadline)
		fail(t, "no UDP hello from the client within %d s: UDP is "
		    "blocked on the way (firewall? NAT?)", t->conf.hello_s);
	else if (t->phase == FT_TX_SENDING && now >= t->conf.deadline)
		fail(t, "the transfer did not end within %d s (%llu of %llu "
		    "bytes sent)", t->conf.limit_s, (unsigned long long)t->bytes,
		    (unsigned long long)t->conf.size);
	else if (t->phase == FT_TX_SENDING &&
	    now - t->last_progress_ns > t->conf.stall_ns)
		fail(t, "the client stopped answering for %d s (%llu of %llu "
		    "bytes sent)", t->conf.stall_s, (unsigned long long)t->bytes,
		    (unsigned long long)t->conf.size);
}

int64_t
ft_udp_tx_wait_ns(const struct ft_udp_tx *t, int64_t now)
{
	(void)now;
	if (t->phase == FT_TX_SENDING && !pass_done(t) &&
	    !ft_udp_tx_complete(t) && in_flight(t) < t->window)
		return 0;
	return pass_done(t) || ft_udp_tx_complete(t) ? FT_UDP_PROBE_NS :
	    FT_UDP_PROBE_NS / 4;
}

bool
ft_udp_tx_complete(const struct ft_udp_tx *t)
{
	return t->total == 0 || (t->heard && t->peer_unique >= t->total);
}

uint64_t
ft_udp_tx_acked_bytes(const struct ft_udp_tx *t)
{
	uint64_t b;

	if (ft_udp_tx_complete(t))
		return t->conf.size;
	b = t->heard ? (uint64_t)t->peer_unique * t->conf.dsize : 0;
	return b < t->conf.size ? b : t->conf.size;
}

uint64_t
ft_udp_tx_lost(const struct ft_udp_tx *t)
{
	if (!t->heard || t->peer_rx > t->peer_max_tx + 1)
		return 0;
	return t->peer_max_tx + 1 - t->peer_rx;
}
