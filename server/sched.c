/* sched.c: tests and seats, under the segment's lock (ft_shm.h says who
 * writes what). Nothing here talks to a socket; the only system calls
 * are the wait on a test's start semaphore (through ft_io) and the byte
 * that wakes the master.
 *
 * Admission. Every worker is a seat. A test promises its members' seats
 * from the moment it opens: N while it gathers (less those that left), and
 * then those still running. A GET joins its run's open test if there is
 * one (the seats are already promised); otherwise it opens a test only if
 * all N seats are free and no run is queued before it. Otherwise its run
 * takes a ticket and is told QUEUED with its place; it must ask again
 * (within SCHED_TICKET_TTL_NS) and is seated in its turn. So two runs can
 * never hold parts of each other's seats, and no run waits for seats that
 * another run holds without knowing why.
 *
 * With -n N, tests gather connections by arrival, from any runs, but a
 * run is never split: its first connection promises the run's size in an
 * open test with that much room left (those seats are the test's already,
 * so the queue does not hold it back), or in a new test of N, in its turn
 * like any new test. The run's other connections find their test through
 * admissions[]. A run larger than N cannot be seated (413).
 *
 * The start. A test has one deadline, counted from the offer to its first
 * member. It starts when every seat is taken, no member is still waiting
 * for its client's READY, and at least one is ready; members that left
 * before do not hold the others back. At the deadline, members without
 * READY are dropped (their workers tell their clients and leave) and the
 * test starts with the ready ones if every seat was taken; else it is
 * aborted, with the reason that is true for the whole test. */
#include "sched.h"
#include "ft_io.h"
#include "ft_time.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

static void __attribute__((format(printf, 3, 4)))
refuse(struct sched_verdict *v, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	v->answer = SCHED_REFUSED;
	v->code = code;
}

struct member_counts {
	unsigned joined, ready, running, dropped, done, gone;
};

static struct ft_shm_test *
test_at(struct ft_shm *shm, int t)
{
	return &shm->tests[t];
}

struct ft_xfer *
sched_outcome(struct ft_shm *shm, int outcome)
{
	return &shm->outcomes[outcome].xfer;
}

/* With -n the server forms tests by arrival, whoever connects. */
static uint64_t
test_key(const struct ft_shm *shm, const struct sched_request *req)
{
	return shm->config.group_size != 0 ? 0 : req->run;
}

static unsigned
test_size(const struct ft_shm *shm, unsigned asked)
{
	unsigned fixed = shm->config.group_size;

	return fixed ? fixed : asked ? asked : 1;
}

/* The open test of a run (key: its id, and the address that opened it,
 * so another host cannot join a run by its id), or of GETs without a run
 * id (key 0). */
static int
find_open_test(struct ft_shm *shm, uint64_t key, const char *ip,
    enum ft_proto_kind proto)
{
	int t;

	for (t = 0; t < FT_MAX_TESTS; t++) {
		struct ft_shm_test *T = test_at(shm, t);
		if (T->state == FT_TEST_GATHERING && !T->aborted &&
		    !T->by_arrival && T->run == key &&
		    (key == 0 || strcmp(T->run_ip, ip) == 0) &&
		    T->joined < T->expected && T->proto == proto)
			return t;
	}
	return FT_NO_INDEX;
}

/* An open test by arrival with room for a whole run of `count`, sending
 * `file` (NULL: any). */
static int
find_room(struct ft_shm *shm, enum ft_proto_kind proto, unsigned count,
    const char *file)
{
	int t;

	for (t = 0; t < FT_MAX_TESTS; t++) {
		struct ft_shm_test *T = test_at(shm, t);
		if (T->state == FT_TEST_GATHERING && !T->aborted &&
		    T->by_arrival && T->proto == proto &&
		    T->promised + count <= T->expected &&
		    T->joined + count <= T->expected &&
		    (file == NULL || strcmp(T->file, file) == 0))
			return t;
	}
	return FT_NO_INDEX;
}

static struct member_counts
count_members(const struct ft_shm_test *T)
{
	struct member_counts c = { 0 };
	unsigned m;

	for (m = 0; m < T->joined; m++) {
		switch (T->member_state[m]) {
		case FT_MEMBER_JOINED: c.joined++; break;
		case FT_MEMBER_READY: c.ready++; break;
		case FT_MEMBER_RUNNING: c.running++; break;
		case FT_MEMBER_DROPPED: c.dropped++; break;
		case FT_MEMBER_DONE: c.done++; break;
		default: c.gone++; break;
		}
	}
	return c;
}

/* Members whose worker is still with them. */
static unsigned
attached(const struct member_counts *c)
{
	return c->joined + c->ready + c->running + c->dropped;
}

static unsigned
seats_held(const struct ft_shm_test *T)
{
	struct member_counts c = count_members(T);

	if (T->state == FT_TEST_GATHERING && !T->aborted)
		return T->expected - c.gone - c.done;
	if (T->state == FT_TEST_GATHERING || T->state == FT_TEST_RUNNING)
		return attached(&c);
	return 0;
}

