/* ftdelay: a delay line for the router namespace of contrib/perf/link.sh's
 * wan profiles, where the kernel has no netem. It takes the packets of an
 * NFQUEUE (iptables -A FORWARD -j NFQUEUE --queue-num Q) and accepts each
 * one DELAY after it arrived.
 *
 *   ftdelay [-q QUEUE] [-d MS] [-n PACKETS] [-T SECONDS]
 *
 * Choices (README, "Emulated links"):
 * - Copy mode "meta": the kernel keeps the packet; we get its id only and
 *   never copy its bytes. Verdicts go by id; since every packet gets the
 *   same delay, ids leave in arrival order, and one batch verdict accepts
 *   every id up to the last one due (fewer system calls per packet).
 * - NFQA_CFG_F_GSO: GSO packets are queued whole, not segmented for us
 *   (we never read them); the veth ends have TSO off so the router sees
 *   wire-size packets anyway.
 * - No fail-open: when the kernel's queue is full it drops, rather than
 *   let a packet by undelayed (that would reorder the flow and undercut
 *   the RTT being emulated). The kernel queue's length is set above ours,
 *   so our own bound is the one that acts: a packet that finds it full is
 *   dropped with a verdict and counted ("refused").
 * - If the socket overflows (ENOBUFS: the kernel dropped messages about
 *   packets it still holds), those packets are accepted by the next batch
 *   verdict: early, not stuck. They are counted.
 * - Every wait is bounded (the next due time, at most 100 ms); SIGTERM or
 *   SIGINT accepts what is queued, prints the counters and exits 0; so
 *   does the end of the process that started it (PR_SET_PDEATHSIG), and
 *   -T bounds the whole run.
 * Exit status: 0 stopped by a signal or -T, 1 a failure, 2 misuse. */
#include "delayq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECV_BATCH 512			/* messages read between releases */
#define MAX_WAIT_NS (100 * 1000000ull)	/* the longest single wait */
#define SOCKET_BUFFER (16 * 1024 * 1024)
#define KERNEL_QUEUE_SLACK 1024		/* kernel queue = ours + this */

struct opts {
	unsigned queue;
	double delay_ms;
	size_t capacity;
	unsigned lifetime_s;		/* 0: until a signal */
};

struct line {
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	int fd;
	struct delayq q;
	uint64_t now_ns;		/* the time of the current read batch */
	uint64_t enobufs, verdict_errors;
};

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		abort();	/* CLOCK_MONOTONIC always exists on Linux */
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: ftdelay [-q QUEUE] [-d MS] [-n PACKETS] [-T SECONDS]\n"
	    "Delays every packet of NFQUEUE QUEUE (default 0) by MS milliseconds\n"
	    "(default 10), holding at most PACKETS (default 8192; more are dropped\n"
	    "and counted); -T stops after SECONDS. SIGTERM stops it; it prints its\n"
	    "counters on exit.\n");
}

static bool
parse_number(const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && *out >= lo && *out <= hi;
}

/* A whole number lo..hi in decimal digits only: no sign, fraction,
 * exponent or hex, which strtod would take (1.5 would become 1). */
