/* status.c: the status endpoint, --status ADDR:PORT.
 *
 * GET /metrics      Prometheus text exposition (version 0.0.4)
 * GET /status.json  the scoreboard: a row per worker, the tests in
 *                   progress and queued, totals, configuration
 * GET /             a page of the same that reloads itself
 * Anything else 404; methods other than GET and HEAD 405.
 *
 * Served by the master, which must never block: libmicrohttpd runs with
 * MHD_USE_EPOLL and no thread of its own; its epoll descriptor sits in
 * the master's poll set and MHD_run() is called when it is readable or
 * when MHD_get_timeout() says. Each answer copies the segment (slots,
 * tests and queue under its lock, as the stats dump does), then renders
 * the copy with the lock released; nothing here ever waits on a client.
 *
 * A slow or hostile client cannot hold it: at most STATUS_CONN_MAX
 * connections (STATUS_PER_IP from one address), STATUS_MEMORY bytes each
 * for the request, STATUS_IDLE_S of silence, and one deadline per request
 * (STATUS_REQUEST_MS) that a client trickling a byte a second cannot push
 * back: past it, the connection is shut down under libmicrohttpd's feet
 * and it closes it. No metric carries a client address (unbounded
 * series); the JSON and the page do. */
#include "status.h"
#include "sched.h"

#include "ft_event.h"
#include "ft_json.h"
#include "ft_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bsd/string.h>
#include <microhttpd.h>

#define SECOND_NS 1000000000LL

/* A connection libmicrohttpd holds, and the deadline of its request. */
struct tracked {
	struct MHD_Connection *conn;	/* NULL: free */
	int fd;
	int64_t deadline;
	bool cut;
};

static struct MHD_Daemon *daemon_;
static const struct ft_conf *status_conf;
static struct ft_shm *status_shm;
static uint16_t service_port;
static int64_t started_mono;
static int64_t started_wall_s;
static int listen_fd = -1, epoll_fd = -1;
static int64_t mhd_due;			/* MHD_run due by then; 0: no need */
static struct tracked tracked[STATUS_CONN_MAX];
static uint64_t http_requests, http_cut;
static struct status_snapshot snap;	/* one answer at a time */

/* ------------------------------------------------------------ escaping */

void
status_html_text(FILE *out, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	for (; *p != '\0'; p++)
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(out, "&#x%x;", *p);
			else
				fputc(*p, out);
		}
}

/* ------------------------------------------------------------ snapshot */