static unsigned
seats_free(struct ft_shm *shm, const struct ft_conf *conf)
{
	unsigned used = 0;
	int t;

	for (t = 0; t < FT_MAX_TESTS; t++)
		used += seats_held(test_at(shm, t));
	return used >= conf->workers ? 0 : conf->workers - used;
}

static void
wake_master(struct ft_shm *shm)
{
	char c = 'w';

	/* A full pipe means the master is due to wake anyway. */
	if (shm->wake_fd >= 0 && write(shm->wake_fd, &c, 1) < 0 &&
	    errno != EAGAIN)
		return;
}

static void
post_ready(struct ft_shm_test *T, unsigned ready)
{
	while (ready-- > 0)
		sem_post(&T->start);
}

static void
test_abort(struct ft_shm_test *T, const char *reason)
{
	T->aborted = 1;
	strlcpy(T->abort_reason, reason, sizeof(T->abort_reason));
	post_ready(T, count_members(T).ready);
}

static void
test_release(struct ft_shm_test *T, unsigned ready)
{
	unsigned m;

	T->state = FT_TEST_RUNNING;
	T->start_wall = ft_wall_now();
	T->start_mono = ft_mono_ns();
	for (m = 0; m < T->joined; m++)
		if (T->member_state[m] == FT_MEMBER_READY)
			T->member_state[m] = FT_MEMBER_RUNNING;
	post_ready(T, ready);
}

static void
free_test(struct ft_shm *shm, struct ft_shm_test *T)
{
	unsigned m;

	for (m = 0; m < T->joined; m++)
		shm->outcomes[T->member_outcome[m]].used = 0;
	T->state = FT_TEST_FREE;
	T->start_mono = 0;
}

static void
note_unstarted(struct ft_shm *shm, struct ft_shm_test *T,
    struct sched_unstarted *u)
{
	__atomic_fetch_add(&shm->totals.tests_unstarted, 1, __ATOMIC_RELAXED);
	if (u == NULL)
		return;
	u->freed = true;
	u->test_no = T->test_no;
	u->joined = T->joined;
	u->expected = T->expected;
	strlcpy(u->file, T->file, sizeof(u->file));
	strlcpy(u->reason, T->abort_reason, sizeof(u->reason));
}

/* Moves the test on when its members' states allow: the start, and once
 * no member is attached, the end (a log for a test that started, none
 * for one that did not). */
static void
settle(struct ft_shm *shm, struct ft_shm_test *T, struct sched_unstarted *u)
{
	struct member_counts c = count_members(T);

	if (T->state == FT_TEST_GATHERING && !T->aborted &&
	    T->joined == T->expected && c.joined == 0 && c.ready > 0) {
		test_release(T, c.ready);
		c.running += c.ready;
		c.ready = 0;
	}
	if (attached(&c) > 0)
		return;
	if (T->state == FT_TEST_GATHERING && !T->aborted) {
		T->aborted = 1;
		if (T->joined < T->expected)
			snprintf(T->abort_reason, sizeof(T->abort_reason),
			    "every connection left before the other %u arrived",
			    T->expected - T->joined);
		else
			strlcpy(T->abort_reason, "every connection left before "
			    "the start", sizeof(T->abort_reason));
	}
	if (T->start_mono == 0) {
		note_unstarted(shm, T, u);
		free_test(shm, T);
		return;
	}
	T->state = FT_TEST_COMPLETE;
	wake_master(shm);
}

int
sched_choose_file(struct ft_shm *shm, const struct ft_conf *conf,
    const struct ft_request *req, const char *client_ip, char *name,
    char *why, size_t whylen)
{
	struct sched_request r = { .run = req->run };
	unsigned count = req->run != 0 && req->group != 0 ? req->group : 1;
	int t, rc = 0;

	ft_shm_lock(&shm->lock);
	/* With -n, "-" takes the file of an open test the run fits in; a
	 * named file finds (or opens) a test of its own. */
	if (shm->config.group_size != 0)
		t = req->file[0] ? FT_NO_INDEX : find_room(shm, conf->proto, count,
		    NULL);
	else
		t = find_open_test(shm, test_key(shm, &r), client_ip, conf->proto);
	if (t != FT_NO_INDEX) {
		if (req->file[0] && strcmp(req->file, test_at(shm, t)->file) != 0) {
			snprintf(why, whylen, "this test is sending %s, not %s",
			    test_at(shm, t)->file, req->file);
			rc = FT_ERR_CONFLICT;
		} else
			strlcpy(name, test_at(shm, t)->file, FT_NAME_MAX + 1);
	} else if (req->file[0])
		strlcpy(name, req->file, FT_NAME_MAX + 1);
	else if (shm->config.selected[0])
		strlcpy(name, shm->config.selected, FT_NAME_MAX + 1);
	else {
		snprintf(why, whylen, "no file selected on the server; "
		    "ask for one by name");
		rc = FT_ERR_NO_FILE;
	}
	ft_shm_unlock(&shm->lock);
	return rc;
}

