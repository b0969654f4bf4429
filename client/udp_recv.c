/* udp_recv.c: receiving a file over UDP. Datagrams land at their offset
 * (runs of consecutive ones in one pwritev), duplicates and strangers
 * are counted and dropped, and the SHA-256 advances in file order: from
 * the datagram itself when it is the next one due (the common case),
 * from the file for data that arrived ahead of a gap.
 *
 * Every few datagrams (a few times per sender window) and when the
 * sender asks (FIN), the receiver sends a STATUS: how far the stream got
 * (max tx), how many transmissions arrived, and in reliable mode the
 * missing ranges. The time counted is first datagram to last datagram
 * received, by the kernel's receive timestamps (SO_TIMESTAMPNS): when
 * datagrams wait in the socket buffer, the time we read them is not when
 * they arrived. Waiting that ends a raw transfer is never counted. */
#include "ftclient.h"
#include "ft_addr.h"
#include "ft_dgram.h"
#include "ft_hash.h"
#include "ft_io.h"
#include "ft_time.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define BATCH_BYTES	(1u << 20)
#define BATCH_MAX	64
#define IDLE_STATUS_NS	(10 * 1000000LL)
#define RAW_END_NS	(1000 * 1000000LL)	/* raw: silence that ends it */
#define HASH_CHUNK	(1u << 20)
#define STATUS_EVERY_MAX 16		/* datagrams between reports, at most */

struct receiver {
	struct conn *c;
	struct ft_reader *in;
	int udp, file;
	struct sockaddr_storage server;
	uint64_t size;
	unsigned dsize;
	uint32_t total, xfer;
	bool reliable, fin_seen;
	uint8_t *have;
	uint32_t unique, low, max_seq, max_tx, rx_count, hash_next;
	uint64_t bytes;			/* unique payload bytes */
	bool any_tx;
	unsigned status_every, since_status;
	int64_t last_status_ns, last_rx_ns;
	struct ft_sha256 *h;
	unsigned batch;
	uint8_t *bufs, *scratch;
	struct mmsghdr *msgs;
	struct iovec *iov, *wiov;
	struct sockaddr_storage *from;
	uint32_t *batch_seq;		/* per datagram: seq, or UINT32_MAX */
	uint8_t (*ctl)[CMSG_SPACE(sizeof(struct timespec))];	/* stamps */
	int64_t wall_to_mono;		/* converts the kernel's stamps */
};

static bool
have(const struct receiver *r, uint32_t q)
{
	return ft_bit_get(r->have, q);
}

/* Receive buffer i, one byte larger than a datagram to spot oversized
 * ones, and the payload in it. */
static size_t
slot_size(const struct receiver *r)
{
	return r->dsize + FT_DG_HEADER + 1;
}

static uint8_t *
slot_at(const struct receiver *r, unsigned i)
{
	return r->bufs + (size_t)i * slot_size(r);
}

