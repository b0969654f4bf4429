/* unit-udp-rx.c: common/ft_udp_rx.c, the UDP receiver's state machine,
 * fed datagrams packed as the sender packs them, with no socket: the
 * hello phase and its failure, what each datagram is (new, duplicate,
 * FIN, or one of the many bad kinds, each counted and harmless), the
 * ends (every datagram; raw mode's FIN or silence; reliable silence
 * fails), the reports' contents and rhythm, and the loss counts. */
#include "ft_udp_rx.h"
#include "tap.h"

#define MS 1000000LL
#define SEC (1000 * MS)
#define T0 (1 * SEC)			/* init time: never 0, like the clock */
#define DSIZE 1000
#define XFER 0x51525354u
#define SECRET 0x0123456789abcdefULL
#define BIG_BUF 4194304u		/* 4 MiB: status_every at its cap */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct ft_udp_rx r;
static uint8_t buf[FT_DG_UDP_MAX + 64];

static void
start(uint64_t size, bool reliable, uint32_t rcvbuf)
{
	struct ft_udp_rx_conf c = { .size = size, .dsize = DSIZE,
	    .xfer = XFER, .secret = SECRET, .reliable = reliable,
	    .rcvbuf = rcvbuf, .silence_ns = 5 * SEC, .silence_s = 5 };

	ft_udp_rx_free(&r);
	if (ft_udp_rx_init(&r, &c, T0) < 0)
		bail("ft_udp_rx_init");
}

/* DATA seq as the sender packs it, the payload its geometry says. */
static size_t
put_data(uint32_t seq, uint32_t tx, uint8_t flags)
{
	struct ft_dg_header h = { .type = FT_DG_DATA, .flags = flags,
	    .xfer = XFER, .seq = seq, .tx = tx,
	    .len = (uint16_t)ft_dg_len(r.conf.size, DSIZE, seq) };

	ft_dg_put_header(buf, &h);
	memset(buf + FT_DG_HEADER, 0xa5, h.len);
	return FT_DG_HEADER + h.len;
}

static enum ft_rx_verdict
feed(size_t n, int64_t at)
{
	uint32_t seq = UINT32_MAX;
	unsigned len = 0;

	return ft_udp_rx_datagram(&r, buf, n, false, at, &seq, &len);
}

static enum ft_rx_verdict
data(uint32_t seq, uint32_t tx, uint8_t flags, int64_t at)
{
	return feed(put_data(seq, tx, flags), at);
}

static enum ft_rx_verdict
fin(uint32_t total, uint32_t tx, bool end, int64_t at)
{
	return feed(ft_dg_put_fin(buf, XFER, total, tx, end), at);
}

/* Setup steps: a datagram the receiver must take, else the test is
 * wrong, not the receiver's answer to it. */
static void
given(uint32_t seq, uint32_t tx, uint8_t flags, int64_t at)
{
	if (data(seq, tx, flags, at) == FT_RX_BAD)
		bail("setup: DATA %u refused", seq);
}

static void
given_fin(uint32_t total, uint32_t tx, bool end, int64_t at)
{
	if (fin(total, tx, end, at) != FT_RX_FIN)
		bail("setup: FIN refused");
}

