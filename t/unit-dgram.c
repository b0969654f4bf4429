/* unit-dgram.c: the UDP datagrams of common/ft_dgram.c. Every case is a
 * row in a table: a header or body as the sender packs it, or a datagram
 * as it may arrive from anyone, and what the receiver must make of it.
 * Nothing from the network is trusted, so most rows are refusals. */
#include "ft_dgram.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Room for the largest datagram plus slack, so a length that claims
 * more than was received is never read past the buffer. */
static uint8_t buf[FT_DG_UDP_MAX + 64];

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ------------------------------------------------------------ headers */

static const struct ft_dg_header headers[] = {
	{ FT_DG_DATA, 0, 0, 0, 0, 0 },
	{ FT_DG_DATA, FT_DG_RESENT, 1, 0x01020304, 0x05060708, 0x090a0b0c },
	{ FT_DG_DATA, 0, 1200, 0xdeadbeef, 41, 42 },
	{ FT_DG_DATA, FT_DG_RESENT, FT_DG_MAX, UINT32_MAX, UINT32_MAX,
	    UINT32_MAX },
	{ FT_DG_FIN, FT_DG_END, 8, 7, 0, 100 },
	{ FT_DG_STATUS, 0, 16, 0x80000000, 0, 0x7fffffff },
	{ FT_DG_DATA, 0xff, 512, 1, 2, 3 },	/* unknown flags pass through */
};

static void
test_header_round_trip(void)
{
	size_t i;

	for (i = 0; i < NELEM(headers); i++) {
		const struct ft_dg_header *h = &headers[i];
		struct ft_dg_header got;
		size_t n = FT_DG_HEADER + h->len;
		bool layout;

		memset(buf, 0xa5, sizeof(buf));
		ft_dg_put_header(buf, h);
		/* The layout is the wire format: big-endian, at fixed offsets. */
		layout = memcmp(buf, "FTD2", 4) == 0 && buf[4] == h->type &&
		    buf[5] == h->flags && (buf[6] << 8 | buf[7]) == h->len &&
		    be32(buf + 8) == h->xfer && be32(buf + 12) == h->seq &&
		    be32(buf + 16) == h->tx && buf[FT_DG_HEADER] == 0xa5;
		ok(layout, "header %zu (type %u len %u): 20 bytes, magic FTD2, "
		    "big-endian fields, nothing written past them", i, h->type,
		    h->len);
		memset(&got, 0, sizeof(got));
		if (!is_int(0, ft_dg_get_header(buf, n, &got),
		    "header %zu: accepted at its length %zu", i, n))
			continue;
		ok(got.type == h->type && got.flags == h->flags &&
		    got.len == h->len && got.xfer == h->xfer &&
		    got.seq == h->seq && got.tx == h->tx,
		    "header %zu: every field comes back", i);
	}
}

/* A datagram as it may arrive: a valid DATA header of len payload
 * bytes, then one change, received as n bytes. */
struct bad_case {
	const char *what;
	int byte;		/* offset to overwrite, or -1 */
	uint8_t value;
	unsigned len;		/* the header's len field */
	size_t n;		/* bytes received */
};

static const struct bad_case bad_headers[] = {
	{ "empty datagram", -1, 0, 0, 0 },
	{ "one byte", -1, 0, 0, 1 },
	{ "19 bytes: one short of a header", -1, 0, 0, 19 },
	{ "magic byte 0 wrong (GTD1)", 0, 'G', 0, 20 },
	{ "magic of the first version (FTD1)", 3, '1', 0, 20 },
	{ "magic in lower case (ftd2)", 0, 'f', 0, 20 },
	{ "type 0", 4, 0, 0, 20 },
	{ "type 5 (one past HELLO)", 4, 5, 0, 20 },
	{ "type 255", 4, 255, 0, 20 },
	{ "len 1, nothing after the header", -1, 0, 1, 20 },
	{ "len 100, 99 bytes after the header", -1, 0, 100, 119 },
	{ "len 100, 101 bytes after the header", -1, 0, 100, 121 },
	{ "len 0, 8 bytes after the header", -1, 0, 0, 28 },
	{ "len 65535 in a 20-byte datagram", -1, 0, 65535, 20 },
	{ "len 65487, one byte short", -1, 0, FT_DG_MAX, FT_DG_UDP_MAX - 1 },
};

