/* conn.c: one connection's life, run by its own thread: connect, ask,
 * wait for the go, receive into the store while hashing (one pass over
 * the data), verify, confirm. Every failure ends in x.reason. */
#include "ftclient.h"
#include "ft_addr.h"
#include "ft_dgram.h"
#include "ft_hash.h"
#include "ft_io.h"
#include "ft_sys.h"
#include "ft_text.h"
#include "ft_time.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

/* A recv, then the hash and the write of what it brought, a buffer at a
 * time. Its size depends on how many connections share the processors
 * (measured on the 2-core VM, 250 MiB each, medians of 5 alternated runs):
 * with more connections than processors, small enough that the hash and
 * the write read it from the cache (10 connections: 128 KiB 2.24 s,
 * 512 KiB 2.68 s; 3: 0.82 s against 0.87 s); with a processor each, large
 * enough to make fewer calls (1: 512 KiB 0.51 s, 128 KiB 0.63 s; 2: 0.548
 * against 0.571 s). Receiving straight into a mapping of the copy
 * instead, to save the write's copy, measured no faster (page faults cost
 * what the copy saved; prefaulted, 8% slower). */
#define RECV_BUF_SHARED (128u << 10)
#define RECV_BUF_ALONE (512u << 10)
#define QUEUE_POLL_MS 500	/* a queued run asks again this often */
#define VERDICT_MS 5000		/* the server's BYE after our DONE */

/* Our lines are short and the server reads them; still, a server that
 * stops reading must not hold a connection's thread past -t. */
static int64_t
send_deadline(const struct conn *c)
{
	return ft_deadline_ms(c->cl->o.timeout_s * 1000);
}

/* Publishes a state and wakes the main thread, which draws and waits. */
static void
set_state(struct conn *c, enum conn_state st)
{
	pthread_mutex_lock(&c->cl->mu);
	atomic_store(&c->state, st);
	pthread_cond_broadcast(&c->cl->cv);
	pthread_mutex_unlock(&c->cl->mu);
}

/* After Ctrl-C (or TERM, HUP) every failure is the interruption: the
 * main thread shut the connections down, whatever error that caused. */
void
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c->cl->interrupted) {
		ft_set_reason(&c->x, "interrupted after %llu bytes",
		    (unsigned long long)atomic_load(&c->bytes));
	} else {
		va_start(ap, fmt);
		ft_set_reasonv(&c->x, fmt, ap);
		va_end(ap);
	}
	c->x.ok = 0;
	set_state(c, C_FAILED);
}

/* Makes fd one of the connection's sockets (*slot: fd or udp_fd), where
 * an interruption shuts it down, unless the run is already stopped: the
 * stop passed it by, so it is closed, and -1 with ECANCELED. Under mu,
 * as the stop: a socket is either shut down by it or never used. */
static int
adopt_socket(struct conn *c, int *slot, int fd)
{
	bool stopped;

	pthread_mutex_lock(&c->cl->mu);
	stopped = c->cl->stopped;
	if (!stopped)
		__atomic_store_n(slot, fd, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&c->cl->mu);
	if (stopped) {
		ft_sock_close(fd);
		errno = ECANCELED;
		return -1;
	}
	return 0;
}

/* Closes one of the connection's sockets, out of the stop's reach first
 * (its number may be reused at once). */
static void
drop_socket(struct conn *c, int *slot)
{
	int fd = *slot;

	if (fd < 0)
		return;
	pthread_mutex_lock(&c->cl->mu);
	__atomic_store_n(slot, -1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&c->cl->mu);
	ft_sock_close(fd);
}

/* Connects to the server; with c, the socket is the connection's before
 * connect(2) starts, so that an interruption also ends a connect stuck on
 * a path that drops SYNs (a shutdown aborts SYN_SENT). */
