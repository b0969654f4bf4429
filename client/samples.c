/* samples.c: throughput over time. Every interval (-i, 100 ms by
 * default) the main thread's tick reads each connection's counters (the
 * bytes its thread already publishes, plus over UDP the last datagram's
 * arrival) and turns them into rows: interval start and end in seconds
 * since the test's start (the log's test_start), bytes in the interval,
 * bytes so far, bits per second. Rows go, as they come, to
 *   the samples TSV, beside the log (...-client-PROTO-samples.tsv),
 *   --json FILE: {"start":{...},"intervals":[...],"end":{...}},
 *   --json-stream: one {"event":...,"data":...} a line on stdout,
 * with iperf3's names where they fit. Nothing is kept in memory but a
 * row per connection, whatever the length of the test.
 *
 * One connection's rows tile its transfer exactly: the first starts at
 * its first byte, each starts where the previous ended, the last ends
 * at the connection's end as the log times it, and the bytes add up to
 * the log's. For that:
 * - a boundary is a moment every counted byte had arrived by, and the
 *   transfer had not ended by: over TCP the tick's time, taken after
 *   reading the bytes and before seeing the connection still receiving
 *   (its end is stamped after it stops receiving); over UDP, whose end
 *   is the last datagram's arrival, no later than the last arrival the
 *   thread published with those bytes (a silence then folds into the
 *   interval that ends with the next datagram);
 * - each connection's newest row is held back until the next one (or
 *   the end) is known, so that a last remainder of no duration can join
 *   it: JSON consumers see an interval one tick late. A connection's
 *   end is known once its thread has published it (conn.ended): its
 *   last rows go out at the next ticks, not with the test's end.
 * The log file's name is only known at the end (the server's start
 * dates it; a second log of the same second gets -2): the TSV is written
 * aside in the logs folder (an anonymous file where the system has them,
 * else a hidden name) and named, never replacing anything, once the log
 * is. */
#include "ftclient.h"
#include "ft_json.h"
#include "ft_sys.h"
#include "ft_time.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NS 1000000000LL

struct row {
	unsigned client;
	int64_t start, end;		/* ns since the test's start */
	uint64_t bytes, total;
};

struct tracked {
	struct row held;		/* the newest row, not yet written */
	bool holding, started, closed;
	int64_t last_end;
	uint64_t last_total;
};

struct samples {
	int64_t next_due;
	int64_t zero;			/* the test's start, monotonic; 0: unknown */
	struct tracked *conns;
	struct row *batch;		/* one interval's rows */
	struct row *last;		/* the end: each connection's last row */
	unsigned nbatch;
	FILE *tsv;
	int dirfd;			/* the logs folder, -1: not open */
	char tsv_aside[64];		/* its hidden name there; "": anonymous */
	char tsv_path[4300];		/* its final path, once renamed */
	FILE *json;			/* --json's file (or stdout) */
	struct ft_json doc, line;	/* the document; --json-stream's lines */
	bool failed;			/* a write failed: said at the end */
};

static const char tsv_columns[] =
    "run\ttest\tclient\tstart\tend\tseconds\tbytes\tbytes_total\t"
    "bits_per_second\n";

static double
seconds(int64_t ns)
{
	return (double)ns / 1e9;
}

static double
bits_per_second(uint64_t bytes, int64_t ns)
{
	return ns > 0 ? (double)bytes * 8e9 / (double)ns : 0.0;
}

/* The TSV, created aside in the logs folder: anonymous where the system
 * can name such a file later (then a process killed at once, by a
 * second Ctrl-C, leaves nothing behind), else under a hidden name of its
 * own, created exclusively. */
