/* unit-udp-pair.c: the UDP sender (common/ft_udp_tx) and receiver
 * (common/ft_udp_rx) state machines talking through a simulated path:
 * one event loop, a virtual clock, a link of fixed rate and delay that
 * loses, reorders and duplicates datagrams by a seeded pseudo-random
 * sequence, so every run is the same. The drivers call the machines as
 * server/xfer_udp.c and client/udp_recv.c do; every datagram is packed
 * and parsed by common/ft_dgram.c on its way. One table row a path; each
 * must end in the receiver holding every datagram and the sender knowing
 * it, within the repair budget and a bounded time, or (the black hole)
 * in both failing with a reason. No socket, no sleep, every loop capped. */
#include "ft_udp_rx.h"
#include "ft_udp_tx.h"
#include "tap.h"

#define US 1000LL
#define MS (1000 * US)
#define SEC (1000 * MS)
#define T0 SEC			/* both start here: the clock is never 0 */
#define DSIZE 1000
#define TOTAL 3000
#define SIZE ((uint64_t)TOTAL * DSIZE - 123)	/* the last one short */
#define XFER 0x0a0b0c0du
#define SECRET 0x5ec2e7f00d15ea5eULL
#define BATCH 64		/* both drivers' recvmmsg/sendmmsg batch */
#define DELAY (5 * MS)		/* one way */
#define NS_PER_BYTE 80		/* 100 Mbit/s */
#define REORDER_MAX (2 * MS)	/* extra delay of a reordered datagram */
#define MAX_STEPS 1000000
#define QCAP (1u << 16)
#define NEVER INT64_MAX
#define BUDGET ((uint64_t)TOTAL * (1 + FT_UDP_REPAIR_FACTOR) + 16)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A path. Unset fields: reliable, a 4 MiB receive buffer, no trouble. */
struct scenario {
	const char *name;
	bool raw;
	uint32_t rcvbuf;
	double loss, reorder, dup;	/* per datagram, either way */
	unsigned lose_hellos, lose_end_fins, lose_tail;
	int64_t mute_from, mute_to;	/* every report lost, after T0 */
	bool blackhole;			/* nothing arrives at all */
	int64_t max_ns;			/* virtual time allowed */
	double slack;	/* transmissions <= TOTAL * (1 + loss * slack) + 32 */
	uint32_t window, every;	/* the sender's window, the report rhythm */
	int64_t delay;		/* one way (unset: DELAY) */
};

/* Bounds: with 300 other seeds, every row but the black hole (which must
 * last 10 s) stayed under half its time and under its transmissions. */
static const struct scenario scenarios[] = {
	{ "clean", .max_ns = SEC, .slack = 1 },
	{ "1% loss", .loss = .01, .max_ns = SEC, .slack = 1.5 },
	{ "5% loss", .loss = .05, .max_ns = 3 * SEC, .slack = 1.5 },
	{ "20% loss", .loss = .20, .max_ns = 12 * SEC },
	{ "reordering (10%, up to 2 ms)", .reorder = .10, .max_ns = 2 * SEC },
	{ "duplication (5%)", .dup = .05, .max_ns = SEC, .slack = 1 },
	{ "first 3 hellos lost", .lose_hellos = 3, .max_ns = 2 * SEC,
	    .slack = 1 },
	{ "every report lost 50-250 ms", .mute_from = 50 * MS,
	    .mute_to = 250 * MS, .max_ns = 2 * SEC, .slack = 1 },
	{ "last 5 and 2 end-of-pass FINs lost", .lose_tail = 5,
	    .lose_end_fins = 2, .max_ns = SEC, .slack = 1 },
	{ "rcvbuf 65536, 1% loss", .rcvbuf = 65536, .loss = .01,
	    .max_ns = 5 * SEC, .slack = 1.5, .window = 16, .every = 2 },
	{ "rcvbuf 4294967295, 1% loss", .rcvbuf = UINT32_MAX, .loss = .01,
	    .max_ns = SEC, .slack = 1.5, .every = FT_UDP_STATUS_EVERY_MAX,
	    .window = FT_UDP_WINDOW_MAX_BYTES / (DSIZE + FT_DG_HEADER) },
	{ "raw, 5% loss", .raw = true, .loss = .05, .max_ns = 3 * SEC },
	/* A WAN: 20 ms round trip. The file takes 0.25 s at the link's
	 * rate; the bound allows that and a dozen round trips of slow start
	 * and end. The window once collapsed to 8 here (7.5 s, 0.4 MB/s):
	 * the sender took the idle-timer reports and the FIN probes'
	 * answers, which repeat an old max_tx, for round trips 10-20 ms
	 * longer than the path's, so for a queue. */
	{ "WAN, 20 ms round trip", .delay = 10 * MS, .max_ns = SEC / 2,
	    .slack = 1 },
	{ "WAN, 20 ms round trip, 2% loss", .delay = 10 * MS, .loss = .02,
	    .max_ns = SEC * 3 / 4, .slack = 1.5 },
	{ "raw, WAN, 20 ms round trip", .raw = true, .delay = 10 * MS,
	    .max_ns = SEC / 2 },
	{ "a black hole", .blackhole = true, .max_ns = 11 * SEC },
};