static int
connect_to(const char *host, const char *port, struct conn *c, char *why,
    size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *p;
	int fd = -1, rc, saved = 0;

	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(why, whylen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (p = ai; p != NULL; p = p->ai_next) {
		if ((fd = ft_socket(p->ai_family, p->ai_socktype)) < 0) {
			saved = errno;
			continue;
		}
		if (c != NULL && adopt_socket(c, &c->fd, fd) < 0) {
			saved = errno;	/* interrupted: no other address */
			fd = -1;
			break;
		}
		if (ft_connect(fd, p->ai_addr, (socklen_t)p->ai_addrlen) == 0)
			break;
		saved = errno;
		if (c != NULL)
			drop_socket(c, &c->fd);
		else
			ft_sock_close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		snprintf(why, whylen, "cannot connect to %s port %s: %s", host,
		    port, ft_strerror(saved));
	return fd;
}

static void
note_addresses(struct conn *c)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);
	char host[NI_MAXHOST];

	if (getsockname(c->fd, (struct sockaddr *)&a, &len) == 0) {
		if (getnameinfo((struct sockaddr *)&a, len, host, sizeof(host),
		    NULL, 0, NI_NUMERICHOST) == 0)
			strlcpy(c->x.client_ip, host, sizeof(c->x.client_ip));
		c->x.ctl_client_port = ft_addr_port(&a);
	}
	len = sizeof(a);
	if (getpeername(c->fd, (struct sockaddr *)&a, &len) == 0)
		c->x.ctl_server_port = ft_addr_port(&a);
	/* Over TCP the data travel on the control connection. */
	c->x.client_port = c->x.ctl_client_port;
	c->x.server_port = c->x.ctl_server_port;
}

/* A server that stalls without closing must not hold recv() forever:
 * without the timeout the connection does not go on. */
static int
set_receive_timeout(int fd, int seconds)
{
	return ft_set_recv_timeout(fd, seconds);
}

/* Reads one line, turning "ERR code message" into a failure. */
static int
expect_line(struct conn *c, struct ft_reader *in, char *line, int timeout_s,
    const char *stage)
{
	const char *msg;
	int code, rc = ft_read_line(in, line, ft_deadline_ms(timeout_s * 1000),
	    NULL);

	if (rc != FT_LINE_OK) {
		conn_fail(c, "%s: %s", stage, ft_line_problem(rc,
		    "the server closed the connection"));
		return -1;
	}
	if (ft_parse_error(line, &code, &msg) == 0) {
		conn_fail(c, "server: %s", msg);
		return -1;
	}
	return 0;
}

enum asked { ASK_OFFER, ASK_QUEUED, ASK_BUSY, ASK_FAILED };

/* The greeting: an ft server, with enough workers for the run. */
static int
check_greeting(struct conn *c, const char *line)
{
	struct ft_greeting g;
	unsigned n = c->cl->o.clients;

	if (ft_parse_greeting(line, &g) < 0)
		return conn_fail(c, "%s", "not an ft server (bad greeting)"), -1;
	if (g.workers != 0 && n > g.workers)
		return conn_fail(c, "the server has %u workers: a test of %u "
		    "connections can never start there", g.workers, n), -1;
	return 0;
}

/* The GET goes out as soon as the connection is up, before the greeting
 * is read: a server that sees connections from one address pile up
 * without a request cuts the silent ones short, never ours. */
static enum asked
ask(struct conn *c, struct ft_reader *in, char *busy, size_t busylen)
{
	const struct client_opts *o = &c->cl->o;
	char line[FT_LINE_MAX + 1];
	struct ft_queued q;
	const char *msg;
	int code;

	if (ft_send_line(c->fd, ft_deadline_ms(o->timeout_s * 1000), "GET %s "
	    "group=%u client=%u run=%016llx proto=%s\n", o->file ? o->file :
	    "-", o->clients, c->no, (unsigned long long)c->cl->run,
	    o->udp ? "udp" : "tcp") < 0)
		return conn_fail(c, "sending the request: %s", ft_strerror(errno)),
		    ASK_FAILED;
	if (expect_line(c, in, line, o->timeout_s, "waiting for a worker") < 0 ||
	    check_greeting(c, line) < 0)
		return ASK_FAILED;
	if (ft_read_line(in, line, ft_deadline_ms(o->timeout_s * 1000), NULL)
	    != FT_LINE_OK)
		return conn_fail(c, "%s", "waiting for the offer: no answer"),
		    ASK_FAILED;
	if (ft_parse_queued(line, &q) == 0) {
		atomic_store(&c->ahead, q.ahead);
		return ASK_QUEUED;
	}
	if (ft_parse_error(line, &code, &msg) == 0 && code == FT_ERR_BUSY) {
		strlcpy(busy, msg, busylen);
		return ASK_BUSY;
	}
	if (ft_parse_error(line, &code, &msg) == 0)
		return conn_fail(c, "server: %s", msg), ASK_FAILED;
	if (ft_parse_offer(line, &c->offer) < 0)
		return conn_fail(c, "%s", "malformed offer from the server"),
		    ASK_FAILED;
	return ASK_OFFER;
}

