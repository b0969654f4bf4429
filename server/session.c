/* session.c: one client's conversation with a worker, over TCP: the
 * greeting, LIST and the request within the handshake's deadline, the
 * seat (or QUEUED, or a refusal), READY within the test's deadline, the
 * synchronized start, and the transfer (xfer_tcp.c or xfer_udp.c). The
 * README's PROTOCOL section describes it for people; common/ft_proto.c
 * parses it. Every wait has a deadline; every send is non-blocking up to
 * one. */
#include "session.h"
#include "catalogue.h"
#include "sched.h"
#include "xfer.h"

#include "ft_addr.h"
#include "ft_dgram.h"
#include "ft_event.h"
#include "ft_io.h"
#include "ft_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <bsd/unistd.h>

/* A connection from an address that already has --per-address others
 * waiting to send their request must send its own at once. ftclient
 * sends its GET as soon as it connects, so this only ever cuts idle
 * connections short. */
#define AT_ONCE_MS 50
#define LAST_WORDS_MS 200	/* an ERR line is sent within this, or not */
/* While no worker is idle, a connection that has sent nothing for this
 * long gives its worker back (to a client that has something to ask):
 * idle connections from many addresses, each within --per-address,
 * could otherwise hold the whole pool for --idle-timeout. */
#define SILENT_UNDER_PRESSURE_MS 1000

struct session {
	const struct worker *w;
	int fd;
	int64_t handshake_deadline;
	bool over_per_address;
	bool cut_under_pressure;	/* silent while the pool was exhausted */
	unsigned udp_port;		/* UDP: the client's, from READY */
	uint32_t rcvbuf, xfer;
	uint64_t secret;		/* UDP: proves the client's datagrams */
	unsigned dsize;			/* UDP: payload bytes per datagram */
	struct ft_reader in;
	struct ft_slot *slot;
	char ip[FT_ADDR_MAX];
	char peer[FT_ADDR_MAX + 8];	/* "ip:port", for messages */
};

static void
refuse(struct session *c, int code, const char *why)
{
	ft_shm_count_refusal(c->w->shm, code);
	log_info("%s: refused (%d): %s", c->peer, code, why);
	ft_send_line(c->fd, ft_deadline_ms(LAST_WORDS_MS), "ERR %d %s\n", code,
	    why);
}

static void
describe_peer(struct session *c, const struct sockaddr_storage *peer,
    socklen_t len)
{
	if (getnameinfo((const struct sockaddr *)peer, len, c->ip,
	    sizeof(c->ip), NULL, 0, NI_NUMERICHOST) != 0)
		strlcpy(c->ip, "?", sizeof(c->ip));
	c->slot->client_port = ft_addr_port(peer);
	snprintf(c->peer, sizeof(c->peer), strchr(c->ip, ':') ? "[%s]:%u" :
	    "%s:%u", c->ip, c->slot->client_port);
	c->slot->server_port = ft_local_port(c->fd);
}

/* The slot for the stats dump, and the title for ps(1), e.g.
 * "ftserver: worker 3 sending 250MB.bin to 127.0.0.1:51234". */
static void
set_state(struct session *c, enum ft_slot_state st)
{
	int k = c->w->slot + 1;

	c->slot->state = st;
	if (st == FT_SLOT_HANDSHAKE)
		setproctitle("worker %d handshake with %s", k, c->peer);
	else if (st == FT_SLOT_ADMITTING)
		setproctitle("worker %d admitting %s", k, c->peer);
	else
		setproctitle("worker %d %s %s %s %s", k, ft_slot_state_name(st),
		    c->slot->file, st == FT_SLOT_GATHERING ? "for" : "to",
		    c->peer);
}

/* LIST: the catalogue, within the handshake's deadline. 0, or -1 when
 * the client does not take it in time (it is then cut off). */
static int
send_list(struct session *c)
{
	struct ft_shm *shm = c->w->shm;
	static struct ft_catalogue_entry copy[FT_MAX_FILES];
	unsigned n, i;

	ft_shm_lock(&shm->lock);
	n = shm->catalogue_count;
	memcpy(copy, shm->catalogue, n * sizeof(copy[0]));
	ft_shm_unlock(&shm->lock);
	for (i = 0; i < n; i++)
		if (ft_send_line(c->fd, c->handshake_deadline, "FILE %s %llu\n",
		    copy[i].name, (unsigned long long)copy[i].size) < 0)
			return -1;
	return ft_send_line(c->fd, c->handshake_deadline, "END %u\n", n);
}