struct pkt {
	int64_t at;
	bool to_rx;
	size_t n;
	uint8_t *buf;
};

/* The whole world of one scenario. */
struct sim {
	const struct scenario *sc;
	struct ft_udp_tx tx;
	struct ft_udp_rx rx;
	int64_t now, tx_wake, rx_wake, link_free[2], tx_failed_at, rx_failed_at;
	uint64_t rng, steps;
	struct pkt q[QCAP], rx_in[QCAP], tx_in[QCAP];
	unsigned head, n, nrx_in, ntx_in;
	unsigned hellos, end_fins, reports[3];	/* taken, stale, refused */
	uint8_t got[TOTAL / 8 + 1];		/* what reached the receiver */
	unsigned ngot;
	bool rx_final;				/* its last report sent */
};

static struct sim sim;

static uint64_t
rnd(struct sim *s)
{
	s->rng ^= s->rng << 13, s->rng ^= s->rng >> 7;	/* xorshift64 */
	return s->rng ^= s->rng << 17;
}

static bool
chance(struct sim *s, double p)
{
	return p > 0 && (double)(rnd(s) >> 11) / 9007199254740992.0 < p;
}

/* ---------------------------------------------------------- the network */

/* In flight, by arrival (ties: first sent first), q[head..n): a sorted
 * insertion from the end, since most arrive in the order sent. */
static void
enqueue(struct sim *s, struct pkt p)
{
	unsigned i;

	if (s->n == QCAP && s->head > 0) {
		memmove(s->q, s->q + s->head, (s->n - s->head) * sizeof(p));
		s->n -= s->head, s->head = 0;
	}
	if (s->n == QCAP)
		bail("more than %u datagrams in flight", QCAP);
	for (i = s->n++; i > s->head && s->q[i - 1].at > p.at; i--)
		s->q[i] = s->q[i - 1];
	s->q[i] = p;
}

/* Through the link: serialised at its rate, then the delay, perhaps a
 * reordering detour; lost (drop, or at random) or duplicated. */
static void
net_send(struct sim *s, bool to_rx, const uint8_t *buf, size_t n, bool drop)
{
	int64_t *free_at = &s->link_free[to_rx], dep = s->now > *free_at ?
	    s->now : *free_at;
	int copies = 1 + chance(s, s->sc->dup), i;

	*free_at = dep + (int64_t)(n + 28) * NS_PER_BYTE;
	if (drop || s->sc->blackhole || chance(s, s->sc->loss))
		return;
	for (i = 0; i < copies; i++) {
		struct pkt p = { .at = *free_at + (s->sc->delay ? s->sc->delay :
		    DELAY) + i * 100 * US,
		    .to_rx = to_rx, .n = n,
		    .buf = malloc(n) };
		if (p.buf == NULL)
			bail("out of memory");
		if (chance(s, s->sc->reorder))
			p.at += (int64_t)(rnd(s) % REORDER_MAX);
		memcpy(p.buf, buf, n);
		enqueue(s, p);
	}
}