/* Waits before asking again: until the deadline of this pause, or until
 * another connection of the run is seated (the run's turn has come). */
static void
pause_before_asking(struct conn *c, int ms)
{
	struct client *cl = c->cl;
	struct timespec t;
	unsigned seen;

	t = ft_wall_after_ms(ms);
	pthread_mutex_lock(&cl->mu);
	seen = cl->seated;
	while (cl->seated == seen && !cl->stopped &&
	    pthread_cond_timedwait(&cl->cv, &cl->mu, &t) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&cl->mu);
}

static void
note_seated(struct conn *c)
{
	pthread_mutex_lock(&c->cl->mu);
	c->cl->seated++;
	pthread_cond_broadcast(&c->cl->cv);
	pthread_mutex_unlock(&c->cl->mu);
}

static int
open_connection(struct conn *c, struct ft_reader *in)
{
	char why[FT_REASON_MAX];

	drop_socket(c, &c->fd);
	if (connect_to(c->cl->o.host, c->cl->o.port, c, why, sizeof(why)) < 0) {
		conn_fail(c, "%s", why);
		return -1;
	}
	note_addresses(c);
	if (set_receive_timeout(c->fd, c->cl->o.timeout_s) < 0) {
		conn_fail(c, "no receive timeout on the socket: %s",
		    ft_strerror(errno));
		return -1;
	}
	ft_reader_init(in, c->fd);
	return 0;
}

/* Until the run is seated: a run queued for its turn asks again every
 * QUEUE_POLL_MS (up to --queue-timeout); a busy server is asked again
 * with a growing pause (up to -t). */
static int
admission(struct conn *c, struct ft_reader *in)
{
	const struct client_opts *o = &c->cl->o;
	int64_t busy_until = 0, queued_until = 0;
	char busy[FT_REASON_MAX];
	bool was_queued = false;
	int pause_ms = 250;

	for (;;) {
		if (c->cl->interrupted) {
			conn_fail(c, "%s", "interrupted");
			return -1;
		}
		if (open_connection(c, in) < 0)
			return -1;
		switch (ask(c, in, busy, sizeof(busy))) {
		case ASK_OFFER:
			if (was_queued)
				note_seated(c);
			return 0;
		case ASK_FAILED:
			return -1;
		case ASK_QUEUED:
			busy_until = 0;
			if (!was_queued)
				queued_until = ft_deadline_ms(o->queue_timeout_s * 1000);
			was_queued = true;
			set_state(c, C_QUEUED);
			if (ft_mono_ns() > queued_until)
				return conn_fail(c, "still queued after %d s (%u runs "
				    "ahead)", o->queue_timeout_s,
				    atomic_load(&c->ahead)), -1;
			pause_before_asking(c, QUEUE_POLL_MS);
			break;
		case ASK_BUSY:
			/* -t counts from the first 503 of a spell of them. */
			if (busy_until == 0)
				busy_until = ft_deadline_ms(o->timeout_s * 1000);
			if (ft_mono_ns() > busy_until)
				return conn_fail(c, "server: %s (for %d s)", busy,
				    o->timeout_s), -1;
			pause_before_asking(c, pause_ms);
			pause_ms = pause_ms >= 2000 ? 2000 : pause_ms * 2;
			break;
		}
	}
}