static void
check_init_and_hello(void)
{
	unsigned sent = 0;
	int64_t t;

	start(0, true, BIG_BUF);
	ok(r.total == 0 && r.phase == FT_RX_DONE, "an empty file: DONE at once");
	ok(!ft_udp_rx_hello_due(&r, T0), "...no hello to send");

	start(10 * DSIZE + 500, true, BIG_BUF);
	ok(r.total == 11 && r.phase == FT_RX_HELLO, "10.5 datagrams: 11, HELLO");
	ok(ft_udp_rx_hello_due(&r, T0), "a hello at once");
	ok(!ft_udp_rx_hello_due(&r, T0 + FT_UDP_HELLO_EVERY_NS - 1),
	    "...none again before %lld ms", FT_UDP_HELLO_EVERY_NS / MS);
	is_int(FT_UDP_HELLO_EVERY_NS - 1, ft_udp_rx_wait_ns(&r, T0 + 1),
	    "...and the driver is told to wait until the next");
	ok(!ft_udp_rx_status_due(&r, true, T0 + SEC), "no report in HELLO");
	/* The driver asks every 10 ms for 5 s: one hello per 100 ms. */
	for (t = T0; t <= T0 + 5 * SEC; t += 10 * MS) {
		sent += ft_udp_rx_hello_due(&r, t);
		ft_udp_rx_tick(&r, t);
	}
	is_uint(50, sent, "...then one per %lld ms (50 more in 5 s)",
	    FT_UDP_HELLO_EVERY_NS / MS);
	is_int(FT_RX_HELLO, r.phase, "silent for exactly silence_ns: waiting");
	ft_udp_rx_tick(&r, T0 + 5 * SEC + 1);
	is_int(FT_RX_FAILED, r.phase, "...a nanosecond more: FAILED");
	ok(strstr(r.reason, "no datagram from the server within 5 s (51 hellos "
	    "sent)") != NULL, "...saying so, hellos counted (%s)", r.reason);
	ok(!ft_udp_rx_hello_due(&r, T0 + 6 * SEC) &&
	    !ft_udp_rx_status_due(&r, true, T0 + 6 * SEC), "...then silent");

	start(10 * DSIZE + 500, true, BIG_BUF);
	ok(ft_udp_rx_hello_due(&r, T0), "a hello");
	is_int(FT_RX_NEW, data(3, 0, 0, T0 + 10 * MS), "the first DATA: new");
	is_int(FT_RX_RECEIVING, r.phase, "...RECEIVING");
	ok(!ft_udp_rx_hello_due(&r, T0 + SEC), "...no more hellos");
	is_int(FT_UDP_IDLE_STATUS_NS, ft_udp_rx_wait_ns(&r, T0 + SEC),
	    "...the driver wakes every idle-report period");
}

static void
check_new_dup(void)
{
	uint32_t seq;
	unsigned len;

	start(10 * DSIZE + 500, true, BIG_BUF);
	is_int(FT_RX_NEW, ft_udp_rx_datagram(&r, buf, put_data(10, 0, 0), false,
	    T0, &seq, &len), "the short last datagram: new");
	ok(seq == 10 && len == 500, "...seq %u, %u bytes for the driver", seq,
	    len);
	is_int(FT_RX_DUP, data(10, 1, FT_DG_RESENT, T0), "...again: duplicate");
	is_int(FT_RX_NEW, data(0, 2, 0, T0), "datagram 0: new");
	is_int(FT_RX_DUP, data(0, 3, 0, T0), "...again: duplicate");
	ok(r.unique == 2 && r.dups == 2 && r.rx_count == 4 && r.bytes == 1500,
	    "...2 unique, 2 dups, 4 received, bytes counted once (%llu)",
	    (unsigned long long)r.bytes);
	ok(ft_udp_rx_have(&r, 0) && !ft_udp_rx_have(&r, 1) &&
	    !ft_udp_rx_have(&r, 11), "have: 0 yes, 1 no, 11 (past the end) no");
	is_int(FT_RX_FIN, fin(11, 4, false, T0), "a FIN with the right total");
}

/* Each row a datagram the receiver must refuse, counted, changing
 * nothing else. The file: 10.5 datagrams, so 11, the last of 500. Unset
 * fields: DATA 0 of this transfer, as the sender packs it. */
#define TYPE_0 0x100		/* type: 0 is DATA here, so this is 0 */
struct bad_row {
	const char *what;
	unsigned type;
	uint32_t xfer, seq;
	int len;		/* header len; 0: what the geometry says */
	int n_delta;		/* bytes received beside header + len */
	size_t n_fixed;		/* bytes received, if not 0 */
	bool truncated, bad_magic;
};

