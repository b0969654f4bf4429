/* unit-udp-tx.c: common/ft_udp_tx.c, the UDP sender's state machine,
 * replayed without a socket: the hello; a whole transfer clocked by
 * honest reports, with and without loss; reports that are stale, forged
 * or impossible (each ignored and counted, none able to unpace the
 * sender or stop it); the window's cap whatever the receiver claims; the
 * repair budget against a receiver that asks for everything every time;
 * the work per report; deadlines; and success only when the reports
 * acknowledge every datagram. */
#include "ft_udp_tx.h"
#include "tap.h"

#define MS 1000000LL
#define SEC (1000 * MS)
#define DSIZE 1000
#define SECRET 0x0123456789abcdefULL

static struct ft_udp_tx t;
static int64_t now;
static uint32_t seqs[4096];
static bool resent[4096];

static void
start(uint32_t datagrams, uint32_t rcvbuf, bool reliable)
{
	struct ft_udp_tx_conf c = { .size = (uint64_t)datagrams * DSIZE,
	    .dsize = DSIZE, .reliable = reliable, .peer_rcvbuf = rcvbuf,
	    .secret = SECRET, .hello_ns = 5 * SEC, .stall_ns = 30 * SEC, .deadline = 600 * SEC,
	    .hello_s = 5, .stall_s = 30, .limit_s = 600 };

	ft_udp_tx_free(&t);
	now = 1 * SEC;
	if (ft_udp_tx_init(&t, &c, now) < 0)
		bail("ft_udp_tx_init");
}

/* An honest report: everything up to max_tx arrived but `lost` of the
 * last transmissions; in reliable mode, ranges of what is missing. */
static struct ft_dg_status
report(uint32_t unique, uint32_t max_tx, uint32_t rx, uint32_t nranges,
    const struct ft_dg_range *ranges)
{
	struct ft_dg_status st = { .secret = SECRET, .max_tx = max_tx,
	    .rx_count = rx,
	    .unique = unique, .nranges = nranges };
	uint32_t i;

	for (i = 0; i < nranges; i++)
		st.ranges[i] = ranges[i];
	return st;
}

static unsigned
pick(unsigned max)
{
	uint32_t first;

	return ft_udp_tx_pick(&t, seqs, resent, max, &first, now);
}

static void
check_hello(void)
{
	start(100, 1 << 20, true);
	is_int(FT_TX_HELLO, t.phase, "before the hello: the HELLO phase");
	is_uint(0, pick(64), "...nothing is sent to anyone");
	ft_udp_tx_tick(&t, now + 6 * SEC);
	is_int(FT_TX_FAILED, t.phase, "no hello within 5 s: failed");
	ok(strstr(t.reason, "no UDP hello from the client within 5 s") != NULL,
	    "...saying so (%s)", t.reason);

	start(100, 1 << 20, true);
	struct ft_dg_status st = report(0, 0, 0, 0, NULL);
	is_int(-1, ft_udp_tx_report(&t, &st, now), "a report before the hello: "
	    "impossible");
	ok(!ft_udp_tx_hello(&t, SECRET ^ 1, now) && t.phase == FT_TX_HELLO,
	    "a hello with another secret: refused, still waiting");
	is_uint(2, t.bad_reports, "...both counted");
	ft_udp_tx_hello(&t, SECRET, now);
	is_int(FT_TX_SENDING, t.phase, "the hello: sending starts");
	is_uint(FT_UDP_INITIAL_WINDOW, pick(64), "...the first window (%d)",
	    FT_UDP_INITIAL_WINDOW);
	is_uint(0, pick(64), "...then nothing until a report");
}

/* A whole transfer, no loss: reports acknowledge what was sent. */
static void
check_clean_transfer(void)
{
	unsigned n, rounds = 0;

	start(1000, 8 << 20, true);
	ft_udp_tx_hello(&t, SECRET, now);
	while (!ft_udp_tx_complete(&t) && rounds++ < 1000) {
		n = pick(64);
		now += MS;
		if (t.tx > 0) {
			struct ft_dg_status st = report(t.next_seq, t.tx - 1, t.tx,
			    0, NULL);
			if (ft_udp_tx_report(&t, &st, now) != 0)
				break;
		}
		(void)n;
	}
	ok(ft_udp_tx_complete(&t), "no loss: complete after %u rounds", rounds);
	is_uint(1000, t.tx, "...each datagram sent once");
	is_uint(0, t.resent, "...no repair");
	is_uint(1000 * DSIZE, t.bytes, "...the file's bytes counted");
	ok(t.window > FT_UDP_INITIAL_WINDOW, "...the window grew (%u)", t.window);
}