static const char *
test_state_name(uint32_t state)
{
	static const char *names[] = { "free", "gathering", "running",
	    "complete" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

static void
copy_test(struct status_test *c, const struct ft_shm_test *T, int64_t now)
{
	unsigned m;

	memset(c, 0, sizeof(*c));
	c->test_no = T->test_no;
	c->state = T->state;
	c->proto = T->proto;
	c->run = T->run;
	c->size = T->size;
	memcpy(c->run_ip, T->run_ip, sizeof(c->run_ip));
	memcpy(c->file, T->file, sizeof(c->file));
	c->run_ip[sizeof(c->run_ip) - 1] = c->file[sizeof(c->file) - 1] = '\0';
	c->expected = T->expected;
	c->joined = T->joined;
	c->aborted = T->aborted;
	strlcpy(c->abort_reason, T->abort_reason, sizeof(c->abort_reason));
	for (m = 0; m < T->joined && m < FT_MAX_WORKERS; m++) {
		c->ready += T->member_state[m] == FT_MEMBER_READY;
		c->running += T->member_state[m] == FT_MEMBER_RUNNING;
		c->finished += T->member_state[m] == FT_MEMBER_DONE ||
		    T->member_state[m] == FT_MEMBER_GONE;
	}
	if (T->start_mono != 0)
		c->running_s = (double)(now - T->start_mono) / 1e9;
}

/* Tickets still alive, in their order of arrival (their place). */
static void
copy_queue(struct status_snapshot *s, const struct ft_shm *shm, int64_t now)
{
	uint64_t seq[FT_QUEUE_MAX], tmp_seq;
	struct status_ticket tmp;
	unsigned q, i, j;

	s->nqueued = 0;
	for (q = 0; q < FT_QUEUE_MAX; q++) {
		const struct ft_ticket *k = &shm->queue[q];
		if (k->run == 0 || now - k->last_seen > SCHED_TICKET_TTL_NS)
			continue;
		s->queue[s->nqueued] = (struct status_ticket){ .run = k->run,
		    .seats = k->seats };
		memcpy(s->queue[s->nqueued].client_ip, k->client_ip,
		    FT_ADDR_MAX);
		s->queue[s->nqueued].client_ip[FT_ADDR_MAX - 1] = '\0';
		seq[s->nqueued++] = k->seq;
	}
	for (i = 1; i < s->nqueued; i++)	/* 32 at most: insertion */
		for (j = i; j > 0 && seq[j - 1] > seq[j]; j--) {
			tmp = s->queue[j], s->queue[j] = s->queue[j - 1];
			s->queue[j - 1] = tmp;
			tmp_seq = seq[j], seq[j] = seq[j - 1], seq[j - 1] = tmp_seq;
		}
	for (i = 0; i < s->nqueued; i++)
		s->queue[i].place = i + 1;
}

static void
copy_locked(struct status_snapshot *s, struct ft_shm *shm,
    const struct ft_conf *conf, int64_t now)
{
	unsigned k;
	int t;

	memcpy(s->slots, shm->slots, conf->workers * sizeof(s->slots[0]));
	for (k = 0; k < conf->workers; k++) {
		t = s->slots[k].test;
		s->slot_test_no[k] = t >= 0 && t < FT_MAX_TESTS &&
		    shm->tests[t].state != FT_TEST_FREE ? shm->tests[t].test_no :
		    0;
	}
	s->ntests = 0;
	for (t = 0; t < FT_MAX_TESTS; t++)
		if (shm->tests[t].state != FT_TEST_FREE)
			copy_test(&s->tests[s->ntests++], &shm->tests[t], now);
	copy_queue(s, shm, now);
	memcpy(s->selected, shm->config.selected, sizeof(s->selected));
	s->group_size = shm->config.group_size;
}

void
status_snapshot_take(struct status_snapshot *s, struct ft_shm *shm,
    const struct ft_conf *conf)
{
	int64_t now = ft_mono_ns();
	unsigned queued, k;

	s->conf = conf;
	s->port = service_port;
	s->uptime_s = (double)(now - started_mono) / 1e9;
	s->start_time_s = started_wall_s;
	sched_counts(shm, conf, &s->seats_used, &queued);
	ft_shm_lock(&shm->lock);
	copy_locked(s, shm, conf, now);
	ft_shm_unlock(&shm->lock);
	for (k = 0; k < conf->workers; k++) {
		s->slots[k].client_ip[FT_ADDR_MAX - 1] = '\0';
		s->slots[k].file[FT_NAME_MAX] = '\0';
	}
	s->selected[FT_NAME_MAX] = '\0';
	memcpy(&s->totals, &shm->totals, sizeof(s->totals));
	ft_event_dropped(&s->lines_over_rate, &s->lines_blocked);
	s->http_requests = http_requests;
	s->http_cut = http_cut;
}

/* ------------------------------------------------------------ metrics */

static void
head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP ftserver_%s %s\n# TYPE ftserver_%s %s\n", name,
	    help, name, type);
}

static void
one(FILE *out, const char *name, const char *type, const char *help,
    unsigned long long value)
{
	head(out, name, type, help);
	fprintf(out, "ftserver_%s %llu\n", name, value);
}

static void
metrics_workers(FILE *out, const struct status_snapshot *s)
{
	unsigned n[FT_SLOT_STATES] = { 0 }, k;

	for (k = 0; k < s->conf->workers; k++)
		if (s->slots[k].state < FT_SLOT_STATES)
			n[s->slots[k].state]++;
	head(out, "workers", "gauge", "Worker processes by state.");
	for (k = 0; k < FT_SLOT_STATES; k++)
		fprintf(out, "ftserver_workers{state=\"%s\"} %u\n",
		    ft_slot_state_name(k), n[k]);
	one(out, "workers_configured", "gauge", "Worker processes (-p).",
	    s->conf->workers);
	one(out, "seats_promised", "gauge", "Workers promised to tests.",
	    s->seats_used);
	one(out, "tests_in_progress", "gauge",
	    "Tests gathering, running or being logged.", s->ntests);
	one(out, "tests_queued", "gauge", "Client runs queued for seats.",
	    s->nqueued);
}

static void
metrics_refused(FILE *out, const struct ft_totals *t)
{
	unsigned i;

	head(out, "refused_total", "counter",
	    "Connections turned away with an ERR line, by code.");
	for (i = 0; i < FT_REFUSAL_CODES; i++)
		if (ft_refusal_code[i] != 0)
			fprintf(out, "ftserver_refused_total{code=\"%d\"} %llu\n",
			    ft_refusal_code[i],
			    (unsigned long long)t->refused_by_code[i]);
		else
			fprintf(out, "ftserver_refused_total{code=\"other\"} "
			    "%llu\n", (unsigned long long)t->refused_by_code[i]);
}