int
udp_open(struct conn *c, uint32_t *rcvbuf)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a), blen = sizeof(*rcvbuf);
	int fd, size = 16 << 20;

	/* Same local address as the control connection, any port. */
	if (getsockname(c->fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	ft_addr_set_port(&a, 0);
	fd = socket(a.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf, &blen);
	c->x.sockbuf_asked = (uint32_t)size;
	c->x.sockbuf_got = *rcvbuf;
	return fd;
}

static int
receiver_init(struct receiver *r, struct conn *c, struct ft_reader *in,
    int file, struct ft_sha256 *h)
{
	socklen_t len = sizeof(r->server);
	unsigned slot;

	memset(r, 0, sizeof(*r));
	r->c = c, r->in = in, r->udp = c->udp_fd, r->file = file, r->h = h;
	r->size = c->offer.size;
	r->dsize = c->offer.datagram;
	r->xfer = c->offer.xfer;
	r->reliable = c->offer.reliable;
	r->total = ft_dg_count(r->size, r->dsize);
	if (getpeername(c->fd, (struct sockaddr *)&r->server, &len) < 0)
		return -1;
	ft_addr_set_port(&r->server, (uint16_t)c->offer.udp_port);
	/* Reports clock the sender: each lets out as many datagrams as it
	 * acknowledges, so frequent ones keep bursts small enough for a
	 * shaper's short queue. */
	r->status_every = ft_dg_window(c->x.sockbuf_got, r->dsize) / 8;
	if (r->status_every > STATUS_EVERY_MAX)
		r->status_every = STATUS_EVERY_MAX;
	if (r->status_every < 1)
		r->status_every = 1;
	slot = slot_size(r);
	r->batch = BATCH_BYTES / slot;
	r->batch = r->batch < 4 ? 4 : r->batch > BATCH_MAX ? BATCH_MAX : r->batch;
	r->have = calloc(r->total / 8 + 1, 1);
	r->bufs = malloc((size_t)r->batch * slot);
	r->scratch = malloc(HASH_CHUNK);
	r->msgs = calloc(r->batch, sizeof(*r->msgs));
	r->iov = calloc(r->batch, sizeof(*r->iov));
	r->wiov = calloc(r->batch, sizeof(*r->wiov));
	r->from = calloc(r->batch, sizeof(*r->from));
	r->batch_seq = calloc(r->batch, sizeof(*r->batch_seq));
	r->ctl = calloc(r->batch, sizeof(*r->ctl));
	struct timespec wall = ft_wall_now();
	r->wall_to_mono = ft_mono_ns() - ((int64_t)wall.tv_sec * 1000000000 +
	    wall.tv_nsec);
	setsockopt(r->udp, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 }, sizeof(int));
	return r->have && r->bufs && r->scratch && r->msgs && r->iov &&
	    r->wiov && r->from && r->batch_seq && r->ctl ? 0 : -1;
}

static void
receiver_free(struct receiver *r)
{
	free(r->have);
	free(r->bufs);
	free(r->scratch);
	free(r->msgs);
	free(r->iov);
	free(r->wiov);
	free(r->from);
	free(r->batch_seq);
	free(r->ctl);
}

/* When datagram i arrived, on the monotonic clock: the kernel's stamp
 * when there is one, else now. */