/* Round-trip samples: only a report that new arrivals prompted is one.
 * The idle timer's and a FIN probe's answers repeat the last max_tx long
 * after it arrived; taken as samples (main once did) they read as a
 * queue and shrank the window to its floor on a 20 ms path. A round trip
 * that really grows still shrinks it. */
static void
check_rtt_samples(void)
{
	struct ft_dg_status st;
	uint32_t w;

	start(1000, 8 << 20, true);
	ft_udp_tx_hello(&t, SECRET, now);
	if (pick(32) != 32)
		bail("setup: the first 32 not sent");
	now += 20 * MS;
	st = report(32, 31, 32, 0, NULL);
	is_int(0, ft_udp_tx_report(&t, &st, now), "rtt: a report 20 ms after "
	    "the window left");
	w = t.window;
	ok(t.min_rtt_ns == 20 * MS, "...a 20 ms round trip (%lld ns)",
	    (long long)t.min_rtt_ns);
	now += 10 * MS;
	is_int(0, ft_udp_tx_report(&t, &st, now), "...the same report 10 ms "
	    "later (the idle timer's) is taken");
	now += 20 * MS;
	is_int(0, ft_udp_tx_report(&t, &st, now), "...and 20 ms later (a FIN "
	    "probe's answer)");
	is_uint(w, t.window, "...neither is a round trip: the window stays %u",
	    w);
	if (pick(64) == 0)
		bail("setup: nothing more sent");
	now += 30 * MS;
	st = report(t.next_seq, t.tx - 1, t.tx, 0, NULL);
	is_int(0, ft_udp_tx_report(&t, &st, now), "...then new arrivals after "
	    "30 ms: taken");
	ok(t.window < w, "...a queue: the window shrinks (%u -> %u)", w,
	    t.window);
}

/* Datagrams 10..19 lost: reported, repaired once, completed. */
static void
check_repairs(void)
{
	struct ft_dg_range lost = { 10, 10 };
	struct ft_dg_status st;
	unsigned i, again = 0;

	start(40, 8 << 20, true);
	ft_udp_tx_hello(&t, SECRET, now);
	pick(32);
	now += MS;
	st = report(22, 31, 22, 1, &lost);	/* 10 of 32 lost */
	is_int(0, ft_udp_tx_report(&t, &st, now), "a report with a range of 10 "
	    "lost");
	unsigned n = pick(64);
	for (i = 0; i < n; i++)
		again += resent[i];
	is_uint(10, again, "...the 10 are re-sent first");
	ok(seqs[0] == 10 && seqs[9] == 19, "...in order (%u..%u)", seqs[0],
	    seqs[9]);
	st = report(22, 31, 22, 1, &lost);
	ft_udp_tx_report(&t, &st, now);	/* the same report again */
	n = pick(64);
	for (i = 0, again = 0; i < n; i++)
		again += resent[i];
	is_uint(0, again, "the same report again, repairs in flight: no "
	    "second copy");
}

struct bad_report {
	const char *what;
	uint32_t unique, max_tx, rx, nranges;
	struct ft_dg_range r[3];
};

/* After the hello and 32 datagrams sent (tx 0..31, seqs 0..31). */
static const struct bad_report bad_reports[] = {
	{ "acknowledges a transmission never made (max_tx 32)", 10, 32, 10, 0, { { 0, 0 } } },
	{ "max_tx 1000000 past anything sent", 10, 1000000, 10, 0, { { 0, 0 } } },
	{ "more unique datagrams than were sent", 33, 31, 33, 0, { { 0, 0 } } },
	{ "more unique than transmissions received", 20, 31, 10, 0, { { 0, 0 } } },
	{ "a range past what was sent", 10, 31, 10, 1, { { 30, 5 } } },
	{ "a range of 0", 10, 31, 10, 1, { { 3, 0 } } },
	{ "ranges out of order", 10, 31, 10, 2, { { 20, 2 }, { 5, 2 } } },
	{ "ranges that overlap", 10, 31, 10, 2, { { 5, 5 }, { 8, 2 } } },
	{ "more missing than not received", 30, 31, 30, 1, { { 0, 10 } } },
	{ "a range starting at 2^32-1", 10, 31, 10, 1, { { 0xffffffffu, 2 } } },
};