static void
metrics_totals(FILE *out, const struct ft_totals *t)
{
	one(out, "tests_total", "counter", "Tests that started, once logged.",
	    t->tests);
	one(out, "tests_unstarted_total", "counter",
	    "Tests freed without having started.", t->tests_unstarted);
	one(out, "connections_total", "counter",
	    "Connections accepted (workers and the lobby).", t->connections);
	head(out, "transfers_total", "counter",
	    "Transfers of seated connections, by result.");
	fprintf(out, "ftserver_transfers_total{result=\"ok\"} %llu\n"
	    "ftserver_transfers_total{result=\"failed\"} %llu\n",
	    (unsigned long long)t->transfers_ok,
	    (unsigned long long)t->transfers_failed);
	one(out, "bytes_sent_total", "counter",
	    "File bytes sent, counted as each transfer ends.", t->bytes_sent);
	metrics_refused(out, t);
	one(out, "queued_answers_total", "counter", "Requests answered QUEUED.",
	    t->queued);
	one(out, "worker_restarts_total", "counter",
	    "Workers respawned after a death.", t->worker_restarts);
	one(out, "udp_datagrams_sent_total", "counter",
	    "UDP DATA datagrams sent, repairs included.", t->dgrams_sent);
	one(out, "udp_datagrams_resent_total", "counter",
	    "UDP DATA datagrams sent again (repairs).", t->dgrams_resent);
	one(out, "udp_datagrams_lost_total", "counter",
	    "UDP transmissions the clients reported lost.", t->dgrams_lost);
	one(out, "logs_unwritten_total", "counter",
	    "Tests not logged (over --logs-quota, or a failed write).",
	    t->logs_unwritten);
}

int
status_render_metrics(FILE *out, const struct status_snapshot *s)
{
	const struct ft_conf *c = s->conf;

	head(out, "info", "gauge", "This server's version and mode (always 1).");
	fprintf(out, "ftserver_info{version=\"%s\",proto=\"%s\",mode=\"%s\"} "
	    "1\n", FT_VERSION, ft_proto_name(c->proto), c->proto == FT_UDP ?
	    (c->reliable ? "reliable" : "raw") : "-");
	head(out, "start_time_seconds", "gauge",
	    "When the server started, Unix time.");
	fprintf(out, "ftserver_start_time_seconds %lld\n",
	    (long long)s->start_time_s);
	head(out, "uptime_seconds", "gauge", "Seconds since the start.");
	fprintf(out, "ftserver_uptime_seconds %.3f\n", s->uptime_s);
	metrics_workers(out, s);
	metrics_totals(out, &s->totals);
	head(out, "event_lines_dropped_total", "counter",
	    "Event-log and stdout lines dropped, by why.");
	fprintf(out, "ftserver_event_lines_dropped_total{why=\"rate\"} %llu\n"
	    "ftserver_event_lines_dropped_total{why=\"blocked\"} %llu\n",
	    (unsigned long long)s->lines_over_rate,
	    (unsigned long long)s->lines_blocked);
	one(out, "status_requests_total", "counter",
	    "Requests this status endpoint answered.", s->http_requests);
	one(out, "status_connections_cut_total", "counter",
	    "Status connections cut at their request's deadline.", s->http_cut);
	return ferror(out) ? -1 : 0;
}

/* ------------------------------------------------------------ JSON */

static bool
has_client(const struct ft_slot *w)
{
	return w->state >= FT_SLOT_HANDSHAKE && w->state <= FT_SLOT_CONFIRMING;
}

static void
json_worker(struct ft_json *j, const struct status_snapshot *s, unsigned k)
{
	const struct ft_slot *w = &s->slots[k];

	ft_json_break(j);
	ft_json_object(j);
	ft_json_kuint(j, "slot", k + 1);
	ft_json_kint(j, "pid", (int)w->pid);
	ft_json_kstr(j, "state", ft_slot_state_name(w->state));
	ft_json_kfield(j, "client_ip", has_client(w) ? w->client_ip : NULL);
	ft_json_kuint(j, "client_port", has_client(w) ? w->client_port : 0);
	ft_json_kuint(j, "server_port", has_client(w) ? w->server_port : 0);
	ft_json_kfield(j, "file", w->file);
	ft_json_kuint(j, "test", s->slot_test_no[k]);
	ft_json_kuint(j, "member", s->slot_test_no[k] ? w->member : 0);
	ft_json_kuint(j, "bytes", w->bytes);
	ft_json_kuint(j, "size", w->size);
	ft_json_kdouble(j, "last_seconds", (double)w->last_ns / 1e9, 6);
	ft_json_kuint(j, "transfers", w->transfers);
	ft_json_kuint(j, "failures", w->failures);
	ft_json_close(j);
}