static int
open_tsv(struct client *cl, struct samples *s)
{
	int fd;

	if ((s->dirfd = ft_dir_open(cl->o.logs_dir)) < 0)
		return -1;
	if ((fd = ft_open_anonymous(s->dirfd)) < 0 && errno == EOPNOTSUPP) {
		snprintf(s->tsv_aside, sizeof(s->tsv_aside), ".ftclient-%016llx-"
		    "samples.part", (unsigned long long)cl->run);
		fd = ft_create_new(s->dirfd, cl->o.logs_dir, s->tsv_aside);
	}
	if (fd < 0)
		return -1;
	if ((s->tsv = fdopen(fd, "w")) == NULL) {
		close(fd);
		if (s->tsv_aside[0])
			ft_unlink_at(s->dirfd, cl->o.logs_dir, s->tsv_aside);
		return -1;
	}
	fputs(tsv_columns, s->tsv);
	return 0;
}

int
samples_open(struct client *cl, const char **what)
{
	struct samples *s = calloc(1, sizeof(*s));

	cl->samples = s;
	*what = "memory";
	if (s == NULL)
		return -1;
	s->dirfd = -1;
	s->conns = calloc(cl->o.clients, sizeof(*s->conns));
	s->batch = calloc(cl->o.clients, sizeof(*s->batch));
	s->last = calloc(cl->o.clients, sizeof(*s->last));
	if (s->conns == NULL || s->batch == NULL || s->last == NULL)
		return -1;
	/* --json's file first: its failure ends the run (exit 1) before the
	 * TSV exists, which on Windows is a named aside file that no exit()
	 * would remove. */
	*what = cl->o.json_path;
	if (cl->o.json_path != NULL) {
		s->json = strcmp(cl->o.json_path, "-") == 0 ? stdout :
		    fopen(cl->o.json_path, "w");
		if (s->json == NULL)
			return -1;
		ft_json_init(&s->doc, s->json);
	}
	ft_json_init(&s->line, stdout);
	/* As the log: a folder we cannot write is said, the test goes on. */
	if (cl->o.interval_ns > 0 && open_tsv(cl, s) < 0) {
		warn("no samples file in %s", cl->o.logs_dir);
		ft_dir_close(s->dirfd);
		s->dirfd = -1;
		s->failed = true;
	}
	return 0;
}

/* ------------------------------------------------------------ JSON */

/* Both outputs get the same values: the document (open across the run)
 * and, with --json-stream, the event's line. */
#define EACH_JSON(s, j, body) do {					\
	if ((s)->json != NULL) { struct ft_json *j = &(s)->doc; body; }	\
	if (cl->o.json_stream) { struct ft_json *j = &(s)->line; body; }	\
} while (0)

static void
line_event(struct client *cl, const char *event)
{
	struct ft_json *j = &cl->samples->line;

	ft_json_object(j);
	ft_json_kstr(j, "event", event);
	ft_json_key(j, "data");
}

static void
line_end(struct client *cl)
{
	struct ft_json *j = &cl->samples->line;

	ft_json_close(j);
	if (ft_json_end(j) < 0)
		cl->samples->failed = true;
}

static const char *
proto_name(const struct client *cl)
{
	return cl->o.udp ? "UDP" : "TCP";
}

static void
json_connected(struct ft_json *j, const struct client *cl)
{
	unsigned i;

	ft_json_key(j, "connected");
	ft_json_array(j);
	for (i = 0; i < cl->o.clients; i++) {
		const struct conn *c = &cl->conns[i];
		if (c->x.client_ip[0] == '\0')
			continue;	/* never connected */
		ft_json_object(j);
		ft_json_kuint(j, "socket", c->x.client_no);
		ft_json_kstr(j, "local_host", c->x.client_ip);
		ft_json_kuint(j, "local_port", c->x.ctl_client_port);
		ft_json_kstr(j, "remote_host", cl->o.host);
		ft_json_kuint(j, "remote_port", c->x.ctl_server_port);
		ft_json_close(j);
	}
	ft_json_close(j);
}