static void
test_header_rejections(void)
{
	size_t i;

	for (i = 0; i < NELEM(bad_headers); i++) {
		const struct bad_case *b = &bad_headers[i];
		struct ft_dg_header h = { .type = FT_DG_DATA, .len = (uint16_t)b->len,
		    .xfer = 1, .seq = 2, .tx = 3 }, got;

		memset(buf, 0, sizeof(buf));
		ft_dg_put_header(buf, &h);
		if (b->byte >= 0)
			buf[b->byte] = b->value;
		is_int(-1, ft_dg_get_header(buf, b->n, &got), "refused: %s",
		    b->what);
	}
	/* And the same datagram untouched is fine: the refusals above are
	 * the change, not the base. */
	struct ft_dg_header h = { .type = FT_DG_DATA, .len = 100 }, got;
	ft_dg_put_header(buf, &h);
	is_int(0, ft_dg_get_header(buf, 120, &got),
	    "the unchanged base (len 100 in 120 bytes) is accepted");
}

/* ------------------------------------------------------------ geometry */

struct geometry {
	uint64_t size;
	unsigned dsize;
	uint32_t count;		/* datagrams */
	unsigned last_len;	/* payload of the last one (seq count - 1) */
};

static const struct geometry geometries[] = {
	{ 0, 512, 0, 0 },
	{ 0, FT_DG_MAX, 0, 0 },
	{ 1, 512, 1, 1 },
	{ 511, 512, 1, 511 },
	{ 512, 512, 1, 512 },		/* exact multiple */
	{ 513, 512, 2, 1 },		/* one byte over */
	{ 1200 * 10, 1200, 10, 1200 },
	{ 1200 * 10 + 1, 1200, 11, 1 },
	{ 1200 * 10 - 1, 1200, 10, 1199 },
	{ 65536, 8192, 8, 8192 },
	{ 1000003, 8192, 123, 1000003 - 122 * 8192 },
	{ 1000003, FT_DG_MAX, 16, 1000003 - 15 * FT_DG_MAX },
	{ (uint64_t)FT_DG_MAX * 3, FT_DG_MAX, 3, FT_DG_MAX },
	{ (uint64_t)FT_DG_MAX * 3 + 1, FT_DG_MAX, 4, 1 },
	{ 262144000, 32768, 8000, 32768 },
	{ 262144000, 1200, 218454, 262144000 - 218453ull * 1200 },
	/* The largest count that fits in 32 bits (512-byte datagrams). */
	{ (1ull << 41) - 513, 512, UINT32_MAX, 511 },
};