/* Between OK and the start: the client's READY within the test's
 * deadline, then the start barrier. */
static int
await_start(struct session *c, const struct sched_seat *seat,
    struct ft_xfer *x)
{
	const struct ft_conf *conf = c->w->conf;
	char line[FT_LINE_MAX + 1], why[SCHED_WHY_MAX];
	struct ft_request req;
	const char *why_not;
	int rc;

	/* Until READY, or a deadline that ends the wait: the arrival one
	 * (the rest of the run never came) or the start one. */
	while ((rc = ft_read_line(&c->in, line, sched_start_deadline(c->w->shm,
	    seat), c->w->stop)) == FT_LINE_TIMEOUT) {
		sched_expire(c->w->shm, conf, seat->test, ft_mono_ns());
		rc = sched_status(c->w->shm, seat, why, sizeof(why));
		if (rc == FT_ERR_CONFLICT) {
			ft_set_reason(x, "test aborted: %s", why);
			ft_send_line(c->fd, ft_deadline_ms(LAST_WORDS_MS), "ERR %d "
			    "test aborted: %s\n", FT_ERR_CONFLICT, why);
			return -1;
		}
		if (rc == FT_ERR_TIMEOUT) {
			ft_set_reason(x, "the client never confirmed ready (the "
			    "test's %d s)", conf->ready_timeout_s);
			ft_send_line(c->fd, ft_deadline_ms(LAST_WORDS_MS), "ERR %d no "
			    "READY within %d s\n", FT_ERR_TIMEOUT,
			    conf->ready_timeout_s);
			return -1;
		}
	}
	if (rc != FT_LINE_OK) {
		ft_set_reason(x, "before ready: %s", ft_line_problem(rc,
		    "the client disconnected"));
		if (rc == FT_LINE_INTR)
			ft_send_line(c->fd, ft_deadline_ms(LAST_WORDS_MS), "ERR %d "
			    "the server is shutting down\n", FT_ERR_BUSY);
		return -1;
	}
	rc = ft_parse_request(line, &req, &why_not);
	if (rc == 0 && req.verb == FT_QUIT) {
		ft_set_reason(x, "the client cancelled before the start");
		ft_send_line(c->fd, ft_deadline_ms(LAST_WORDS_MS), "BYE ok\n");
		return -1;
	}
	if (rc < 0 || req.verb != FT_READY ||
	    (conf->proto == FT_UDP) != (req.udp_port != 0)) {
		ft_set_reason(x, "protocol error: expected READY%s",
		    conf->proto == FT_UDP ? " udp_port=N" : "");
		ft_send_line(c->fd, ft_deadline_ms(LAST_WORDS_MS), "ERR %d "
		    "expected READY%s\n", FT_ERR_BAD_REQUEST,
		    conf->proto == FT_UDP ? " udp_port=N" : "");
		return -1;
	}
	c->udp_port = req.udp_port;
	c->rcvbuf = req.rcvbuf;
	if (conf->proto == FT_UDP)
		x->client_port = (uint16_t)req.udp_port;
	rc = sched_ready(c->w->shm, seat, why, sizeof(why));
	if (rc == FT_ERR_TIMEOUT) {
		ft_set_reason(x, "the client never confirmed ready (the test's "
		    "%d s)", conf->ready_timeout_s);
		ft_send_line(c->fd, ft_deadline_ms(LAST_WORDS_MS), "ERR %d no "
		    "READY within %d s\n", FT_ERR_TIMEOUT, conf->ready_timeout_s);
		return -1;
	}
	if (rc != 0 || sched_wait_start(c->w->shm, conf, seat, c->w->stop, why,
	    sizeof(why)) < 0) {
		ft_set_reason(x, "test aborted: %s", why);
		ft_send_line(c->fd, ft_deadline_ms(LAST_WORDS_MS), "ERR %d test "
		    "aborted: %s\n", FT_ERR_CONFLICT, why);
		return -1;
	}
	return 0;
}


