/* session.c: one client's conversation with a worker, over TCP:
 * greeting, request, READY, the synchronized start, the file through
 * sendfile(2), and the client's DONE with its own SHA-256. PROTOCOL.md
 * (in the README) describes it for people; common/ft_proto.c parses it. */
#include "ftserver.h"
#include "ft_addr.h"
#include "ft_dgram.h"
#include "ft_io.h"
#include "ft_time.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <bsd/unistd.h>

#define SENDFILE_CHUNK (1u << 20)	/* progress is published per chunk */

struct session {
	struct server *s;
	int fd;
	unsigned udp_port;		/* UDP: the client's, from READY */
	uint32_t rcvbuf, xfer;
	unsigned dsize;			/* UDP: payload bytes per datagram */
	struct ft_reader in;
	struct ft_slot *slot;
	char peer[FT_ADDR_MAX + 8];	/* "ip:port", for messages */
};

static void
refuse(struct session *c, int code, const char *why)
{
	fprintf(stderr, "ftserver: worker %d: %s: refused (%d): %s\n",
	    c->s->slot + 1, c->peer, code, why);
	ft_send_line(c->fd, "ERR %d %s\n", code, why);
}

static void
describe_peer(struct session *c, const struct sockaddr_storage *peer,
    socklen_t len)
{
	char host[NI_MAXHOST];

	if (getnameinfo((const struct sockaddr *)peer, len, host, sizeof(host),
	    NULL, 0, NI_NUMERICHOST) != 0)
		strlcpy(host, "?", sizeof(host));
	strlcpy(c->slot->client_ip, host, sizeof(c->slot->client_ip));
	c->slot->client_port = ft_addr_port(peer);
	snprintf(c->peer, sizeof(c->peer), strchr(host, ':') ? "[%s]:%u" :
	    "%s:%u", host, c->slot->client_port);
	c->slot->server_port = ft_local_port(c->fd);
}

/* The slot for the stats dump, and the title for ps(1), e.g.
 * "ftserver: worker 3 sending 250MB.bin to 127.0.0.1:51234". */
static void
set_state(struct session *c, enum ft_slot_state st)
{
	c->slot->state = st;
	if (st == FT_SLOT_HANDSHAKE)
		setproctitle("worker %d handshake with %s", c->s->slot + 1, c->peer);
	else
		setproctitle("worker %d %s %s %s %s", c->s->slot + 1,
		    ft_slot_state_name(st), c->slot->file,
		    st == FT_SLOT_GATHERING ? "for" : "to", c->peer);
}

static const char *
line_problem(int rc)
{
	return ft_line_problem(rc, "the client disconnected");
}

static void
send_list(struct session *c)
{
	struct ft_shm *shm = c->s->shm;
	struct ft_catalogue_entry copy[FT_MAX_FILES];
	unsigned n, i;

	ft_shm_lock(&shm->lock);
	n = shm->catalogue_count;
	memcpy(copy, shm->catalogue, n * sizeof(copy[0]));
	ft_shm_unlock(&shm->lock);
	for (i = 0; i < n; i++)
		if (ft_send_line(c->fd, "FILE %s %llu\n", copy[i].name,
		    (unsigned long long)copy[i].size) < 0)
			return;
	ft_send_line(c->fd, "END %u\n", n);
}

/* Sends the whole file; returns bytes sent, with errno set on failure. */
static uint64_t
send_file(struct session *c, const struct served_file *f, int64_t *t0)
{
	off_t off = 0;
	ssize_t n;

	*t0 = ft_mono_ns();
	while ((uint64_t)off < f->size) {
		size_t want = f->size - (uint64_t)off;
		if (want > SENDFILE_CHUNK)
			want = SENDFILE_CHUNK;
		n = sendfile(c->fd, f->fd, &off, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* the file shrank under us */
			break;
		}
		c->slot->bytes = (uint64_t)off;
	}
	return (uint64_t)off;
}

