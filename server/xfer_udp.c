/* xfer_udp.c: a worker sending a file over its own UDP port.
 *
 * The sender keeps at most `window` datagrams in flight beyond the
 * highest transmission the receiver reports (STATUS), and never more than
 * the receiver's socket buffer holds, so that buffer is never overrun:
 * that is the pacing, clocked by the reports. The window starts small and
 * doubles while loss stays low (a slow start: a shaper's queue may hold
 * far less than the receiver's buffer), shrinks by a quarter when a
 * report shows more than 10% loss (a shaper or a queue overflowing) and
 * then grows by one per report; random loss below that (a lossy radio or
 * the 5% test link) is repaired, not treated as congestion. Before any
 * loss, a queue shows as delay: each report also gives a round-trip
 * sample (send time of the transmission it acknowledges), and when that
 * rises well above the smallest seen, the window shrinks by an eighth
 * and stops growing, which keeps a shaper's queue short.
 *
 * reliable: the receiver's STATUS lists missing ranges; a range is resent
 * only if its last transmission is older than what the receiver has
 * already seen (last_tx[] below), so a report that crossed a repair in
 * flight does not cause a second copy. raw: one pass, reports only pace.
 * FIN ends a pass and asks for a STATUS; the TCP control connection
 * carries the receiver's final DONE. The transfer's deadline and the
 * stall limit bound it like a TCP one. */
#include "xfer.h"
#include "ft_dgram.h"
#include "ft_io.h"
#include "ft_time.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROBE_NS	(20 * 1000000LL)	/* silence before a FIN probe */
#define REORDER_MARGIN	4
#define BATCH_BYTES	(512u << 10)
#define BATCH_MAX	64
#define INITIAL_WINDOW	32
#define SENT_RING	4096		/* send times of recent transmissions */
#define QUEUE_SLACK_NS	(4 * 1000000LL)	/* delay beyond min RTT: a queue */

struct sender {
	const struct xfer_job *job;
	struct sockaddr_storage peer;	/* sendmsg wants it writable */
	struct ft_xfer *x;
	uint32_t total, next_seq, tx;
	uint32_t *last_tx;		/* per datagram: its latest tx number */
	uint8_t *want;			/* bitmap: repairs to send */
	uint32_t want_count, want_cursor;
	uint32_t window, window_max;
	bool slow_start;
	int64_t *sent_at;		/* by tx % SENT_RING */
	int64_t min_rtt_ns;		/* 0 until the first sample */
	uint32_t delay_judged_tx;	/* last tx a delay reaction covered */
	uint32_t peer_max_tx;
	uint32_t base_tx, base_rx;	/* where the last loss judgement ended */
	bool peer_heard, peer_complete;
	int64_t first_ns, last_data_ns, last_heard_ns, last_fin_ns;
	int64_t last_progress_ns;	/* when the peer's max tx last moved */
	unsigned batch;
	uint8_t *headers, *payload;
	/* One control message, shared by every datagram: the source. */
	uint8_t source[CMSG_SPACE(sizeof(struct in6_pktinfo))]
	    __attribute__((aligned(8)));
	size_t source_len;
	struct mmsghdr *msgs;
	struct iovec *iov;
};

static int
sender_init(struct sender *s, const struct xfer_job *job, struct ft_xfer *x)
{
	unsigned slot = job->dsize + FT_DG_HEADER;

	memset(s, 0, sizeof(*s));
	s->job = job;
	s->peer = job->peer;
	s->x = x;
	s->total = ft_dg_count(job->file->size, job->dsize);
	s->batch = BATCH_BYTES / slot;
	s->batch = s->batch < 1 ? 1 : s->batch > BATCH_MAX ? BATCH_MAX : s->batch;
	s->window_max = ft_dg_window(job->peer_rcvbuf, job->dsize);
	s->window = s->window_max < INITIAL_WINDOW ? s->window_max :
	    INITIAL_WINDOW;
	s->slow_start = true;
	s->last_tx = calloc(s->total + 1, sizeof(*s->last_tx));
	s->sent_at = calloc(SENT_RING, sizeof(*s->sent_at));
	s->want = calloc(s->total / 8 + 1, 1);
	s->headers = malloc((size_t)s->batch * FT_DG_HEADER);
	s->payload = malloc((size_t)s->batch * job->dsize);
	s->msgs = calloc(s->batch, sizeof(*s->msgs));
	s->iov = calloc(2 * (size_t)s->batch, sizeof(*s->iov));
	s->last_heard_ns = s->last_progress_ns = ft_mono_ns();
	return s->last_tx && s->sent_at && s->want && s->headers &&
	    s->payload && s->msgs && s->iov ? 0 : -1;
}