static int
handshake(struct conn *c, struct ft_reader *in)
{
	const struct client_opts *o = &c->cl->o;

	if (admission(c, in) < 0)
		return -1;
	/* The copy is named and verified for what was asked: another file
	 * under -f's name would be a wrong measurement "verified". */
	if (o->file != NULL && strcmp(c->offer.file, o->file) != 0)
		return conn_fail(c, "the server offered %s, not %s",
		    c->offer.file, o->file), -1;
	/* What pairs this connection's row with the server's. */
	c->x.run = c->cl->run;
	c->x.test_no = c->offer.test;
	c->x.run_clients = o->clients;
	if (o->udp) {
		c->x.server_port = (uint16_t)c->offer.udp_port;
		c->x.client_port = 0;	/* until our UDP socket is open */
	}
	/* K as the server numbered the test: with ftserver -n, one test
	 * gathers clients from several machines or runs. Unless this run is
	 * larger than the server's groups: then ours keeps names unique. */
	if (c->offer.group >= o->clients)
		c->x.client_no = c->offer.member;
	if (o->udp && (c->offer.udp_port == 0 || c->offer.datagram < FT_DG_MIN ||
	    c->offer.datagram > FT_DG_MAX))
		return conn_fail(c, "%s", "the server's UDP offer is incomplete"), -1;
	/* A count that does not fit would wrap: a few datagrams "verified"
	 * for a file of terabytes. */
	if (o->udp && !ft_dg_fits(c->offer.size, c->offer.datagram))
		return conn_fail(c, "the server offers %llu bytes in %u-byte "
		    "datagrams: more than UDP mode can count",
		    (unsigned long long)c->offer.size, c->offer.datagram), -1;
	return 0;
}

/* Tells main this connection is settled (offered, or failed) and waits
 * for its decision: 1 go, -1 cancel. */
static int
settle_and_wait(struct conn *c)
{
	struct client *cl = c->cl;
	int go;

	pthread_mutex_lock(&cl->mu);
	cl->settled++;
	pthread_cond_broadcast(&cl->cv);
	while (cl->go == 0)
		pthread_cond_wait(&cl->cv, &cl->mu);
	go = cl->go;
	pthread_mutex_unlock(&cl->mu);
	return go;
}

/* N in ClienteK-Prueba-N: the test's size, as K above. */
static unsigned
test_size(const struct conn *c)
{
	return c->offer.group >= c->cl->o.clients ? c->offer.group :
	    c->cl->o.clients;
}

static int
receive_body(struct conn *c, struct ft_reader *in, struct store *st,
    struct ft_sha256 *h)
{
	size_t bufsize = c->cl->o.clients <= ft_cpus() ? RECV_BUF_ALONE :
	    RECV_BUF_SHARED;
	uint64_t size = c->offer.size, got = 0;
	char *buf = malloc(bufsize);
	ssize_t n;
	int rc = -1;