static void
test_geometry(void)
{
	size_t i;

	for (i = 0; i < NELEM(geometries); i++) {
		const struct geometry *g = &geometries[i];
		uint64_t sum;

		is_uint(g->count, ft_dg_count(g->size, g->dsize),
		    "ft_dg_count(%llu, %u) = %u", (unsigned long long)g->size,
		    g->dsize, g->count);
		if (g->count == 0) {
			is_uint(0, ft_dg_len(g->size, g->dsize, 0),
			    "size %llu: datagram 0 carries nothing",
			    (unsigned long long)g->size);
			continue;
		}
		is_uint(g->size < g->dsize ? g->size : g->dsize,
		    ft_dg_len(g->size, g->dsize, 0), "size %llu / %u: datagram 0 "
		    "is full (or the whole file)", (unsigned long long)g->size,
		    g->dsize);
		is_uint(g->last_len, ft_dg_len(g->size, g->dsize, g->count - 1),
		    "size %llu / %u: the last datagram carries %u bytes",
		    (unsigned long long)g->size, g->dsize, g->last_len);
		is_uint(0, ft_dg_len(g->size, g->dsize, g->count),
		    "size %llu / %u: datagram %u (one past the end) carries "
		    "nothing", (unsigned long long)g->size, g->dsize, g->count);
		is_uint(0, ft_dg_len(g->size, g->dsize, UINT32_MAX),
		    "size %llu / %u: datagram 2^32-1 carries nothing",
		    (unsigned long long)g->size, g->dsize);
		/* All datagrams together are the file, no more, no less. */
		sum = (uint64_t)(g->count - 1) * g->dsize + g->last_len;
		is_uint(g->size, sum, "size %llu / %u: the datagrams add up to "
		    "the file", (unsigned long long)g->size, g->dsize);
	}
}

/* ------------------------------------------------------------ FIN */

struct fin_case {
	uint32_t xfer, total, tx;
	bool end;
};

static const struct fin_case fins[] = {
	{ 0x12345678, 0, 0, true },
	{ 1, 1, 1, false },
	{ UINT32_MAX, UINT32_MAX, UINT32_MAX, true },
	{ 0xcafef00d, 8000, 8123, false },
};

static void
test_fin(void)
{
	size_t i, n, bad_n[] = { 0, 20, 27, 29, 36 };
	uint32_t total, tx;

	for (i = 0; i < NELEM(fins); i++) {
		const struct fin_case *f = &fins[i];
		struct ft_dg_header h;

		memset(buf, 0, sizeof(buf));
		n = ft_dg_put_fin(buf, f->xfer, f->total, f->tx, f->end);
		is_uint(FT_DG_HEADER + 8, n, "FIN %zu: 28 bytes", i);
		if (!is_int(0, ft_dg_get_header(buf, n, &h),
		    "FIN %zu: its header is accepted", i))
			continue;
		ok(h.type == FT_DG_FIN && h.len == 8 && h.xfer == f->xfer &&
		    h.tx == f->tx && (h.flags & FT_DG_END) == (f->end ? FT_DG_END :
		    0), "FIN %zu: type FIN, len 8, xfer, tx and the END flag (%s)",
		    i, f->end ? "set" : "clear");
		total = tx = 12345;
		is_int(0, ft_dg_get_fin(buf, n, &total, &tx),
		    "FIN %zu: its body is accepted", i);
		ok(total == f->total && tx == f->tx,
		    "FIN %zu: total %u and next tx %u come back", i, f->total,
		    f->tx);
	}
	ft_dg_put_fin(buf, 1, 2, 3, true);
	for (i = 0; i < NELEM(bad_n); i++)
		is_int(-1, ft_dg_get_fin(buf, bad_n[i], &total, &tx),
		    "FIN body refused at %zu bytes", bad_n[i]);
}

/* ------------------------------------------------------------ STATUS */

static struct ft_dg_status st, got_st;

static void
fill_status(uint32_t nranges)
{
	uint32_t i;

	memset(&st, 0, sizeof(st));
	st.secret = 0x0123456789abcdefULL ^ nranges;
	st.max_tx = 0xfffffff0u - nranges;
	st.rx_count = 1000 + nranges;
	st.unique = 0x01020304;
	st.nranges = nranges;
	for (i = 0; i < nranges && i < FT_DG_MAX_RANGES; i++)
		st.ranges[i] = (struct ft_dg_range){ 3 * i + 1, i + 1 };
}