unsigned
sched_handshake_begin(struct ft_shm *shm, int slot, const char *client_ip)
{
	unsigned k, others = 0;

	ft_shm_lock(&shm->lock);
	for (k = 0; k < FT_MAX_WORKERS; k++)
		if ((int)k != slot && shm->slots[k].state == FT_SLOT_HANDSHAKE &&
		    strcmp(shm->slots[k].client_ip, client_ip) == 0)
			others++;
	strlcpy(shm->slots[slot].client_ip, client_ip,
	    sizeof(shm->slots[slot].client_ip));
	shm->slots[slot].state = FT_SLOT_HANDSHAKE;
	ft_shm_unlock(&shm->lock);
	return others;
}

/* ---------------------------------------------------------------- queue */

static void
purge_tickets(struct ft_shm *shm, int64_t now)
{
	unsigned q;

	for (q = 0; q < FT_QUEUE_MAX; q++)
		if (shm->queue[q].run != 0 &&
		    now - shm->queue[q].last_seen > SCHED_TICKET_TTL_NS)
			shm->queue[q].run = 0;
}

static struct ft_ticket *
find_ticket(struct ft_shm *shm, uint64_t run, const char *ip)
{
	unsigned q;

	for (q = 0; run != 0 && q < FT_QUEUE_MAX; q++)
		if (shm->queue[q].run == run &&
		    strcmp(shm->queue[q].client_ip, ip) == 0)
			return &shm->queue[q];
	return NULL;
}

/* Runs queued before tk (all of them when tk is NULL). */
static unsigned
tickets_before(const struct ft_shm *shm, const struct ft_ticket *tk)
{
	unsigned q, n = 0;

	for (q = 0; q < FT_QUEUE_MAX; q++)
		n += shm->queue[q].run != 0 &&
		    (tk == NULL || shm->queue[q].seq < tk->seq);
	return n;
}

static struct ft_ticket *
new_ticket(struct ft_shm *shm, const struct sched_request *req,
    unsigned seats, int64_t now, struct sched_verdict *v)
{
	struct ft_ticket *free_one = NULL;
	unsigned q, all = 0, mine = 0;

	for (q = 0; q < FT_QUEUE_MAX; q++) {
		struct ft_ticket *tk = &shm->queue[q];
		if (tk->run == 0) {
			free_one = free_one ? free_one : tk;
			continue;
		}
		all++;
		mine += strcmp(tk->client_ip, req->client_ip) == 0;
	}
	if (mine >= FT_QUEUE_PER_ADDR) {
		refuse(v, FT_ERR_BUSY, "busy: %u runs from %s are already "
		    "waiting for seats", mine, req->client_ip);
		return NULL;
	}
	if (free_one == NULL) {
		refuse(v, FT_ERR_BUSY, "busy: %u runs are already waiting for "
		    "seats; try again later", all);
		return NULL;
	}
	*free_one = (struct ft_ticket){ .run = req->run,
	    .seq = shm->next_ticket_seq++, .seats = seats, .last_seen = now };
	strlcpy(free_one->client_ip, req->client_ip,
	    sizeof(free_one->client_ip));
	return free_one;
}

/* ---------------------------------------------------------------- seats */

static int
take_free_outcome(struct ft_shm *shm)
{
	int r;

	for (r = 0; r < FT_MAX_OUTCOMES; r++)
		if (!shm->outcomes[r].used) {
			memset(&shm->outcomes[r], 0, sizeof(shm->outcomes[r]));
			shm->outcomes[r].used = 1;
			return r;
		}
	return FT_NO_INDEX;
}

static int
open_test(struct ft_shm *shm, const struct ft_conf *conf, uint64_t key,
    unsigned expected, const struct sched_request *req, int64_t now)
{
	struct ft_shm_test *T;
	int t;

	for (t = 0; t < FT_MAX_TESTS; t++)
		if (test_at(shm, t)->state == FT_TEST_FREE)
			break;
	if (t == FT_MAX_TESTS)
		return FT_NO_INDEX;
	T = test_at(shm, t);
	/* FREE: nobody can be waiting on it, so a reset is safe and clears
	 * posts left for a member that was released by a timeout. */
	sem_destroy(&T->start);
	if (sem_init(&T->start, 1, 0) < 0)
		return FT_NO_INDEX;
	T->state = FT_TEST_GATHERING;
	T->test_no = shm->next_test_no++;
	T->run = key;
	strlcpy(T->run_ip, req->client_ip, sizeof(T->run_ip));
	T->expected = expected;
	/* Which rule fills it is fixed when it opens: the console's
	 * "group N" only changes the tests opened after it. */
	T->by_arrival = shm->config.group_size != 0;
	T->promised = T->by_arrival ? 0 : expected;
	T->joined = 0;
	T->aborted = 0;
	T->abort_reason[0] = '\0';
	T->proto = req->proto;
	strlcpy(T->file, req->file, sizeof(T->file));
	T->size = req->size;
	strlcpy(T->sha256, req->sha256, sizeof(T->sha256));
	T->start_deadline = now + (int64_t)conf->ready_timeout_s * 1000000000;
	T->arrival_deadline = T->by_arrival ? 0 : now + SCHED_ARRIVAL_NS;
	if (T->arrival_deadline > T->start_deadline)
		T->arrival_deadline = T->start_deadline;
	T->start_mono = 0;
	return t;
}

