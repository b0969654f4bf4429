/* group.c: gathering the connections of one test and starting them
 * together. Everything here runs under shm->lock except the wait on the
 * group's start semaphore; see common/ft_shm.h for the ownership rules.
 *
 * A group starts when every seat is taken (joined == expected), no member
 * is still waiting for its client's READY, and at least one is ready:
 * members that left before the start (disconnected, timed out) no longer
 * hold the others back. */
#include "ftserver.h"
#include "ft_time.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

struct member_counts {
	unsigned joined, ready, running, done, gone;
};

static struct ft_group *
group_at(struct server *s, int g)
{
	return &s->shm->groups[g];
}

struct ft_xfer *
group_record(struct server *s, int record)
{
	return &s->shm->records[record].xfer;
}

static uint64_t
group_key(const struct server *s, const struct ft_request *req)
{
	/* With -n the server forms groups by arrival, whoever connects. */
	return s->shm->config.group_size != 0 ? 0 : req->run;
}

static int
find_open_group(struct server *s, uint64_t key)
{
	int g;

	for (g = 0; g < FT_MAX_GROUPS; g++) {
		struct ft_group *G = group_at(s, g);
		if (G->state == FT_GROUP_GATHERING && !G->aborted &&
		    G->run == key && G->joined < G->expected &&
		    G->proto == s->proto)
			return g;
	}
	return FT_NO_INDEX;
}

static struct member_counts
count_members(const struct ft_group *G)
{
	struct member_counts c = { 0 };
	unsigned m;

	for (m = 0; m < G->joined; m++) {
		switch (G->member_state[m]) {
		case FT_MEMBER_JOINED: c.joined++; break;
		case FT_MEMBER_READY: c.ready++; break;
		case FT_MEMBER_RUNNING: c.running++; break;
		case FT_MEMBER_DONE: c.done++; break;
		default: c.gone++; break;
		}
	}
	return c;
}

static void
post_ready_members(struct ft_group *G, unsigned ready)
{
	while (ready-- > 0)
		sem_post(&G->start);
}

static void
group_abort(struct ft_group *G, const char *reason)
{
	G->aborted = 1;
	strlcpy(G->abort_reason, reason, sizeof(G->abort_reason));
	post_ready_members(G, count_members(G).ready);
}

static void
group_release(struct ft_group *G, unsigned ready)
{
	unsigned m;

	G->state = FT_GROUP_RUNNING;
	G->start_wall = ft_wall_now();
	G->start_mono = ft_mono_ns();
	for (m = 0; m < G->joined; m++)
		if (G->member_state[m] == FT_MEMBER_READY)
			G->member_state[m] = FT_MEMBER_RUNNING;
	post_ready_members(G, ready);
}

/* Moves the group on when its members' states allow. Under lock. */
static void
group_settle(struct server *s, struct ft_group *G)
{
	struct member_counts c = count_members(G);

	if (G->state == FT_GROUP_GATHERING && !G->aborted &&
	    G->joined == G->expected && c.joined == 0 && c.ready > 0) {
		group_release(G, c.ready);
		c.running += c.ready;
		c.ready = 0;
	}
	if (c.joined + c.ready + c.running > 0)
		return;
	if (G->state == FT_GROUP_GATHERING && !G->aborted &&
	    G->joined < G->expected)
		snprintf(G->abort_reason, sizeof(G->abort_reason),
		    "every connection left before the other %u arrived",
		    G->expected - G->joined), G->aborted = 1;
	G->state = FT_GROUP_COMPLETE;
	master_wake(s);
}