/* ---------------------------------------------------------- the receiver */

static void
rx_send_status(struct sim *s)
{
	struct ft_dg_status st;
	uint8_t buf[FT_DG_STATUS_MAX];
	int64_t t = s->now - T0;

	ft_udp_rx_status(&s->rx, &st, s->now);
	net_send(s, false, buf, ft_dg_put_status(buf, XFER, &st),
	    t >= s->sc->mute_from && t < s->sc->mute_to);
}

/* What arrived, a batch at a time as recvmmsg gives it, with a report
 * when due (drained: the batch was not full). */
static void
rx_read(struct sim *s)
{
	unsigned i, k, len;
	uint32_t seq;

	for (i = 0; i < s->nrx_in; i += k) {
		for (k = 0; k < BATCH && i + k < s->nrx_in; k++) {
			struct pkt *p = &s->rx_in[i + k];
			if (ft_udp_rx_datagram(&s->rx, p->buf, p->n, false, p->at,
			    &seq, &len) == FT_RX_NEW && !ft_bit_get(s->got, seq)) {
				ft_bit_set(s->got, seq, true);
				s->ngot++;
			}
			free(p->buf);
		}
		if (ft_udp_rx_status_due(&s->rx, k < BATCH, s->now))
			rx_send_status(s);
	}
	s->nrx_in = 0;
}

/* client/udp_recv.c's receive_all and udp_await_verdict, one wake-up. */
static void
rx_step(struct sim *s)
{
	struct ft_udp_rx *r = &s->rx;
	uint8_t buf[FT_DG_HELLO_LEN];

	if (s->rx_final || r->phase == FT_RX_FAILED) {
		rx_read(s);		/* after DONE: answers the FIN probes */
		return;
	}
	if (s->nrx_in == 0 && s->now < s->rx_wake)
		return;
	ft_udp_rx_tick(r, s->now);
	if (r->phase == FT_RX_FAILED) {
		s->rx_failed_at = s->now, s->rx_wake = NEVER;
		return;
	}
	rx_read(s);
	if (r->phase == FT_RX_DONE) {
		rx_send_status(s);	/* tells the sender where we ended */
		s->rx_final = true;
	} else if (ft_udp_rx_hello_due(r, s->now))
		net_send(s, false, buf, ft_dg_put_hello(buf, XFER, SECRET),
		    ++s->hellos <= s->sc->lose_hellos);
	else if (ft_udp_rx_status_due(r, true, s->now))
		rx_send_status(s);
	s->rx_wake = s->rx_final ? NEVER : s->now + ft_udp_rx_wait_ns(r, s->now);
}

/* ------------------------------------------------------------ the sender */

static void
tx_take(struct sim *s, const struct pkt *p)
{
	struct ft_dg_header h;
	struct ft_dg_status st;
	uint64_t secret;
	int rc;

	if (ft_dg_get_header(p->buf, p->n, &h) < 0 || h.xfer != XFER)
		bail("the sender got a datagram no receiver sent");
	if (h.type == FT_DG_HELLO && ft_dg_get_hello(p->buf, p->n, &secret) == 0) {
		if (!ft_udp_tx_hello(&s->tx, secret, s->now))
			s->reports[2]++;
	} else if (h.type == FT_DG_STATUS &&
	    ft_dg_get_status(p->buf, p->n, &st) == 0) {
		rc = ft_udp_tx_report(&s->tx, &st, s->now);
		s->reports[rc == 0 ? 0 : rc == 1 ? 1 : 2]++;
	} else
		bail("the sender got type %u", h.type);
}

