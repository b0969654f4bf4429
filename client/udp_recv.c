/* udp_recv.c: receiving a file over UDP, driving common/ft_udp_rx (which
 * decides what each datagram is, when to say hello and when to report).
 * This file does the system calls, through ft_sys.h: the socket, the
 * reads (a batch at a time: one recvmmsg on Linux, recvfrom in a loop on
 * Windows), writing new datagrams at their offset (runs of
 * consecutive ones in one pwritev) and the SHA-256 in file order: from
 * the datagram itself when it is the next one due (the common case),
 * from the file for data that arrived ahead of a gap.
 *
 * The client speaks first: its hello, with the secret from the OK line,
 * goes from this socket to the server's port until the first datagram
 * arrives, so a NAT or a stateful firewall on the way has the mapping
 * the data needs, and the server learns where to send. After the last
 * datagram the receiver stays until the server's verdict, answering its
 * FIN probes with the final report: the server counts a transfer ok only
 * when the reports acknowledge every datagram.
 *
 * With GRO (UDP_GRO, when the kernel has it) one read may bring up to
 * FT_GSO_SEGMENTS datagrams of one size glued together (a sender's GSO
 * send, or the device's coalescing): they are cut apart again here, at
 * the size the kernel reports, and taken one by one.
 *
 * The time counted is first datagram to last datagram received, by the
 * kernel's receive timestamps (SO_TIMESTAMPNS): when datagrams wait in
 * the socket buffer, the time we read them is not when they arrived.
 * Where there are none (Windows), the monotonic clock as each is read.
 * Waiting that ends a raw transfer is never counted. */
#include "ftclient.h"
#include "ft_addr.h"
#include "ft_dgram.h"
#include "ft_hash.h"
#include "ft_io.h"
#include "ft_sys.h"
#include "ft_time.h"
#include "ft_udp_rx.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_BYTES	(1u << 20)
#define BATCH_MAX	64
#define HASH_CHUNK	(1u << 20)

/* A datagram of the batch: where it lies in its read's buffer. */
struct dgram_view {
	uint8_t *p;
	size_t len;
	uint32_t seq;			/* new data: its seq; else UINT32_MAX */
};

struct udp_receiver {
	struct conn *c;
	struct ft_reader *in;
	int udp, file;
	bool gro;			/* a read may hold several datagrams */
	struct sockaddr_storage server;
	struct ft_udp_rx m;		/* the decisions */
	uint32_t hash_next;
	struct ft_sha256 *h;
	unsigned batch, nviews;
	uint8_t *bufs, *scratch;
	struct ft_udp_batch *reader;	/* the platform's batch state */
	struct ft_udp_read *reads;	/* per read: buffer, length, stamp */
	struct iovec *wiov;
	struct dgram_view *views;	/* up to batch * FT_GSO_SEGMENTS */
	int64_t wall_to_mono;		/* converts the kernel's stamps */
	int64_t readable_ns;		/* the socket last became readable */
};

/* Receive buffer i: one byte larger than a datagram to spot oversized
 * ones; with GRO, as large as a glued read can be. */
static size_t
slot_size(const struct udp_receiver *r)
{
	return r->gro ? 65536 : r->m.conf.dsize + FT_DG_HEADER + 1;
}

/* Datagrams a batch may hold: with GRO, each read may be many. */
static unsigned
max_views(const struct udp_receiver *r)
{
	return r->batch * (r->gro ? FT_GSO_SEGMENTS : 1u);
}

static uint8_t *
slot_at(const struct udp_receiver *r, unsigned i)
{
	return r->bufs + (size_t)i * slot_size(r);
}