	if (buf == NULL) {
		conn_fail(c, "%s", "out of memory");
		return -1;
	}
	while (got < size) {
		size_t want = size - got < bufsize ? size - got : bufsize;
		n = (ssize_t)ft_reader_take(in, buf, want);
		if (n == 0)
			/* What is there, not MSG_WAITALL: waiting for a full
			 * buffer won 5% on loopback but lost 15-50% over a veth
			 * pair with a 1500-byte MTU (hashing and writing no
			 * longer overlap with the arrival). */
			n = ft_recv(c->fd, buf, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			char d[96];
			snprintf(d, sizeof(d), "%llu of %llu bytes",
			    (unsigned long long)got, (unsigned long long)size);
			if (n == 0)
				conn_fail(c, "the server closed the connection after %s", d);
			else if (errno == EAGAIN)
				conn_fail(c, "no data from the server for %d s after %s",
				    c->cl->o.timeout_s, d);
			else
				conn_fail(c, "receive failed after %s: %s", d,
				    ft_strerror(errno));
			goto out;
		}
		if (got == 0)	/* before bytes: samples.c reads it after */
			__atomic_store_n(&c->first_ns, ft_mono_ns(),
			    __ATOMIC_RELAXED);
		if (ft_sha256_update(h, buf, (size_t)n) < 0 ||
		    ft_write_all(st->fd, buf, (size_t)n) < 0) {
			conn_fail(c, "writing the file: %s", ft_strerror(errno));
			goto out;
		}
		got += (uint64_t)n;
		c->x.bytes = got;
		/* Release: the main thread's samples (samples.c) that see
		 * these bytes see first_ns too. A plain store on x86. */
		atomic_store_explicit(&c->bytes, got, memory_order_release);
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Creates the file aside and reserves its size as soon as the offer
 * says how big it is: a full disk then cancels the test before the start
 * rather than failing after the server has sent everything. */
static int
reserve(struct conn *c)
{
	char why[FT_REASON_MAX];

	if (store_open(&c->st, c->cl->o.out_dir, c->x.client_no, test_size(c),
	    c->offer.size, why, sizeof(why)) < 0) {
		conn_fail(c, "%s", why);
		return -1;
	}
	return 0;
}

/* After the last byte: our hash, then DONE. 0 when the copy matches the
 * server's SHA-256. */
static int
confirm(struct conn *c, struct ft_sha256 *h)
{
	char hex[FT_SHA256_HEX];

	set_state(c, C_VERIFYING);
	if (ft_sha256_final(h, hex) < 0) {
		conn_fail(c, "%s", "computing the SHA-256 failed");
		return -1;
	}
	/* The timing rule ends at the confirmation: stamped as it leaves,
	 * so the server, which stops its clock on receiving it, can never
	 * measure less than we do. */
	if (!c->cl->o.udp)
		__atomic_store_n(&c->end_ns, ft_mono_ns(), __ATOMIC_RELAXED);
	if (ft_send_line(c->fd, send_deadline(c), "DONE %llu %s\n",
	    (unsigned long long)c->x.bytes, hex) < 0) {
		conn_fail(c, "confirming: %s", ft_strerror(errno));
		return -1;
	}
	if (strcmp(hex, c->offer.sha256) != 0) {
		conn_fail(c, "%s", "SHA-256 mismatch: the file is corrupt");
		return -1;
	}
	return 0;
}

/* DATA, the body into the store while hashing, and the confirmation. */
static int
receive(struct conn *c, struct ft_reader *in)
{
	char line[FT_LINE_MAX + 1];
	struct ft_sha256 *h;
	struct ft_data d;
	int u;

	if (expect_line(c, in, line, c->cl->o.timeout_s, "waiting for the start")
	    < 0)
		return -1;
	if (ft_parse_data(line, &d) < 0 || d.size != c->offer.size) {
		conn_fail(c, "%s", "bad DATA line from the server");
		return -1;
	}
	c->server_start = d.start;
	c->data_ns = ft_mono_ns();
	if ((h = ft_sha256_new()) == NULL) {
		conn_fail(c, "%s", "out of memory");
		return -1;
	}
	set_state(c, C_RECEIVING);
	if (!c->cl->o.udp)
		u = receive_body(c, in, &c->st, h);
	else if ((u = udp_receive(c, in, c->st.fd, h)) == 1)
		/* raw losses: tell the server what we got */
		ft_send_line(c->fd, send_deadline(c), "DONE %llu %064d\n",
		    (unsigned long long)c->x.bytes, 0);
	if (u != 0) {
		ft_sha256_free(h);
		return -1;
	}
	return confirm(c, h);	/* final frees h */
}

/* A verified copy that cannot be published. When another run took the
 * last free names since the reservation, the copy is not failed: it is
 * not kept under a -failed name either (--keep-failed), which would say
 * it is. */
static void
store_failed(struct conn *c)
{
	char why[FT_REASON_MAX];

	if (errno != EEXIST) {
		conn_fail(c, "storing the file: %s", ft_strerror(errno));
		return;
	}
	store_no_name(&c->st, why, sizeof(why));
	store_discard(&c->st);
	conn_fail(c, "verified, but %s", why);
}

/* The published copy's path for the summary, its name for the log. */
static void
note_copy(struct conn *c)
{
	const char *slash = strrchr(c->st.final, FT_PATH_SEP);

	strlcpy(c->path, c->st.final, sizeof(c->path));
	strlcpy(c->x.copy, slash != NULL ? slash + 1 : c->st.final,
	    sizeof(c->x.copy));
}

/* The server's verdict, then the copy's final name. The verdict is the
 * server's view (BYE ok or mismatch); without one (it is informative)
 * our own hash decides, but a server that disagrees is believed: a copy
 * it calls a mismatch is not published. */
static void
finish(struct conn *c, struct ft_reader *in)
{
	char line[FT_LINE_MAX + 1];
	int64_t deadline = ft_deadline_ms(VERDICT_MS);

	udp_await_verdict(c, in, deadline);
	if (ft_read_line(in, line, deadline, NULL) == FT_LINE_OK &&
	    strcmp(line, "BYE ok") != 0) {
		conn_fail(c, "the server reports: %s", line);
		return;
	}
	if (store_commit(&c->st, c->offer.sha256) < 0) {
		store_failed(c);
		return;
	}
	note_copy(c);
	c->x.ok = 1;
	set_state(c, C_DONE);
}

/* A copy that is not published: removed, or kept aside for inspection
 * (--keep-failed) when anything arrived: over TCP the bytes received,
 * which are the file's first ones; over UDP all of it, holes included. */
static void
drop_copy(struct conn *c)
{
	uint64_t keep = c->cl->o.udp ? STORE_KEEP_ALL : c->x.bytes;

	if (c->st.fd < 0)
		return;
	if (c->cl->o.keep_failed && c->x.bytes > 0 &&
	    store_keep_failed(&c->st, keep) == 0) {
		note_copy(c);
		return;
	}
	store_discard(&c->st);
}

/* READY; over UDP it also says where datagrams go and how much the
 * receive buffer holds (the sender's window). */
static int
send_ready(struct conn *c)
{
	uint32_t rcvbuf = 0;
	int rc, udp;

	if (!c->cl->o.udp)
		rc = ft_send_line(c->fd, send_deadline(c), "READY\n");
	else if ((udp = udp_open(c, &rcvbuf)) < 0 ||
	    adopt_socket(c, &c->udp_fd, udp) < 0) {
		conn_fail(c, "cannot open a UDP socket: %s", ft_strerror(errno));
		return -1;
	} else {
		c->x.client_port = ft_local_port(c->udp_fd);
		rc = ft_send_line(c->fd, send_deadline(c),
		    "READY udp_port=%u rcvbuf=%u\n",
		    c->x.client_port, rcvbuf);
	}
	if (rc < 0)
		conn_fail(c, "sending READY: %s", ft_strerror(errno));
	return rc;
}

void *
conn_main(void *arg)
{
	struct conn *c = arg;
	struct ft_reader in;
	bool settled = false;

	c->x.client_no = c->no;
	if (handshake(c, &in) < 0)
		goto out;
	if (reserve(c) < 0) {
		ft_send_line(c->fd, send_deadline(c), "QUIT\n");
		goto out;
	}
	set_state(c, C_WAITING);
	settled = true;
	if (settle_and_wait(c) < 0) {
		ft_send_line(c->fd, send_deadline(c), "QUIT\n");
		/* main may have said why (offers that disagree) */
		if (atomic_load(&c->state) != C_FAILED)
			conn_fail(c, "%s", "cancelled before the start");
		goto out;
	}
	set_state(c, C_READY);
	if (send_ready(c) == 0 && receive(c, &in) == 0)
		finish(c, &in);
out:
	/* First byte to the end; a failure counts until now. */
	if (c->first_ns != 0)
		c->x.ns = (c->end_ns ? c->end_ns : ft_mono_ns()) - c->first_ns;
	atomic_store_explicit(&c->ended, true, memory_order_release);
	drop_copy(c);		/* failed, or cancelled before the start */
	drop_socket(c, &c->fd);
	udp_close(c);
	drop_socket(c, &c->udp_fd);
	if (!settled)
		settle_and_wait(c);
	return NULL;
}

/* --list: the server's catalogue, one file per line. */
int
list_catalogue(const struct client_opts *o)
{
	char why[256], line[FT_LINE_MAX + 1], shown[4 * FT_LINE_MAX + 1];
	struct ft_reader in;
	int64_t deadline;
	int fd = connect_to(o->host, o->port, NULL, why, sizeof(why)), rc;

	if (fd < 0) {
		fprintf(stderr, "ftclient: %s\n", why);
		return 1;
	}
	ft_reader_init(&in, fd);
	/* One deadline for the whole list: a server trickling lines
	 * cannot hold us longer. */
	deadline = ft_deadline_ms(o->timeout_s * 1000);
	ft_send_line(fd, deadline, "LIST\n");
	while ((rc = ft_read_line(&in, line, deadline, NULL)) == FT_LINE_OK) {
		if (strncmp(line, "FILE ", 5) == 0) {
			ft_text_escape(shown, sizeof(shown), line + 5);
			printf("%s\n", shown);
		}
		if (strncmp(line, "END", 3) == 0)
			break;
	}
	ft_send_line(fd, deadline, "QUIT\n");
	ft_sock_close(fd);
	return rc == FT_LINE_OK ? 0 : 1;
}