static void
tx_send(struct sim *s, const uint32_t *seqs, const bool *resent, unsigned n,
    uint32_t first_tx)
{
	static uint8_t buf[FT_DG_HEADER + DSIZE];	/* payload: zeros */
	unsigned i;

	for (i = 0; i < n; i++) {
		struct ft_dg_header h = { .type = FT_DG_DATA, .xfer = XFER,
		    .seq = seqs[i], .tx = first_tx + i,
		    .flags = resent[i] ? FT_DG_RESENT : 0,
		    .len = (uint16_t)ft_dg_len(SIZE, DSIZE, seqs[i]) };
		ft_dg_put_header(buf, &h);
		net_send(s, true, buf, FT_DG_HEADER + h.len, !resent[i] &&
		    seqs[i] >= TOTAL - s->sc->lose_tail);
	}
}

/* server/xfer_udp.c's send_until_done, one wake-up: what arrived, then
 * batches until the window is full, then a FIN if due. */
static void
tx_step(struct sim *s)
{
	struct ft_udp_tx *t = &s->tx;
	uint32_t seqs[BATCH], first_tx;
	bool resent[BATCH], end;
	unsigned i, n, rounds;
	uint8_t buf[FT_DG_HEADER + 8];

	if (s->ntx_in == 0 && s->now < s->tx_wake)
		return;
	for (i = 0; i < s->ntx_in; i++) {
		if (t->phase != FT_TX_FAILED)	/* the driver has gone */
			tx_take(s, &s->tx_in[i]);
		free(s->tx_in[i].buf);
	}
	s->ntx_in = 0;
	for (rounds = 0; rounds < QCAP; rounds++) {
		ft_udp_tx_tick(t, s->now);
		n = ft_udp_tx_pick(t, seqs, resent, BATCH, &first_tx, s->now);
		if (t->phase == FT_TX_FAILED) {
			s->tx_failed_at = s->now, s->tx_wake = NEVER;
			return;
		}
		if (n == 0)
			break;
		tx_send(s, seqs, resent, n, first_tx);
	}
	if (ft_udp_tx_fin_due(t, s->now, &end))
		net_send(s, true, buf, ft_dg_put_fin(buf, XFER, t->total, t->tx,
		    end), end && ++s->end_fins <= s->sc->lose_end_fins);
	s->tx_wake = s->now + ft_udp_tx_wait_ns(t, s->now);
}

/* -------------------------------------------------------------- the loop */

static bool
finished(const struct sim *s)
{
	bool rx_done = s->rx.phase == FT_RX_DONE, rx_failed = s->rx.phase ==
	    FT_RX_FAILED, tx_failed = s->tx.phase == FT_TX_FAILED;

	if (s->sc->blackhole)
		return rx_failed && tx_failed;
	return rx_failed || tx_failed ||
	    (rx_done && (s->sc->raw || ft_udp_tx_complete(&s->tx)));
}

static void
run(struct sim *s)
{
	int64_t next;

	while (!finished(s) && s->steps++ < MAX_STEPS) {
		next = s->tx_wake < s->rx_wake ? s->tx_wake : s->rx_wake;
		if (s->head < s->n && s->q[s->head].at < next)
			next = s->q[s->head].at;
		if (next == NEVER)
			break;
		s->now = next;
		for (; s->head < s->n && s->q[s->head].at <= s->now; s->head++) {
			if (s->q[s->head].to_rx)
				s->rx_in[s->nrx_in++] = s->q[s->head];
			else
				s->tx_in[s->ntx_in++] = s->q[s->head];
		}
		rx_step(s);
		tx_step(s);
	}
}

static void
setup(struct sim *s, const struct scenario *sc)
{
	uint32_t rcvbuf = sc->rcvbuf ? sc->rcvbuf : 4u << 20;
	struct ft_udp_tx_conf tc = { .size = SIZE, .dsize = DSIZE,
	    .reliable = !sc->raw, .peer_rcvbuf = rcvbuf,
	    .secret = SECRET, .hello_ns = 10 * SEC, .stall_ns = 10 * SEC,
	    .deadline = T0 + 600 * SEC, .hello_s = 10, .stall_s = 10,
	    .limit_s = 600 };
	struct ft_udp_rx_conf rc = { .size = SIZE, .dsize = DSIZE, .xfer = XFER,
	    .secret = SECRET, .reliable = !sc->raw, .rcvbuf = rcvbuf,
	    .silence_ns = 10 * SEC, .silence_s = 10 };

	memset(s, 0, sizeof(*s));
	s->sc = sc;
	s->rng = 0x9e3779b97f4a7c15ULL;
	s->now = s->tx_wake = s->rx_wake = T0;
	if (ft_udp_tx_init(&s->tx, &tc, T0) < 0 ||
	    ft_udp_rx_init(&s->rx, &rc, T0) < 0)
		bail("init");
}