static void
check_impossible_reports(void)
{
	struct ft_dg_status st;
	size_t i;
	uint32_t w;

	for (i = 0; i < sizeof(bad_reports) / sizeof(bad_reports[0]); i++) {
		const struct bad_report *b = &bad_reports[i];
		start(100, 8 << 20, true);
		ft_udp_tx_hello(&t, SECRET, now);
		pick(32);
		w = t.window;
		st = report(b->unique, b->max_tx, b->rx, b->nranges, b->r);
		is_int(-1, ft_udp_tx_report(&t, &st, now), "impossible: %s",
		    b->what);
		ok(t.bad_reports == 1 && !t.heard && t.window == w &&
		    pick(64) == 0, "...counted, and changes nothing (no more sent)");
	}

	/* rx_count 0 after progress: the forged "unpacing" report. */
	start(100, 8 << 20, true);
	ft_udp_tx_hello(&t, SECRET, now);
	pick(32);
	st = report(20, 19, 20, 0, NULL);
	ft_udp_tx_report(&t, &st, now);
	st = report(0, 31, 0, 0, NULL);
	is_int(-1, ft_udp_tx_report(&t, &st, now), "counts that go back (rx 0, "
	    "unique 0 after 20): impossible");
	ok(t.peer_unique == 20 && t.peer_max_tx == 19, "...the genuine state "
	    "stands");
	st = report(25, 25, 25, 0, NULL);
	is_int(0, ft_udp_tx_report(&t, &st, now), "...and the next genuine "
	    "report is taken");
	st = report(20, 19, 20, 0, NULL);
	is_int(1, ft_udp_tx_report(&t, &st, now), "an older report overtaken: "
	    "stale, ignored");
}

/* Whatever rcvbuf the client claims, the window is the server's cap. */
/* Case 3 of issue 9: one report with rx_count=0, forged by a host that
 * knows the transfer id (it travels in the OK line) but not the secret.
 * Old senders took it: unpaced (the whole file at once), then every
 * genuine report was older. */
static void
check_forged(void)
{
	struct ft_dg_status st;
	uint32_t w;

	start(1000, 8 << 20, true);
	ft_udp_tx_hello(&t, SECRET, now);
	pick(64);
	w = t.window;
	st = report(0, 31, 0, 0, NULL);
	st.secret = 0;
	is_int(-1, ft_udp_tx_report(&t, &st, now), "a forged report (rx_count 0, "
	    "no secret): refused");
	ok(t.window == w && pick(64) == 0, "...the sender stays paced");
	st = report(32, 31, 32, 0, NULL);
	is_int(0, ft_udp_tx_report(&t, &st, now), "...the genuine report after it "
	    "is taken");
	st = report(0, 31, 0, 1, (struct ft_dg_range[]){ { 0, 32 } });
	st.secret = SECRET + 1;
	is_int(-1, ft_udp_tx_report(&t, &st, now), "a forged report asking for "
	    "everything again: refused");
	is_uint(0, t.rq_len, "...nothing queued for repair");
	is_uint(2, t.bad_reports, "...both counted");
	ft_udp_tx_tick(&t, now + 10 * SEC);
	is_int(FT_TX_SENDING, t.phase, "...and the transfer goes on");
}

static void
check_window_cap(void)
{
	start(100000, UINT32_MAX, true);
	ok(t.window_max <= FT_UDP_WINDOW_MAX_BYTES / (DSIZE + FT_DG_HEADER),
	    "rcvbuf 4294967295: the window is capped at %u datagrams (%u)",
	    FT_UDP_WINDOW_MAX_BYTES / (DSIZE + FT_DG_HEADER), t.window_max);
}

/* A receiver that reports everything missing, every time. */
static void
check_budget(void)
{
	struct ft_dg_range all = { 0, 0 };
	struct ft_dg_status st;
	unsigned rounds = 0;

	start(200, 8 << 20, true);
	ft_udp_tx_hello(&t, SECRET, now);
	while (t.phase == FT_TX_SENDING && rounds++ < 100000) {
		pick(64);
		now += MS;
		all.count = t.next_seq;
		st = report(0, t.tx - 1, t.tx, 1, &all);
		if (ft_udp_tx_report(&t, &st, now) < 0)
			break;
	}
	is_int(FT_TX_FAILED, t.phase, "a receiver asking for everything every "
	    "time: the transfer fails");
	ok(strstr(t.reason, "repair budget") != NULL, "...on the repair budget "
	    "(%s)", t.reason);
	ok(t.tx <= 200 * (1 + FT_UDP_REPAIR_FACTOR) + 16, "...after at most %d "
	    "times the file (%u transmissions for 200 datagrams)",
	    1 + FT_UDP_REPAIR_FACTOR, t.tx);
}