static void
json_test(struct ft_json *j, const struct status_test *t)
{
	char run[24] = "";

	if (t->run != 0)
		snprintf(run, sizeof(run), "%016llx", (unsigned long long)t->run);
	ft_json_break(j);
	ft_json_object(j);
	ft_json_kuint(j, "test", t->test_no);
	ft_json_kstr(j, "state", test_state_name(t->state));
	ft_json_kstr(j, "proto", ft_proto_name(t->proto));
	ft_json_kfield(j, "file", t->file);
	ft_json_kuint(j, "size", t->size);
	ft_json_kfield(j, "run", run);
	ft_json_kfield(j, "client_ip", t->run != 0 ? t->run_ip : NULL);
	ft_json_kuint(j, "expected", t->expected);
	ft_json_kuint(j, "joined", t->joined);
	ft_json_kuint(j, "ready", t->ready);
	ft_json_kuint(j, "running", t->running);
	ft_json_kuint(j, "finished", t->finished);
	ft_json_kdouble(j, "running_seconds", t->running_s, 3);
	ft_json_kbool(j, "aborted", t->aborted);
	ft_json_kfield(j, "abort_reason", t->aborted ? t->abort_reason : NULL);
	ft_json_close(j);
}

static void
json_queue(struct ft_json *j, const struct status_snapshot *s)
{
	char run[24];
	unsigned i;

	ft_json_key(j, "queue");
	ft_json_array(j);
	for (i = 0; i < s->nqueued; i++) {
		snprintf(run, sizeof(run), "%016llx",
		    (unsigned long long)s->queue[i].run);
		ft_json_break(j);
		ft_json_object(j);
		ft_json_kuint(j, "place", s->queue[i].place);
		ft_json_kstr(j, "run", run);
		ft_json_kuint(j, "seats", s->queue[i].seats);
		ft_json_kfield(j, "client_ip", s->queue[i].client_ip);
		ft_json_close(j);
	}
	ft_json_close(j);
}

static void
json_config(struct ft_json *j, const struct status_snapshot *s)
{
	const struct ft_conf *c = s->conf;

	ft_json_key(j, "config");
	ft_json_object(j);
	ft_json_kstr(j, "proto", ft_proto_name(c->proto));
	ft_json_kstr(j, "mode", c->proto == FT_UDP ? (c->reliable ? "reliable" :
	    "raw") : "-");
	ft_json_kuint(j, "workers", c->workers);
	ft_json_kuint(j, "port", s->port);
	ft_json_kfield(j, "bind", c->bind_addr);
	ft_json_kfield(j, "files", c->files_dir);
	ft_json_kfield(j, "logs", c->logs_dir);
	ft_json_kfield(j, "selected", s->selected);
	ft_json_kuint(j, "group_size", s->group_size);
	ft_json_kuint(j, "datagram", c->datagram);
	ft_json_kint(j, "timeout", c->ready_timeout_s);
	ft_json_kint(j, "idle_timeout", c->idle_timeout_s);
	ft_json_kint(j, "io_timeout", c->io_timeout_s);
	ft_json_kint(j, "transfer_timeout", c->transfer_timeout_s);
	ft_json_kuint(j, "per_address", c->per_address);
	ft_json_kint(j, "grace", c->grace_s);
	ft_json_kuint(j, "logs_quota_mb", c->logs_quota >> 20);
	ft_json_close(j);
}

static void
json_refusals(struct ft_json *j, const struct ft_totals *t)
{
	char code[16];
	unsigned i;

	ft_json_key(j, "refused_by_code");
	ft_json_object(j);
	for (i = 0; i < FT_REFUSAL_CODES; i++) {
		if (ft_refusal_code[i] != 0)
			snprintf(code, sizeof(code), "%d", ft_refusal_code[i]);
		else
			snprintf(code, sizeof(code), "other");
		ft_json_kuint(j, code, t->refused_by_code[i]);
	}
	ft_json_close(j);
}