int
group_choose_file(struct server *s, const struct ft_request *req, char *name,
    char *why, size_t whylen)
{
	int g, rc = 0;

	ft_shm_lock(&s->shm->lock);
	g = find_open_group(s, group_key(s, req));
	if (g != FT_NO_INDEX) {
		if (req->file[0] && strcmp(req->file, group_at(s, g)->file) != 0) {
			snprintf(why, whylen, "this test is sending %s, not %s",
			    group_at(s, g)->file, req->file);
			rc = FT_ERR_CONFLICT;
		} else
			strlcpy(name, group_at(s, g)->file, FT_NAME_MAX + 1);
	} else if (req->file[0])
		strlcpy(name, req->file, FT_NAME_MAX + 1);
	else if (s->shm->config.selected[0])
		strlcpy(name, s->shm->config.selected, FT_NAME_MAX + 1);
	else {
		snprintf(why, whylen, "no file selected on the server; "
		    "ask for one by name");
		rc = FT_ERR_NO_FILE;
	}
	ft_shm_unlock(&s->shm->lock);
	return rc;
}

static int
take_free_record(struct server *s)
{
	int r;

	for (r = 0; r < FT_MAX_RECORDS; r++)
		if (!s->shm->records[r].used) {
			memset(&s->shm->records[r], 0, sizeof(s->shm->records[r]));
			s->shm->records[r].used = 1;
			return r;
		}
	return FT_NO_INDEX;
}

static int
open_new_group(struct server *s, uint64_t key, unsigned expected,
    const struct served_file *f)
{
	struct ft_group *G;
	int g;

	for (g = 0; g < FT_MAX_GROUPS; g++)
		if (group_at(s, g)->state == FT_GROUP_FREE)
			break;
	if (g == FT_MAX_GROUPS)
		return FT_NO_INDEX;
	G = group_at(s, g);
	/* FREE: nobody can be in sem_wait on it, so a reset is safe and
	 * clears posts left by a member that died while waiting. */
	sem_destroy(&G->start);
	sem_init(&G->start, 1, 0);
	G->state = FT_GROUP_GATHERING;
	G->test_no = s->shm->next_test_no++;
	G->run = key;
	G->expected = expected;
	G->joined = 0;
	G->aborted = 0;
	G->abort_reason[0] = '\0';
	G->proto = s->proto;
	strlcpy(G->file, f->name, sizeof(G->file));
	G->size = f->size;
	memcpy(G->sha256, f->sha256, FT_SHA256_HEX);
	return g;
}

static int
join_locked(struct server *s, const struct ft_request *req,
    const struct served_file *f, struct join_result *out, char *why,
    size_t whylen)
{
	uint64_t key = group_key(s, req);
	unsigned fixed = s->shm->config.group_size;
	unsigned expected = fixed ? fixed : (req->group ? req->group : 1);
	struct ft_group *G;
	int g;

	if (expected > s->workers)
		return snprintf(why, whylen, "a group of %u connections exceeds "
		    "the %u workers of this server", expected, s->workers),
		    FT_ERR_TOO_LARGE;
	g = find_open_group(s, key);
	if (g != FT_NO_INDEX && strcmp(group_at(s, g)->file, f->name) != 0)
		return snprintf(why, whylen, "this test is sending %s, not %s",
		    group_at(s, g)->file, f->name), FT_ERR_CONFLICT;
	if (g == FT_NO_INDEX && (g = open_new_group(s, key, expected, f)) < 0)
		return snprintf(why, whylen, "too many tests in progress"),
		    FT_ERR_BUSY;
	if ((out->record = take_free_record(s)) == FT_NO_INDEX)
		return snprintf(why, whylen, "too many transfers waiting to be "
		    "logged"), FT_ERR_BUSY;
	G = group_at(s, g);
	out->group = g;
	out->index = G->joined;
	out->expected = G->expected;
	out->member = key != 0 && req->client >= 1 &&
	    req->client <= G->expected ? req->client : G->joined + 1;
	G->member_state[G->joined] = FT_MEMBER_JOINED;
	G->member_record[G->joined] = (int16_t)out->record;
	G->member_slot[G->joined] = (int16_t)s->slot;
	G->joined++;
	group_record(s, out->record)->client_no = out->member;
	s->shm->slots[s->slot].group = g;
	s->shm->slots[s->slot].record = out->record;
	s->shm->slots[s->slot].member = out->member;
	return 0;
}

