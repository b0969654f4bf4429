/* report.c: what the master tells the operator: the dated log of each
 * finished test, and the SIGUSR1 stats dump. */
#include "ftserver.h"
#include "ft_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

static int
by_client_no(const void *a, const void *b)
{
	const struct ft_xfer *x = a, *y = b;

	return (x->client_no > y->client_no) - (x->client_no < y->client_no);
}

/* Copies a complete group out of shared memory and frees it, so the
 * slow part (writing files) runs without the lock. */
static bool
take_complete_group(struct server *s, struct ft_test *t, struct ft_xfer *x,
    size_t *n)
{
	struct ft_shm *shm = s->shm;
	int g;
	unsigned m;

	ft_shm_lock(&shm->lock);
	for (g = 0; g < FT_MAX_GROUPS; g++)
		if (shm->groups[g].state == FT_GROUP_COMPLETE)
			break;
	if (g == FT_MAX_GROUPS) {
		ft_shm_unlock(&shm->lock);
		return false;
	}
	struct ft_group *G = &shm->groups[g];
	memset(t, 0, sizeof(*t));
	t->role = "server";
	t->proto = G->proto;
	t->mode = G->proto == FT_UDP ? (s->reliable ? "reliable" : "raw") : "-";
	strlcpy(t->file, G->file, sizeof(t->file));
	t->size = G->size;
	memcpy(t->sha256, G->sha256, FT_SHA256_HEX);
	/* A test that never started is logged at the time it was given up. */
	t->start = G->start_mono ? G->start_wall : ft_wall_now();
	t->clients = G->expected;
	for (m = 0; m < G->joined; m++) {
		struct ft_record *r = &shm->records[G->member_record[m]];
		x[m] = r->xfer;
		r->used = 0;
	}
	*n = G->joined;
	G->state = FT_GROUP_FREE;
	G->start_mono = 0;
	ft_shm_unlock(&shm->lock);
	qsort(x, *n, sizeof(*x), by_client_no);
	return true;
}

void
report_complete_groups(struct server *s)
{
	static struct ft_xfer x[FT_MAX_WORKERS];
	struct ft_test t;
	char path[4200];
	size_t n, i;
	unsigned ok;

	while (take_complete_group(s, &t, x, &n)) {
		for (i = 0, ok = 0; i < n; i++)
			ok += x[i].ok;
		__atomic_fetch_add(&s->shm->totals.tests, 1, __ATOMIC_RELAXED);
		if (ft_log_write(s->logs_dir, &t, x, n, path, sizeof(path)) < 0) {
			fprintf(stderr, "ftserver: cannot write the log in %s: %m\n",
			    s->logs_dir);
			continue;
		}
		printf("ftserver: test done: %s to %zu connection%s, %u ok; "
		    "log %s\n", t.file, n, n == 1 ? "" : "s", ok, path);
		fflush(stdout);
	}
}

void
report_stats(struct server *s, FILE *out)
{
	struct ft_totals t;
	struct ft_slot c;
	unsigned k;

	fprintf(out, "%-4s %-7s %-10s %-28s %-16s %12s %12s %9s %6s\n", "slot",
	    "pid", "state", "client", "file", "bytes", "size", "last s",
	    "xfers");
	for (k = 0; k < s->workers; k++) {
		char who[FT_ADDR_MAX + 8] = "-";
		memcpy(&c, &s->shm->slots[k], sizeof(c));	/* copy, then print */
		if (c.state >= FT_SLOT_HANDSHAKE && c.state <= FT_SLOT_CONFIRMING)
			snprintf(who, sizeof(who), "%s:%u", c.client_ip,
			    c.client_port);
		fprintf(out, "%-4u %-7d %-10s %-28s %-16s %12llu %12llu %9.3f "
		    "%6llu\n", k + 1, (int)c.pid, ft_slot_state_name(c.state), who,
		    c.file[0] ? c.file : "-", (unsigned long long)c.bytes,
		    (unsigned long long)c.size, (double)c.last_ns / 1e9,
		    (unsigned long long)c.transfers);
	}
	memcpy(&t, &s->shm->totals, sizeof(t));
	fprintf(out, "totals: %llu tests, %llu connections, %llu transfers ok, "
	    "%llu failed, %llu bytes sent\n", (unsigned long long)t.tests,
	    (unsigned long long)t.connections,
	    (unsigned long long)t.transfers_ok,
	    (unsigned long long)t.transfers_failed,
	    (unsigned long long)t.bytes_sent);
}