static void
sender_free(struct sender *s)
{
	free(s->last_tx);
	free(s->sent_at);
	free(s->want);
	free(s->headers);
	free(s->payload);
	free(s->msgs);
	free(s->iov);
}

static uint32_t
in_flight(const struct sender *s)
{
	uint32_t seen = s->peer_heard ? s->peer_max_tx + 1 : 0;

	return s->tx > seen ? s->tx - seen : 0;
}

/* The next datagram to send: a repair first, else the first pass. */
static bool
next_to_send(struct sender *s, uint32_t *seq, bool *resent)
{
	uint32_t i;

	if (s->want_count > 0) {
		for (i = 0; i < s->total; i++) {
			uint32_t q = (s->want_cursor + i) % s->total;
			if (ft_bit_get(s->want, q)) {
				ft_bit_set(s->want, q, false);
				s->want_count--;
				s->want_cursor = q + 1;
				*seq = q, *resent = true;
				return true;
			}
		}
		s->want_count = 0;
	}
	if (s->next_seq < s->total) {
		*seq = s->next_seq++, *resent = false;
		return true;
	}
	return false;
}

/* Reads the batch's payloads. Payload slots are dsize apart, as the
 * datagrams are in the file, so a run of consecutive datagrams (the whole
 * first pass, in practice) is one read. */
static int
load_payloads(struct sender *s, const uint32_t *seqs, unsigned n)
{
	const struct xfer_job *j = s->job;
	unsigned i = 0, k;
	size_t len;

	while (i < n) {
		for (k = 0, len = 0; i + k < n && seqs[i + k] == seqs[i] + k; k++)
			len += ft_dg_len(j->file->size, j->dsize, seqs[i + k]);
		if (ft_pread_all(j->file->fd, s->payload + (size_t)i * j->dsize,
		    len, (off_t)seqs[i] * j->dsize) < 0)
			return -1;
		i += k;
	}
	return 0;
}

static int
send_batch(struct sender *s, unsigned room)
{
	const struct xfer_job *j = s->job;
	uint32_t seq, seqs[BATCH_MAX];
	unsigned n = 0, i, len;
	bool resent;

	while (n < s->batch && n < room && next_to_send(s, &seq, &resent)) {
		struct ft_dg_header h = { .type = FT_DG_DATA, .xfer = j->xfer,
		    .seq = seq, .tx = s->tx + n, .flags = resent ? FT_DG_RESENT : 0 };
		uint8_t *payload = s->payload + (size_t)n * j->dsize;
		len = ft_dg_len(j->file->size, j->dsize, seq);
		h.len = (uint16_t)len;
		seqs[n] = seq;
		ft_dg_put_header(s->headers + n * FT_DG_HEADER, &h);
		s->iov[2 * n] = (struct iovec){ s->headers + n * FT_DG_HEADER,
		    FT_DG_HEADER };
		s->iov[2 * n + 1] = (struct iovec){ payload, len };
		s->msgs[n].msg_hdr = (struct msghdr){ .msg_name = &s->peer,
		    .msg_namelen = j->peerlen, .msg_iov = &s->iov[2 * n],
		    .msg_iovlen = 2, .msg_control = s->source,
		    .msg_controllen = s->source_len };
		s->last_tx[seq] = s->tx + n;
		s->x->dgrams_resent += resent;
		s->x->wire_bytes += len + FT_DG_HEADER +
		    FT_DG_WIRE_OVERHEAD(j->peer.ss_family);
		s->x->bytes += resent ? 0 : len;
		n++;
	}
	if (n == 0)
		return 0;
	if (load_payloads(s, seqs, n) < 0)
		return -1;
	if (s->first_ns == 0)
		s->first_ns = ft_mono_ns();
	if (ft_sendmmsg_all(j->udp_fd, s->msgs, n) < 0)
		return -1;
	s->last_data_ns = ft_mono_ns();
	for (i = 0; i < n; i++)
		s->sent_at[(s->tx + i) % SENT_RING] = s->last_data_ns;
	s->tx += n;
	s->x->dgrams += n;
	*j->progress = s->x->bytes;
	return 1;
}

static void
send_fin(struct sender *s)
{
	uint8_t buf[FT_DG_HEADER + 8];
	struct iovec iov = { buf, ft_dg_put_fin(buf, s->job->xfer, s->total,
	    s->tx, s->next_seq >= s->total && s->want_count == 0) };
	struct msghdr m = { .msg_name = &s->peer,
	    .msg_namelen = s->job->peerlen, .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = s->source, .msg_controllen = s->source_len };

	sendmsg(s->job->udp_fd, &m, 0);
	s->last_fin_ns = ft_mono_ns();
}