static void
json_totals(struct ft_json *j, const struct status_snapshot *s)
{
	const struct ft_totals *t = &s->totals;

	ft_json_key(j, "totals");
	ft_json_object(j);
	ft_json_kuint(j, "tests", t->tests);
	ft_json_kuint(j, "tests_unstarted", t->tests_unstarted);
	ft_json_kuint(j, "connections", t->connections);
	ft_json_kuint(j, "transfers_ok", t->transfers_ok);
	ft_json_kuint(j, "transfers_failed", t->transfers_failed);
	ft_json_kuint(j, "bytes_sent", t->bytes_sent);
	ft_json_kuint(j, "queued_answers", t->queued);
	ft_json_kuint(j, "refused", t->refused);
	json_refusals(j, t);
	ft_json_kuint(j, "worker_restarts", t->worker_restarts);
	ft_json_kuint(j, "udp_datagrams_sent", t->dgrams_sent);
	ft_json_kuint(j, "udp_datagrams_resent", t->dgrams_resent);
	ft_json_kuint(j, "udp_datagrams_lost", t->dgrams_lost);
	ft_json_kuint(j, "logs_unwritten", t->logs_unwritten);
	ft_json_kuint(j, "seats_promised", s->seats_used);
	ft_json_close(j);
}

/* Through the shared writer (common/ft_json.c), a line per row. */
int
status_render_json(FILE *out, const struct status_snapshot *s)
{
	struct ft_json j;
	unsigned k;

	ft_json_init(&j, out);
	ft_json_object(&j);
	ft_json_kstr(&j, "version", FT_VERSION);
	ft_json_kint(&j, "start_time", (long long)s->start_time_s);
	ft_json_kdouble(&j, "uptime_seconds", s->uptime_s, 3);
	ft_json_break(&j);
	json_config(&j, s);
	ft_json_break(&j);
	ft_json_key(&j, "workers");
	ft_json_array(&j);
	for (k = 0; k < s->conf->workers; k++)
		json_worker(&j, s, k);
	ft_json_close(&j);
	ft_json_break(&j);
	ft_json_key(&j, "tests");
	ft_json_array(&j);
	for (k = 0; k < s->ntests; k++)
		json_test(&j, &s->tests[k]);
	ft_json_close(&j);
	ft_json_break(&j);
	json_queue(&j, s);
	ft_json_break(&j);
	json_totals(&j, s);
	ft_json_break(&j);
	ft_json_close(&j);
	return ft_json_end(&j);
}

/* ------------------------------------------------------------ page */

static void
td(FILE *out, const char *text)
{
	fputs("<td>", out);
	status_html_text(out, text != NULL && text[0] != '\0' ? text : "-");
	fputs("</td>", out);
}

static void
html_workers(FILE *out, const struct status_snapshot *s)
{
	char who[FT_ADDR_MAX + 16];
	unsigned k;

	fputs("<h2>Workers</h2><div class=s><table><tr><th>slot<th>pid"
	    "<th>state<th>client<th>file<th>bytes<th>size<th>last s"
	    "<th>transfers</tr>\n", out);
	for (k = 0; k < s->conf->workers; k++) {
		const struct ft_slot *w = &s->slots[k];
		who[0] = '\0';
		if (has_client(w))
			snprintf(who, sizeof(who), strchr(w->client_ip, ':') ?
			    "[%s]:%u" : "%s:%u", w->client_ip, w->client_port);
		fprintf(out, "<tr class=%s><td>%u<td>%d", ft_slot_state_name(
		    w->state), k + 1, (int)w->pid);
		td(out, ft_slot_state_name(w->state));
		td(out, who);
		td(out, w->file);
		fprintf(out, "<td>%llu<td>%llu<td>%.3f<td>%llu</tr>\n",
		    (unsigned long long)w->bytes, (unsigned long long)w->size,
		    (double)w->last_ns / 1e9, (unsigned long long)w->transfers);
	}
	fputs("</table></div>\n", out);
}