static const struct bad_row bad_rows[] = {
	{ "truncated (did not fit the buffer)", .truncated = true },
	{ "another transfer's id", .xfer = XFER + 1 },
	{ "bad magic", .bad_magic = true },
	{ "a header cut short (10 bytes)", .n_fixed = 10 },
	{ "len 1000, 999 bytes follow", .n_delta = -1 },
	{ "len 1000, 1001 bytes follow", .n_delta = 1 },
	{ "the last datagram at full size (geometry: 500)", .seq = 10,
	    .len = DSIZE },
	{ "a middle datagram of 500 bytes", .seq = 3, .len = 500 },
	{ "seq == total", .seq = 11, .len = DSIZE },
	{ "seq 0xffffffff", .seq = 0xffffffffu, .len = DSIZE },
	{ "unknown type 7", .type = 7 },
	{ "type 0", .type = TYPE_0 },
	{ "a STATUS (receivers send those)", .type = FT_DG_STATUS },
	{ "a HELLO (receivers send those)", .type = FT_DG_HELLO },
	{ "a FIN whose total is 12, not 11", .type = FT_DG_FIN, .seq = 12 },
	{ "a FIN with a 4-byte payload", .type = FT_DG_FIN, .len = 4 },
};

static size_t
put_bad(const struct bad_row *b)
{
	struct ft_dg_status st = { .secret = SECRET };
	uint32_t xfer = b->xfer ? b->xfer : XFER;
	struct ft_dg_header h = { .type = (uint8_t)(b->type ? b->type :
	    FT_DG_DATA), .xfer = xfer, .seq = b->seq };

	if (b->type == FT_DG_STATUS)
		return ft_dg_put_status(buf, xfer, &st);
	if (b->type == FT_DG_HELLO)
		return ft_dg_put_hello(buf, xfer, SECRET);
	if (b->type == FT_DG_FIN && b->len == 0)
		return ft_dg_put_fin(buf, xfer, b->seq, 0, true);
	h.len = (uint16_t)(b->len ? (unsigned)b->len :
	    ft_dg_len(r.conf.size, DSIZE, b->seq));
	ft_dg_put_header(buf, &h);
	memset(buf + FT_DG_HEADER, 0, h.len + 1u);
	if (b->bad_magic)
		buf[0] ^= 0xff;
	return b->n_fixed ? b->n_fixed : (size_t)((int)(FT_DG_HEADER + h.len) +
	    b->n_delta);
}

static void
check_bad(void)
{
	uint32_t seq;
	unsigned len;
	size_t i;

	/* Unbroken, the builder's datagrams are taken: each row below is
	 * refused for its own fault. */
	start(10 * DSIZE + 500, false, BIG_BUF);
	is_int(FT_RX_NEW, ft_udp_rx_datagram(&r, buf, put_bad(&(struct bad_row){
	    .what = "unbroken" }), false, T0, &seq, &len), "the bad rows' "
	    "builder, nothing broken: new");
	start(10 * DSIZE + 500, false, BIG_BUF);	/* raw: a FIN would end */
	for (i = 0; i < NELEM(bad_rows); i++) {
		const struct bad_row *b = &bad_rows[i];
		size_t n = put_bad(b);
		is_int(FT_RX_BAD, ft_udp_rx_datagram(&r, buf, n, b->truncated,
		    T0, &seq, &len), "bad: %s", b->what);
		is_uint(i + 1, r.bad, "...counted");
	}
	ok(r.phase == FT_RX_HELLO && r.rx_count == 0 && r.unique == 0 &&
	    !r.any_tx && r.since_status == 0, "none of them ends the hello "
	    "phase, counts a transmission or asks for a report");
	is_int(FT_RX_NEW, data(0, 0, 0, T0), "...and a good one after is new");
}

