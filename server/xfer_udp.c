/* xfer_udp.c: a worker sending a file over its own UDP port, driving
 * common/ft_udp_tx (which decides what to send, when, and when to give
 * up). This file does the system calls: reading the client's hello and
 * reports, reading the file, sendmmsg, the FIN probes, and the poll that
 * also watches the control connection for the client's DONE.
 *
 * Nothing is sent before the client's hello (with the secret from the
 * OK line) arrives, and everything goes to where the hello, and later
 * the reports, came from: the address a NAT or a firewall shows for the
 * client, which has the mapping or state for the answer. READY's port
 * only names the socket; it is never a destination, so a client cannot
 * aim the data at someone else's port.
 *
 * The transfer is ok only when the client's reports acknowledge every
 * datagram (the server's own accounting) and its DONE agrees (bytes and
 * SHA-256). A DONE that comes first waits a little for those reports
 * (FIN probes ask for them), then fails.
 *
 * With GSO (UDP_SEGMENT, when the kernel has it) one send hands the
 * kernel up to FT_GSO_SEGMENTS datagrams (64 KiB at most), which it cuts
 * at the datagram size: at a 1500-byte MTU that is 44 datagrams for the
 * cost of one. Datagrams are all one size but the file's last, so that
 * one ends a send. A kernel or device that refuses it at send time
 * (EIO: no checksum offload; EMSGSIZE/EINVAL: datagrams larger than the
 * path's MTU, -s) gets plain sends from then on. */
#include "xfer.h"
#include "ft_addr.h"
#include "ft_dgram.h"
#include "ft_event.h"
#include "ft_io.h"
#include "ft_proto.h"
#include "ft_time.h"
#include "ft_udp_tx.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH_BYTES	(512u << 10)
#define BATCH_MAX	256		/* datagrams per sendmmsg */
#define GSO_BYTES	65000		/* one send's datagrams, at most */
#define SETTLE_NS	(2000 * 1000000LL)	/* reports after DONE, at most */
#define LAST_WORDS_MS	200

/* This worker's kernel or device refused a GSO send (EIO, EINVAL): plain
 * sends from then on. One transfer at a time per worker process. */
static bool gso_refused;

struct sender {
	const struct xfer_job *job;
	struct ft_xfer *x;
	struct ft_udp_tx m;		/* the decisions */
	struct sockaddr_storage peer;	/* where the hello came from */
	socklen_t peerlen;
	uint64_t strangers;		/* datagrams not of this transfer */
	unsigned batch;
	uint32_t seqs[BATCH_MAX];
	bool resent[BATCH_MAX];
	uint8_t *headers, *payload;
	const uint8_t *map;		/* the file, mapped (NULL: pread) */
	uint64_t trimmed;		/* map pages below this given back */
	/* Control messages shared by every send: the source address, and
	 * after it the GSO segment size (the datagram's). */
	uint8_t source[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
	    CMSG_SPACE(sizeof(uint16_t))] __attribute__((aligned(8)));
	size_t source_len, source_gso_len;
	unsigned segments;		/* datagrams per send: 1 without GSO */
	struct mmsghdr *msgs;
	struct iovec *iov;
};

/* The file, mapped read-only: the datagrams' payloads point into the
 * page cache and the kernel copies them once, into the packets (a pread
 * into a buffer first was a second copy: 10 x 100 MB over a veth pair,
 * wall 1.145 s -> 1.074 s, medians of 5). Only the kernel reads the
 * mapping, so a file truncated meanwhile makes sendmmsg fail (EFAULT)
 * rather than kill the worker (SIGBUS). Without a mapping, pread. */
static void
map_file(struct sender *s)
{
	uint64_t size = s->job->file->size;
	void *m;

	if (size == 0 || size > SIZE_MAX)
		return;
	m = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, s->job->file->fd, 0);
	if (m == MAP_FAILED)
		return;
	s->map = m;
	(void)madvise(m, (size_t)size, MADV_SEQUENTIAL);	/* a hint */
}