static void
html_tests(FILE *out, const struct status_snapshot *s)
{
	unsigned k;

	fprintf(out, "<h2>Tests in progress: %u</h2>", s->ntests);
	if (s->ntests > 0)
		fputs("<div class=s><table><tr><th>test<th>state<th>file"
		    "<th>joined<th>ready<th>running<th>finished<th>client"
		    "<th>running s</tr>\n", out);
	for (k = 0; k < s->ntests; k++) {
		const struct status_test *t = &s->tests[k];
		fprintf(out, "<tr><td>%u", t->test_no);
		td(out, t->aborted ? "aborted" : test_state_name(t->state));
		td(out, t->file);
		fprintf(out, "<td>%u of %u<td>%u<td>%u<td>%u", t->joined,
		    t->expected, t->ready, t->running, t->finished);
		td(out, t->run != 0 ? t->run_ip : NULL);
		fprintf(out, "<td>%.1f</tr>\n", t->running_s);
	}
	if (s->ntests > 0)
		fputs("</table></div>\n", out);
	fprintf(out, "<h2>Runs queued: %u</h2>", s->nqueued);
	for (k = 0; k < s->nqueued; k++) {
		fprintf(out, "<p>%u. run %016llx, %u seats, from ",
		    s->queue[k].place, (unsigned long long)s->queue[k].run,
		    s->queue[k].seats);
		status_html_text(out, s->queue[k].client_ip);
		fputs("</p>\n", out);
	}
}

static void
html_totals(FILE *out, const struct status_snapshot *s)
{
	const struct ft_totals *t = &s->totals;

	fprintf(out, "<h2>Totals</h2><p>%llu tests (%llu never started), "
	    "%llu connections, %llu transfers ok, %llu failed, %llu bytes "
	    "sent; %llu refused, %llu answered queued; %llu worker restarts; "
	    "UDP datagrams: %llu sent, %llu re-sent, %llu lost; %u of %u "
	    "workers promised to tests.</p>\n", (unsigned long long)t->tests,
	    (unsigned long long)t->tests_unstarted,
	    (unsigned long long)t->connections,
	    (unsigned long long)t->transfers_ok,
	    (unsigned long long)t->transfers_failed,
	    (unsigned long long)t->bytes_sent, (unsigned long long)t->refused,
	    (unsigned long long)t->queued,
	    (unsigned long long)t->worker_restarts,
	    (unsigned long long)t->dgrams_sent,
	    (unsigned long long)t->dgrams_resent,
	    (unsigned long long)t->dgrams_lost, s->seats_used,
	    s->conf->workers);
}

static const char page_style[] =
    "body{font-family:sans-serif;margin:0.5em;font-size:16px}"
    "table{border-collapse:collapse;font-size:14px}"
    "th,td{border:1px solid #ccc;padding:2px 6px;text-align:right;"
    "white-space:nowrap}"
    "th{background:#eee}.s{overflow-x:auto}h1{font-size:1.3em}"
    "h2{font-size:1.1em;margin-bottom:0.3em}"
    "tr.sending td,tr.confirming td{background:#dfd}"
    "tr.gathering td,tr.handshake td,tr.admitting td{background:#ffd}"
    "tr.empty td{background:#fdd}";

int
status_render_html(FILE *out, const struct status_snapshot *s)
{
	const struct ft_conf *c = s->conf;

	fprintf(out, "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
	    "<meta http-equiv=refresh content=%d>"
	    "<meta name=viewport content=\"width=device-width, "
	    "initial-scale=1\"><title>ftserver status</title><style>%s"
	    "</style></head><body>\n<h1>ftserver %s</h1>\n<p>%s%s%s, port %u, "
	    "%u workers, up %.0f s, sending ", STATUS_REFRESH_S, page_style,
	    FT_VERSION, ft_proto_name(c->proto), c->proto == FT_UDP ? " " : "",
	    c->proto == FT_UDP ? (c->reliable ? "reliable" : "raw") : "",
	    s->port, c->workers, s->uptime_s);
	status_html_text(out, s->selected[0] ? s->selected : "nothing yet");
	fputs("</p>\n", out);
	html_totals(out, s);
	html_tests(out, s);
	html_workers(out, s);
	fprintf(out, "<p>Reloads every %d s. <a href=\"/metrics\">metrics</a> "
	    "<a href=\"/status.json\">status.json</a></p>\n</body></html>\n",
	    STATUS_REFRESH_S);
	return ferror(out) ? -1 : 0;
}

/* ------------------------------------------------------------ address */

