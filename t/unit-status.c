/* unit-status.c: the status endpoint's renderers (server/status.c) on a
 * fixed snapshot: the exact Prometheus text, the JSON's rows, and text
 * from outside (a hostile file name, a reason with controls) escaped in
 * JSON and in HTML; and the --status ADDR:PORT parser. */
#include "status.h"
#include "ft_json.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define HOSTILE "<script>\"a&b'\\.bin"

static struct status_snapshot snap;
static struct ft_conf conf = {
	.workers = 2, .port = 5005, .bind_addr = "127.0.0.1",
	.files_dir = "files", .logs_dir = "Logs", .proto = FT_TCP,
	.reliable = true, .ready_timeout_s = 60, .idle_timeout_s = 10,
	.io_timeout_s = 30, .transfer_timeout_s = 600, .grace_s = 30,
	.per_address = 1, .logs_quota = 1024ull << 20,
};

/* Two workers: one sending a hostile name to 10.0.0.7, one idle; one
 * test running, one run queued; every counter a different number. */
static void
fixture(void)
{
	struct ft_totals *t = &snap.totals;
	struct ft_slot *w = &snap.slots[0];
	unsigned i;

	snap.conf = &conf;
	snap.port = 5005;
	snap.uptime_s = 12.5;
	snap.start_time_s = 1796000000;
	strcpy(snap.selected, HOSTILE);
	*w = (struct ft_slot){ .pid = 101, .state = FT_SLOT_SENDING,
	    .member = 2, .client_port = 51234, .server_port = 5005,
	    .bytes = 1000, .size = 3000, .last_ns = 250000000, .transfers = 7,
	    .failures = 1 };
	strcpy(w->client_ip, "10.0.0.7");
	strcpy(w->file, HOSTILE);
	snap.slot_test_no[0] = 9;
	snap.slots[1] = (struct ft_slot){ .pid = 102, .state = FT_SLOT_IDLE };
	snap.ntests = 1;
	snap.tests[0] = (struct status_test){ .test_no = 9,
	    .state = FT_TEST_RUNNING, .proto = FT_TCP, .run = 0x5c0e9d2f1a7b4e86,
	    .size = 3000, .expected = 2, .joined = 2, .running = 1,
	    .finished = 1, .running_s = 1.25 };
	strcpy(snap.tests[0].run_ip, "10.0.0.7");
	strcpy(snap.tests[0].file, HOSTILE);
	snap.nqueued = 1;
	snap.queue[0] = (struct status_ticket){ .run = 0xabc, .place = 1,
	    .seats = 3 };
	strcpy(snap.queue[0].client_ip, "10.0.0.8");
	snap.seats_used = 2;
	*t = (struct ft_totals){ .tests = 4, .tests_unstarted = 1,
	    .transfers_ok = 10, .transfers_failed = 2, .bytes_sent = 31457280,
	    .connections = 15, .queued = 3, .refused = 5, .logs_unwritten = 6,
	    .worker_restarts = 8, .dgrams_sent = 900, .dgrams_resent = 20,
	    .dgrams_lost = 11 };
	for (i = 0; i < FT_REFUSAL_CODES; i++)
		t->refused_by_code[i] = i;	/* 400: 0, 403: 1, ... */
	snap.lines_over_rate = 12;
	snap.lines_blocked = 13;
	snap.http_requests = 14;
	snap.http_cut = 15;
}

/* What a renderer writes, as a string the caller frees. */
static char *
render(int (*fn)(FILE *, const struct status_snapshot *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL)
		bail("open_memstream");
	if (fn(out, &snap) != 0)
		bail("a renderer failed");
	if (fclose(out) != 0)
		bail("fclose");
	return text;
}