static void
teardown(struct sim *s)
{
	unsigned i;

	for (i = s->head; i < s->n; i++)
		free(s->q[i].buf);
	for (i = 0; i < s->nrx_in; i++)
		free(s->rx_in[i].buf);
	for (i = 0; i < s->ntx_in; i++)
		free(s->tx_in[i].buf);
	ft_udp_tx_free(&s->tx);
	ft_udp_rx_free(&s->rx);
}

/* ------------------------------------------------------------ the checks */

static void
rx_feed(struct sim *s, uint32_t seq, uint32_t tx)
{
	uint8_t buf[FT_DG_HEADER + DSIZE] = { 0 };
	struct ft_dg_header h = { .type = FT_DG_DATA, .xfer = XFER, .seq = seq,
	    .tx = tx, .len = DSIZE };
	unsigned len;

	ft_dg_put_header(buf, &h);
	if (ft_udp_rx_datagram(&s->rx, buf, sizeof(buf), false, s->now, &seq,
	    &len) != FT_RX_NEW)
		bail("setup: DATA %u not new", seq);
}

/* Two honest reports that swap places: tx 8 arrives late, so the
 * receiver reports max_tx 9 twice, with 9 then 10 received. The first,
 * overtaken by the second on the way back, is stale: ignored, and not
 * counted as bad (the log's dgrams_bad) as a forged one would be. This
 * once was counted bad (the reordering row saw it). */
static void
check_overtaken_report(void)
{
	struct sim *s = &sim;
	struct ft_dg_status older, newer;
	uint32_t seqs[BATCH], first, q;
	bool resent[BATCH];
	int rc;

	setup(s, &scenarios[0]);
	if (!ft_udp_tx_hello(&s->tx, SECRET, T0) ||
	    ft_udp_tx_pick(&s->tx, seqs, resent, 10, &first, T0) != 10)
		bail("setup: the first 10 not sent");
	for (q = 0; q < 10; q++)
		if (q != 8)
			rx_feed(s, q, q);
	ft_udp_rx_status(&s->rx, &older, T0);
	rx_feed(s, 8, 8);
	ft_udp_rx_status(&s->rx, &newer, T0);
	is_int(0, ft_udp_tx_report(&s->tx, &newer, T0 + 10 * MS), "reports "
	    "overtaking: the newer (max_tx 9, 10 received) taken");
	rc = ft_udp_tx_report(&s->tx, &older, T0 + 10 * MS);
	ok(rc == 1 && s->tx.bad_reports == 0 &&
	    s->tx.stale_reports == 1, "...the older (max_tx 9, 9 received): "
	    "stale, not bad (%d, bad %llu, stale %llu)", rc,
	    (unsigned long long)s->tx.bad_reports,
	    (unsigned long long)s->tx.stale_reports);
	teardown(s);
}

static void
check_reliable(const struct sim *s, const struct scenario *sc)
{
	const struct ft_udp_tx *t = &s->tx;
	double most = TOTAL * (1 + sc->loss * sc->slack) + 32;

	ok(s->rx.phase == FT_RX_DONE && s->rx.unique == TOTAL &&
	    s->ngot == TOTAL, "%s: the receiver has all %u datagrams",
	    sc->name, TOTAL);
	ok(ft_udp_tx_complete(t), "...the sender knows it");
	ok(t->phase == FT_TX_SENDING, "...and never failed (%s)", t->reason);
	ok(t->tx <= BUDGET, "...%u transmissions, within the budget (%llu)",
	    t->tx, (unsigned long long)BUDGET);
	if (sc->slack > 0)
		ok(t->tx <= most, "...close to the loss: at most %.0f", most);
	ok(s->now - T0 <= sc->max_ns, "...in %.3f s of virtual time (at most "
	    "%.2f)", (double)(s->now - T0) / SEC, (double)sc->max_ns / SEC);
	ok(s->rx.bad == 0 && s->reports[2] == 0, "...nothing "
	    "judged bad: datagrams %llu, reports %u",
	    (unsigned long long)s->rx.bad, s->reports[2]);
}