static void
check_fin_and_raw_end(void)
{
	start(10 * DSIZE + 500, true, BIG_BUF);
	is_int(FT_RX_FIN, fin(11, 0, false, T0), "a FIN probe before any data");
	is_int(FT_RX_RECEIVING, r.phase, "...RECEIVING: the server is there");
	ok(ft_udp_rx_status_due(&r, false, T0), "...a report due at once");
	given(0, 0, 0, T0);
	given_fin(11, 5, true, T0);
	ok(r.phase == FT_RX_RECEIVING && r.fin_seen, "reliable: FIN END with 10 "
	    "missing is not the end");

	start(10 * DSIZE + 500, false, BIG_BUF);
	given(0, 0, 0, T0 + 10 * MS);
	given(4, 4, 0, T0 + 10 * MS);
	is_int(FT_RX_FIN, fin(11, 11, true, T0 + 20 * MS), "raw: FIN END");
	is_int(FT_RX_DONE, r.phase, "...DONE with 2 of 11");
	is_uint(9, ft_udp_rx_lost(&r), "...9 lost: datagrams never received");

	/* Raw, the FIN lost: silence after data ends it, never fails it. */
	start(10 * DSIZE + 500, false, BIG_BUF);
	given(0, 0, 0, T0 + 10 * MS);
	ft_udp_rx_tick(&r, T0 + 10 * MS + FT_UDP_RAW_END_NS);
	is_int(FT_RX_RECEIVING, r.phase, "raw: silent for exactly %lld ms: "
	    "receiving", FT_UDP_RAW_END_NS / MS);
	ft_udp_rx_tick(&r, T0 + 10 * MS + FT_UDP_RAW_END_NS + 1);
	is_int(FT_RX_DONE, r.phase, "...a nanosecond more: DONE (FIN lost)");
	ok(!ft_udp_rx_status_due(&r, false, T0 + 100 * SEC), "raw, DONE: no "
	    "idle reports");

	start(10 * DSIZE + 500, true, BIG_BUF);
	given(0, 0, 0, T0 + SEC);
	ft_udp_rx_tick(&r, T0 + 6 * SEC);
	is_int(FT_RX_RECEIVING, r.phase, "reliable: silent for silence_ns: "
	    "waiting");
	ft_udp_rx_tick(&r, T0 + 6 * SEC + 1);
	is_int(FT_RX_FAILED, r.phase, "...a nanosecond more: FAILED");
	is_string("no data from the server for 5 s (1000 of 10500 bytes)",
	    r.reason, "...saying so");
}

/* Reliable, 20 datagrams. Arrive: seqs 0, 1, 3 and 6 (tx 0, 1, 3, 6),
 * then repairs of 2 (tx 7) and 12 (tx 8, ahead of the first pass). */
static void
check_report(void)
{
	struct ft_dg_status st, back;
	uint8_t wire[FT_DG_STATUS_MAX];

	start(20 * DSIZE, true, BIG_BUF);
	given(0, 0, 0, T0);
	given(1, 1, 0, T0);
	given(3, 3, 0, T0);
	given(6, 6, 0, T0);
	given(2, 7, FT_DG_RESENT, T0);
	given(12, 8, FT_DG_RESENT, T0);
	ft_udp_rx_status(&r, &st, T0);
	ok(st.secret == SECRET && st.max_tx == 8 && st.rx_count == 6 &&
	    st.unique == 6, "report: secret, max_tx 8, 6 received, 6 unique");
	ok(st.nranges == 1 && st.ranges[0].first == 4 &&
	    st.ranges[0].count == 2, "...missing 4-5 only: 7+ not yet due, a "
	    "repair (12) does not move the first pass's end");
	is_uint(3, ft_udp_rx_lost(&r), "...3 transmissions lost (9 - 6)");
	if (ft_dg_get_status(wire, ft_dg_put_status(wire, XFER, &st), &back) < 0)
		bail("status round trip");
	ok(back.secret == st.secret && back.max_tx == st.max_tx &&
	    back.rx_count == st.rx_count && back.unique == st.unique &&
	    back.nranges == 1 && back.ranges[0].first == 4 &&
	    back.ranges[0].count == 2, "...the same after the wire");
	given_fin(20, 12, true, T0);
	ft_udp_rx_status(&r, &st, T0);
	ok(st.max_tx == 11 && st.nranges == 3 && st.ranges[1].first == 7 &&
	    st.ranges[1].count == 5 && st.ranges[2].first == 13 &&
	    st.ranges[2].count == 7, "after FIN END (tx 12): max_tx 11, missing "
	    "4-5, 7-11, 13-19");
	is_uint(6, ft_udp_rx_lost(&r), "...6 transmissions lost (12 - 6)");

	start(20 * DSIZE, false, BIG_BUF);
	given(0, 0, 0, T0);
	given(5, 5, 0, T0);
	ft_udp_rx_status(&r, &st, T0);
	ok(st.nranges == 0 && st.max_tx == 5, "raw: no ranges, max_tx 5");
}