static const char want_metrics[] =
"# HELP ftserver_info This server's version and mode (always 1).\n"
"# TYPE ftserver_info gauge\n"
"ftserver_info{version=\"" FT_VERSION "\",proto=\"tcp\",mode=\"-\"} 1\n"
"# HELP ftserver_start_time_seconds When the server started, Unix time.\n"
"# TYPE ftserver_start_time_seconds gauge\n"
"ftserver_start_time_seconds 1796000000\n"
"# HELP ftserver_uptime_seconds Seconds since the start.\n"
"# TYPE ftserver_uptime_seconds gauge\n"
"ftserver_uptime_seconds 12.500\n"
"# HELP ftserver_workers Worker processes by state.\n"
"# TYPE ftserver_workers gauge\n"
"ftserver_workers{state=\"empty\"} 0\n"
"ftserver_workers{state=\"idle\"} 1\n"
"ftserver_workers{state=\"handshake\"} 0\n"
"ftserver_workers{state=\"admitting\"} 0\n"
"ftserver_workers{state=\"gathering\"} 0\n"
"ftserver_workers{state=\"sending\"} 1\n"
"ftserver_workers{state=\"confirming\"} 0\n"
"ftserver_workers{state=\"closing\"} 0\n"
"ftserver_workers{state=\"exiting\"} 0\n"
"# HELP ftserver_workers_configured Worker processes (-p).\n"
"# TYPE ftserver_workers_configured gauge\n"
"ftserver_workers_configured 2\n"
"# HELP ftserver_seats_promised Workers promised to tests.\n"
"# TYPE ftserver_seats_promised gauge\n"
"ftserver_seats_promised 2\n"
"# HELP ftserver_tests_in_progress Tests gathering, running or being logged.\n"
"# TYPE ftserver_tests_in_progress gauge\n"
"ftserver_tests_in_progress 1\n"
"# HELP ftserver_tests_queued Client runs queued for seats.\n"
"# TYPE ftserver_tests_queued gauge\n"
"ftserver_tests_queued 1\n"
"# HELP ftserver_tests_total Tests that started, once logged.\n"
"# TYPE ftserver_tests_total counter\n"
"ftserver_tests_total 4\n"
"# HELP ftserver_tests_unstarted_total Tests freed without having started.\n"
"# TYPE ftserver_tests_unstarted_total counter\n"
"ftserver_tests_unstarted_total 1\n"
"# HELP ftserver_connections_total Connections accepted (workers and the lobby).\n"
"# TYPE ftserver_connections_total counter\n"
"ftserver_connections_total 15\n"
"# HELP ftserver_transfers_total Transfers of seated connections, by result.\n"
"# TYPE ftserver_transfers_total counter\n"
"ftserver_transfers_total{result=\"ok\"} 10\n"
"ftserver_transfers_total{result=\"failed\"} 2\n"
"# HELP ftserver_bytes_sent_total File bytes sent, counted as each transfer ends.\n"
"# TYPE ftserver_bytes_sent_total counter\n"
"ftserver_bytes_sent_total 31457280\n"
"# HELP ftserver_refused_total Connections turned away with an ERR line, by code.\n"
"# TYPE ftserver_refused_total counter\n"
"ftserver_refused_total{code=\"400\"} 0\n"
"ftserver_refused_total{code=\"403\"} 1\n"
"ftserver_refused_total{code=\"404\"} 2\n"
"ftserver_refused_total{code=\"408\"} 3\n"
"ftserver_refused_total{code=\"409\"} 4\n"
"ftserver_refused_total{code=\"413\"} 5\n"
"ftserver_refused_total{code=\"414\"} 6\n"
"ftserver_refused_total{code=\"500\"} 7\n"
"ftserver_refused_total{code=\"503\"} 8\n"
"ftserver_refused_total{code=\"other\"} 9\n"
"# HELP ftserver_queued_answers_total Requests answered QUEUED.\n"
"# TYPE ftserver_queued_answers_total counter\n"
"ftserver_queued_answers_total 3\n"
"# HELP ftserver_worker_restarts_total Workers respawned after a death.\n"
"# TYPE ftserver_worker_restarts_total counter\n"
"ftserver_worker_restarts_total 8\n"
"# HELP ftserver_udp_datagrams_sent_total UDP DATA datagrams sent, repairs included.\n"
"# TYPE ftserver_udp_datagrams_sent_total counter\n"
"ftserver_udp_datagrams_sent_total 900\n"
"# HELP ftserver_udp_datagrams_resent_total UDP DATA datagrams sent again (repairs).\n"
"# TYPE ftserver_udp_datagrams_resent_total counter\n"
"ftserver_udp_datagrams_resent_total 20\n"
"# HELP ftserver_udp_datagrams_lost_total UDP transmissions the clients reported lost.\n"
"# TYPE ftserver_udp_datagrams_lost_total counter\n"
"ftserver_udp_datagrams_lost_total 11\n"
"# HELP ftserver_logs_unwritten_total Tests not logged (over --logs-quota, or a failed write).\n"
"# TYPE ftserver_logs_unwritten_total counter\n"
"ftserver_logs_unwritten_total 6\n"
"# HELP ftserver_event_lines_dropped_total Event-log and stdout lines dropped, by why.\n"
"# TYPE ftserver_event_lines_dropped_total counter\n"
"ftserver_event_lines_dropped_total{why=\"rate\"} 12\n"
"ftserver_event_lines_dropped_total{why=\"blocked\"} 13\n"
"# HELP ftserver_status_requests_total Requests this status endpoint answered.\n"
"# TYPE ftserver_status_requests_total counter\n"
"ftserver_status_requests_total 14\n"
"# HELP ftserver_status_connections_cut_total Status connections cut at their request's deadline.\n"
"# TYPE ftserver_status_connections_cut_total counter\n"
"ftserver_status_connections_cut_total 15\n";