int
status_parse_addr(const char *spec, char *host, size_t hostlen,
    unsigned *port, const char **why)
{
	const char *colon = strrchr(spec, ':'), *end;
	bool v6 = spec[0] == '[';
	unsigned char buf[sizeof(struct in6_addr)];
	size_t n;
	char *stop;
	unsigned long p;

	if (colon == NULL || colon[1] == '\0' || (v6 && strchr(spec, ']') >
	    colon))
		return *why = "needs ADDR:PORT, e.g. 127.0.0.1:9105", -1;
	errno = 0;
	p = strtoul(colon + 1, &stop, 10);
	if (*stop != '\0' || errno != 0 || p > 65535 || colon[1] < '0' ||
	    colon[1] > '9')
		return *why = "the port must be a number, 0..65535", -1;
	end = colon;
	if (v6) {			/* [v6]:port */
		if (colon == spec || colon[-1] != ']')
			return *why = "an IPv6 address goes in brackets: [::1]:9105", -1;
		spec++, end--;
	}
	n = (size_t)(end - spec);
	if (n == 0 || n >= hostlen)
		return *why = "needs a numeric address before the port", -1;
	memcpy(host, spec, n);
	host[n] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, buf) != 1)
		return *why = "not a numeric address (IPv4, or IPv6 in brackets)", -1;
	*port = (unsigned)p;
	return 0;
}

/* ------------------------------------------------------------ HTTP */

static struct tracked *
tracked_of(struct MHD_Connection *conn)
{
	unsigned i;

	for (i = 0; i < STATUS_CONN_MAX; i++)
		if (tracked[i].conn == conn)
			return &tracked[i];
	return NULL;
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *info;
	struct tracked *t;

	(void)cls;
	(void)socket_ctx;
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if ((t = tracked_of(conn)) != NULL)
			t->conn = NULL;
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL)
		return;
	if ((t = tracked_of(NULL)) == NULL) {
		/* More than the limit it was given: cannot be, but then
		 * this one gets no time at all rather than no deadline. */
		shutdown(info->connect_fd, SHUT_RDWR);
		return;
	}
	*t = (struct tracked){ .conn = conn, .fd = info->connect_fd,
	    .deadline = ft_mono_ns() + STATUS_REQUEST_MS * 1000000LL };
}

/* An answer sent: the next request on this connection has its own time. */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct tracked *t = tracked_of(conn);

	(void)cls;
	(void)req_ctx;
	(void)toe;
	if (t != NULL && !t->cut)
		t->deadline = ft_mono_ns() + STATUS_REQUEST_MS * 1000000LL;
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned code, const char *type,
    char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
	    mode);
	enum MHD_Result rc;

	if (r == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) !=
	    MHD_YES || MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store") != MHD_YES || MHD_add_response_header(r,
	    "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'") != MHD_YES ||
	    (code == MHD_HTTP_METHOD_NOT_ALLOWED && MHD_add_response_header(r,
	    MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	rc = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned code, const char *text)
{
	return reply(conn, code, "text/plain; charset=utf-8", (char *)text,
	    strlen(text), MHD_RESPMEM_PERSISTENT);
}

struct page {
	const char *url, *type;
	int (*render)(FILE *, const struct status_snapshot *);
};

static const struct page pages[] = {
	{ "/", "text/html; charset=utf-8", status_render_html },
	{ "/metrics", "text/plain; version=0.0.4; charset=utf-8",
	    status_render_metrics },
	{ "/status.json", "application/json", status_render_json },
};

static enum MHD_Result
serve_page(struct MHD_Connection *conn, const struct page *p)
{
	char *body = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&body, &len);
	int rc;

	if (out == NULL)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	status_snapshot_take(&snap, status_shm, status_conf);
	rc = p->render(out, &snap);
	if (fclose(out) != 0 || rc < 0) {
		free(body);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	}
	return reply(conn, MHD_HTTP_OK, p->type, body, len,
	    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_ctx)
{
	size_t i;

	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req_ctx;
	http_requests++;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "only GET and HEAD\n");
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (strcmp(url, pages[i].url) == 0)
			return serve_page(conn, &pages[i]);
	return reply_text(conn, MHD_HTTP_NOT_FOUND,
	    "not found: try /, /metrics or /status.json\n");
}

/* The listening socket, opened here so that its errors are ours to
 * word, before any worker exists. */