/* The source address of every datagram: the one the client reached us
 * at over TCP. A socket bound to all addresses would otherwise send from
 * whatever address the route prefers, and on a host with several the
 * client would drop everything as coming from a stranger. */
static void
set_source(struct sender *s, const struct sockaddr_storage *local)
{
	struct cmsghdr *cm = (struct cmsghdr *)s->source;

	memset(s->source, 0, sizeof(s->source));
	if (local->ss_family == AF_INET6) {
		struct in6_pktinfo pi = { .ipi6_addr =
		    ((const struct sockaddr_in6 *)local)->sin6_addr };
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		s->source_len = CMSG_SPACE(sizeof(pi));
	} else {
		struct in_pktinfo pi = { .ipi_spec_dst =
		    ((const struct sockaddr_in *)local)->sin_addr };
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		s->source_len = CMSG_SPACE(sizeof(pi));
	}
}

static void
take_ranges(struct sender *s, const struct ft_dg_status *st)
{
	/* Once the receiver has seen up to our last transmission (it answers
	 * a FIN), nothing can still be on its way: no reordering margin. */
	uint32_t margin = st->max_tx + 1 == s->tx ? 0 : REORDER_MARGIN, r, q;

	for (r = 0; r < st->nranges; r++) {
		uint32_t first = st->ranges[r].first, count = st->ranges[r].count;
		for (q = first; count > 0 && q < s->total && q < s->next_seq;
		    q++, count--) {
			/* Resend only what the receiver has had time to see. */
			if (ft_bit_get(s->want, q) ||
			    s->last_tx[q] + margin > st->max_tx)
				continue;
			ft_bit_set(s->want, q, true);
			s->want_count++;
		}
	}
}

/* Judges loss over at least 64 transmissions at a time. */
static void
adapt_window(struct sender *s, const struct ft_dg_status *st)
{
	uint32_t d_tx = st->max_tx - s->base_tx;
	uint32_t d_rx = st->rx_count - s->base_rx;

	if (d_tx < 64)
		return;
	if ((uint64_t)d_rx * 10 < (uint64_t)d_tx * 9) {
		s->window = s->window * 3 / 4 < 8 ? 8 : s->window * 3 / 4;
		s->slow_start = false;
	} else if (s->window < s->window_max)
		s->window = s->slow_start ? s->window * 2 : s->window + 1;
	if (s->window > s->window_max)
		s->window = s->window_max;
	s->base_tx = st->max_tx;
	s->base_rx = st->rx_count;
}

/* A round trip longer than the shortest by QUEUE_SLACK_NS means a queue
 * is filling on the path: shrink a little, at most once per window. */
static void
adapt_to_delay(struct sender *s, const struct ft_dg_status *st)
{
	int64_t rtt;

	if (s->tx - st->max_tx > SENT_RING || s->sent_at[st->max_tx %
	    SENT_RING] == 0)
		return;
	rtt = ft_mono_ns() - s->sent_at[st->max_tx % SENT_RING];
	if (s->min_rtt_ns == 0 || rtt < s->min_rtt_ns)
		s->min_rtt_ns = rtt;
	if (rtt < s->min_rtt_ns + QUEUE_SLACK_NS ||
	    (int32_t)(st->max_tx - s->delay_judged_tx) < 0)
		return;
	s->window = s->window * 7 / 8 < 8 ? 8 : s->window * 7 / 8;
	s->slow_start = false;
	s->delay_judged_tx = s->tx;	/* react again once these are seen */
	s->base_tx = st->max_tx;	/* and do not grow on this window */
	s->base_rx = st->rx_count;
}

/* Updates from the receiver's report. 0, or -1 for a report that cannot
 * be true (it acknowledges transmissions never sent): counted as bad,
 * since believing it would stop every repair. */
static int
take_status(struct sender *s, const struct ft_dg_status *st)
{
	if (st->rx_count > 0 && st->max_tx >= s->tx)
		return -1;
	if (s->peer_heard && (int32_t)(st->max_tx - s->peer_max_tx) < 0)
		return 0;	/* an older report overtaken by a newer one */
	adapt_to_delay(s, st);
	adapt_window(s, st);
	if (!s->peer_heard || st->max_tx != s->peer_max_tx)
		s->last_progress_ns = ft_mono_ns();
	s->peer_max_tx = st->max_tx;
	s->peer_heard = true;
	s->peer_complete = st->unique >= s->total;
	s->x->dgrams_lost = st->max_tx + 1 - st->rx_count;
	if (s->job->reliable)
		take_ranges(s, st);
	return 0;
}