int
group_join(struct server *s, const struct ft_request *req,
    const struct served_file *f, struct join_result *out, char *why,
    size_t whylen)
{
	int rc;

	ft_shm_lock(&s->shm->lock);
	rc = join_locked(s, req, f, out, why, whylen);
	ft_shm_unlock(&s->shm->lock);
	return rc;
}

/* The index of the member holding a record: for the master, which
 * knows a dead worker's record but not its join order. */
static unsigned
member_index(const struct ft_group *G, int record)
{
	unsigned m;

	for (m = 0; m < G->joined; m++)
		if (G->member_record[m] == record)
			return m;
	return 0;
}

/* After a wake-up or a timeout: released, or aborted (with why). */
static int
check_released(struct server *s, const struct join_result *j, bool timed_out,
    char *why, size_t whylen)
{
	struct ft_group *G = group_at(s, j->group);
	unsigned m = j->index;
	int rc = 0;

	ft_shm_lock(&s->shm->lock);
	if (G->member_state[m] == FT_MEMBER_RUNNING)
		goto out;
	if (!G->aborted && ft_stop_requested)
		group_abort(G, "the server is shutting down");
	else if (!G->aborted && timed_out) {
		char reason[FT_REASON_MAX];
		snprintf(reason, sizeof(reason), "the test did not start within "
		    "%d s: %u of %u connections arrived", s->ready_timeout_s,
		    G->joined, G->expected);
		group_abort(G, reason);
	}
	rc = G->aborted ? -1 : 1;
	if (rc < 0)
		strlcpy(why, G->abort_reason, whylen);
out:
	ft_shm_unlock(&s->shm->lock);
	return rc;
}

int
group_ready_wait(struct server *s, const struct join_result *j, char *why,
    size_t whylen)
{
	struct ft_group *G = group_at(s, j->group);
	struct timespec deadline;
	int rc;

	ft_shm_lock(&s->shm->lock);
	G->member_state[j->index] = FT_MEMBER_READY;
	group_settle(s, G);
	ft_shm_unlock(&s->shm->lock);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += s->ready_timeout_s;
	for (;;) {
		bool timed_out = false;
		if (sem_timedwait(&G->start, &deadline) < 0) {
			if (errno == EINTR && !ft_stop_requested)
				continue;
			timed_out = errno == ETIMEDOUT;
		}
		rc = check_released(s, j, timed_out, why, whylen);
		if (rc <= 0)
			return rc;
		/* A post meant for a member that left: wait on. */
	}
}

void
group_leave(struct server *s, const struct join_result *j, bool done)
{
	struct ft_group *G = group_at(s, j->group);

	ft_shm_lock(&s->shm->lock);
	G->member_state[j->index] = done ? FT_MEMBER_DONE : FT_MEMBER_GONE;
	s->shm->slots[s->slot].group = FT_NO_INDEX;
	s->shm->slots[s->slot].record = FT_NO_INDEX;
	group_settle(s, G);
	ft_shm_unlock(&s->shm->lock);
}

void
group_member_died(struct server *s, int slot, const char *reason)
{
	struct ft_slot *S = &s->shm->slots[slot];
	struct ft_group *G;
	struct ft_xfer *x;
	unsigned m;

	ft_shm_lock(&s->shm->lock);
	if (S->group == FT_NO_INDEX || S->record == FT_NO_INDEX)
		goto out;
	G = group_at(s, S->group);
	m = member_index(G, S->record);
	if (G->member_state[m] != FT_MEMBER_DONE &&
	    G->member_state[m] != FT_MEMBER_GONE) {
		x = group_record(s, S->record);
		x->ok = 0;
		x->bytes = S->bytes;	/* the last progress it published */
		ft_set_reason(x, "%s", reason);
		G->member_state[m] = FT_MEMBER_GONE;
		group_settle(s, G);
	}
	S->group = S->record = FT_NO_INDEX;
out:
	ft_shm_unlock(&s->shm->lock);
}