static void
json_start_ft(struct ft_json *j, const struct client *cl)
{
	const struct conn *c = run_first_offer(cl);
	char run[24];

	snprintf(run, sizeof(run), "%016llx", (unsigned long long)cl->run);
	ft_json_key(j, "ft");
	ft_json_object(j);
	ft_json_kstr(j, "run", run);
	ft_json_kuint(j, "test", c ? c->offer.test : 0);
	ft_json_kstr(j, "file", c ? c->offer.file : NULL);
	ft_json_kuint(j, "size", c ? c->offer.size : 0);
	ft_json_kstr(j, "sha256", c ? c->offer.sha256 : NULL);
	ft_json_kstr(j, "mode", !cl->o.udp ? "-" : c == NULL ? NULL :
	    c->offer.reliable ? "reliable" : "raw");
	ft_json_kuint(j, "datagram_size", c && cl->o.udp ? c->offer.datagram : 0);
	ft_json_kuint(j, "test_connections", c && c->offer.group > cl->o.clients ?
	    c->offer.group : cl->o.clients);
	ft_json_kbool(j, "started", cl->go == 1);
	ft_json_close(j);
}

static void
json_start(struct ft_json *j, const struct client *cl)
{
	const struct conn *c = run_first_offer(cl);
	char when[64];
	struct tm tm;

	ft_json_object(j);
	json_connected(j, cl);
	ft_json_kstr(j, "version", "ftclient " FT_VERSION);
	ft_json_key(j, "timestamp");
	ft_json_object(j);
	gmtime_r(&cl->start_wall.tv_sec, &tm);
	strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	ft_json_kstr(j, "time", when);
	ft_json_kint(j, "timesecs", (long long)cl->start_wall.tv_sec);
	ft_json_close(j);
	ft_json_key(j, "connecting_to");
	ft_json_object(j);
	ft_json_kstr(j, "host", cl->o.host);
	ft_json_kint(j, "port", atoi(cl->o.port));
	ft_json_close(j);
	ft_json_key(j, "test_start");
	ft_json_object(j);
	ft_json_kstr(j, "protocol", proto_name(cl));
	ft_json_kuint(j, "num_streams", cl->o.clients);
	ft_json_kuint(j, "bytes", c ? c->offer.size : 0);
	ft_json_kuint(j, "blksize", c && cl->o.udp ? c->offer.datagram : 0);
	ft_json_kint(j, "reverse", 1);	/* the server sends */
	ft_json_kdouble(j, "interval", seconds(cl->o.interval_ns), 6);
	ft_json_close(j);
	json_start_ft(j, cl);
	ft_json_close(j);
}

void
samples_start(struct client *cl)
{
	struct samples *s = cl->samples;

	if (s->json != NULL) {
		ft_json_object(&s->doc);
		ft_json_key(&s->doc, "start");
		json_start(&s->doc, cl);
		ft_json_break(&s->doc);
		ft_json_key(&s->doc, "intervals");
		ft_json_array(&s->doc);
	}
	if (cl->o.json_stream) {
		line_event(cl, "start");
		json_start(&s->line, cl);
		line_end(cl);
	}
	s->next_due = cl->go == 1 && cl->o.interval_ns > 0 ?
	    ft_mono_ns() + cl->o.interval_ns : 0;
}

/* An iperf3 stream or sum object's common fields. */
static void
json_span(struct ft_json *j, int64_t start, int64_t end, uint64_t bytes)
{
	ft_json_kdouble(j, "start", seconds(start), 6);
	ft_json_kdouble(j, "end", seconds(end), 6);
	ft_json_kdouble(j, "seconds", seconds(end - start), 6);
	ft_json_kuint(j, "bytes", bytes);
	ft_json_kdouble(j, "bits_per_second", bits_per_second(bytes, end -
	    start), 0);
}

static void
json_interval(struct ft_json *j, const struct row *rows, unsigned n)
{
	int64_t start = rows[0].start, end = rows[0].end;
	uint64_t bytes = 0;
	unsigned i;

	ft_json_object(j);
	ft_json_key(j, "streams");
	ft_json_array(j);
	for (i = 0; i < n; i++) {
		ft_json_object(j);
		ft_json_kuint(j, "socket", rows[i].client);
		json_span(j, rows[i].start, rows[i].end, rows[i].bytes);
		ft_json_kbool(j, "omitted", false);
		ft_json_kbool(j, "sender", false);
		ft_json_kuint(j, "ft_bytes_total", rows[i].total);
		ft_json_close(j);
		start = rows[i].start < start ? rows[i].start : start;
		end = rows[i].end > end ? rows[i].end : end;
		bytes += rows[i].bytes;
	}
	ft_json_close(j);
	ft_json_key(j, "sum");
	ft_json_object(j);
	json_span(j, start, end, bytes);
	ft_json_kbool(j, "omitted", false);
	ft_json_kbool(j, "sender", false);
	ft_json_close(j);
	ft_json_close(j);
}