static void
test_metrics(void)
{
	char *text = render(status_render_metrics);

	is_string(want_metrics, text, "metrics: the exact exposition text");
	ok(strstr(text, "10.0.0.7") == NULL && strstr(text, "script") == NULL,
	    "metrics: no client address, no file name (unbounded labels)");
	free(text);
}

/* The JSON escapes of HOSTILE: quote and backslash escaped, <>& as
 * \u00XX so the text cannot close a script tag around it. */
#define HOSTILE_JSON "\"\\u003cscript\\u003e\\\"a\\u0026b'\\\\.bin\""

static void
test_json(void)
{
	char *text = render(status_render_json);

	ok(strstr(text, "{\"slot\":1,\"pid\":101,\"state\":\"sending\","
	    "\"client_ip\":\"10.0.0.7\",\"client_port\":51234,\"server_port\":"
	    "5005,\"file\":" HOSTILE_JSON ",\"test\":9,\"member\":2,\"bytes\":"
	    "1000,\"size\":3000,\"last_seconds\":0.250000,\"transfers\":7,"
	    "\"failures\":1}") != NULL, "json: the sending worker's row, its "
	    "file name escaped");
	ok(strstr(text, "{\"slot\":2,\"pid\":102,\"state\":\"idle\","
	    "\"client_ip\":null,\"client_port\":0,\"server_port\":0,\"file\":"
	    "null,\"test\":0,\"member\":0,") != NULL,
	    "json: the idle worker's row: no client, no file");
	ok(strstr(text, "{\"test\":9,\"state\":\"running\",\"proto\":\"tcp\","
	    "\"file\":" HOSTILE_JSON ",\"size\":3000,\"run\":"
	    "\"5c0e9d2f1a7b4e86\",\"client_ip\":\"10.0.0.7\",\"expected\":2,"
	    "\"joined\":2,\"ready\":0,\"running\":1,\"finished\":1,"
	    "\"running_seconds\":1.250,\"aborted\":false,\"abort_reason\":null}")
	    != NULL, "json: the test in progress");
	ok(strstr(text, "\"queue\":[\n{\"place\":1,\"run\":\"0000000000000abc\","
	    "\"seats\":3,\"client_ip\":\"10.0.0.8\"}]") != NULL,
	    "json: the queued run");
	ok(strstr(text, "\"refused_by_code\":{\"400\":0,\"403\":1,\"404\":2,"
	    "\"408\":3,\"409\":4,\"413\":5,\"414\":6,\"500\":7,\"503\":8,"
	    "\"other\":9}") != NULL, "json: refusals by code");
	ok(strstr(text, "\"selected\":" HOSTILE_JSON) != NULL,
	    "json: the selected file, escaped");
	ok(strstr(text, "<script") == NULL, "json: no raw <script");
	free(text);
}