static void
test_status_round_trip(void)
{
	static const uint32_t counts[] = { 0, 1, 2, 37, FT_DG_MAX_RANGES - 1,
	    FT_DG_MAX_RANGES };
	size_t i, n;
	uint32_t r;

	ok(FT_DG_HEADER + FT_DG_STATUS_FIXED + 8 * FT_DG_MAX_RANGES <=
	    FT_DG_STATUS_MAX,
	    "a STATUS with the most ranges (%d) fits in %d bytes",
	    FT_DG_MAX_RANGES, FT_DG_STATUS_MAX);
	for (i = 0; i < NELEM(counts); i++) {
		struct ft_dg_header h;
		bool same;

		fill_status(counts[i]);
		memset(buf, 0, sizeof(buf));
		n = ft_dg_put_status(buf, 0xabcdef01, &st);
		is_uint(FT_DG_HEADER + FT_DG_STATUS_FIXED + 8 * (size_t)counts[i],
		    n, "STATUS with %u ranges: 44 + 8 * %u bytes", counts[i],
		    counts[i]);
		if (!is_int(0, ft_dg_get_header(buf, n, &h),
		    "STATUS with %u ranges: its header is accepted", counts[i]))
			continue;
		ok(h.type == FT_DG_STATUS && h.xfer == 0xabcdef01 &&
		    h.len == n - FT_DG_HEADER, "STATUS with %u ranges: type, "
		    "xfer and len", counts[i]);
		memset(&got_st, 0xff, sizeof(got_st));
		if (!is_int(0, ft_dg_get_status(buf, n, &got_st),
		    "STATUS with %u ranges: its body is accepted", counts[i]))
			continue;
		same = got_st.secret == st.secret && got_st.max_tx == st.max_tx &&
		    got_st.rx_count == st.rx_count &&
		    got_st.unique == st.unique && got_st.nranges == st.nranges;
		for (r = 0; same && r < counts[i]; r++)
			same = got_st.ranges[r].first == st.ranges[r].first &&
			    got_st.ranges[r].count == st.ranges[r].count;
		ok(same, "STATUS with %u ranges: every field and range comes "
		    "back", counts[i]);
	}

	/* The sender never packs more ranges than fit: it clamps. */
	fill_status(FT_DG_MAX_RANGES);
	st.nranges = FT_DG_MAX_RANGES + 50;
	n = ft_dg_put_status(buf, 9, &st);
	is_uint(FT_DG_HEADER + FT_DG_STATUS_FIXED + 8 * FT_DG_MAX_RANGES, n,
	    "put_status with %d ranges asked packs only %d",
	    FT_DG_MAX_RANGES + 50, FT_DG_MAX_RANGES);
	ok(ft_dg_get_status(buf, n, &got_st) == 0 &&
	    got_st.nranges == FT_DG_MAX_RANGES, "and it reads back as %d ranges",
	    FT_DG_MAX_RANGES);
}

/* A STATUS as it may arrive: n ranges claimed, received as bytes. */
struct bad_status {
	const char *what;
	uint32_t nranges;
	size_t n;
};

#define FIX FT_DG_STATUS_FIXED
static const struct bad_status bad_statuses[] = {
	{ "shorter than header + its fixed part", 0, FT_DG_HEADER + FIX - 1 },
	{ "only a header", 0, FT_DG_HEADER },
	{ "0 ranges and 1 byte more", 0, FT_DG_HEADER + FIX + 1 },
	{ "0 ranges and 8 bytes more", 0, FT_DG_HEADER + FIX + 8 },
	{ "1 range claimed, none there", 1, FT_DG_HEADER + FIX },
	{ "1 range claimed, 7 bytes of it", 1, FT_DG_HEADER + FIX + 7 },
	{ "2 ranges claimed, 1 there", 2, FT_DG_HEADER + FIX + 8 },
	{ "2 ranges claimed, 3 there", 2, FT_DG_HEADER + FIX + 24 },
	{ "one range too many, all there", FT_DG_MAX_RANGES + 1,
	    FT_DG_HEADER + FIX + 8 * (FT_DG_MAX_RANGES + 1) },
	{ "2^32-1 ranges claimed", UINT32_MAX, FT_DG_HEADER + FIX },
	/* 2^29 ranges: 8 * n wraps to 0 in 32 bits */
	{ "2^29 ranges claimed (8n wraps in 32 bits)", 1u << 29,
	    FT_DG_HEADER + FIX },
};