/* ------------------------------------------------------------ rows */

/* Writes the rows gathered for one interval: TSV lines, then one
 * interval in the JSON. */
static void
flush_batch(struct client *cl)
{
	struct samples *s = cl->samples;
	const struct conn *offer;
	unsigned i, test;
	char run[24];

	if (s->nbatch == 0)
		return;
	snprintf(run, sizeof(run), "%016llx", (unsigned long long)cl->run);
	offer = run_first_offer(cl);
	test = offer != NULL ? offer->offer.test : 0;
	for (i = 0; s->tsv != NULL && i < s->nbatch; i++) {
		const struct row *r = &s->batch[i];
		fprintf(s->tsv, "%s\t%u\t%u\t%.6f\t%.6f\t%.6f\t%llu\t%llu\t%.0f\n",
		    run, test, r->client,
		    seconds(r->start), seconds(r->end), seconds(r->end - r->start),
		    (unsigned long long)r->bytes, (unsigned long long)r->total,
		    bits_per_second(r->bytes, r->end - r->start));
	}
	if (s->tsv != NULL && fflush(s->tsv) != 0)
		s->failed = true;
	if (s->json != NULL) {
		ft_json_break(&s->doc);
		json_interval(&s->doc, s->batch, s->nbatch);
	}
	if (cl->o.json_stream) {
		line_event(cl, "interval");
		json_interval(&s->line, s->batch, s->nbatch);
		line_end(cl);
	}
	s->nbatch = 0;
}

/* A new row for t: the held one goes out, the new one is held. */
static void
add_row(struct samples *s, struct tracked *t, const struct row *r)
{
	if (t->holding)
		s->batch[s->nbatch++] = t->held;
	t->held = *r;
	t->holding = true;
	t->last_end = r->end;
	t->last_total = r->total;
}

/* The test's start on our monotonic clock: the server's release (as the
 * log dates it), which can be no earlier than our go and no later than
 * the DATA line announcing it; clocks that disagree are clamped there.
 * From C's DATA line only: C has bytes, so its thread wrote server_start
 * before the bytes we loaded with acquire; another connection's thread
 * may be writing its own right now (a data race, a torn timespec). */
static int64_t
test_zero(const struct client *cl, const struct conn *c)
{
	long long skew;
	struct timespec start = run_conn_start(cl, c, &skew);
	struct timespec wall = ft_wall_now();
	int64_t now = ft_mono_ns(), zero;

	zero = now - (((int64_t)wall.tv_sec - start.tv_sec) * NS +
	    (wall.tv_nsec - start.tv_nsec));
	if (zero < cl->start_ns)
		zero = cl->start_ns;
	if (c->data_ns != 0 && zero > c->data_ns)
		zero = c->data_ns;
	return zero;
}

static bool close_conn(struct client *cl, struct conn *c, struct tracked *t,
    struct row *last);

/* A connection whose thread has published its final figures: its last
 * rows go out at this tick and the next, not at the test's end (where
 * one interval would group them with rows of seconds later). A closed
 * connection's final row, held, goes out at the next tick. */
static void
close_early(struct client *cl, struct conn *c, struct tracked *t)
{
	struct samples *s = cl->samples;
	struct row last;

	if (!t->closed && close_conn(cl, c, t, &last)) {
		add_row(s, t, &last);
		return;
	}
	if (t->holding)		/* final: a remainder of no time joined it */
		s->batch[s->nbatch++] = t->held;
	t->holding = false;
}

/* One connection's sample: see the head comment for why the order of
 * the reads is what it is. */