/* One report of the most ranges, each huge: the work looked at is
 * bounded by the window, not the ranges' size. */
static void
check_walk_bound(void)
{
	struct ft_dg_range r[FT_DG_MAX_RANGES];
	struct ft_dg_status st;
	uint32_t i, n = 200000, step = n / FT_DG_MAX_RANGES;

	start(n, 1 << 20, true);
	ft_udp_tx_hello(&t, SECRET, now);
	t.next_seq = n;			/* as if the whole pass was sent */
	t.tx = n;
	for (i = 0; i < FT_DG_MAX_RANGES; i++)
		r[i] = (struct ft_dg_range){ i * step, step - 1 };
	st = report(FT_DG_MAX_RANGES, n - 1, n, FT_DG_MAX_RANGES, r);
	st.unique = n - FT_DG_MAX_RANGES * (step - 1);
	st.rx_count = st.unique;
	is_int(0, ft_udp_tx_report(&t, &st, now), "a report of %d ranges "
	    "covering %u datagrams is taken", FT_DG_MAX_RANGES,
	    FT_DG_MAX_RANGES * (step - 1));
	ok(t.rq_len <= FT_UDP_WALK_FACTOR * t.window_max, "...but only %u "
	    "queued for repair (at most %d windows of %u)", t.rq_len,
	    FT_UDP_WALK_FACTOR, t.window_max);
}

static void
check_deadlines_and_success(void)
{
	struct ft_dg_status st;
	bool end;

	start(100, 8 << 20, true);
	ft_udp_tx_hello(&t, SECRET, now);
	pick(32);
	ft_udp_tx_tick(&t, now + 31 * SEC);
	is_int(FT_TX_FAILED, t.phase, "no progress for 30 s: failed");
	ok(strstr(t.reason, "stopped answering for 30 s") != NULL, "...saying "
	    "so (%s)", t.reason);

	start(100, 8 << 20, true);
	ft_udp_tx_hello(&t, SECRET, now);
	pick(32);
	now += 20 * SEC;
	st = report(32, 31, 32, 0, NULL);
	ft_udp_tx_report(&t, &st, now);
	ft_udp_tx_tick(&t, now + 20 * SEC);
	is_int(FT_TX_SENDING, t.phase, "progress resets the stall timer");
	ft_udp_tx_tick(&t, 601 * SEC);
	is_int(FT_TX_FAILED, t.phase, "...but not the transfer's deadline");

	start(100, 8 << 20, true);
	ft_udp_tx_hello(&t, SECRET, now);
	ok(!ft_udp_tx_complete(&t), "a client saying DONE before any data: not "
	    "complete (the server's own accounting)");
	pick(32);
	st = report(32, 31, 32, 0, NULL);
	ft_udp_tx_report(&t, &st, now);
	ok(!ft_udp_tx_complete(&t), "...nor with 32 of 100 acknowledged");

	start(40, 8 << 20, false);
	ft_udp_tx_hello(&t, SECRET, now);
	pick(64);
	st = report(32, 31, 32, 0, NULL);
	ft_udp_tx_report(&t, &st, now);
	is_uint(8, pick(64), "raw: the rest of the pass after a report");
	now += 30 * MS;
	ok(ft_udp_tx_fin_due(&t, now, &end) && end, "raw, the pass sent: a FIN "
	    "with the end flag");
	ok(!ft_udp_tx_fin_due(&t, now + MS, &end), "...not again at once");
	ok(ft_udp_tx_fin_due(&t, now + 25 * MS, &end), "...again after %lld ms "
	    "of silence", FT_UDP_PROBE_NS / MS);
}

int
main(void)
{
	check_hello();
	check_clean_transfer();
	check_rtt_samples();
	check_repairs();
	check_impossible_reports();
	check_forged();
	check_window_cap();
	check_budget();
	check_walk_bound();
	check_deadlines_and_success();
	ft_udp_tx_free(&t);
	return done_testing();
}
