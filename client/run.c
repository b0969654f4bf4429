/* run.c: what the run's modules ask of it alone, below them all (main,
 * samples and view call it; it calls none of them): the test's start as
 * the logs date it, its first offer, and whether stdout carries JSON
 * only. */
#include "ftclient.h"

#include <string.h>

bool
run_stdout_is_json(const struct client_opts *o)
{
	return o->json_stream || (o->json_path != NULL &&
	    strcmp(o->json_path, "-") == 0);
}

/* The test's start as the server released it (the DATA line says), so
 * both logs carry the same start; our own go when no DATA came, or when
 * the server's clock is more than CLOCK_SKEW_MAX_S off ours (a VM
 * resumed with a stale clock): a log dated days away would be filed
 * among other days' tests. *skew_s: how far off it was, 0 if taken. */
#define CLOCK_SKEW_MAX_S 300
struct timespec
run_conn_start(const struct client *cl, const struct conn *c,
    long long *skew_s)
{
	struct timespec s = c->server_start;
	long long off = (long long)s.tv_sec - (long long)cl->start_wall.tv_sec;

	*skew_s = 0;
	if (s.tv_sec == 0 || (off >= -CLOCK_SKEW_MAX_S &&
	    off <= CLOCK_SKEW_MAX_S))
		return s.tv_sec == 0 ? cl->start_wall : s;
	*skew_s = off;
	return cl->start_wall;
}

struct timespec
run_test_start(const struct client *cl, long long *skew_s)
{
	unsigned i;

	*skew_s = 0;
	for (i = 0; i < cl->o.clients; i++)
		if (cl->conns[i].server_start.tv_sec != 0)
			return run_conn_start(cl, &cl->conns[i], skew_s);
	return cl->start_wall;
}

/* The first connection that has the server's offer (NULL: none yet):
 * the test's file, size and number for the log and the samples. */
const struct conn *
run_first_offer(const struct client *cl)
{
	unsigned i;

	for (i = 0; i < cl->o.clients; i++)
		if (cl->conns[i].offer.file[0])
			return &cl->conns[i];
	return NULL;
}