static bool
member_taken(struct ft_shm *shm, const struct ft_shm_test *T, unsigned no)
{
	unsigned m;

	for (m = 0; m < T->joined; m++)
		if (sched_outcome(shm, T->member_outcome[m])->client_no == no)
			return true;
	return false;
}

static void
join(struct ft_shm *shm, int slot, int t, int outcome,
    const struct sched_request *req, bool by_run, struct sched_verdict *v)
{
	struct ft_shm_test *T = test_at(shm, t);
	struct sched_seat *s = &v->seat;

	/* Every path here checked it; the member arrays depend on it. */
	if (T->joined >= T->expected || T->joined >= FT_MAX_WORKERS) {
		shm->outcomes[outcome].used = 0;
		refuse(v, FT_ERR_BUSY, "busy: the test is full");
		return;
	}
	s->test = t;
	s->test_no = T->test_no;
	s->index = T->joined;
	s->expected = T->expected;
	s->outcome = outcome;
	s->member = by_run && req->client >= 1 && req->client <= T->expected ?
	    req->client : T->joined + 1;
	if (member_taken(shm, T, s->member)) {
		shm->outcomes[outcome].used = 0;
		refuse(v, FT_ERR_CONFLICT, "client %u is already in this test",
		    s->member);
		return;
	}
	T->member_state[T->joined] = FT_MEMBER_JOINED;
	T->member_outcome[T->joined] = (int16_t)outcome;
	T->member_slot[T->joined] = (int16_t)slot;
	T->joined++;
	sched_outcome(shm, outcome)->client_no = s->member;
	shm->slots[slot].test = t;
	shm->slots[slot].outcome = outcome;
	shm->slots[slot].member = s->member;
	v->answer = SCHED_SEATED;
}



/* A new test that cannot open now: the run's ticket, or a refusal for a
 * GET without a run id (it could not come back as the same run). */
static void
queue_or_refuse(struct ft_shm *shm, const struct sched_request *req,
    unsigned seats, int64_t now, struct ft_ticket *tk,
    struct sched_verdict *v)
{
	if (req->run == 0) {
		if (v->ahead > 0)
			refuse(v, FT_ERR_BUSY, "busy: %u runs are waiting for "
			    "seats", v->ahead);
		else if (seats <= v->free)	/* the lobby: seats, no worker */
			refuse(v, FT_ERR_BUSY, "busy: every worker is still "
			    "busy; try again in a moment");
		else
			refuse(v, FT_ERR_BUSY, "busy: no free seats for a test of "
			    "%u (%u free)", seats, v->free);
		return;
	}
	if (tk == NULL && (tk = new_ticket(shm, req, seats, now, v)) == NULL)
		return;		/* refused, with the bound it met */
	tk->last_seen = now;
	v->answer = SCHED_QUEUED;
	__atomic_fetch_add(&shm->totals.queued, 1, __ATOMIC_RELAXED);
}

/* No open test for this GET: a new one, or the queue. */
static void
admit_new(struct ft_shm *shm, const struct ft_conf *conf, int slot,
    const struct sched_request *req, unsigned expected, int64_t now,
    struct sched_verdict *v)
{
	struct ft_ticket *tk;
	int t, outcome;

	purge_tickets(shm, now);
	tk = find_ticket(shm, req->run, req->client_ip);
	v->ahead = tickets_before(shm, tk);
	v->need = expected;
	v->free = seats_free(shm, conf);
	if (v->ahead > 0 || expected > v->free) {
		queue_or_refuse(shm, req, expected, now, tk, v);
		return;
	}
	if ((outcome = take_free_outcome(shm)) == FT_NO_INDEX) {
		refuse(v, FT_ERR_BUSY, "busy: too many transfers waiting to be "
		    "logged");
		return;
	}
	t = open_test(shm, conf, test_key(shm, req), expected, req, now);
	if (t == FT_NO_INDEX) {
		shm->outcomes[outcome].used = 0;
		refuse(v, FT_ERR_BUSY, "busy: too many tests in progress");
		return;
	}
	if (tk != NULL)
		tk->run = 0;
	join(shm, slot, t, outcome, req, test_key(shm, req) != 0, v);
}

/* ---------------------------------------------------------------- -n */

