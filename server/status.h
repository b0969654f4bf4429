/* status.h: the status endpoint (--status ADDR:PORT), served by the
 * master from its own poll loop: Prometheus metrics, the scoreboard as
 * JSON, and a page of the same. The renderers are pure: they read a
 * snapshot copied out of the segment, so they are unit-tested on a
 * fixed one (t/unit-status.c). */
#ifndef STATUS_H
#define STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "ft_shm.h"

/* What a status client may hold (README, "Status endpoint"). */
#define STATUS_CONN_MAX 16	/* connections at once, in all */
#define STATUS_PER_IP 8		/* ... from one address */
#define STATUS_IDLE_S 5		/* silence before a connection is closed */
#define STATUS_REQUEST_MS 5000	/* a request must be read and its answer
				 * taken within, from the connection (or
				 * the previous answer) on */
#define STATUS_MEMORY 16384	/* a connection's buffer: the request
				 * line and headers must fit */
#define STATUS_REFRESH_S 5	/* the page reloads itself */

/* A test in progress, as copied out of tests[]. */
struct status_test {
	uint32_t test_no, state, proto;
	uint64_t run, size;
	char run_ip[FT_ADDR_MAX];
	char file[FT_NAME_MAX + 1];
	uint32_t expected, joined, ready, running, finished, aborted;
	char abort_reason[FT_REASON_MAX];
	double running_s;		/* since its start; 0 before */
};

/* A run waiting for its seats, in its place. */
struct status_ticket {
	uint64_t run;
	uint32_t place, seats;
	char client_ip[FT_ADDR_MAX];
};

/* Everything one answer shows, copied at one instant. */
struct status_snapshot {
	const struct ft_conf *conf;
	uint16_t port;			/* the file service's, as bound */
	double uptime_s;
	int64_t start_time_s;		/* Unix time of the start */
	char selected[FT_NAME_MAX + 1];	/* live: the console may change it */
	uint32_t group_size;
	unsigned seats_used;
	struct ft_slot slots[FT_MAX_WORKERS];
	uint32_t slot_test_no[FT_MAX_WORKERS];	/* 0: none */
	struct ft_totals totals;
	unsigned ntests, nqueued;
	struct status_test tests[FT_MAX_TESTS];
	struct status_ticket queue[FT_QUEUE_MAX];
	uint64_t lines_over_rate, lines_blocked;
	uint64_t http_requests, http_cut;	/* this endpoint's own */
};

/* "ADDR:PORT" or "[ADDR]:PORT", a numeric address and a port 0..65535
 * (0: any free one). 0, or -1 with why. */
int status_parse_addr(const char *spec, char *host, size_t hostlen,
    unsigned *port, const char **why);

/* Main, before the workers exist: binds conf->status and starts the HTTP
 * daemon (no thread of its own). 0 and the bound port, or an exit code
 * (2: misuse, FT_EXIT_FATAL: cannot bind) with why. */
int status_start(const struct ft_conf *conf, const struct ft_sockets *socks,
    struct ft_shm *shm, uint16_t *bound, char *why, size_t whylen);
void status_stop(void);
/* The master's poll loop: the descriptor to poll (-1 when off), when to
 * come back at the latest (ms, -1: no need), and the turn's work. */
int status_poll_fd(void);
int status_timeout_ms(void);
void status_handle(bool readable);
/* A worker, just forked: closes its copies of the endpoint's sockets
 * (an inherited copy would keep a client's connection open after the
 * master closed it). Touches no libmicrohttpd state. */
void status_forget(void);

/* Copies the segment (slots, tests and queue under its lock). */
void status_snapshot_take(struct status_snapshot *s, struct ft_shm *shm,
    const struct ft_conf *conf);
/* The three answers; 0, or -1 when out failed. */
int status_render_metrics(FILE *out, const struct status_snapshot *s);
int status_render_json(FILE *out, const struct status_snapshot *s);
int status_render_html(FILE *out, const struct status_snapshot *s);
/* Text from outside (file names, addresses, reasons), made safe for
 * the page (the JSON's strings are ft_json's). */
void status_html_text(FILE *out, const char *text);

#endif