/* After the last byte: the client's DONE, checked against our hash. */
static void
confirm(struct session *c, const struct served_file *f, struct ft_xfer *x)
{
	char line[FT_LINE_MAX + 1];
	struct ft_request req;
	const char *why;
	int rc;

	rc = ft_read_line(&c->in, line, ft_deadline_ms(c->s->io_timeout_s *
	    1000), NULL);
	if (rc != FT_LINE_OK) {
		ft_set_reason(x, "no confirmation from the client: %s",
		    line_problem(rc));
		return;
	}
	if (ft_parse_request(line, &req, &why) < 0 || req.verb != FT_DONE) {
		ft_set_reason(x, "bad confirmation from the client");
		ft_send_line(c->fd, "BYE mismatch\n");
		return;
	}
	if (req.bytes != f->size)
		ft_set_reason(x, "the client received %llu of %llu bytes",
		    (unsigned long long)req.bytes, (unsigned long long)f->size);
	else if (strcmp(req.sha256, f->sha256) != 0)
		ft_set_reason(x, "the client's SHA-256 differs");
	else
		x->ok = 1;
	ft_send_line(c->fd, "BYE %s\n", x->ok ? "ok" : "mismatch");
}

static void
transfer(struct session *c, const struct served_file *f, struct ft_xfer *x)
{
	int64_t t0 = 0;

	set_state(c, FT_SLOT_SENDING);
	if (ft_send_line(c->fd, "DATA %llu\n", (unsigned long long)f->size) < 0) {
		ft_set_reason(x, "client disconnected at the start: %s",
		    strerror(errno));
		return;
	}
	x->bytes = send_file(c, f, &t0);
	if (x->bytes < f->size) {
		x->ns = ft_mono_ns() - t0;
		ft_set_reason(x, "%s after %llu of %llu bytes", errno == EAGAIN ?
		    "the client stopped reading" : strerror(errno),
		    (unsigned long long)x->bytes, (unsigned long long)f->size);
		return;
	}
	set_state(c, FT_SLOT_CONFIRMING);
	confirm(c, f, x);
	x->ns = ft_mono_ns() - t0;	/* first byte sent -> confirmation */
}

/* The client's UDP address: its TCP address with the port from READY. */
static socklen_t
client_udp_addr(struct session *c, struct sockaddr_storage *a)
{
	socklen_t len = sizeof(*a);

	if (getpeername(c->fd, (struct sockaddr *)a, &len) < 0)
		return 0;
	ft_addr_set_port(a, (uint16_t)c->udp_port);
	return len;
}

static void
transfer_udp(struct session *c, const struct served_file *f,
    struct ft_xfer *x)
{
	struct udp_job job = { .udp_fd = c->s->udp_fds[c->s->slot],
	    .tcp_fd = c->fd, .in = &c->in, .file = f, .dsize = c->dsize,
	    .xfer = c->xfer, .reliable = c->s->reliable,
	    .peer_rcvbuf = c->rcvbuf, .io_timeout_s = c->s->io_timeout_s,
	    .progress = &c->slot->bytes };

	set_state(c, FT_SLOT_SENDING);
	/* Over UDP the ports logged are the data's, as a capture shows them. */
	x->client_port = (uint16_t)c->udp_port;
	x->server_port = (uint16_t)(c->s->bound_port + c->s->slot + 1);
	x->dgram_size = c->dsize;
	x->sockbuf_asked = c->s->udp_sndbuf_asked;
	x->sockbuf_got = c->s->udp_sndbuf_got;
	socklen_t llen = sizeof(job.local);

	if (getsockname(c->fd, (struct sockaddr *)&job.local, &llen) < 0 ||
	    (job.peerlen = client_udp_addr(c, &job.peer)) == 0 ||
	    ft_send_line(c->fd, "DATA %llu\n", (unsigned long long)f->size) < 0) {
		ft_set_reason(x, "client disconnected at the start: %s",
		    strerror(errno));
		return;
	}
	if (udp_send_file(&job, x) < 0)
		return;
	set_state(c, FT_SLOT_CONFIRMING);
	confirm(c, f, x);
}