static struct ft_admission *
find_admission(struct ft_shm *shm, uint64_t run, const char *ip)
{
	unsigned a;

	for (a = 0; run != 0 && a < FT_MAX_WORKERS; a++) {
		struct ft_admission *ad = &shm->admissions[a];
		struct ft_shm_test *T = test_at(shm, ad->test);
		if (ad->run != run || (ip != NULL && strcmp(ad->client_ip, ip) != 0))
			continue;
		if (T->test_no == ad->test_no && T->state == FT_TEST_GATHERING &&
		    !T->aborted && T->joined < T->expected)
			return ad;
		ad->run = 0;	/* its test started, ended or was given up */
	}
	return NULL;
}

static bool
note_admission(struct ft_shm *shm, const struct sched_request *req, int t,
    unsigned count)
{
	unsigned a;

	for (a = 0; a < FT_MAX_WORKERS; a++) {
		struct ft_admission *ad = &shm->admissions[a];
		if (ad->run != 0 && find_admission(shm, ad->run, NULL) != NULL)
			continue;
		*ad = (struct ft_admission){ .run = req->run, .test = t,
		    .test_no = test_at(shm, t)->test_no, .count = count,
		    .joined = 1 };
		strlcpy(ad->client_ip, req->client_ip, sizeof(ad->client_ip));
		return true;
	}
	return false;
}

/* The run's first connection: its seats promised in test t. */
static void
seat_run_in(struct ft_shm *shm, int slot, int t, int outcome, unsigned count,
    const struct sched_request *req, struct sched_verdict *v)
{
	struct ft_shm_test *T = test_at(shm, t);

	if (count > 1 && !note_admission(shm, req, t, count)) {
		shm->outcomes[outcome].used = 0;
		refuse(v, FT_ERR_BUSY, "busy: too many runs gathering");
		return;
	}
	T->promised += count;
	join(shm, slot, t, outcome, req, false, v);
}

/* -n, a run's first connection: room in an open test, or a new test in
 * its turn. Under the queue, only new tests wait: an open test's room is
 * promised to it already. */
static void
admit_run_by_arrival(struct ft_shm *shm, const struct ft_conf *conf,
    int slot, const struct sched_request *req, unsigned count, int outcome,
    int64_t now, struct sched_verdict *v)
{
	unsigned n = shm->config.group_size;
	struct ft_ticket *tk;
	int t = find_room(shm, req->proto, count, req->file);

	purge_tickets(shm, now);
	tk = find_ticket(shm, req->run, req->client_ip);
	if (t != FT_NO_INDEX) {
		if (tk != NULL)
			tk->run = 0;
		seat_run_in(shm, slot, t, outcome, count, req, v);
		return;
	}
	v->ahead = tickets_before(shm, tk);
	v->need = n;
	v->free = seats_free(shm, conf);
	if (v->ahead > 0 || n > v->free) {
		queue_or_refuse(shm, req, n, now, tk, v);
		return;
	}
	if ((t = open_test(shm, conf, 0, n, req, now)) == FT_NO_INDEX) {
		refuse(v, FT_ERR_BUSY, "busy: too many tests in progress");
		return;
	}
	if (tk != NULL)
		tk->run = 0;
	seat_run_in(shm, slot, t, outcome, count, req, v);
}

/* -n: tests by arrival; a run is seated whole, in one test. */
static void
admit_by_arrival(struct ft_shm *shm, const struct ft_conf *conf, int slot,
    const struct sched_request *req, int64_t now, struct sched_verdict *v)
{
	unsigned n = shm->config.group_size;
	unsigned count = req->run != 0 && req->group != 0 ? req->group : 1;
	struct ft_admission *ad = find_admission(shm, req->run, req->client_ip);
	int outcome;

	if (ad == NULL && count > n) {
		refuse(v, FT_ERR_TOO_LARGE, "a run of %u connections does not fit "
		    "this server's tests of %u (-n)", count, n);
		return;
	}
	if ((outcome = take_free_outcome(shm)) == FT_NO_INDEX) {
		refuse(v, FT_ERR_BUSY, "busy: too many transfers waiting to be "
		    "logged");
		return;
	}
	if (ad == NULL) {
		admit_run_by_arrival(shm, conf, slot, req, count, outcome, now, v);
		if (v->answer != SCHED_SEATED)
			shm->outcomes[outcome].used = 0;
		return;
	}
	if (++ad->joined >= ad->count)
		ad->run = 0;
	join(shm, slot, ad->test, outcome, req, false, v);
}