static void
test_status_rejections(void)
{
	size_t i;

	for (i = 0; i < NELEM(bad_statuses); i++) {
		const struct bad_status *b = &bad_statuses[i];

		fill_status(0);
		memset(buf, 0, sizeof(buf));
		ft_dg_put_status(buf, 1, &st);
		put_be32(buf + FT_DG_HEADER + 20, b->nranges);
		is_int(-1, ft_dg_get_status(buf, b->n, &got_st),
		    "STATUS refused: %s", b->what);
	}
}

/* ------------------------------------------------------------ HELLO */

static void
test_hello(void)
{
	struct ft_dg_header h;
	uint64_t secret = 0;
	size_t n = ft_dg_put_hello(buf, 0x11223344, 0xfedcba9876543210ULL);

	is_uint(FT_DG_HEADER + 8, n, "HELLO: a header and 8 bytes");
	ok(ft_dg_get_header(buf, n, &h) == 0 && h.type == FT_DG_HELLO &&
	    h.xfer == 0x11223344, "HELLO: its header, type and xfer");
	ok(ft_dg_get_hello(buf, n, &secret) == 0 &&
	    secret == 0xfedcba9876543210ULL, "HELLO: the secret comes back");
	is_int(-1, ft_dg_get_hello(buf, n - 1, &secret), "HELLO short: refused");
	is_int(-1, ft_dg_get_hello(buf, n + 1, &secret), "HELLO long: refused");
}

/* ------------------------------------------------------------ window */

struct window_case {
	uint32_t rcvbuf;
	unsigned dsize;
};

static const struct window_case windows[] = {
	{ 0, 512 }, { 0, FT_DG_MAX }, { 1, 512 }, { 4096, 512 },
	{ 65536, 1200 }, { 212992, 8192 }, { 212992, FT_DG_MAX },
	{ 425984, 32768 }, { 8388608, 512 }, { 8388608, 1200 },
	{ 8388608, 8192 }, { 8388608, FT_DG_MAX }, { UINT32_MAX, 512 },
	{ UINT32_MAX, FT_DG_MAX },
};

static void
test_window(void)
{
	size_t i;

	for (i = 0; i < NELEM(windows); i++) {
		const struct window_case *w = &windows[i];
		uint32_t n = ft_dg_window(w->rcvbuf, w->dsize);

		ok(n >= 8, "window(%u, %u) = %u: never below 8", w->rcvbuf,
		    w->dsize, n);
		/* Above the floor, the window fits in the buffer it is for
		 * (a datagram costs at least its payload there). */
		if (n > 8)
			ok((uint64_t)n * w->dsize <= w->rcvbuf, "window(%u, %u) "
			    "= %u datagrams fit in the buffer", w->rcvbuf,
			    w->dsize, n);
	}
	/* A larger buffer never gives a smaller window; a larger datagram
	 * never a larger one. */
	bool mono = true;
	uint32_t prev = 0, rb;
	for (rb = 0; rb < (64u << 20); rb += 65521) {
		uint32_t n = ft_dg_window(rb, 1200);
		if (n < prev)
			mono = false;
		prev = n;
	}
	ok(mono, "the window grows with the buffer (1200-byte datagrams, "
	    "0..64 MiB)");
	mono = true;
	prev = UINT32_MAX;
	for (unsigned d = FT_DG_MIN; d <= FT_DG_MAX; d += 97) {
		uint32_t n = ft_dg_window(8388608, d);
		if (n > prev)
			mono = false;
		prev = n;
	}
	ok(mono, "the window shrinks as the datagram grows (8 MiB buffer)");
}

/* ------------------------------------------------------------ peers */