static int
sender_init(struct sender *s, const struct xfer_job *job, struct ft_xfer *x)
{
	unsigned slot = job->dsize + FT_DG_HEADER;
	int64_t now = ft_mono_ns();
	struct ft_udp_tx_conf mc = { .size = job->file->size,
	    .dsize = job->dsize, .reliable = job->reliable,
	    .peer_rcvbuf = job->peer_rcvbuf, .secret = job->secret,
	    .hello_ns = (int64_t)job->stall_s * 1000000000LL,
	    .stall_ns = (int64_t)job->stall_s * 1000000000LL,
	    .deadline = job->deadline_ns, .hello_s = job->stall_s,
	    .stall_s = job->stall_s, .limit_s = job->limit_s };

	memset(s, 0, sizeof(*s));
	s->job = job;
	s->x = x;
	if (ft_udp_tx_init(&s->m, &mc, now) < 0)
		return -1;
	s->batch = BATCH_BYTES / slot;
	s->batch = s->batch < 1 ? 1 : s->batch > BATCH_MAX ? BATCH_MAX : s->batch;
	s->segments = job->gso && !gso_refused ? GSO_BYTES / slot : 1;
	if (s->segments > FT_GSO_SEGMENTS)
		s->segments = FT_GSO_SEGMENTS;
	if (s->segments < 2)
		s->segments = 1;	/* large datagrams: nothing to gain */
	map_file(s);
	s->headers = malloc((size_t)s->batch * FT_DG_HEADER);
	if (s->map == NULL)
		s->payload = malloc((size_t)s->batch * job->dsize);
	s->msgs = calloc(s->batch, sizeof(*s->msgs));
	s->iov = calloc(2 * (size_t)s->batch, sizeof(*s->iov));
	return s->headers && (s->map || s->payload) && s->msgs && s->iov ?
	    0 : -1;
}

static void
sender_free(struct sender *s)
{
	ft_udp_tx_free(&s->m);
	if (s->map != NULL)
		(void)munmap((void *)s->map, s->job->file->size);	/* at exit anyway */
	free(s->headers);
	free(s->payload);
	free(s->msgs);
	free(s->iov);
}

/* The GSO segment size after the source: one datagram, header included. */
static void
add_segment_size(struct sender *s)
{
	struct msghdr m = { .msg_control = s->source,
	    .msg_controllen = sizeof(s->source) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	uint16_t size = (uint16_t)(s->job->dsize + FT_DG_HEADER);

	cm = (struct cmsghdr *)((uint8_t *)cm + s->source_len);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(cm), &size, sizeof(size));
	s->source_gso_len = s->source_len + CMSG_SPACE(sizeof(size));
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
	s->source_gso_len = 0;
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
	if (s->segments > 1)
		add_segment_size(s);
}

/* Reads the batch's payloads. Payload slots are dsize apart, as the
 * datagrams are in the file, so a run of consecutive datagrams (the whole
 * first pass, in practice) is one read. */