static int
open_socket(const char *host, unsigned port, uint16_t *bound, char *why,
    size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	struct sockaddr_storage a;
	socklen_t alen = sizeof(a);
	char service[8];
	int fd, one = 1, rc;

	snprintf(service, sizeof(service), "%u", port);
	if ((rc = getaddrinfo(host, service, &hints, &ai)) != 0) {
		snprintf(why, whylen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, STATUS_CONN_MAX) < 0 || getsockname(fd,
	    (struct sockaddr *)&a, &alen) < 0) {
		snprintf(why, whylen, "cannot listen on %s port %u: %s", host,
		    port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	} else
		*bound = a.ss_family == AF_INET6 ?
		    ntohs(((struct sockaddr_in6 *)&a)->sin6_port) :
		    ntohs(((struct sockaddr_in *)&a)->sin_port);
	freeaddrinfo(ai);
	return fd;
}

static struct MHD_Daemon *
start_daemon(int fd)
{
	/* MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD: no thread,
	 * the master's loop drives it. No MHD_USE_ERROR_LOG: what a hostile
	 * client causes must not reach the event log. */
	return MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)STATUS_CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)STATUS_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)STATUS_IDLE_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)STATUS_MEMORY,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1,
	    MHD_OPTION_END);
}

int
status_start(const struct ft_conf *conf, const struct ft_sockets *socks,
    struct ft_shm *shm, uint16_t *bound, char *why, size_t whylen)
{
	const union MHD_DaemonInfo *info;
	char host[INET6_ADDRSTRLEN + 1];
	const char *bad;
	unsigned port;
	int fd;

	if (status_parse_addr(conf->status, host, sizeof(host), &port,
	    &bad) < 0) {
		strlcpy(why, bad, whylen);
		return 2;
	}
	if ((fd = open_socket(host, port, bound, why, whylen)) < 0)
		return FT_EXIT_FATAL;
	if ((daemon_ = start_daemon(fd)) == NULL ||
	    (info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_EPOLL_FD)) ==
	    NULL) {
		snprintf(why, whylen, "libmicrohttpd would not start (epoll)");
		if (daemon_ != NULL)
			MHD_stop_daemon(daemon_);
		else
			close(fd);
		daemon_ = NULL;
		return FT_EXIT_FATAL;
	}
	epoll_fd = info->epoll_fd;
	listen_fd = fd;
	status_conf = conf;
	status_shm = shm;
	service_port = socks->bound_port;
	started_mono = ft_mono_ns();
	started_wall_s = (int64_t)time(NULL);
	return 0;
}

void
status_stop(void)
{
	if (daemon_ != NULL)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
	listen_fd = epoll_fd = -1;
}

int
status_poll_fd(void)
{
	return daemon_ != NULL ? epoll_fd : -1;
}

static int64_t
next_deadline(void)
{
	int64_t next = 0;
	unsigned i;

	for (i = 0; i < STATUS_CONN_MAX; i++)
		if (tracked[i].conn != NULL && !tracked[i].cut &&
		    (next == 0 || tracked[i].deadline < next))
			next = tracked[i].deadline;
	return next;
}

int
status_timeout_ms(void)
{
	MHD_UNSIGNED_LONG_LONG ms;
	int64_t now = ft_mono_ns(), next;

	if (daemon_ == NULL)
		return -1;
	mhd_due = MHD_get_timeout(daemon_, &ms) == MHD_YES ? now +
	    (int64_t)(ms > 3600000 ? 3600000 : ms) * 1000000 : 0;
	next = next_deadline();
	if (mhd_due != 0 && (next == 0 || mhd_due < next))
		next = mhd_due;
	if (next == 0)
		return -1;
	return next <= now ? 0 : (int)((next - now) / 1000000) + 1;
}

/* Past its deadline, a connection is shut down: libmicrohttpd sees the
 * end of it on its next run and closes it. */
static bool
cut_overdue(int64_t now)
{
	bool any = false;
	unsigned i;

	for (i = 0; i < STATUS_CONN_MAX; i++)
		if (tracked[i].conn != NULL && !tracked[i].cut &&
		    now >= tracked[i].deadline) {
			shutdown(tracked[i].fd, SHUT_RDWR);
			tracked[i].cut = any = true;
			http_cut++;
		}
	return any;
}

void
status_handle(bool readable)
{
	int64_t now = ft_mono_ns();
	bool cut;

	if (daemon_ == NULL)
		return;
	cut = cut_overdue(now);
	if (readable || cut || (mhd_due != 0 && now >= mhd_due))
		if (MHD_run(daemon_) != MHD_YES)
			log_warn("MHD_run failed");
}

void
status_forget(void)
{
	unsigned i;

	if (daemon_ == NULL)
		return;
	for (i = 0; i < STATUS_CONN_MAX; i++)
		if (tracked[i].conn != NULL)
			close(tracked[i].fd);
	close(listen_fd);
	close(epoll_fd);
	listen_fd = epoll_fd = -1;
	/* daemon_ stays: its memory is the master's, reachable, not a leak
	 * of this process; a worker never calls into it. */
}