static int64_t
arrival_ns(const struct receiver *r, unsigned i)
{
	struct msghdr *m = &r->msgs[i].msg_hdr;
	struct cmsghdr *cm;
	struct timespec ts;

	for (cm = CMSG_FIRSTHDR(m); cm != NULL; cm = CMSG_NXTHDR(m, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
			    r->wall_to_mono;
		}
	return ft_mono_ns();
}

/* Missing ranges from the first gap up to what should have arrived. */
static void
collect_ranges(struct receiver *r, struct ft_dg_status *st)
{
	uint32_t limit = r->fin_seen ? r->total : r->max_seq, q = r->low;

	st->nranges = 0;
	while (q < limit && st->nranges < FT_DG_MAX_RANGES) {
		if (have(r, q)) {
			q++;
			continue;
		}
		uint32_t first = q;
		while (q < limit && !have(r, q))
			q++;
		st->ranges[st->nranges++] = (struct ft_dg_range){ first, q - first };
	}
}

static void
send_status(struct receiver *r)
{
	struct ft_dg_status st;		/* per thread: one per connection */
	uint8_t buf[FT_DG_STATUS_MAX];
	size_t n;

	st.max_tx = r->max_tx;
	st.rx_count = r->rx_count;
	st.unique = r->unique;
	st.nranges = 0;
	if (r->reliable)
		collect_ranges(r, &st);
	n = ft_dg_put_status(buf, r->xfer, &st);
	sendto(r->udp, buf, n, 0, (struct sockaddr *)&r->server,
	    ft_addr_len(&r->server));
	r->since_status = 0;
	r->last_status_ns = ft_mono_ns();
}

/* Checks one datagram; returns its seq for new DATA, else UINT32_MAX. */
static uint32_t
take_datagram(struct receiver *r, unsigned i, size_t n, int flags)
{
	uint8_t *buf = slot_at(r, i);
	struct ft_dg_header h;
	uint32_t total, tx;

	if ((flags & MSG_TRUNC) || !ft_dg_same_peer(&r->from[i], &r->server) ||
	    ft_dg_get_header(buf, n, &h) < 0 || h.xfer != r->xfer)
		return r->c->x.dgrams_bad++, UINT32_MAX;
	if (h.type == FT_DG_FIN && ft_dg_get_fin(buf, n, &total, &tx) == 0) {
		/* Everything sent before the FIN has arrived or is lost. */
		if (tx > 0 && (!r->any_tx || (int32_t)(tx - 1 - r->max_tx) > 0))
			r->max_tx = tx - 1, r->any_tx = true;
		if (h.flags & FT_DG_END)
			r->fin_seen = true;
		r->since_status = r->status_every;	/* answer at once */
		return UINT32_MAX;
	}
	if (h.type != FT_DG_DATA || h.seq >= r->total ||
	    h.len != ft_dg_len(r->size, r->dsize, h.seq))
		return r->c->x.dgrams_bad++, UINT32_MAX;
	r->rx_count++;
	r->since_status++;
	if (!r->any_tx || (int32_t)(h.tx - r->max_tx) > 0)
		r->max_tx = h.tx, r->any_tx = true;
	if (have(r, h.seq))
		return r->c->x.dgrams_dup++, UINT32_MAX;
	ft_bit_set(r->have, h.seq, true);
	r->unique++;
	r->bytes += h.len;
	if (!(h.flags & FT_DG_RESENT) && h.seq + 1 > r->max_seq)
		r->max_seq = h.seq + 1;
	r->c->x.wire_bytes += n + FT_DG_WIRE_OVERHEAD(r->server.ss_family);
	r->last_rx_ns = arrival_ns(r, i);
	if (r->c->first_ns == 0 || r->last_rx_ns < r->c->first_ns)
		r->c->first_ns = r->last_rx_ns;
	return h.seq;
}

/* After a short pwritev (rare: a signal, a full disk), the run again one
 * datagram at a time, so the error, if any, is the real one. */
static int
write_each(struct receiver *r, unsigned k, off_t off)
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

/* Writes the batch's new datagrams, one pwritev per consecutive run. */
static int
write_batch(struct receiver *r, unsigned n)
{
	unsigned i = 0, k;

	while (i < n) {
		if (r->batch_seq[i] == UINT32_MAX) {
			i++;
			continue;
		}
		for (k = 0; i + k < n && r->batch_seq[i + k] == r->batch_seq[i] + k; k++)
			r->wiov[k] = (struct iovec){ slot_at(r, i + k) + FT_DG_HEADER,
			    ft_dg_len(r->size, r->dsize, r->batch_seq[i + k]) };
		off_t off = (off_t)r->batch_seq[i] * r->dsize;
		size_t want = 0;
		for (unsigned j = 0; j < k; j++)
			want += r->wiov[j].iov_len;
		ssize_t w = pwritev(r->file, r->wiov, (int)k, off);
		if (w != (ssize_t)want && write_each(r, k, off) < 0)
			return -1;
		i += k;
	}
	return 0;
}

/* Hashes in file order: from the batch while it is the next data due,
 * then from the file for data that had arrived ahead of a gap. */
static int
hash_forward(struct receiver *r, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (r->batch_seq[i] == r->hash_next) {
			ft_sha256_update(r->h, slot_at(r, i) + FT_DG_HEADER,
			    ft_dg_len(r->size, r->dsize, r->hash_next));
			r->hash_next++;
		}
	while (r->hash_next < r->total && have(r, r->hash_next)) {
		uint32_t q = r->hash_next, k = 0;
		while (q + k < r->total && have(r, q + k) &&
		    (uint64_t)(k + 1) * r->dsize <= HASH_CHUNK)
			k++;
		uint64_t off = (uint64_t)q * r->dsize, len = (uint64_t)k * r->dsize;
		if (off + len > r->size)
			len = r->size - off;
		if (ft_pread_all(r->file, r->scratch, len, (off_t)off) < 0)
			return -1;
		ft_sha256_update(r->h, r->scratch, len);
		r->hash_next += k;
	}
	return 0;
}

static int
read_batch(struct receiver *r)
{
	unsigned i;
	int n;

	for (i = 0; i < r->batch; i++) {
		r->iov[i] = (struct iovec){ slot_at(r, i), slot_size(r) };
		r->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &r->from[i],
		    .msg_namelen = sizeof(r->from[i]), .msg_iov = &r->iov[i],
		    .msg_iovlen = 1, .msg_control = r->ctl[i],
		    .msg_controllen = sizeof(r->ctl[i]) };
	}
	n = recvmmsg(r->udp, r->msgs, r->batch, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return n;
	for (i = 0; i < (unsigned)n; i++)
		r->batch_seq[i] = take_datagram(r, i, r->msgs[i].msg_len,
		    r->msgs[i].msg_hdr.msg_flags);
	while (r->low < r->total && have(r, r->low))
		r->low++;
	if (write_batch(r, (unsigned)n) < 0 || hash_forward(r, (unsigned)n) < 0)
		return -2;
	r->c->x.bytes = r->bytes;
	atomic_store_explicit(&r->c->bytes, r->bytes, memory_order_relaxed);
	/* Report every few datagrams, and whenever the socket is drained:
	 * a small window must not wait for the idle timer to be clocked. */
	if (r->since_status >= r->status_every ||
	    ((unsigned)n < r->batch && r->since_status > 0))
		send_status(r);
	return n;
}

/* During the transfer the control connection only speaks up to fail. */
static int
check_control(struct receiver *r)
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

static bool
finished(const struct receiver *r)
{
	return r->unique == r->total || (!r->reliable && r->fin_seen);
}

/* Waits for datagrams; -1 when the transfer must end in failure. */
static int
wait_more(struct receiver *r, int64_t started_ns)
{
	struct pollfd p[2] = { { .fd = r->udp, .events = POLLIN },
	    { .fd = r->c->fd, .events = POLLIN } };
	int64_t now = ft_mono_ns(), quiet;
	int timeout_s = r->c->cl->o.timeout_s;

	if (r->reliable && now - r->last_status_ns >= IDLE_STATUS_NS)
		send_status(r);
	if (poll(p, 2, (int)(IDLE_STATUS_NS / 1000000)) > 0 && p[1].revents &&
	    check_control(r) < 0)
		return -1;
	now = ft_mono_ns();
	quiet = now - (r->last_rx_ns ? r->last_rx_ns : started_ns);
	if (!r->reliable && r->last_rx_ns && quiet > RAW_END_NS)
		r->fin_seen = true;	/* the end-of-pass FIN was lost */
	if (quiet > (int64_t)timeout_s * 1000000000LL) {
		conn_fail(r->c, "no data from the server for %d s (%llu of %llu "
		    "bytes)", timeout_s, (unsigned long long)r->bytes,
		    (unsigned long long)r->size);
		return -1;
	}
	return 0;
}

static void
final_counts(struct receiver *r)
{
	struct ft_xfer *x = &r->c->x;

	x->dgrams = r->unique;
	x->dgram_size = r->dsize;
	x->dgrams_lost = r->reliable ? (r->any_tx ? r->max_tx + 1 - r->rx_count :
	    0) : r->total - r->unique;
	r->c->end_ns = r->last_rx_ns;	/* last datagram, not the wait */
}

int
udp_receive(struct conn *c, struct ft_reader *in, int file,
    struct ft_sha256 *h)
{
	struct receiver r;
	int64_t started = ft_mono_ns();
	int n, rc = -1;

	if (receiver_init(&r, c, in, file, h) < 0) {
		conn_fail(c, "out of memory");
		goto out;
	}
	while (!finished(&r)) {
		n = read_batch(&r);
		if (n == -2) {
			conn_fail(c, "writing the file: %s", strerror(errno));
			goto out;
		}
		if (n <= 0 && wait_more(&r, started) < 0)
			goto out;
	}
	send_status(&r);	/* tells the sender where we ended */
	final_counts(&r);
	if (r.unique < r.total) {
		conn_fail(c, "lost %u of %u datagrams (%.2f%%)",
		    r.total - r.unique, r.total,
		    100.0 * (r.total - r.unique) / r.total);
		rc = 1;
	} else
		rc = 0;
out:
	if (rc < 0)
		final_counts(&r);
	receiver_free(&r);
	return rc;
}