/* Between OK and the start: the client's READY, then the semaphore. */
static int
await_start(struct session *c, const struct join_result *j, struct ft_xfer *x)
{
	char line[FT_LINE_MAX + 1], why[FT_REASON_MAX];
	struct ft_request req;
	const char *why_not;
	int rc = ft_read_line(&c->in, line, ft_deadline_ms(c->s->ready_timeout_s *
	    1000), &ft_stop_requested);

	if (rc == FT_LINE_TIMEOUT) {
		ft_set_reason(x, "the client never confirmed ready (timeout %d s)",
		    c->s->ready_timeout_s);
		ft_send_line(c->fd, "ERR %d no READY within %d s\n",
		    FT_ERR_TIMEOUT, c->s->ready_timeout_s);
		return -1;
	}
	if (rc != FT_LINE_OK) {
		ft_set_reason(x, "before ready: %s", line_problem(rc));
		if (rc == FT_LINE_INTR)
			ft_send_line(c->fd, "ERR %d the server is shutting down\n",
			    FT_ERR_BUSY);
		return -1;
	}
	rc = ft_parse_request(line, &req, &why_not);
	if (rc == 0 && req.verb == FT_QUIT) {
		ft_set_reason(x, "the client cancelled before the start");
		ft_send_line(c->fd, "BYE ok\n");
		return -1;
	}
	if (rc < 0 || req.verb != FT_READY ||
	    (c->s->proto == FT_UDP) != (req.udp_port != 0)) {
		ft_set_reason(x, "protocol error: expected READY%s",
		    c->s->proto == FT_UDP ? " udp_port=N" : "");
		ft_send_line(c->fd, "ERR %d expected READY%s\n", FT_ERR_BAD_REQUEST,
		    c->s->proto == FT_UDP ? " udp_port=N" : "");
		return -1;
	}
	c->udp_port = req.udp_port;
	c->rcvbuf = req.rcvbuf;
	if (group_ready_wait(c->s, j, why, sizeof(why)) < 0) {
		ft_set_reason(x, "test aborted: %s", why);
		ft_send_line(c->fd, "ERR %d test aborted: %s\n", FT_ERR_CONFLICT,
		    why);
		return -1;
	}
	return 0;
}

static void
account(struct session *c, const struct ft_xfer *x)
{
	struct ft_totals *t = &c->s->shm->totals;

	__atomic_fetch_add(x->ok ? &t->transfers_ok : &t->transfers_failed, 1,
	    __ATOMIC_RELAXED);
	__atomic_fetch_add(&t->bytes_sent, x->bytes, __ATOMIC_RELAXED);
	c->slot->transfers++;
	c->slot->failures += !x->ok;
	c->slot->last_ns = x->ns;
}

static void
fill_record(struct session *c, struct ft_xfer *x)
{
	strlcpy(x->client_ip, c->slot->client_ip, sizeof(x->client_ip));
	x->client_port = c->slot->client_port;
	x->server_port = c->slot->server_port;
}

/* Without -s: the largest payload that crosses this client's path
 * without IP fragmentation (one lost fragment would lose the whole
 * datagram), up to FT_DG_AUTO_MAX, the fastest size measured on
 * loopback. The path MTU comes from the control connection's route. */
static unsigned
datagram_for(struct session *c)
{
	struct sockaddr_storage a;
	socklen_t alen = sizeof(a), len = sizeof(int);
	int mtu = 0, v6, d;

	if (c->s->datagram != 0)
		return c->s->datagram;
	getsockname(c->fd, (struct sockaddr *)&a, &alen);
	v6 = a.ss_family == AF_INET6;
	if (getsockopt(c->fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU :
	    IP_MTU, &mtu, &len) < 0 || mtu <= 0)
		mtu = 1500;
	d = mtu - (v6 ? 40 : 20) - 8 - FT_DG_HEADER;
	return d < FT_DG_MIN ? FT_DG_MIN : d > FT_DG_AUTO_MAX ? FT_DG_AUTO_MAX :
	    (unsigned)d;
}

/* The UDP part of the OK line: where to expect datagrams, and how. */
static void
udp_offer(struct session *c, char *buf, size_t len)
{
	buf[0] = '\0';
	if (c->s->proto != FT_UDP)
		return;
	c->xfer = arc4random();
	c->dsize = datagram_for(c);
	snprintf(buf, len, " udp_port=%u xfer=%08x datagram=%u mode=%s",
	    c->s->bound_port + c->s->slot + 1, c->xfer, c->dsize,
	    c->s->reliable ? "reliable" : "raw");
}