/* Timing rule over TCP: first byte sent to the receipt of the DONE. */
static void
transfer_tcp(struct session *c, const struct xfer_job *job,
    struct ft_xfer *x)
{
	int64_t first_ns;

	if (xfer_tcp_send(job, x, &first_ns) == 0) {
		set_state(c, FT_SLOT_CONFIRMING);
		xfer_confirm(job, x->bytes, x->bytes, x);
	}
	x->ns = ft_mono_ns() - first_ns;
}

static void
transfer(struct session *c, const struct served_file *f,
    const struct sched_seat *seat, struct ft_xfer *x)
{
	const struct ft_conf *conf = c->w->conf;
	struct xfer_job job = { .tcp_fd = c->fd, .in = &c->in, .file = f,
	    .start = sched_start_wall(c->w->shm, seat),
	    .deadline_ns = ft_deadline_ms(conf->transfer_timeout_s * 1000),
	    .limit_s = conf->transfer_timeout_s, .stall_s = conf->io_timeout_s,
	    .progress = &c->slot->bytes, .stop = c->w->stop };
	uint64_t acked;

	set_state(c, FT_SLOT_SENDING);
	if (conf->proto == FT_TCP) {
		transfer_tcp(c, &job, x);
		return;
	}
	x->client_port = (uint16_t)c->udp_port;	/* known since READY */
	x->dgram_size = c->dsize;
	x->sockbuf_asked = c->w->socks->udp_sndbuf_asked;
	x->sockbuf_got = c->w->socks->udp_sndbuf_got;
	job.udp_fd = c->w->socks->udp_fds[c->w->slot];
	job.dsize = c->dsize;
	job.xfer = c->xfer;
	job.reliable = conf->reliable;
	job.peer_rcvbuf = c->rcvbuf;
	job.secret = c->secret;
	job.gso = c->w->socks->udp_gso;
	/* Our address as the client reached it: the datagrams' source. */
	if (getsockname(c->fd, (struct sockaddr *)&job.local,
	    &(socklen_t){ sizeof(job.local) }) < 0)
		ft_set_reason(x, "our address: %s", strerror(errno));
	else if (xfer_udp_send(&job, x, &acked) == 0) {
		set_state(c, FT_SLOT_CONFIRMING);
		xfer_confirm(&job, x->bytes, acked, x);
	}
}

static void
account(struct session *c, const struct ft_xfer *x)
{
	struct ft_totals *t = &c->w->shm->totals;

	__atomic_fetch_add(x->ok ? &t->transfers_ok : &t->transfers_failed, 1,
	    __ATOMIC_RELAXED);
	__atomic_fetch_add(&t->bytes_sent, x->bytes, __ATOMIC_RELAXED);
	if (c->w->conf->proto == FT_UDP) {
		__atomic_fetch_add(&t->dgrams_sent, x->dgrams, __ATOMIC_RELAXED);
		__atomic_fetch_add(&t->dgrams_resent, x->dgrams_resent,
		    __ATOMIC_RELAXED);
		__atomic_fetch_add(&t->dgrams_lost, x->dgrams_lost,
		    __ATOMIC_RELAXED);
	}
	c->slot->transfers++;
	c->slot->failures += !x->ok;
	c->slot->last_ns = x->ns;
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

	if (c->w->conf->datagram != 0)
		return c->w->conf->datagram;
	if (getsockname(c->fd, (struct sockaddr *)&a, &alen) < 0)
		a.ss_family = AF_INET;
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
	if (c->w->conf->proto != FT_UDP)
		return;
	c->xfer = arc4random();
	/* 64 random bits, not the id: off the path, nobody can forge the
	 * client's hello or reports without them. */
	arc4random_buf(&c->secret, sizeof(c->secret));
	c->dsize = datagram_for(c);
	snprintf(buf, len, " udp_port=%u xfer=%08x secret=%016llx datagram=%u "
	    "mode=%s", c->w->socks->bound_port + c->w->slot + 1, c->xfer,
	    (unsigned long long)c->secret, c->dsize,
	    c->w->conf->reliable ? "reliable" : "raw");
}