static int
load_payloads(struct sender *s, unsigned n)
{
	const struct xfer_job *j = s->job;
	const uint32_t *seqs = s->seqs;
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

/* The headers and iovecs of the n datagrams picked, transmissions
 * first_tx on: two iovecs each (header, payload). */
static void
frame_batch(struct sender *s, unsigned n, uint32_t first_tx)
{
	const struct xfer_job *j = s->job;
	unsigned i, len;

	for (i = 0; i < n; i++) {
		uint32_t seq = s->seqs[i];
		struct ft_dg_header h = { .type = FT_DG_DATA, .xfer = j->xfer,
		    .seq = seq, .tx = first_tx + i,
		    .flags = s->resent[i] ? FT_DG_RESENT : 0 };
		len = ft_dg_len(j->file->size, j->dsize, seq);
		h.len = (uint16_t)len;
		ft_dg_put_header(s->headers + i * FT_DG_HEADER, &h);
		s->iov[2 * i] = (struct iovec){ s->headers + i * FT_DG_HEADER,
		    FT_DG_HEADER };
		s->iov[2 * i + 1] = (struct iovec){ s->map != NULL ?
		    (void *)(s->map + (uint64_t)seq * j->dsize) : s->payload +
		    (size_t)i * j->dsize, len };
		s->x->wire_bytes += len + FT_DG_HEADER +
		    FT_DG_WIRE_OVERHEAD(s->peer.ss_family);
	}
}

/* Groups the n framed datagrams into sends of up to `segments` each (a
 * short datagram, the file's last, ends one); returns how many sends. */
static unsigned
group_sends(struct sender *s, unsigned n)
{
	unsigned i = 0, k, m = 0;

	while (i < n) {
		for (k = 1; k < s->segments && i + k < n &&
		    s->iov[2 * (i + k) - 1].iov_len == s->job->dsize; k++)
			;
		s->msgs[m++].msg_hdr = (struct msghdr){ .msg_name = &s->peer,
		    .msg_namelen = s->peerlen, .msg_iov = &s->iov[2 * i],
		    .msg_iovlen = 2 * k, .msg_control = s->source,
		    .msg_controllen = k > 1 ? s->source_gso_len : s->source_len };
		i += k;
	}
	return m;
}

/* The mapped file's pages behind the first pass, beyond this much, are
 * given back (repairs fault the few they need in again): the worker's
 * resident memory stays within its target (8 MiB) whatever the file. */
#define TRIM_BYTES (512u << 10)

static void
trim_map(struct sender *s)
{
	uint64_t pos = (uint64_t)s->m.next_seq * s->job->dsize, upto;

	if (pos < s->trimmed + 2 * TRIM_BYTES)
		return;
	upto = (pos - TRIM_BYTES) & ~(uint64_t)4095;
	(void)madvise((void *)(s->map + s->trimmed), upto - s->trimmed,
	    MADV_DONTNEED);
	s->trimmed = upto;
}

/* The n datagrams the state machine picked, transmissions first_tx on. */
static int
send_batch(struct sender *s, unsigned n, uint32_t first_tx)
{
	const struct xfer_job *j = s->job;
	unsigned sends;

	frame_batch(s, n, first_tx);
	if (s->map == NULL && load_payloads(s, n) < 0)
		return -1;
	sends = group_sends(s, n);
	if (ft_sendmmsg_all(j->udp_fd, s->msgs, sends, j->deadline_ns) < 0) {
		if (s->segments == 1 || (errno != EIO && errno != EINVAL &&
		    errno != EMSGSIZE))
			return -1;
		/* GSO refused at send time (no checksum offload; datagrams
		 * larger than the path's MTU, which plain sends fragment):
		 * the same datagrams, one by one (a few may arrive twice:
		 * the receiver counts duplicates). */
		gso_refused = true;
		s->segments = 1;
		log_warn("UDP GSO refused by the kernel or the device (%s): "
		    "plain sends from now on", strerror(errno));
		if (ft_sendmmsg_all(j->udp_fd, s->msgs, group_sends(s, n),
		    j->deadline_ns) < 0)
			return -1;
	}
	if (s->map != NULL)
		trim_map(s);
	s->x->dgrams += n;
	s->x->dgrams_resent = s->m.resent;
	s->x->bytes = s->m.bytes;
	*j->progress = s->m.bytes;
	return 0;
}

/* FIN: the end of a pass (end), or a probe; either asks for a report.
 * A lost one is repeated by the rhythm: no error here. */
static void
send_fin(struct sender *s, bool end)
{
	uint8_t buf[FT_DG_HEADER + 8];
	struct iovec iov = { buf, ft_dg_put_fin(buf, s->job->xfer, s->m.total,
	    s->m.tx, end) };
	struct msghdr m = { .msg_name = &s->peer, .msg_namelen = s->peerlen,
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = s->source,
	    .msg_controllen = s->source_len };

	(void)sendmsg(s->job->udp_fd, &m, 0);
}

static void
take_datagram(struct sender *s, const uint8_t *buf, size_t n,
    const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct ft_dg_header h;
	struct ft_dg_status st;
	uint64_t secret;
	int64_t now = ft_mono_ns();
	bool from_client;

	if (ft_dg_get_header(buf, n, &h) < 0 || h.xfer != s->job->xfer) {
		s->strangers++;
		return;
	}
	if (h.type == FT_DG_HELLO && ft_dg_get_hello(buf, n, &secret) == 0)
		from_client = ft_udp_tx_hello(&s->m, secret, now);
	else if (h.type == FT_DG_STATUS && ft_dg_get_status(buf, n, &st) == 0)
		from_client = ft_udp_tx_report(&s->m, &st, now) == 0;
	else {
		s->strangers++;
		return;
	}
	/* What has the secret names the client's address: the first hello,
	 * or a new one after a NAT's mapping changed. */
	if (from_client) {
		memcpy(&s->peer, from, sizeof(s->peer));
		s->peerlen = fromlen;
	}
}

/* Drains the UDP socket: the client's hello and reports, and strangers. */
static void
read_datagrams(struct sender *s)
{
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint8_t buf[FT_DG_STATUS_MAX + 64];
	ssize_t n;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(s->job->udp_fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		take_datagram(s, buf, (size_t)n, &from, fromlen);
	}
}

enum { EV_REPORT = 1, EV_CONTROL = 2 };

/* What became readable within wait_ns (0: only look): datagrams on the
 * UDP socket, and (with control) the DONE line or an error on the
 * control connection, which ends the sending. */
static int
wait_events(struct sender *s, int64_t wait_ns, bool control)
{
	struct pollfd p[2] = {
		{ .fd = s->job->udp_fd, .events = POLLIN },
		{ .fd = s->job->tcp_fd, .events = POLLIN },
	};
	int ms = (int)((wait_ns + 999999) / 1000000);

	if (control && s->job->in->len > 0)
		return EV_CONTROL;
	if (poll(p, control ? 2 : 1, ms) <= 0)
		return 0;
	return (p[0].revents ? EV_REPORT : 0) |
	    (control && p[1].revents ? EV_CONTROL : 0);
}

static void
send_due_fin(struct sender *s, int64_t now)
{
	bool end;

	if (ft_udp_tx_fin_due(&s->m, now, &end))
		send_fin(s, end);
}

/* Datagrams until the control connection has something to say (the
 * DONE line, normally) or the state machine gives up. 0, or -1 with the
 * reason set. */
static int
send_until_done(struct sender *s)
{
	uint32_t first_tx;
	unsigned n;
	int64_t now;
	int ev = 0;

	for (;;) {
		if (ev & EV_REPORT)
			read_datagrams(s);
		if (ev & EV_CONTROL)
			return 0;
		now = ft_mono_ns();
		ft_udp_tx_tick(&s->m, now);
		n = ft_udp_tx_pick(&s->m, s->seqs, s->resent, s->batch, &first_tx,
		    now);
		if (s->m.phase == FT_TX_FAILED) {
			ft_set_reason(s->x, "%s", s->m.reason);
			return -1;
		}
		if (n > 0) {
			if (send_batch(s, n, first_tx) < 0) {
				ft_set_reason(s->x, "sending: %s", errno == EFAULT ?
				    "the file shrank while it was sent" :
				    strerror(errno));
				return -1;
			}
			ev = wait_events(s, 0, true);
			continue;
		}
		send_due_fin(s, now);
		ev = wait_events(s, ft_udp_tx_wait_ns(&s->m, now), true);
	}
}

/* The DONE line came before the reports that acknowledge everything
 * (one lost, or still on its way): a little longer for them, FIN probes
 * asking the client to repeat its final report. */
static void
settle(struct sender *s)
{
	int64_t until = ft_mono_ns() + SETTLE_NS, now;

	if (until > s->job->deadline_ns)
		until = s->job->deadline_ns;
	read_datagrams(s);
	while (!ft_udp_tx_complete(&s->m) && (now = ft_mono_ns()) < until) {
		send_due_fin(s, now);
		if (wait_events(s, FT_UDP_PROBE_NS, false) & EV_REPORT)
			read_datagrams(s);
	}
}

/* The client's last word on the matter, if it is still listening. */
static void
tell_client(const struct sender *s)
{
	(void)ft_send_line(s->job->tcp_fd, ft_deadline_ms(LAST_WORDS_MS),
	    "ERR %d %s\n", FT_ERR_TIMEOUT, s->x->reason);
}

int
xfer_udp_send(const struct xfer_job *job, struct ft_xfer *x,
    uint64_t *acked)
{
	struct sender s;
	int64_t done_ns;
	int rc = -1;

	*acked = 0;
	if (xfer_send_data_line(job, x) < 0)
		return -1;
	if (sender_init(&s, job, x) < 0) {
		ft_set_reason(x, "out of memory");
		goto out;
	}
	set_source(&s, &job->local);
	rc = send_until_done(&s);
	done_ns = ft_mono_ns();
	if (rc < 0)
		tell_client(&s);
	else if (s.m.next_seq >= s.m.total)
		settle(&s);	/* else nothing can acknowledge it all */
	if (s.m.first_ns) {
		x->ns = s.m.last_data_ns - s.m.first_ns;
		x->confirm_ns = done_ns - s.m.first_ns;
	}
	if (s.peerlen > 0)	/* where the data went: behind a NAT, its port */
		x->client_port = ft_addr_port(&s.peer);
	x->dgrams_lost = ft_udp_tx_lost(&s.m);
	x->dgrams_bad = s.strangers + s.m.bad_reports;
	*acked = ft_udp_tx_acked_bytes(&s.m);
out:
	sender_free(&s);
	return rc;
}