static void
admit_locked(struct ft_shm *shm, const struct ft_conf *conf, int slot,
    const struct sched_request *req, int64_t now, struct sched_verdict *v)
{
	unsigned expected = test_size(shm, req->group);
	uint64_t key = test_key(shm, req);
	int t, outcome;

	if (expected > conf->workers) {
		refuse(v, FT_ERR_TOO_LARGE, "a test of %u connections exceeds "
		    "the %u workers of this server", expected, conf->workers);
		return;
	}
	if (shm->config.group_size != 0) {
		admit_by_arrival(shm, conf, slot, req, now, v);
		return;
	}
	t = find_open_test(shm, key, req->client_ip, req->proto);
	if (t == FT_NO_INDEX) {
		admit_new(shm, conf, slot, req, expected, now, v);
		return;
	}
	if (strcmp(test_at(shm, t)->file, req->file) != 0) {
		refuse(v, FT_ERR_CONFLICT, "this test is sending %s, not %s",
		    test_at(shm, t)->file, req->file);
		return;
	}
	if ((outcome = take_free_outcome(shm)) == FT_NO_INDEX) {
		refuse(v, FT_ERR_BUSY, "busy: too many transfers waiting to be "
		    "logged");
		return;
	}
	join(shm, slot, t, outcome, req, key != 0, v);
}

void
sched_admit(struct ft_shm *shm, const struct ft_conf *conf, int slot,
    const struct sched_request *req, int64_t now, struct sched_verdict *v)
{
	memset(v, 0, sizeof(*v));
	ft_shm_lock(&shm->lock);
	admit_locked(shm, conf, slot, req, now, v);
	ft_shm_unlock(&shm->lock);
}

static void
lobby_locked(struct ft_shm *shm, const struct ft_conf *conf,
    const struct sched_request *req, int64_t now, struct sched_verdict *v)
{
	bool by_arrival = shm->config.group_size != 0;
	unsigned expected = test_size(shm, req->group);
	unsigned seats = by_arrival ? shm->config.group_size : expected;
	struct ft_ticket *tk;

	if (expected > conf->workers) {
		refuse(v, FT_ERR_TOO_LARGE, "a test of %u connections exceeds "
		    "the %u workers of this server", expected, conf->workers);
		return;
	}
	v->need = seats;
	v->free = seats_free(shm, conf);
	/* Its seats are promised already: only a worker is missing, and one
	 * frees soon; ask again, ahead of nobody. */
	if (req->run != 0 && ((!by_arrival && find_open_test(shm, req->run,
	    req->client_ip, req->proto) != FT_NO_INDEX) || (by_arrival &&
	    find_admission(shm, req->run, req->client_ip) != NULL))) {
		v->answer = SCHED_QUEUED;
		return;
	}
	purge_tickets(shm, now);
	tk = find_ticket(shm, req->run, req->client_ip);
	v->ahead = tickets_before(shm, tk);
	queue_or_refuse(shm, req, seats, now, tk, v);
}

void
sched_lobby_admit(struct ft_shm *shm, const struct ft_conf *conf,
    const struct sched_request *req, int64_t now, struct sched_verdict *v)
{
	memset(v, 0, sizeof(*v));
	ft_shm_lock(&shm->lock);
	lobby_locked(shm, conf, req, now, v);
	ft_shm_unlock(&shm->lock);
}

unsigned
sched_idle_workers(struct ft_shm *shm, const struct ft_conf *conf)
{
	unsigned k, n = 0;

	/* Word-sized fields each worker writes alone: a racy count is fine
	 * for a heuristic. */
	for (k = 0; k < conf->workers; k++)
		n += __atomic_load_n(&shm->slots[k].pid, __ATOMIC_RELAXED) != 0 &&
		    __atomic_load_n(&shm->slots[k].state, __ATOMIC_RELAXED) ==
		    FT_SLOT_IDLE;
	return n;
}

/* ---------------------------------------------------------------- start */

/* The seat still refers to the test it joined (tests[] are reused). */
static bool
seat_valid(struct ft_shm *shm, const struct sched_seat *s)
{
	struct ft_shm_test *T = test_at(shm, s->test);

	return T->state != FT_TEST_FREE && T->test_no == s->test_no &&
	    s->index < T->joined;
}

/* The next deadline a member waits for: the arrival deadline while the
 * run has not all joined, then the start deadline. Under lock. */
static int64_t
next_deadline(const struct ft_shm_test *T)
{
	if (T->arrival_deadline != 0 && T->joined < T->expected)
		return T->arrival_deadline;
	return T->start_deadline;
}

int64_t
sched_start_deadline(struct ft_shm *shm, const struct sched_seat *s)
{
	int64_t d;

	ft_shm_lock(&shm->lock);
	d = next_deadline(test_at(shm, s->test));
	ft_shm_unlock(&shm->lock);
	return d;
}

struct timespec
sched_start_wall(struct ft_shm *shm, const struct sched_seat *s)
{
	struct timespec t;

	ft_shm_lock(&shm->lock);
	t = test_at(shm, s->test)->start_wall;
	ft_shm_unlock(&shm->lock);
	return t;
}