/* tx numbers wrap after 2^32: the highest is the latest by difference. */
static void
check_tx_wrap(void)
{
	static const struct { uint32_t tx, want; } steps[] = {
		{ 0xfffffffeu, 0xfffffffeu }, { 0xffffffffu, 0xffffffffu },
		{ 2, 2 }, { 0xfffffff0u, 2 }, { 5, 5 },
	};
	struct ft_dg_status st;
	size_t i;

	start(20 * DSIZE, true, BIG_BUF);
	for (i = 0; i < NELEM(steps); i++) {
		given((uint32_t)i, steps[i].tx, 0, T0);
		ft_udp_rx_status(&r, &st, T0);
		is_uint(steps[i].want, st.max_tx, "tx %#x arrives: max_tx %#x",
		    steps[i].tx, steps[i].want);
	}
}

static void
check_max_ranges(void)
{
	struct ft_dg_status st;
	uint8_t wire[FT_DG_STATUS_MAX];
	uint32_t q;
	size_t n;

	start(1000 * DSIZE, true, BIG_BUF);
	for (q = 0; q < 1000; q += 2)
		given(q, q, 0, T0);
	ft_udp_rx_status(&r, &st, T0);
	is_uint(FT_DG_MAX_RANGES, st.nranges, "499 gaps: %d ranges reported",
	    FT_DG_MAX_RANGES);
	ok(st.ranges[0].first == 1 && st.ranges[FT_DG_MAX_RANGES - 1].first ==
	    2 * FT_DG_MAX_RANGES - 1, "...the first ones (1 .. %d)",
	    2 * FT_DG_MAX_RANGES - 1);
	n = ft_dg_put_status(wire, XFER, &st);
	ok(n <= FT_DG_STATUS_MAX && ft_dg_get_status(wire, n, &st) == 0,
	    "...in one unfragmented STATUS (%zu bytes)", n);
}