static void
sample(struct client *cl, struct conn *c, struct tracked *t)
{
	struct samples *s = cl->samples;
	uint64_t bytes = atomic_load_explicit(&c->bytes, memory_order_acquire);
	int64_t now = ft_mono_ns(), first, end;
	struct row r;

	if (t->closed || atomic_load_explicit(&c->ended, memory_order_acquire)) {
		close_early(cl, c, t);
		return;
	}
	if (atomic_load(&c->state) != C_RECEIVING || bytes == 0)
		return;
	if (s->zero == 0)
		s->zero = test_zero(cl, c);
	first = __atomic_load_n(&c->first_ns, __ATOMIC_RELAXED) - s->zero;
	end = now - s->zero;
	if (cl->o.udp) {
		int64_t last = __atomic_load_n(&c->last_rx_ns, __ATOMIC_RELAXED) -
		    s->zero;
		end = last < end ? last : end;
	}
	if (!t->started) {
		t->started = true;
		t->last_end = first;
	}
	if (end <= t->last_end)
		return;		/* nothing new to bound: carried to the next */
	r = (struct row){ .client = c->x.client_no, .start = t->last_end,
	    .end = end, .bytes = bytes - t->last_total, .total = bytes };
	add_row(s, t, &r);
}

int64_t
samples_due(const struct client *cl)
{
	return cl->samples != NULL ? cl->samples->next_due : 0;
}

void
samples_tick(struct client *cl)
{
	struct samples *s = cl->samples;
	int64_t now = ft_mono_ns();
	unsigned i;

	if (s->next_due == 0 || now < s->next_due)
		return;
	for (i = 0; i < cl->o.clients; i++)
		sample(cl, &cl->conns[i], &s->conns[i]);
	flush_batch(cl);
	/* The next on the grid; a late tick does not make two. */
	while (s->next_due <= now)
		s->next_due += cl->o.interval_ns;
}

/* ------------------------------------------------------------ the end */

/* The connection's last row, to its end as the log times it, into
 * *last (false: none); a remainder of no duration joins the held row
 * (a last datagram that arrived with the previous boundary). A thread
 * still stuck after an interruption ends now, with what it published. */
static bool
close_conn(struct client *cl, struct conn *c, struct tracked *t,
    struct row *last)
{
	struct samples *s = cl->samples;
	uint64_t bytes = c->unfinished ? atomic_load(&c->bytes) : c->x.bytes;
	int64_t first = __atomic_load_n(&c->first_ns, __ATOMIC_RELAXED), end;

	t->closed = true;
	if (first == 0 || bytes == 0)
		return false;
	if (s->zero == 0)
		s->zero = test_zero(cl, c);
	end = (c->unfinished ? ft_mono_ns() : first + c->x.ns) - s->zero;
	if (!t->started) {
		t->started = true;
		t->last_end = first - s->zero;
	}
	*last = (struct row){ .client = c->x.client_no, .start = t->last_end,
	    .end = end, .bytes = bytes - t->last_total, .total = bytes };
	if (end > t->last_end || !t->holding)
		return last->bytes > 0 || end > t->last_end;
	t->held.bytes += last->bytes;
	t->held.total = bytes;
	return false;
}

/* The end: one interval of the held rows (what the next tick would
 * have written), then one of the connections' last rows. */
static void
close_all(struct client *cl)
{
	struct samples *s = cl->samples;
	unsigned i, nlast = 0;

	for (i = 0; i < cl->o.clients; i++)
		if (!s->conns[i].closed && close_conn(cl, &cl->conns[i],
		    &s->conns[i], &s->last[nlast]))
			nlast++;
	for (i = 0; i < cl->o.clients; i++)
		if (s->conns[i].holding)
			s->batch[s->nbatch++] = s->conns[i].held;
	flush_batch(cl);
	memcpy(s->batch, s->last, nlast * sizeof(*s->last));
	s->nbatch = nlast;
	flush_batch(cl);
}