static void
say_unstarted(const struct sched_unstarted *u)
{
	if (u->freed)
		log_info("test %u never started: %s (%s, %u of %u connections; "
		    "the last one: %s)", u->test_no, u->reason, u->file, u->joined,
		    u->expected, u->last[0] ? u->last : "-");
}

/* What the outcome says before anything happens: who, which test, which
 * ports (the data's: over UDP the worker's port, and the client's once
 * READY says it; the control connection's apart). */
static void
describe_outcome(struct session *c, const struct ft_request *req,
    const struct sched_seat *seat, struct ft_xfer *x)
{
	strlcpy(x->client_ip, c->ip, sizeof(x->client_ip));
	x->run = req->run;
	x->test_no = seat->test_no;
	x->run_clients = req->run != 0 && req->group != 0 ? req->group : 1;
	x->ctl_client_port = c->slot->client_port;
	x->ctl_server_port = c->slot->server_port;
	if (c->w->conf->proto == FT_UDP) {
		x->client_port = 0;
		x->server_port = (uint16_t)(c->w->socks->bound_port +
		    c->w->slot + 1);
	} else {
		x->client_port = x->ctl_client_port;
		x->server_port = x->ctl_server_port;
	}
}

/* Seated: the offer, READY, the start, the transfer, the outcome. */
static void
serve_seat(struct session *c, const struct ft_request *req,
    const struct served_file *f, const struct sched_seat *seat)
{
	struct ft_xfer *x = sched_outcome(c->w->shm, seat->outcome);
	struct sched_unstarted u;
	char udp[128];

	describe_outcome(c, req, seat, x);
	strlcpy(c->slot->file, f->name, sizeof(c->slot->file));
	c->slot->size = f->size;
	c->slot->bytes = 0;
	set_state(c, FT_SLOT_GATHERING);
	udp_offer(c, udp, sizeof(udp));
	if (udp[0] != '\0' && !ft_dg_fits(f->size, c->dsize)) {
		ft_set_reason(x, "%llu bytes do not fit in UDP mode's count of "
		    "%u-byte datagrams", (unsigned long long)f->size, c->dsize);
		ft_send_line(c->fd, ft_deadline_ms(LAST_WORDS_MS), "ERR %d %s\n",
		    FT_ERR_TOO_LARGE, x->reason);
	} else if (ft_send_line(c->fd, sched_start_deadline(c->w->shm, seat),
	    "OK member=%u group=%u file=%s size=%llu sha256=%s%s test=%u\n",
	    seat->member, seat->expected, f->name, (unsigned long long)f->size,
	    f->sha256, udp, seat->test_no) < 0)
		ft_set_reason(x, "the client disconnected before ready");
	else if (await_start(c, seat, x) == 0)
		transfer(c, f, seat, x);
	account(c, x);
	sched_leave(c->w->shm, c->w->slot, seat, x->bytes > 0 || x->ok, &u);
	say_unstarted(&u);
}

static void
serve_get(struct session *c, const struct ft_request *req)
{
	const struct worker *w = c->w;
	struct served_file f = { .fd = -1 };
	struct sched_verdict v;
	char name[FT_NAME_MAX + 1], why[SCHED_WHY_MAX + 64];
	int code;

	set_state(c, FT_SLOT_ADMITTING);
	if (req->proto != w->conf->proto) {
		snprintf(why, sizeof(why), "this server sends over %s",
		    ft_proto_name(w->conf->proto));
		refuse(c, FT_ERR_BAD_REQUEST, why);
		return;
	}
	if ((code = sched_choose_file(w->shm, w->conf, req, c->ip, name, why,
	    sizeof(why))) != 0 || (code = catalogue_open(w->shm, w->conf, name,
	    w->stop, &f, why, sizeof(why))) != 0) {
		refuse(c, code, why);
		return;
	}
	sched_admit(w->shm, w->conf, w->slot, &(struct sched_request){
	    .run = req->run, .group = req->group, .client = req->client,
	    .proto = req->proto, .client_ip = c->ip, .file = f.name,
	    .size = f.size, .sha256 = f.sha256 }, ft_mono_ns(), &v);
	if (v.answer == SCHED_SEATED)
		serve_seat(c, req, &f, &v.seat);
	else if (v.answer == SCHED_QUEUED)
		ft_send_line(c->fd, ft_deadline_ms(LAST_WORDS_MS), "QUEUED "
		    "ahead=%u need=%u free=%u\n", v.ahead, v.need, v.free);
	else
		refuse(c, v.code, v.why);
	close(f.fd);
}