int
udp_open(struct conn *c, uint32_t *rcvbuf)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);
	int fd;

	/* Same local address as the control connection, any port. */
	if (getsockname(c->fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	ft_addr_set_port(&a, 0);
	fd = ft_udp_open(&a, &c->x.sockbuf_asked, rcvbuf, &c->udp_gro);
	if (fd >= 0)
		c->x.sockbuf_got = *rcvbuf;
	return fd;
}

static int
receiver_buffers(struct udp_receiver *r)
{
	size_t slot = slot_size(r);

	r->batch = (unsigned)(BATCH_BYTES / slot);
	r->batch = r->batch < 4 ? 4 : r->batch > BATCH_MAX ? BATCH_MAX : r->batch;
	size_t views;

	views = max_views(r);
	r->bufs = malloc((size_t)r->batch * slot);
	r->scratch = malloc(HASH_CHUNK);
	r->reader = ft_udp_batch_new(r->batch);
	r->reads = calloc(r->batch, sizeof(*r->reads));
	r->wiov = calloc(views, sizeof(*r->wiov));
	r->views = calloc(views, sizeof(*r->views));
	if (!r->bufs || !r->scratch || !r->reader || !r->reads || !r->wiov ||
	    !r->views)
		return -1;
	for (unsigned i = 0; i < r->batch; i++)
		r->reads[i] = (struct ft_udp_read){ .buf = slot_at(r, i),
		    .cap = slot };
	return 0;
}

static int
receiver_init(struct udp_receiver *r, struct conn *c, struct ft_reader *in,
    int file, struct ft_sha256 *h)
{
	socklen_t len = sizeof(r->server);
	struct ft_udp_rx_conf mc = { .size = c->offer.size,
	    .dsize = c->offer.datagram, .xfer = c->offer.xfer,
	    .secret = c->offer.secret, .reliable = c->offer.reliable,
	    .rcvbuf = c->x.sockbuf_got,
	    .silence_ns = (int64_t)c->cl->o.timeout_s * 1000000000LL,
	    .silence_s = c->cl->o.timeout_s };
	struct timespec wall;

	r->c = c, r->in = in, r->udp = c->udp_fd, r->file = file, r->h = h;
	if (getpeername(c->fd, (struct sockaddr *)&r->server, &len) < 0)
		return -1;
	ft_addr_set_port(&r->server, (uint16_t)c->offer.udp_port);
	r->gro = c->udp_gro;
	if (ft_udp_rx_init(&r->m, &mc, ft_mono_ns()) < 0 ||
	    receiver_buffers(r) < 0)
		return -1;
	wall = ft_wall_now();
	r->wall_to_mono = ft_mono_ns() - ((int64_t)wall.tv_sec * 1000000000 +
	    wall.tv_nsec);
	return 0;
}

static void
receiver_free(struct udp_receiver *r)
{
	ft_udp_rx_free(&r->m);
	free(r->bufs);
	free(r->scratch);
	ft_udp_batch_free(r->reader);
	free(r->reads);
	free(r->wiov);
	free(r->views);
	free(r);
}

/* When datagram i arrived, on the monotonic clock: the kernel's stamp
 * when there is one. Else (Windows) now, but the first datagram's is
 * when the wait for it ended: a burst queued before the first read
 * would otherwise shrink the time to almost nothing (1 MB "in" 7 us). */
static int64_t
arrival_ns(const struct udp_receiver *r, unsigned i)
{
	int64_t stamp = r->reads[i].stamp_ns;

	if (stamp != 0)
		return stamp + r->wall_to_mono;
	if (r->m.first_rx_ns == 0 && r->readable_ns != 0)
		return r->readable_ns;
	return ft_mono_ns();
}

/* Sends to the server's port; a lost report or hello is repeated by the
 * rhythm, so a failure here (a full buffer) is not an error. */
static void
send_to_server(struct udp_receiver *r, const uint8_t *buf, size_t n)
{
	(void)ft_sendto(r->udp, buf, n, &r->server);
}

static void
send_status(struct udp_receiver *r)
{
	struct ft_dg_status st;		/* per thread: one per connection */
	uint8_t buf[FT_DG_STATUS_MAX];

	ft_udp_rx_status(&r->m, &st, ft_mono_ns());
	send_to_server(r, buf, ft_dg_put_status(buf, r->m.conf.xfer, &st));
}

static void
send_hello(struct udp_receiver *r)
{
	uint8_t buf[FT_DG_HELLO_LEN];

	send_to_server(r, buf, ft_dg_put_hello(buf, r->m.conf.xfer,
	    r->m.conf.secret));
}

/* One datagram of read i through the state machine: v->seq set when it
 * is new data. */
static void
take_datagram(struct udp_receiver *r, struct dgram_view *v, bool truncated,
    int64_t arrival)
{
	unsigned len;

	v->seq = UINT32_MAX;
	if (ft_udp_rx_datagram(&r->m, v->p, v->len, truncated, arrival, &v->seq,
	    &len) != FT_RX_NEW) {
		v->seq = UINT32_MAX;
		return;
	}
	r->c->x.wire_bytes += v->len + FT_DG_WIRE_OVERHEAD(r->server.ss_family);
	/* for the live view and the samples */
	__atomic_store_n(&r->c->first_ns, r->m.first_rx_ns, __ATOMIC_RELAXED);
}

/* Read i, cut into its datagrams (one, or with GRO several of the
 * kernel's segment size, the last maybe shorter). Only the server's port
 * is listened to. */
static void
take_read(struct udp_receiver *r, unsigned i)
{
	const struct ft_udp_read *m = &r->reads[i];
	size_t len = m->len, seg = m->seg, off;
	bool truncated = m->truncated;
	int64_t arrival = arrival_ns(r, i);
	struct dgram_view *v;

	if (!ft_dg_same_peer(&m->from, &r->server)) {
		r->m.bad++;
		return;
	}
	if (seg == 0 || seg > len)
		seg = len;
	off = 0;
	do {	/* an empty datagram is one too (a bad one) */
		v = &r->views[r->nviews++];
		v->p = slot_at(r, i) + off;
		v->len = len - off < seg ? len - off : seg;
		take_datagram(r, v, truncated, arrival);
		off += v->len;
	} while (off < len && r->nviews < max_views(r));
}

/* After a short pwritev (rare: a signal, a full disk), the run again one
 * datagram at a time, so the error, if any, is the real one. */
static int
write_each(struct udp_receiver *r, unsigned k, off_t off)
{
	unsigned j;

	for (j = 0; j < k; j++) {
		if (ft_pwrite_all(r->file, r->wiov[j].iov_base, r->wiov[j].iov_len,
		    off) < 0)
			return -1;
		off += (off_t)r->wiov[j].iov_len;
	}
	return 0;
}

static unsigned
payload_len(const struct udp_receiver *r, uint32_t seq)
{
	return ft_dg_len(r->m.conf.size, r->m.conf.dsize, seq);
}

/* Writes the batch's new datagrams, one pwritev per consecutive run. */
static int
write_batch(struct udp_receiver *r)
{
	const struct dgram_view *v = r->views;
	unsigned i = 0, k, n = r->nviews;
	size_t want;
	off_t off;

	while (i < n) {
		if (v[i].seq == UINT32_MAX) {
			i++;
			continue;
		}
		for (k = 0, want = 0; i + k < n && k < IOV_MAX &&
		    v[i + k].seq == v[i].seq + k; k++) {
			r->wiov[k] = (struct iovec){ v[i + k].p + FT_DG_HEADER,
			    payload_len(r, v[i + k].seq) };
			want += r->wiov[k].iov_len;
		}
		off = (off_t)v[i].seq * r->m.conf.dsize;
		if (ft_pwritev(r->file, r->wiov, (int)k, off) != (ssize_t)want &&
		    write_each(r, k, off) < 0)
			return -1;
		i += k;
	}
	return 0;
}

/* Hashes in file order: from the batch while it is the next data due,
 * then from the file for data that had arrived ahead of a gap. */
static int
hash_forward(struct udp_receiver *r)
{
	uint64_t size = r->m.conf.size, dsize = r->m.conf.dsize, off, len;
	uint32_t total = r->m.total, q, k;
	unsigned i;

	if (r->h == NULL)
		return 0;	/* the verdict's wait: the hash is final */
	for (i = 0; i < r->nviews; i++)
		if (r->views[i].seq == r->hash_next) {
			ft_sha256_update(r->h, r->views[i].p + FT_DG_HEADER,
			    payload_len(r, r->hash_next));
			r->hash_next++;
		}
	while (r->hash_next < total && ft_udp_rx_have(&r->m, r->hash_next)) {
		q = r->hash_next;
		for (k = 0; q + k < total && ft_udp_rx_have(&r->m, q + k) &&
		    (uint64_t)(k + 1) * dsize <= HASH_CHUNK; k++)
			;
		off = (uint64_t)q * dsize, len = (uint64_t)k * dsize;
		if (off + len > size)
			len = size - off;
		if (ft_pread_all(r->file, r->scratch, len, (off_t)off) < 0)
			return -1;
		ft_sha256_update(r->h, r->scratch, len);
		r->hash_next += k;
	}
	return 0;
}

/* One batch of reads: n datagrams taken (0: none waiting), -2 when
 * writing or hashing failed. */
static int
read_batch(struct udp_receiver *r)
{
	unsigned i;
	int n;

	n = ft_udp_read_batch(r->udp, r->reader, r->reads, r->batch);
	if (n <= 0)
		return 0;
	r->nviews = 0;
	for (i = 0; i < (unsigned)n; i++)
		take_read(r, i);
	if (write_batch(r) < 0 || hash_forward(r) < 0)
		return -2;
	r->c->x.bytes = r->m.bytes;
	/* The last arrival before the bytes it covers (release): a sample
	 * (samples.c) never ends after the last datagram it counted. */
	__atomic_store_n(&r->c->last_rx_ns, r->m.last_rx_ns, __ATOMIC_RELAXED);
	atomic_store_explicit(&r->c->bytes, r->m.bytes, memory_order_release);
	/* Report every few datagrams, and whenever the socket is drained:
	 * a small window must not wait for the idle timer to be clocked. */
	if (ft_udp_rx_status_due(&r->m, (unsigned)n < r->batch, ft_mono_ns()))
		send_status(r);
	return n;
}

/* During the transfer the control connection only speaks up to fail. */
static int
check_control(struct udp_receiver *r)
{
	char line[FT_LINE_MAX + 1];
	const char *msg;
	int code, rc = ft_poll_line(r->in, line);

	if (rc == FT_LINE_TIMEOUT)
		return 0;
	if (rc == FT_LINE_OK && ft_parse_error(line, &code, &msg) == 0)
		conn_fail(r->c, "server: %s", msg);
	else if (rc == FT_LINE_OK)
		conn_fail(r->c, "unexpected line from the server during the "
		    "transfer");
	else
		conn_fail(r->c, "the server closed the control connection");
	return -1;
}

/* Hello or report when due, then waits for datagrams or the control
 * connection; -1 when the transfer must end in failure. */
static int
wait_more(struct udp_receiver *r)
{
	struct pollfd p[2] = { { .fd = r->udp, .events = POLLIN },
	    { .fd = r->c->fd, .events = POLLIN } };
	int64_t now = ft_mono_ns(), wait;

	if (ft_udp_rx_hello_due(&r->m, now))
		send_hello(r);
	else if (ft_udp_rx_status_due(&r->m, true, now))
		send_status(r);
	wait = ft_udp_rx_wait_ns(&r->m, now);
	if (ft_poll(p, 2, (int)((wait + 999999) / 1000000)) > 0) {
		/* Only the first datagram's time needs it (arrival_ns). */
		if ((p[0].revents & POLLIN) && r->m.first_rx_ns == 0)
			r->readable_ns = ft_mono_ns();
		if (p[1].revents && check_control(r) < 0)
			return -1;
	}
	ft_udp_rx_tick(&r->m, ft_mono_ns());
	if (r->m.phase == FT_RX_FAILED) {
		conn_fail(r->c, "%s", r->m.reason);
		return -1;
	}
	return 0;
}

static void
final_counts(struct udp_receiver *r)
{
	struct ft_xfer *x = &r->c->x;

	x->dgrams = r->m.unique;
	x->dgram_size = r->m.conf.dsize;
	x->dgrams_lost = ft_udp_rx_lost(&r->m);
	x->dgrams_dup = r->m.dups;
	x->dgrams_bad = r->m.bad;
	__atomic_store_n(&r->c->first_ns, r->m.first_rx_ns, __ATOMIC_RELAXED);
	/* last datagram, not the wait; the live table reads it */
	__atomic_store_n(&r->c->end_ns, r->m.last_rx_ns, __ATOMIC_RELAXED);
}

static int
receive_all(struct udp_receiver *r)
{
	int n;

	while (r->m.phase == FT_RX_HELLO || r->m.phase == FT_RX_RECEIVING) {
		n = read_batch(r);
		if (n == -2) {
			conn_fail(r->c, "writing the file: %s", ft_strerror(errno));
			return -1;
		}
		if (n == 0 && wait_more(r) < 0)
			return -1;
	}
	send_status(r);		/* tells the sender where we ended */
	final_counts(r);
	if (r->m.unique < r->m.total) {
		conn_fail(r->c, "lost %u of %u datagrams (%.2f%%)",
		    r->m.total - r->m.unique, r->m.total,
		    100.0 * (r->m.total - r->m.unique) / r->m.total);
		return 1;
	}
	return 0;
}

int
udp_receive(struct conn *c, struct ft_reader *in, int file,
    struct ft_sha256 *h)
{
	struct udp_receiver *r = calloc(1, sizeof(*r));
	int rc;

	if (r == NULL || receiver_init(r, c, in, file, h) < 0) {
		if (r != NULL)
			receiver_free(r);
		conn_fail(c, "out of memory");
		return -1;
	}
	c->udp_rx = r;
	rc = receive_all(r);
	if (rc < 0)
		final_counts(r);
	return rc;
}

/* After DONE: until the control connection has the verdict (or the
 * deadline), answers the server's FIN probes with the final report, in
 * case the last one was lost. */
void
udp_await_verdict(struct conn *c, struct ft_reader *in, int64_t deadline)
{
	struct udp_receiver *r = c->udp_rx;
	struct pollfd p[2] = { { .fd = c->fd, .events = POLLIN },
	    { .fd = c->udp_fd, .events = POLLIN } };
	int64_t now;

	if (r == NULL)
		return;
	r->h = NULL;
	while (in->len == 0 && (now = ft_mono_ns()) < deadline) {
		int ms = (int)((deadline - now) / 1000000) + 1;
		if (ft_poll(p, 2, ms) <= 0 || p[0].revents)
			return;
		if (read_batch(r) < 0)
			return;
	}
}

void
udp_close(struct conn *c)
{
	if (c->udp_rx != NULL)
		receiver_free(c->udp_rx);
	c->udp_rx = NULL;
}