/* "...-client-tcp-log-2.txt" -> "...-client-tcp-samples-2.tsv" */
static int
samples_name(const char *log_path, char *buf, size_t len)
{
	const char *slash = strrchr(log_path, FT_PATH_SEP), *base, *mark;
	size_t stem;

	base = slash ? slash + 1 : log_path;
	if ((mark = strstr(base, "-log")) == NULL)
		return -1;
	stem = (size_t)(mark - base);
	return snprintf(buf, len, "%.*s-samples%.*s.tsv", (int)stem, base,
	    (int)(strlen(mark + 4) - 4), mark + 4) < (int)len ? 0 : -1;
}

/* Gives the aside TSV its name, never replacing anything. */
static int
name_tsv(struct client *cl, const char *name)
{
	struct samples *s = cl->samples;

	if (s->tsv_aside[0] == '\0')
		return ft_link_anonymous(fileno(s->tsv), s->dirfd, name);
	return ft_rename_noreplace(s->dirfd, cl->o.logs_dir, s->tsv_aside, name);
}

/* The TSV gets its name beside the log; without a log, it goes. */
static void
publish_tsv(struct client *cl, const char *log_path)
{
	struct samples *s = cl->samples;
	char name[256];		/* a log's base name: some 50 bytes */
	bool named = false;

	if (fflush(s->tsv) != 0 || ferror(s->tsv))
		s->failed = true;
	if (!s->failed && log_path != NULL &&
	    samples_name(log_path, name, sizeof(name)) == 0 &&
	    name_tsv(cl, name) == 0) {
		named = true;
		snprintf(s->tsv_path, sizeof(s->tsv_path), "%s%c%s",
		    cl->o.logs_dir, FT_PATH_SEP, name);
	} else if (log_path != NULL)
		s->failed = true;
	if (!named && s->tsv_aside[0])
		ft_unlink_at(s->dirfd, cl->o.logs_dir, s->tsv_aside);
	if (fclose(s->tsv) != 0)
		s->failed = true;
	s->tsv = NULL;
	ft_dir_close(s->dirfd);
	s->dirfd = -1;
}

/* ------------------------------------------------------------ JSON's end */

static void
json_stream_ft(struct ft_json *j, const struct conn *c)
{
	ft_json_key(j, "ft");
	ft_json_object(j);
	ft_json_kuint(j, "client", c->x.client_no);
	ft_json_kbool(j, "verified", c->x.ok);
	ft_json_kstr(j, "reason", c->x.ok ? NULL : c->x.reason);
	ft_json_kfield(j, "copy", c->x.copy);
	ft_json_kfield(j, "client_ip", c->x.client_ip);
	ft_json_kuint(j, "client_port", c->x.client_port);
	ft_json_kuint(j, "server_port", c->x.server_port);
	ft_json_kuint(j, "datagrams", c->x.dgrams);
	ft_json_kuint(j, "datagrams_lost", c->x.dgrams_lost);
	ft_json_kuint(j, "datagrams_dup", c->x.dgrams_dup);
	ft_json_close(j);
}

/* A connection's span on the test's clock: first byte to its end. */
static void
conn_span(const struct client *cl, const struct conn *c, int64_t *start,
    int64_t *end)
{
	int64_t zero = cl->samples->zero;

	*start = *end = 0;
	if (c->first_ns == 0 || zero == 0)
		return;
	*start = c->first_ns - zero;
	*end = *start + c->x.ns;
}

static void
json_end_streams(struct ft_json *j, const struct client *cl, int64_t *lo,
    int64_t *hi, uint64_t *bytes)
{
	int64_t start, end;
	bool any = false;
	unsigned i;

	ft_json_key(j, "streams");
	ft_json_array(j);
	for (i = 0; i < cl->o.clients; i++) {
		const struct conn *c = &cl->conns[i];
		conn_span(cl, c, &start, &end);
		ft_json_object(j);
		ft_json_key(j, "receiver");
		ft_json_object(j);
		ft_json_kuint(j, "socket", c->x.client_no);
		json_span(j, start, end, c->x.bytes);
		ft_json_kbool(j, "sender", false);
		ft_json_close(j);
		json_stream_ft(j, c);
		ft_json_close(j);
		if (c->first_ns != 0) {
			*lo = !any || start < *lo ? start : *lo;
			*hi = !any || end > *hi ? end : *hi;
			any = true;
		}
		*bytes += c->x.bytes;
	}
	ft_json_close(j);
}

