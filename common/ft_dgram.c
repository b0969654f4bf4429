/* ft_dgram.c: packing and checking datagrams. Nothing from the network
 * is trusted: lengths are checked against the datagram's real size before
 * any field past the header is read. */
#include "ft_dgram.h"

#include "ft_sys.h"

#include <string.h>

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void
ft_dg_put_header(uint8_t *buf, const struct ft_dg_header *h)
{
	put32(buf, FT_DG_MAGIC);
	buf[4] = h->type;
	buf[5] = h->flags;
	buf[6] = (uint8_t)(h->len >> 8);
	buf[7] = (uint8_t)h->len;
	put32(buf + 8, h->xfer);
	put32(buf + 12, h->seq);
	put32(buf + 16, h->tx);
}

int
ft_dg_get_header(const uint8_t *buf, size_t n, struct ft_dg_header *h)
{
	if (n < FT_DG_HEADER || get32(buf) != FT_DG_MAGIC)
		return -1;
	h->type = buf[4];
	h->flags = buf[5];
	h->len = (uint16_t)(buf[6] << 8 | buf[7]);
	h->xfer = get32(buf + 8);
	h->seq = get32(buf + 12);
	h->tx = get32(buf + 16);
	if (h->type < FT_DG_DATA || h->type > FT_DG_HELLO)
		return -1;
	return (size_t)h->len + FT_DG_HEADER == n ? 0 : -1;
}

bool
ft_dg_fits(uint64_t size, unsigned dsize)
{
	return dsize > 0 && size / dsize + (size % dsize != 0) <= FT_DG_MAX_COUNT;
}

uint32_t
ft_dg_count(uint64_t size, unsigned dsize)
{
	return (uint32_t)((size + dsize - 1) / dsize);
}

unsigned
ft_dg_len(uint64_t size, unsigned dsize, uint32_t seq)
{
	uint64_t off = (uint64_t)seq * dsize;

	if (off >= size)
		return 0;
	return size - off < dsize ? (unsigned)(size - off) : dsize;
}

size_t
ft_dg_put_fin(uint8_t *buf, uint32_t xfer, uint32_t total, uint32_t tx,
    bool end)
{
	struct ft_dg_header h = { .type = FT_DG_FIN, .len = 8, .xfer = xfer,
	    .tx = tx, .flags = end ? FT_DG_END : 0 };

	ft_dg_put_header(buf, &h);
	put32(buf + FT_DG_HEADER, total);
	put32(buf + FT_DG_HEADER + 4, tx);
	return FT_DG_HEADER + 8;
}

int
ft_dg_get_fin(const uint8_t *buf, size_t n, uint32_t *total, uint32_t *tx)
{
	if (n != FT_DG_HEADER + 8)
		return -1;
	*total = get32(buf + FT_DG_HEADER);
	*tx = get32(buf + FT_DG_HEADER + 4);
	return 0;
}

size_t
ft_dg_put_status(uint8_t *buf, uint32_t xfer, const struct ft_dg_status *st)
{
	uint32_t n = st->nranges > FT_DG_MAX_RANGES ? FT_DG_MAX_RANGES :
	    st->nranges, i;
	uint8_t *p = buf + FT_DG_HEADER;
	struct ft_dg_header h = { .type = FT_DG_STATUS, .xfer = xfer,
	    .len = (uint16_t)(FT_DG_STATUS_FIXED + 8 * n) };

	ft_dg_put_header(buf, &h);
	put64(p, st->secret);
	put32(p + 8, st->max_tx);
	put32(p + 12, st->rx_count);
	put32(p + 16, st->unique);
	put32(p + 20, n);
	p += FT_DG_STATUS_FIXED;
	for (i = 0; i < n; i++) {
		put32(p + 8 * i, st->ranges[i].first);
		put32(p + 4 + 8 * i, st->ranges[i].count);
	}
	return FT_DG_HEADER + h.len;
}

int
ft_dg_get_status(const uint8_t *buf, size_t n, struct ft_dg_status *st)
{
	const uint8_t *p = buf + FT_DG_HEADER;
	uint32_t i;

	if (n < FT_DG_HEADER + FT_DG_STATUS_FIXED)
		return -1;
	st->secret = get64(p);
	st->max_tx = get32(p + 8);
	st->rx_count = get32(p + 12);
	st->unique = get32(p + 16);
	st->nranges = get32(p + 20);
	if (st->nranges > FT_DG_MAX_RANGES || n != FT_DG_HEADER +
	    FT_DG_STATUS_FIXED + 8 * (size_t)st->nranges)
		return -1;
	p += FT_DG_STATUS_FIXED;
	for (i = 0; i < st->nranges; i++) {
		st->ranges[i].first = get32(p + 8 * i);
		st->ranges[i].count = get32(p + 4 + 8 * i);
	}
	return 0;
}

size_t
ft_dg_put_hello(uint8_t *buf, uint32_t xfer, uint64_t secret)
{
	struct ft_dg_header h = { .type = FT_DG_HELLO, .len = 8, .xfer = xfer };

	ft_dg_put_header(buf, &h);
	put64(buf + FT_DG_HEADER, secret);
	return FT_DG_HELLO_LEN;
}

int
ft_dg_get_hello(const uint8_t *buf, size_t n, uint64_t *secret)
{
	if (n != FT_DG_HELLO_LEN)
		return -1;
	*secret = get64(buf + FT_DG_HEADER);
	return 0;
}

uint32_t
ft_dg_window(uint32_t rcvbuf, unsigned dsize)
{
	/* The kernel charges a datagram's whole allocation (its truesize) to
	 * the buffer: up to twice the payload once rounded up, plus about a
	 * kilobyte. Keep a quarter spare for late reports. */
	uint32_t n = (uint32_t)((uint64_t)rcvbuf * 3 / 4 /
	    (2 * (dsize + FT_DG_HEADER) + 1024));

	return n < 8 ? 8 : n;
}

bool
ft_dg_same_peer(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}
