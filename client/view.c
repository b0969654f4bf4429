/* view.c: what the person running ftclient sees. On a terminal, a live
 * table redrawn in place; otherwise (a pipe, a log file, CI) one plain
 * line per state change, so the output stays readable and greppable. */
#include "ftclient.h"
#include "ft_sys.h"
#include "ft_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool live;
static unsigned drawn_lines;
static int *shown_state;	/* plain mode: the last state printed */
static unsigned *shown_ahead;	/* ...and the last queue position */

const char *
conn_state_name(int state)
{
	static const char *names[] = { "connecting", "queued", "waiting",
	    "ready", "receiving", "verifying", "done", "failed" };

	return state >= 0 && state <= C_FAILED ? names[state] : "?";
}

void
view_init(struct client *cl)
{
	static int states[FT_CLIENT_MAX];
	static unsigned aheads[FT_CLIENT_MAX];
	unsigned i;

	live = ft_console_live() && getenv("FT_PLAIN") == NULL;
	shown_state = states;
	shown_ahead = aheads;
	for (i = 0; i < cl->o.clients; i++)
		states[i] = -1;
}

static double
elapsed_s(const struct conn *c, int64_t now)
{
	/* Written by the connection's thread as it goes: read atomically. */
	int64_t first = __atomic_load_n(&c->first_ns, __ATOMIC_RELAXED);
	int64_t end = __atomic_load_n(&c->end_ns, __ATOMIC_RELAXED);

	if (first == 0)
		return 0;
	return (double)((end ? end : now) - first) / 1e9;
}

static void
draw_row(const struct conn *c, int64_t now)
{
	uint64_t bytes = atomic_load(&c->bytes);
	int st = atomic_load(&c->state);
	/* Read only once final, else they would race with their writing:
	 * the offer from C_WAITING on (or a failure), the port too over TCP;
	 * over UDP the data socket's port once READY has gone (C_RECEIVING). */
	bool settled = st >= C_WAITING;
	uint64_t size = settled ? c->offer.size : 0;
	unsigned port = settled && (!c->cl->o.udp || st >= C_RECEIVING) ?
	    c->x.client_port : 0;
	double secs = elapsed_s(c, now);
	char note[64] = "";

	if (st == C_QUEUED)
		snprintf(note, sizeof(note), "queued: %u ahead",
		    atomic_load(&c->ahead));
	printf("\033[2K%4u  %-10s %6u  %12llu  %5.1f%%  %9.1f  %s\n", c->no,
	    conn_state_name(st), port, (unsigned long long)bytes,
	    size ? 100.0 * (double)bytes / (double)size : 0.0,
	    secs > 0 ? (double)bytes / secs / 1e6 : 0.0,
	    st == C_FAILED ? c->x.reason : note);
}

static void
draw_table(struct client *cl)
{
	int64_t now = ft_mono_ns();
	unsigned i;

	if (drawn_lines > 0)
		printf("\033[%uA", drawn_lines);
	printf("\033[2K%4s  %-10s %6s  %12s  %6s  %9s  %s\n", "#", "state",
	    "port", "bytes", "done", "MB/s", "");
	for (i = 0; i < cl->o.clients; i++)
		draw_row(&cl->conns[i], now);
	drawn_lines = cl->o.clients + 1;
	fflush(stdout);
}

static void
print_changes(struct client *cl)
{
	unsigned i;

	for (i = 0; i < cl->o.clients; i++) {
		struct conn *c = &cl->conns[i];
		int st = atomic_load(&c->state);
		unsigned ahead = atomic_load(&c->ahead);
		if (st == shown_state[i] && (st != C_QUEUED ||
		    ahead == shown_ahead[i]))
			continue;
		shown_state[i] = st;
		shown_ahead[i] = ahead;
		if (st == C_QUEUED)
			printf("client %u: queued, %u ahead\n", c->no, ahead);
		else if (st == C_FAILED)
			printf("client %u: failed: %s\n", c->no, c->x.reason);
		else if (st == C_DONE)
			printf("client %u: done, %llu bytes, sha256 ok\n", c->no,
			    (unsigned long long)atomic_load(&c->bytes));
		else
			printf("client %u: %s\n", c->no, conn_state_name(st));
	}
	fflush(stdout);
}

void
view_update(struct client *cl, bool final)
{
	if (run_stdout_is_json(&cl->o))
		return;		/* stdout is the JSON's */
	if (live)
		draw_table(cl);
	else
		print_changes(cl);
	if (final)
		drawn_lines = 0;
}

void
view_summary(struct client *cl, const char *log_path)
{
	uint64_t total = 0;
	unsigned i, ok = 0;
	int64_t first = 0, last = 0;
	double wall;

	if (run_stdout_is_json(&cl->o))
		return;
	/* The aggregate's time is the transfers' own span, first byte to
	 * last: not the wait for a gathered test's other runs. */
	for (i = 0; i < cl->o.clients; i++) {
		const struct conn *c = &cl->conns[i];
		if (c->first_ns == 0)
			continue;
		if (first == 0 || c->first_ns < first)
			first = c->first_ns;
		if (c->first_ns + c->x.ns > last)
			last = c->first_ns + c->x.ns;
	}
	wall = (double)(last - first) / 1e9;

	printf("\n%4s  %-21s  %12s  %9s  %9s  %-4s  %s\n", "#", "local address",
	    "bytes", "time (s)", "MB/s", "ok", "file or reason");
	for (i = 0; i < cl->o.clients; i++) {
		struct conn *c = &cl->conns[i];
		char addr[FT_ADDR_MAX + 8];
		snprintf(addr, sizeof(addr), strchr(c->x.client_ip, ':') ?
		    "[%s]:%u" : "%s:%u", c->x.client_ip[0] ? c->x.client_ip : "-",
		    c->x.client_port);
		printf("%4u  %-21s  %12llu  %9.3f  %9.1f  %-4s  %s%s%s\n", c->no,
		    addr, (unsigned long long)c->x.bytes, (double)c->x.ns / 1e9,
		    ft_rate_mbs(c->x.bytes, c->x.ns), c->x.ok ? "yes" : "no",
		    c->x.ok ? c->path : c->x.reason,
		    /* --keep-failed: where the failed copy is */
		    !c->x.ok && c->path[0] ? "; kept as " : "",
		    !c->x.ok ? c->path : "");
		ok += c->x.ok;
		total += c->x.bytes;
	}
	printf("\n%u of %u transfers verified; %.1f MB in %.3f s (%.1f MB/s "
	    "aggregate)\n", ok, cl->o.clients, (double)total / 1e6, wall,
	    wall > 0 ? (double)total / wall / 1e6 : 0.0);
	if (log_path != NULL)
		printf("log: %s\n", log_path);
	fflush(stdout);
}