static unsigned
verified(const struct client *cl)
{
	unsigned i, n = 0;

	for (i = 0; i < cl->o.clients; i++)
		n += cl->conns[i].x.ok != 0;
	return n;
}

static void
json_end(struct ft_json *j, const struct client *cl, const char *log_path)
{
	struct timespec start;
	int64_t lo = 0, hi = 0;
	uint64_t bytes = 0;
	long long skew;
	char when[64];
	struct tm tm;

	ft_json_object(j);
	json_end_streams(j, cl, &lo, &hi, &bytes);
	ft_json_key(j, "sum_received");
	ft_json_object(j);
	json_span(j, lo, hi, bytes);
	ft_json_kbool(j, "sender", false);
	ft_json_close(j);
	ft_json_key(j, "ft");
	ft_json_object(j);
	start = run_test_start(cl, &skew);
	gmtime_r(&start.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%06ldZ",
	    (long)(start.tv_nsec / 1000));
	ft_json_kstr(j, "test_start", when);
	ft_json_kuint(j, "connections", cl->o.clients);
	ft_json_kuint(j, "verified", verified(cl));
	ft_json_kbool(j, "interrupted", cl->interrupted != 0);
	ft_json_kstr(j, "log", log_path);
	ft_json_kstr(j, "samples", cl->samples->tsv_path[0] ?
	    cl->samples->tsv_path : NULL);
	ft_json_close(j);
	ft_json_close(j);
}

/* iperf3's habit: a top-level "error" when the test as a whole failed. */
static const char *
run_error(const struct client *cl, char *buf, size_t len)
{
	unsigned ok = verified(cl);

	if (cl->interrupted)
		snprintf(buf, len, "interrupted (signal %d)", cl->interrupted);
	else if (cl->go != 1)
		snprintf(buf, len, "the test did not start");
	else if (ok < cl->o.clients)
		snprintf(buf, len, "%u of %u transfers failed",
		    cl->o.clients - ok, cl->o.clients);
	else
		return NULL;
	return buf;
}

static void
finish_json(struct client *cl, const char *log_path)
{
	struct samples *s = cl->samples;
	char why[96];
	const char *error = run_error(cl, why, sizeof(why));

	if (s->json != NULL) {
		ft_json_close(&s->doc);		/* intervals */
		ft_json_break(&s->doc);
		ft_json_key(&s->doc, "end");
		json_end(&s->doc, cl, log_path);
		if (error != NULL)
			ft_json_kstr(&s->doc, "error", error);
		ft_json_close(&s->doc);
		if (ft_json_end(&s->doc) < 0 || (s->json != stdout &&
		    fclose(s->json) != 0)) {
			warn("--json %s", cl->o.json_path);
			s->failed = true;
		}
		s->json = NULL;
	}
	if (cl->o.json_stream) {
		if (error != NULL) {
			ft_json_object(&s->line);
			ft_json_kstr(&s->line, "event", "error");
			ft_json_kstr(&s->line, "data", error);
			line_end(cl);
		}
		line_event(cl, "end");
		json_end(&s->line, cl, log_path);
		line_end(cl);
	}
}

int
samples_finish(struct client *cl, const char *log_path)
{
	struct samples *s = cl->samples;
	int rc;

	if (cl->o.interval_ns > 0)
		close_all(cl);
	if (s->tsv != NULL)
		publish_tsv(cl, log_path);
	finish_json(cl, log_path);
	if (s->failed)
		warnx("the samples or the JSON output could not all be written");
	rc = s->failed ? -1 : 0;
	free(s->conns);
	free(s->batch);
	free(s->last);
	free(s);
	cl->samples = NULL;
	return rc;
}