/* Drains the UDP socket: the peer's STATUS reports, and strangers. */
static void
read_reports(struct sender *s)
{
	struct ft_dg_status st;
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint8_t buf[FT_DG_STATUS_MAX + 64];
	struct ft_dg_header h;
	ssize_t n;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(s->job->udp_fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		if (!ft_dg_same_peer(&from, &s->job->peer) ||
		    ft_dg_get_header(buf, (size_t)n, &h) < 0 ||
		    h.type != FT_DG_STATUS || h.xfer != s->job->xfer ||
		    ft_dg_get_status(buf, (size_t)n, &st) < 0) {
			s->x->dgrams_bad++;
			continue;
		}
		if (take_status(s, &st) < 0) {
			s->x->dgrams_bad++;
			continue;
		}
		s->last_heard_ns = ft_mono_ns();
	}
}

static bool
pass_done(const struct sender *s)
{
	return s->next_seq >= s->total && s->want_count == 0;
}

enum { EV_REPORT = 1, EV_CONTROL = 2 };

/* What became readable within wait_ns (0: only look): reports on the
 * UDP socket, and on the control connection the DONE line (or an error),
 * which ends the sending. One poll for both, once per batch. */
static int
wait_events(struct sender *s, int64_t wait_ns)
{
	struct pollfd p[2] = {
		{ .fd = s->job->udp_fd, .events = POLLIN },
		{ .fd = s->job->tcp_fd, .events = POLLIN },
	};
	int ms = (int)(wait_ns / 1000000);

	if (s->job->in->len > 0)
		return EV_CONTROL;
	if (poll(p, 2, wait_ns > 0 && ms < 1 ? 1 : ms) <= 0)
		return 0;
	return (p[0].revents ? EV_REPORT : 0) | (p[1].revents ? EV_CONTROL : 0);
}

/* Datagrams until the control connection has something to say (the
 * DONE line, normally), the client goes silent, or the deadline passes.
 * 0, or -1 with the reason set. */
static int
send_datagrams(const struct xfer_job *job, struct ft_xfer *x)
{
	struct sender s;
	int64_t now, done_ns;
	int rc = -1, ev = 0;

	if (sender_init(&s, job, x) < 0) {
		ft_set_reason(x, "out of memory");
		goto out;
	}
	set_source(&s, &job->local);
	for (;;) {
		if (ev & EV_REPORT)
			read_reports(&s);
		if (ev & EV_CONTROL)
			break;
		now = ft_mono_ns();
		if (now - s.last_heard_ns > (int64_t)job->stall_s * 1000000000LL) {
			ft_set_reason(x, "the client stopped answering for %d s "
			    "(%llu of %llu bytes sent)", job->stall_s,
			    (unsigned long long)x->bytes,
			    (unsigned long long)job->file->size);
			goto out;
		}
		if (now >= job->deadline_ns) {
			ft_set_reason(x, "the transfer did not end within %d s "
			    "(%llu of %llu bytes sent)", job->limit_s,
			    (unsigned long long)x->bytes,
			    (unsigned long long)job->file->size);
			goto out;
		}
		if (!pass_done(&s) && !s.peer_complete &&
		    in_flight(&s) < s.window) {
			if (send_batch(&s, s.window - in_flight(&s)) < 0) {
				ft_set_reason(x, "sending: %s", strerror(errno));
				goto out;
			}
			ev = wait_events(&s, 0);
			continue;
		}
		if (now - s.last_fin_ns >= PROBE_NS &&
		    (pass_done(&s) || now - s.last_progress_ns >= PROBE_NS))
			send_fin(&s);	/* end of pass, or a stalled window */
		ev = wait_events(&s, pass_done(&s) || s.peer_complete ? PROBE_NS :
		    PROBE_NS / 4);
	}
	rc = 0;
out:
	done_ns = ft_mono_ns();
	x->ns = s.first_ns ? s.last_data_ns - s.first_ns : 0;
	x->confirm_ns = s.first_ns ? done_ns - s.first_ns : 0;
	if (rc == 0) {
		/* The receiver's last report may trail its DONE: take it now
		 * (after the clock stopped), or it would count as a stranger's
		 * in this worker's next transfer. */
		usleep(1000);
		read_reports(&s);
	}
	sender_free(&s);
	return rc;
}

int
xfer_udp_send(const struct xfer_job *job, struct ft_xfer *x)
{
	if (xfer_send_data_line(job, x) < 0)
		return -1;
	return send_datagrams(job, x);
}