static void
test_html(void)
{
	char *text = render(status_render_html);

	ok(strstr(text, "&lt;script&gt;&quot;a&amp;b&#39;\\.bin") != NULL,
	    "html: the hostile name, escaped");
	ok(strstr(text, "<script") == NULL, "html: no raw <script");
	ok(strstr(text, "<meta http-equiv=refresh content=5>") != NULL,
	    "html: reloads itself");
	ok(strstr(text, "name=viewport") != NULL, "html: a viewport for phones");
	ok(strstr(text, "<td>10.0.0.7:51234</td>") != NULL,
	    "html: the client's address in its worker row");
	free(text);
}

/* The JSON's strings are the shared writer's (t/unit-json.c tests it
 * whole); here, that the page and the document agree on what is made
 * safe. Since ft_json, valid UTF-8 is its code point (\u00e9 for the
 * two bytes of an e acute, which the old escaper wrote as \u00c3\u00a9,
 * one Latin-1 character a byte); other bytes are still \u00XX. */
static void
test_escaping(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct ft_json j;

	if (out == NULL)
		bail("open_memstream");
	ft_json_init(&j, out);
	ft_json_string(&j, "a\nb\t\x1b[2J\x7f\xc3\xa9\xc3");
	if (ft_json_end(&j) < 0)
		bail("ft_json_end");
	fputc('|', out);
	status_html_text(out, "a\nb\x1b\xc3");
	if (fclose(out) != 0)
		bail("fclose");
	is_string("\"a\\u000ab\\u0009\\u001b[2J\\u007f\\u00e9\\u00c3\"\n|"
	    "a&#xa;b&#x1b;&#xc3;", text, "controls and bytes past ASCII: "
	    "\\u00XX in JSON (valid UTF-8 as its code point), &#xNN; in HTML");
	free(text);
}

static void
test_parse(void)
{
	static const struct { const char *spec, *host; int rc; unsigned port; }
	    cases[] = {
		{ "127.0.0.1:9105", "127.0.0.1", 0, 9105 },
		{ "0.0.0.0:0", "0.0.0.0", 0, 0 },
		{ "[::1]:80", "::1", 0, 80 },
		{ "127.0.0.1", NULL, -1, 0 },
		{ "127.0.0.1:", NULL, -1, 0 },
		{ "127.0.0.1:65536", NULL, -1, 0 },
		{ "127.0.0.1:-1", NULL, -1, 0 },
		{ "127.0.0.1: 80", NULL, -1, 0 },
		{ "localhost:80", NULL, -1, 0 },
		{ "::1:80", NULL, -1, 0 },
		{ "[::1]", NULL, -1, 0 },
		{ "[127.0.0.1]:80", NULL, -1, 0 },
		{ ":80", NULL, -1, 0 },
		{ "[]:80", NULL, -1, 0 },
	};
	char host[64];
	const char *why;
	unsigned port, i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		host[0] = '\0';
		port = 99999;
		rc = status_parse_addr(cases[i].spec, host, sizeof(host), &port,
		    &why);
		ok(rc == cases[i].rc && (rc < 0 || (strcmp(host, cases[i].host) ==
		    0 && port == cases[i].port)), "--status %s: %s",
		    cases[i].spec, rc == 0 ? "accepted" : why);
	}
}

int
main(void)
{
	fixture();
	test_metrics();
	test_json();
	test_html();
	test_escaping();
	test_parse();
	return done_testing();
}