static void
check_raw(const struct sim *s, const struct scenario *sc)
{
	ok(s->rx.phase == FT_RX_DONE, "%s: the receiver ends", sc->name);
	is_uint(TOTAL, s->tx.tx, "...each datagram sent once, no repairs");
	is_uint(TOTAL - s->ngot, ft_udp_rx_lost(&s->rx), "...lost: the "
	    "datagrams that never arrived");
	if (sc->loss > 0)
		ok(ft_udp_rx_lost(&s->rx) > 0, "...some did not (%llu)",
		    (unsigned long long)ft_udp_rx_lost(&s->rx));
	ok(s->now - T0 <= sc->max_ns, "...in %.3f s of virtual time (at most "
	    "%.2f)", (double)(s->now - T0) / SEC, (double)sc->max_ns / SEC);
}

static void
check_blackhole(const struct sim *s, const struct scenario *sc)
{
	ok(s->tx.phase == FT_TX_FAILED && strstr(s->tx.reason, "no UDP hello "
	    "from the client within 10 s") != NULL, "%s: the sender fails (%s)",
	    sc->name, s->tx.reason);
	ok(s->tx_failed_at - T0 <= 10 * SEC + FT_UDP_PROBE_NS, "...at its "
	    "hello deadline (%.3f s), having sent %u", (double)(s->tx_failed_at -
	    T0) / SEC, s->tx.tx);
	ok(s->rx.phase == FT_RX_FAILED && strstr(s->rx.reason, "no datagram from "
	    "the server within 10 s (101 hellos sent)") != NULL, "...so does the "
	    "receiver (%.60s)", s->rx.reason);
	ok(s->rx_failed_at - T0 <= 10 * SEC + FT_UDP_HELLO_EVERY_NS, "...on "
	    "its silence (%.3f s)", (double)(s->rx_failed_at - T0) / SEC);
}

static void
figures(const struct sim *s)
{
	diag("%-34s %u datagrams: %u transmissions (%+.2f%%), %llu resent, "
	    "%u unique; %.3f s virtual, %llu steps; reports taken %u, stale %u, "
	    "refused %u; rx lost %llu, dups %llu", s->sc->name, TOTAL, s->tx.tx,
	    100.0 * ((double)s->tx.tx - TOTAL) / TOTAL,
	    (unsigned long long)s->tx.resent, s->rx.unique,
	    (double)(s->now - T0) / SEC, (unsigned long long)s->steps,
	    s->reports[0], s->reports[1], s->reports[2],
	    (unsigned long long)ft_udp_rx_lost(&s->rx),
	    (unsigned long long)s->rx.dups);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < NELEM(scenarios); i++) {
		const struct scenario *sc = &scenarios[i];
		setup(&sim, sc);
		run(&sim);
		figures(&sim);
		ok(sim.steps < MAX_STEPS, "%s: ends within %d steps", sc->name,
		    MAX_STEPS);
		if (sc->blackhole)
			check_blackhole(&sim, sc);
		else if (sc->raw)
			check_raw(&sim, sc);
		else
			check_reliable(&sim, sc);
		if (sc->window > 0)
			ok(sim.tx.window_max == sc->window && sim.rx.status_every ==
			    sc->every, "...window %u, a report every %u",
			    sim.tx.window_max, sim.rx.status_every);
		if (sc->lose_hellos > 0)
			is_uint(sc->lose_hellos + 1, sim.rx.hellos, "...%u hellos sent, "
			    "the first %u lost", sim.rx.hellos, sc->lose_hellos);
		teardown(&sim);
	}
	check_overtaken_report();
	return done_testing();
}