static struct sockaddr_storage
v4(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &a->sin_addr) != 1)
		bail("bad test address %s", ip);
	return ss;
}

static struct sockaddr_storage
v6(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	a->sin6_family = AF_INET6;
	a->sin6_port = htons((uint16_t)port);
	if (inet_pton(AF_INET6, ip, &a->sin6_addr) != 1)
		bail("bad test address %s", ip);
	return ss;
}

struct peer_case {
	const char *what;
	bool six_a, six_b;
	const char *ip_a, *ip_b;
	unsigned port_a, port_b;
	bool same;
};

static const struct peer_case peers[] = {
	{ "v4: same address and port", 0, 0, "127.0.0.1", "127.0.0.1", 5006,
	    5006, true },
	{ "v4: same address, other port", 0, 0, "127.0.0.1", "127.0.0.1",
	    5006, 5007, false },
	{ "v4: same port, other address", 0, 0, "127.0.0.1", "127.0.0.2",
	    5006, 5006, false },
	{ "v4: ports that differ only in byte order", 0, 0, "10.0.0.1",
	    "10.0.0.1", 0x1388, 0x8813, false },
	{ "v6: same address and port", 1, 1, "::1", "::1", 5006, 5006, true },
	{ "v6: same address, other port", 1, 1, "::1", "::1", 5006, 5007,
	    false },
	{ "v6: same port, other address", 1, 1, "2001:db8::1", "2001:db8::2",
	    5006, 5006, false },
	{ "v6: addresses that differ in the first byte", 1, 1, "2001:db8::1",
	    "3001:db8::1", 9, 9, false },
};

static void
test_same_peer(void)
{
	size_t i;

	for (i = 0; i < NELEM(peers); i++) {
		const struct peer_case *p = &peers[i];
		struct sockaddr_storage a = p->six_a ? v6(p->ip_a, p->port_a) :
		    v4(p->ip_a, p->port_a);
		struct sockaddr_storage b = p->six_b ? v6(p->ip_b, p->port_b) :
		    v4(p->ip_b, p->port_b);

		is_int(p->same, ft_dg_same_peer(&a, &b), "same peer? %s: %s",
		    p->what, p->same ? "yes" : "no");
		is_int(p->same, ft_dg_same_peer(&b, &a),
		    "same peer? %s, the other way round", p->what);
	}
	struct sockaddr_storage u1, u2;
	memset(&u1, 0, sizeof(u1));
	memset(&u2, 0, sizeof(u2));
	u1.ss_family = u2.ss_family = AF_UNIX;
	ok(!ft_dg_same_peer(&u1, &u2), "same peer? two non-IP addresses: no");
}

/* A count past FT_DG_MAX_COUNT would wrap: 2^41 + 512 bytes in 512-byte
 * datagrams once made a total of 1 (a hostile offer "verified" with one
 * datagram). */
static void
test_fits(void)
{
	ok(ft_dg_fits(0, 512), "an empty file fits");
	ok(ft_dg_fits((uint64_t)FT_DG_MAX_COUNT * 512, 512),
	    "FT_DG_MAX_COUNT datagrams fit");
	ok(!ft_dg_fits((uint64_t)FT_DG_MAX_COUNT * 512 + 1, 512),
	    "one byte more does not");
	ok(!ft_dg_fits((1ULL << 41) + 512, 512), "2^41 + 512 bytes in 512-byte "
	    "datagrams do not fit");
	ok(!ft_dg_fits(UINT64_MAX, FT_DG_MAX), "UINT64_MAX bytes do not fit");
	ok(!ft_dg_fits(1, 0), "a datagram size of 0 never fits");
}

int
main(void)
{
	test_header_round_trip();
	test_header_rejections();
	test_geometry();
	test_fin();
	test_status_round_trip();
	test_status_rejections();
	test_hello();
	test_window();
	test_same_peer();
	test_fits();
	return done_testing();
}