static bool
parse_count(const char *s, unsigned long lo, unsigned long hi,
    unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out >= lo && *out <= hi;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	unsigned long v;
	int c;

	*o = (struct opts){ .queue = 0, .delay_ms = 10, .capacity = 8192 };
	while ((c = getopt(argc, argv, "q:d:n:T:h")) != -1) {
		switch (c) {
		case 'q':
			if (!parse_count(optarg, 0, 65535, &v))
				return fprintf(stderr, "ftdelay: -q: a queue 0..65535\n"), 2;
			o->queue = (unsigned)v;
			break;
		case 'd':
			if (!parse_number(optarg, 0, 10000, &o->delay_ms))
				return fprintf(stderr, "ftdelay: -d: 0..10000 ms\n"), 2;
			break;
		case 'n':
			if (!parse_count(optarg, 1, 1ul << 20, &v))
				return fprintf(stderr, "ftdelay: -n: 1..1048576 packets\n"), 2;
			o->capacity = (size_t)v;
			break;
		case 'T':
			if (!parse_count(optarg, 1, 86400, &v))
				return fprintf(stderr, "ftdelay: -T: 1..86400 s\n"), 2;
			o->lifetime_s = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/* The kernel hands us a packet: queue its id, or drop it when full. */
static int
on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
    void *arg)
{
	struct line *l = arg;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	uint32_t id;

	(void)msg;
	if (ph == NULL)
		return 0;
	id = ntohl(ph->packet_id);
	if (!delayq_push(&l->q, id, l->now_ns) &&
	    nfq_set_verdict(qh, id, NF_DROP, 0, NULL) < 0)
		l->verdict_errors++;
	return 0;
}

static bool
open_queue(struct line *l, const struct opts *o)
{
	uint32_t flags = NFQA_CFG_F_GSO;

	l->h = nfq_open();
	if (l->h == NULL)
		return perror("ftdelay: nfq_open"), false;
	if (nfq_bind_pf(l->h, AF_INET) < 0)
		return perror("ftdelay: nfq_bind_pf"), false;
	l->qh = nfq_create_queue(l->h, (uint16_t)o->queue, on_packet, l);
	if (l->qh == NULL)
		return fprintf(stderr, "ftdelay: cannot bind queue %u (is another"
		    " program on it? no nfnetlink_queue?)\n", o->queue), false;
	if (nfq_set_mode(l->qh, NFQNL_COPY_META, 0) < 0)
		return perror("ftdelay: nfq_set_mode"), false;
	if (nfq_set_queue_maxlen(l->qh, (uint32_t)(o->capacity + KERNEL_QUEUE_SLACK)) < 0)
		return perror("ftdelay: nfq_set_queue_maxlen"), false;
	if (nfq_set_queue_flags(l->qh, flags, flags) < 0)
		fprintf(stderr, "ftdelay: note: no NFQA_CFG_F_GSO here: the kernel"
		    " segments GSO packets before queueing them\n");
	l->fd = nfq_fd(l->h);
	if (nfnl_rcvbufsiz(nfq_nfnlh(l->h), SOCKET_BUFFER) < SOCKET_BUFFER / 2)
		fprintf(stderr, "ftdelay: note: a small socket buffer: bursts may"
		    " overflow it (counted as ENOBUFS)\n");
	return true;
}

/* Reads what the kernel has queued, at most RECV_BATCH messages. */
static bool
read_packets(struct line *l)
{
	static char buf[65536] __attribute__((aligned));
	int i;

	l->now_ns = now_ns();
	for (i = 0; i < RECV_BATCH; i++) {
		ssize_t n = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == ENOBUFS) {
			l->enobufs++;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return true;
		if (n == 0)
			return fprintf(stderr, "ftdelay: the queue's netlink socket"
			    " closed\n"), false;
		if (n < 0)
			return perror("ftdelay: recv"), false;
		/* Besides packets, the socket carries the kernel's answers to
		 * our verdicts: an error there is a verdict that failed. */
		if (nfq_handle_packet(l->h, buf, (int)n) < 0)
			l->verdict_errors++;
	}
	return true;
}

/* Accepts, in one message, every queued id up to the last one due at
 * NOW (every one when ALL). */
static void
release(struct line *l, bool all)
{
	uint32_t last = 0;
	size_t n = all ? delayq_pop_all(&l->q, &last)
		       : delayq_pop_due(&l->q, now_ns(), &last);

	if (n > 0 && nfq_set_verdict_batch(l->qh, last, NF_ACCEPT) < 0)
		l->verdict_errors++;
}

/* Waits for packets or the front one's due time (at most MAX_WAIT_NS),
 * with the stop signals let through only while waiting. */
static bool
wait_for_work(struct line *l, const sigset_t *during)
{
	struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
	uint64_t due, now = now_ns(), wait = MAX_WAIT_NS;
	struct timespec ts;

	if (delayq_next_due(&l->q, &due))
		wait = due > now ? due - now : 0;
	if (wait > MAX_WAIT_NS)
		wait = MAX_WAIT_NS;
	ts.tv_sec = (time_t)(wait / 1000000000ull);
	ts.tv_nsec = (long)(wait % 1000000000ull);
	if (ppoll(&pfd, 1, &ts, during) < 0 && errno != EINTR)
		return perror("ftdelay: ppoll"), false;
	return true;
}

static void
print_kernel_counters(unsigned queue)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	unsigned q, portid, total, mode, range, dropped, user_dropped, seq;
	char line[256];

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%u %u %u %u %u %u %u %u", &q, &portid, &total,
		    &mode, &range, &dropped, &user_dropped, &seq) == 8 && q == queue)
			printf("ftdelay: kernel queue %u: %u held, %u dropped (queue"
			    " full), %u dropped (socket full), last id %u\n",
			    q, total, dropped, user_dropped, seq);
	}
	fclose(f);
}