static void
check_rhythm(void)
{
	/* ft_dg_window: rcvbuf * 3/4 / (2 * (1000 + 20) + 1024), at least 8;
	 * reports every window / 8, 1 .. FT_UDP_STATUS_EVERY_MAX. */
	static const struct { uint32_t rcvbuf; unsigned every; } rows[] = {
		{ 0, 1 }, { 65536, 2 }, { 200000, 6 }, { BIG_BUF, 16 },
		{ UINT32_MAX, 16 },
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		start(100 * DSIZE, true, rows[i].rcvbuf);
		is_uint(rows[i].every, r.status_every, "rcvbuf %u: a report every "
		    "%u", rows[i].rcvbuf, rows[i].every);
	}
	/* The idle clock runs from the last report (from 0 before the first:
	 * the first datagram is reported at once), so report once first. */
	start(100 * DSIZE, true, 65536);
	given(0, 0, 0, T0);
	ft_udp_rx_status(&r, &(struct ft_dg_status){ 0 }, T0);
	given(1, 1, 0, T0);
	ok(!ft_udp_rx_status_due(&r, false, T0), "1 of 2 new: no report yet");
	ok(ft_udp_rx_status_due(&r, true, T0), "...unless the socket is drained");
	given(2, 2, 0, T0);
	ok(ft_udp_rx_status_due(&r, false, T0), "2 of 2: a report");
	ft_udp_rx_status(&r, &(struct ft_dg_status){ 0 }, T0);
	ok(!ft_udp_rx_status_due(&r, true, T0 + FT_UDP_IDLE_STATUS_NS - 1),
	    "sent; drained with nothing new: none");
	ok(ft_udp_rx_status_due(&r, false, T0 + FT_UDP_IDLE_STATUS_NS),
	    "reliable, silent %lld ms: an idle report", FT_UDP_IDLE_STATUS_NS / MS);

	start(100 * DSIZE, false, 65536);
	given(0, 0, 0, T0);
	ft_udp_rx_status(&r, &(struct ft_dg_status){ 0 }, T0);
	ok(!ft_udp_rx_status_due(&r, true, T0 + SEC), "raw: no idle reports");

	/* The sender's probes after DONE ask again for a lost final report. */
	start(2 * DSIZE, true, 65536);
	given(0, 0, 0, T0);
	given(1, 1, 0, T0);
	ft_udp_rx_status(&r, &(struct ft_dg_status){ 0 }, T0);
	ok(r.phase == FT_RX_DONE && !ft_udp_rx_status_due(&r, false, T0 + SEC),
	    "reliable, DONE, reported: no idle reports");
	given_fin(2, 2, true, T0 + SEC);
	ok(ft_udp_rx_status_due(&r, false, T0 + SEC), "...but a FIN is answered");
}

/* Reliable ends exactly at the datagram that completes the set, in any
 * order of arrival, duplicates and the FIN in between changing nothing. */
static void
check_completion(void)
{
	static const struct { const char *what; int seqs[12]; } rows[] = {
		{ "in order", { 0, 1, 2, 3, 4, 5, 6, 7, -1 } },
		{ "reversed", { 7, 6, 5, 4, 3, 2, 1, 0, -1 } },
		{ "odd then even", { 1, 3, 5, 7, 0, 2, 4, 6, -1 } },
		{ "dups, a FIN (8), 0 last", { 1, 2, 2, 3, 8, 4, 5, 6, 7, 7, 0,
		    -1 } },
	};
	size_t i, k;
	int done_at;

	for (i = 0; i < NELEM(rows); i++) {
		start(8 * DSIZE, true, BIG_BUF);
		for (k = 0, done_at = -1; rows[i].seqs[k] >= 0; k++) {
			int q = rows[i].seqs[k];
			if (q == 8)
				given_fin(8, (uint32_t)k, true, T0);
			else
				given((uint32_t)q, (uint32_t)k, 0, T0);
			if (r.phase == FT_RX_DONE && done_at < 0)
				done_at = (int)k;
		}
		is_int((int)k - 1, done_at, "%s: DONE at the last arrival",
		    rows[i].what);
		is_uint(8, r.unique, "...with all 8");
	}
	start(8 * DSIZE, true, BIG_BUF);
	given(0, 0, 0, T0);
	given(0, 1, 0, T0);
	given(0, 2, 0, T0);
	is_uint(0, ft_udp_rx_lost(&r), "reliable, tx 0-2 all arrived: 0 lost");
}

int
main(void)
{
	check_init_and_hello();
	check_new_dup();
	check_bad();
	check_fin_and_raw_end();
	check_report();
	check_tx_wrap();
	check_max_ranges();
	check_rhythm();
	check_completion();
	ft_udp_rx_free(&r);
	return done_testing();
}