int
sched_status(struct ft_shm *shm, const struct sched_seat *s, char *why,
    size_t whylen)
{
	struct ft_shm_test *T = test_at(shm, s->test);
	int rc = 0;

	/* Its own silence first: a member dropped is told so (408), even if
	 * the test could not start without it either. */
	ft_shm_lock(&shm->lock);
	if (T->member_state[s->index] == FT_MEMBER_DROPPED ||
	    T->member_state[s->index] == FT_MEMBER_GONE) {
		strlcpy(why, "dropped at the test's start deadline", whylen);
		rc = FT_ERR_TIMEOUT;
	} else if (T->aborted) {
		strlcpy(why, T->abort_reason, whylen);
		rc = FT_ERR_CONFLICT;
	}
	ft_shm_unlock(&shm->lock);
	return rc;
}

int
sched_ready(struct ft_shm *shm, const struct sched_seat *s, char *why,
    size_t whylen)
{
	struct ft_shm_test *T = test_at(shm, s->test);
	int rc = 0;

	ft_shm_lock(&shm->lock);
	if (T->aborted) {
		strlcpy(why, T->abort_reason, whylen);
		rc = FT_ERR_CONFLICT;
	} else if (T->member_state[s->index] != FT_MEMBER_JOINED) {
		strlcpy(why, "dropped at the test's start deadline", whylen);
		rc = FT_ERR_TIMEOUT;
	} else {
		T->member_state[s->index] = FT_MEMBER_READY;
		settle(shm, T, NULL);
	}
	ft_shm_unlock(&shm->lock);
	return rc;
}

static void
expire_locked(struct ft_shm *shm, const struct ft_conf *conf,
    struct ft_shm_test *T, int64_t now)
{
	struct member_counts c;
	char reason[FT_REASON_MAX];
	unsigned m;

	if (T->state != FT_TEST_GATHERING || T->aborted)
		return;
	if (now < T->start_deadline && now >= next_deadline(T)) {
		/* The rest of the run never came: its seats go back. */
		snprintf(reason, sizeof(reason), "only %u of %u connections "
		    "arrived within %lld s", T->joined, T->expected,
		    SCHED_ARRIVAL_NS / 1000000000);
		test_abort(T, reason);
		settle(shm, T, NULL);
		return;
	}
	if (now < T->start_deadline)
		return;
	for (m = 0; m < T->joined; m++) {
		if (T->member_state[m] != FT_MEMBER_JOINED)
			continue;
		T->member_state[m] = FT_MEMBER_DROPPED;
		ft_set_reason(sched_outcome(shm, T->member_outcome[m]), "the "
		    "client never confirmed ready (the test's %d s)",
		    conf->ready_timeout_s);
	}
	c = count_members(T);
	if (T->joined < T->expected)
		snprintf(reason, sizeof(reason), "only %u of %u connections "
		    "arrived within %d s", T->joined, T->expected,
		    conf->ready_timeout_s);
	else if (c.ready == 0)
		snprintf(reason, sizeof(reason), "no connection confirmed ready "
		    "within %d s", conf->ready_timeout_s);
	else
		reason[0] = '\0';	/* it starts with the ready ones */
	if (reason[0])
		test_abort(T, reason);
	settle(shm, T, NULL);
}

void
sched_expire(struct ft_shm *shm, const struct ft_conf *conf, int test,
    int64_t now)
{
	ft_shm_lock(&shm->lock);
	expire_locked(shm, conf, test_at(shm, test), now);
	ft_shm_unlock(&shm->lock);
}

/* After a wake-up, a timeout or a signal: 0 released, -1 not (why), 1
 * a post meant for a member that left: wait on. */
static int
check_released(struct ft_shm *shm, const struct ft_conf *conf,
    const struct sched_seat *s, int waited, char *why, size_t whylen)
{
	struct ft_shm_test *T = test_at(shm, s->test);
	int rc;

	ft_shm_lock(&shm->lock);
	if (T->member_state[s->index] == FT_MEMBER_RUNNING) {
		ft_shm_unlock(&shm->lock);
		return 0;
	}
	if (!T->aborted && waited == FT_IO_INTR)
		test_abort(T, "the server is shutting down");
	else if (!T->aborted && waited == FT_IO_ERR)
		test_abort(T, "the start barrier failed");
	else if (waited == FT_IO_LATE)
		expire_locked(shm, conf, T, ft_mono_ns());
	if (T->member_state[s->index] == FT_MEMBER_RUNNING)
		rc = 0;
	else if (T->aborted)
		rc = -1, strlcpy(why, T->abort_reason, whylen);
	else if (waited == FT_IO_OK || (waited == FT_IO_LATE &&
	    ft_mono_ns() < T->start_deadline))
		rc = 1;		/* still READY: a post for another, or the
				 * arrival deadline passed with all arrived */
	else {
		/* Past the deadline and still not released: the state is not
		 * one the rules can reach; end it rather than wait again. */
		test_abort(T, "the test did not start by its deadline");
		rc = -1, strlcpy(why, T->abort_reason, whylen);
	}
	ft_shm_unlock(&shm->lock);
	return rc;
}