static void
print_counters(const struct line *l, unsigned queue)
{
	printf("ftdelay: queued %llu, released %llu, refused (queue full, dropped)"
	    " %llu, peak %zu, ENOBUFS %llu, verdict errors %llu\n",
	    (unsigned long long)l->q.queued, (unsigned long long)l->q.released,
	    (unsigned long long)l->q.refused, l->q.peak,
	    (unsigned long long)l->enobufs, (unsigned long long)l->verdict_errors);
	print_kernel_counters(queue);
	fflush(stdout);
}

static bool
block_signals(sigset_t *during)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigprocmask(SIG_BLOCK, &stop, during) != 0)
		return perror("ftdelay: signals"), false;
	sigdelset(during, SIGTERM);
	sigdelset(during, SIGINT);
	/* A delay line without the script that set it up is useless: stop
	 * with it (a SIGKILLed perf-matrix cannot send us SIGTERM). */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		return perror("ftdelay: prctl"), false;
	if (getppid() == 1)
		stop_signal = SIGTERM;	/* it is already gone */
	return true;
}

static int
run(struct line *l, const struct opts *o, const sigset_t *during)
{
	uint64_t end = o->lifetime_s ? now_ns() + o->lifetime_s * 1000000000ull : 0;

	printf("ftdelay: queue %u, delay %.3f ms, at most %zu packets: ready\n",
	    o->queue, o->delay_ms, o->capacity);
	fflush(stdout);
	while (!stop_signal && (end == 0 || now_ns() < end)) {
		if (!wait_for_work(l, during) || !read_packets(l))
			return 1;
		release(l, false);
	}
	/* what arrived since the last read leaves too, early */
	if (!read_packets(l))
		return 1;
	release(l, true);
	return 0;
}

int
main(int argc, char **argv)
{
	struct line l = { .fd = -1 };
	struct opts o;
	sigset_t during;
	int rc = parse_opts(argc, argv, &o);

	if (rc != 0)
		return rc;
	if (!delayq_init(&l.q, o.capacity, (uint64_t)(o.delay_ms * 1e6)))
		return fprintf(stderr, "ftdelay: out of memory\n"), 1;
	rc = 1;
	if (block_signals(&during) && open_queue(&l, &o))
		rc = run(&l, &o, &during);
	if (l.qh != NULL)
		print_counters(&l, o.queue);
	if (l.qh != NULL && nfq_destroy_queue(l.qh) < 0)
		perror("ftdelay: nfq_destroy_queue");
	if (l.h != NULL && nfq_close(l.h) < 0)
		perror("ftdelay: nfq_close");
	delayq_free(&l.q);
	return rc;
}