/* Why the handshake ended without a request, told to the client. */
static void
refuse_line_problem(struct session *c, int rc)
{
	char why[160];

	switch (rc) {
	case FT_LINE_TOO_LONG:
		refuse(c, FT_ERR_LINE, "request line too long");
		break;
	case FT_LINE_INTR:
		refuse(c, FT_ERR_BUSY, "the server is shutting down");
		break;
	case FT_LINE_TIMEOUT:
		if (c->cut_under_pressure) {
			refuse(c, FT_ERR_BUSY, "busy: every worker is busy, and this "
			    "connection sent nothing; send the request at once");
			break;
		}
		if (!c->over_per_address) {
			refuse(c, FT_ERR_TIMEOUT, "no request in time");
			break;
		}
		snprintf(why, sizeof(why), "too many connections from %s waiting "
		    "to send a request (limit %u)", c->ip, c->w->conf->per_address);
		refuse(c, FT_ERR_BUSY, why);
		break;
	default:
		break;	/* the client closed, or the socket failed: nobody to tell */
	}
}

/* The next request line, within the handshake's deadline; while the
 * pool is exhausted, a second of silence ends it sooner. */
static int
next_request_line(struct session *c, char *line)
{
	int64_t slice;
	int rc;

	for (;;) {
		slice = ft_deadline_ms(SILENT_UNDER_PRESSURE_MS);
		if (slice > c->handshake_deadline)
			slice = c->handshake_deadline;
		rc = ft_read_line(&c->in, line, slice, c->w->stop);
		if (rc != FT_LINE_TIMEOUT || slice == c->handshake_deadline)
			return rc;
		if (sched_idle_workers(c->w->shm, c->w->conf) == 0) {
			c->cut_under_pressure = true;
			return rc;
		}
	}
}

/* One request of the handshake; false once the conversation is over. */
static bool
handshake_turn(struct session *c)
{
	char line[FT_LINE_MAX + 1];
	struct ft_request req;
	const char *bad;
	int rc = next_request_line(c, line);

	if (rc != FT_LINE_OK) {
		refuse_line_problem(c, rc);
		return false;
	}
	if (ft_parse_request(line, &req, &bad) < 0) {
		refuse(c, bad == ft_why_bad_name ? FT_ERR_BAD_NAME :
		    FT_ERR_BAD_REQUEST, bad);
		return false;
	}
	switch (req.verb) {
	case FT_LIST:
		if (send_list(c) == 0)
			return true;
		log_info("%s: LIST not taken in time; cut off", c->peer);
		return false;
	case FT_GET:
		serve_get(c, &req);
		return false;
	case FT_QUIT:
		ft_send_line(c->fd, ft_deadline_ms(LAST_WORDS_MS), "BYE ok\n");
		return false;
	default:
		refuse(c, FT_ERR_BAD_REQUEST, "GET comes first");
		return false;
	}
}

void
session_serve(const struct worker *w, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct session c = { .w = w, .fd = fd, .slot = &w->shm->slots[w->slot] };
	unsigned others;

	ft_reader_init(&c.in, fd);
	describe_peer(&c, peer, peerlen);
	__atomic_fetch_add(&w->shm->totals.connections, 1, __ATOMIC_RELAXED);
	others = sched_handshake_begin(w->shm, w->slot, c.ip);
	c.over_per_address = others >= w->conf->per_address;
	c.handshake_deadline = ft_deadline_ms(c.over_per_address ? AT_ONCE_MS :
	    w->conf->idle_timeout_s * 1000);
	set_state(&c, FT_SLOT_HANDSHAKE);
	if (ft_send_line(fd, c.handshake_deadline, "%s ftserver %s %s "
	    "workers=%u\n", FT_PROTO_TAG, FT_VERSION,
	    ft_proto_name(w->conf->proto), w->conf->workers) < 0)
		return;
	/* LIST and QUIT may come first, as often as the client likes, all
	 * within the handshake's one deadline; then GET. */
	while (handshake_turn(&c))
		;
}