int
sched_wait_start(struct ft_shm *shm, const struct ft_conf *conf,
    const struct sched_seat *s, volatile sig_atomic_t *stop, char *why,
    size_t whylen)
{
	struct ft_shm_test *T = test_at(shm, s->test);
	int rc;

	why[0] = '\0';
	for (;;) {
		int waited = ft_sem_wait_until(&T->start,
		    sched_start_deadline(shm, s), stop);
		rc = check_released(shm, conf, s, waited, why, whylen);
		if (rc <= 0)
			return rc;
	}
}

/* ---------------------------------------------------------------- the end */

void
sched_leave(struct ft_shm *shm, int slot, const struct sched_seat *s,
    bool done, struct sched_unstarted *u)
{
	struct ft_shm_test *T = test_at(shm, s->test);

	if (u != NULL)
		memset(u, 0, sizeof(*u));
	ft_shm_lock(&shm->lock);
	if (seat_valid(shm, s)) {
		T->member_state[s->index] = done ? FT_MEMBER_DONE : FT_MEMBER_GONE;
		if (u != NULL)
			strlcpy(u->last, sched_outcome(shm, s->outcome)->reason,
			    sizeof(u->last));
		settle(shm, T, u);
	}
	shm->slots[slot].test = FT_NO_INDEX;
	shm->slots[slot].outcome = FT_NO_INDEX;
	ft_shm_unlock(&shm->lock);
}

/* The index of the member holding an outcome: for the master, which
 * knows a dead worker's outcome but not its join order. */
static int
member_index(const struct ft_shm_test *T, int outcome)
{
	unsigned m;

	for (m = 0; m < T->joined; m++)
		if (T->member_outcome[m] == outcome)
			return (int)m;
	return -1;
}

void
sched_member_died(struct ft_shm *shm, int slot, const char *reason,
    struct sched_unstarted *u)
{
	struct ft_slot *S = &shm->slots[slot];
	struct ft_shm_test *T;
	struct ft_xfer *x;
	int m;

	if (u != NULL)
		memset(u, 0, sizeof(*u));
	ft_shm_lock(&shm->lock);
	if (S->test == FT_NO_INDEX || S->outcome == FT_NO_INDEX)
		goto out;
	T = test_at(shm, S->test);
	m = member_index(T, S->outcome);
	if (T->state != FT_TEST_FREE && m >= 0 &&
	    T->member_state[m] != FT_MEMBER_DONE &&
	    T->member_state[m] != FT_MEMBER_GONE) {
		x = sched_outcome(shm, S->outcome);
		x->ok = 0;
		x->bytes = S->bytes;	/* the last progress it published */
		__atomic_fetch_add(&shm->totals.transfers_failed, 1,
		    __ATOMIC_RELAXED);
		ft_set_reason(x, "%s", reason);
		if (u != NULL)
			strlcpy(u->last, reason, sizeof(u->last));
		T->member_state[m] = FT_MEMBER_GONE;
		settle(shm, T, u);
	}
	S->test = S->outcome = FT_NO_INDEX;
out:
	ft_shm_unlock(&shm->lock);
}

bool
sched_take_complete(struct ft_shm *shm, const struct ft_conf *conf,
    struct ft_test *t, struct ft_xfer *x, size_t *n)
{
	struct ft_shm_test *T = NULL;
	unsigned m;
	int k;

	ft_shm_lock(&shm->lock);
	for (k = 0; k < FT_MAX_TESTS && T == NULL; k++)
		if (test_at(shm, k)->state == FT_TEST_COMPLETE)
			T = test_at(shm, k);
	if (T == NULL) {
		ft_shm_unlock(&shm->lock);
		return false;
	}
	memset(t, 0, sizeof(*t));
	t->role = "server";
	t->proto = T->proto;
	t->mode = T->proto == FT_UDP ? (conf->reliable ? "reliable" : "raw") :
	    "-";
	strlcpy(t->file, T->file, sizeof(t->file));
	t->size = T->size;
	memcpy(t->sha256, T->sha256, FT_SHA256_HEX);
	t->start = T->start_wall;
	t->clients = T->expected;
	for (m = 0; m < T->joined; m++)
		x[m] = shm->outcomes[T->member_outcome[m]].xfer;
	*n = T->joined;
	free_test(shm, T);
	ft_shm_unlock(&shm->lock);
	return true;
}

void
sched_counts(struct ft_shm *shm, const struct ft_conf *conf,
    unsigned *seats_used, unsigned *queued)
{
	int64_t now = ft_mono_ns();
	unsigned q;

	ft_shm_lock(&shm->lock);
	*seats_used = conf->workers - seats_free(shm, conf);
	*queued = 0;
	for (q = 0; q < FT_QUEUE_MAX; q++)
		*queued += shm->queue[q].run != 0 &&
		    now - shm->queue[q].last_seen <= SCHED_TICKET_TTL_NS;
	ft_shm_unlock(&shm->lock);
}