static void
serve_get(struct session *c, const struct ft_request *req)
{
	struct served_file f = { .fd = -1 };
	struct join_result j;
	char name[FT_NAME_MAX + 1], why[FT_REASON_MAX + 64], udp[96];
	struct ft_xfer *x;
	int code;

	if (req->proto != c->s->proto) {
		snprintf(why, sizeof(why), "this server sends over %s",
		    ft_proto_name(c->s->proto));
		return refuse(c, FT_ERR_BAD_REQUEST, why);
	}
	if ((code = group_choose_file(c->s, req, name, why, sizeof(why))) != 0 ||
	    (code = catalogue_open(c->s, name, &f, why, sizeof(why))) != 0 ||
	    (code = group_join(c->s, req, &f, &j, why, sizeof(why))) != 0) {
		if (f.fd >= 0)
			close(f.fd);
		return refuse(c, code, why);
	}
	x = group_record(c->s, j.record);
	fill_record(c, x);
	strlcpy(c->slot->file, f.name, sizeof(c->slot->file));
	c->slot->size = f.size;
	c->slot->bytes = 0;
	set_state(c, FT_SLOT_GATHERING);
	udp_offer(c, udp, sizeof(udp));
	if (ft_send_line(c->fd, "OK member=%u group=%u file=%s size=%llu "
	    "sha256=%s%s\n", j.member, j.expected, f.name,
	    (unsigned long long)f.size, f.sha256, udp) < 0)
		ft_set_reason(x, "the client disconnected before ready");
	else if (await_start(c, &j, x) == 0) {
		if (c->s->proto == FT_UDP)
			transfer_udp(c, &f, x);
		else
			transfer(c, &f, x);
	}
	account(c, x);
	group_leave(c->s, &j, x->bytes > 0 || x->ok);
	close(f.fd);
}

/* Requests before GET: LIST and QUIT may come first, as often as the
 * client likes within the idle timeout. */
void
session_serve(struct server *s, int fd, const struct sockaddr_storage *peer,
    socklen_t peerlen)
{
	struct session c = { .s = s, .fd = fd, .slot = &s->shm->slots[s->slot] };
	char line[FT_LINE_MAX + 1];
	struct ft_request req;
	const char *why;
	int64_t deadline = ft_deadline_ms(s->idle_timeout_s * 1000);
	int rc;

	ft_reader_init(&c.in, fd);
	describe_peer(&c, peer, peerlen);
	__atomic_fetch_add(&s->shm->totals.connections, 1, __ATOMIC_RELAXED);
	set_state(&c, FT_SLOT_HANDSHAKE);
	if (ft_send_line(fd, "%s ftserver %s %s workers=%u\n", FT_PROTO_TAG,
	    FT_VERSION, ft_proto_name(s->proto), s->workers) < 0)
		return;
	for (;;) {
		rc = ft_read_line(&c.in, line, deadline, &ft_stop_requested);
		if (rc == FT_LINE_TOO_LONG)
			return refuse(&c, FT_ERR_LINE, "request line too long");
		if (rc == FT_LINE_INTR)
			return refuse(&c, FT_ERR_BUSY, "the server is shutting down");
		if (rc != FT_LINE_OK) {
			if (rc == FT_LINE_TIMEOUT)
				refuse(&c, FT_ERR_TIMEOUT, "no request in time");
			return;
		}
		if (ft_parse_request(line, &req, &why) < 0)
			return refuse(&c, why == ft_why_bad_name ?
			    FT_ERR_BAD_NAME : FT_ERR_BAD_REQUEST, why);
		if (req.verb == FT_LIST)
			send_list(&c);
		else if (req.verb == FT_GET)
			return serve_get(&c, &req);
		else if (req.verb == FT_QUIT)
			return (void)ft_send_line(fd, "BYE ok\n");
		else
			return refuse(&c, FT_ERR_BAD_REQUEST, "GET comes first");
	}
}
