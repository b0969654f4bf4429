/* unit-sched.c: server/sched.c without sockets: admission (a test is
 * seated whole or not at all; runs that do not fit queue in arrival
 * order; bounds on the queue; with -n, runs seated whole in tests by
 * arrival), the start condition and its one deadline
 * per test (silent members dropped, the ready ones started, or the test
 * aborted with the reason true for all), the end (a test that never
 * started is freed at once, with what to say; one that started waits
 * for its log), a worker's death, stale seats, and the per-address count
 * of connections in their handshake. Time is passed in, except where a
 * real wait on the start barrier is the point (a second at most). */
#include "sched.h"
#include "ft_time.h"
#include "tap.h"

#include <errno.h>
#include <string.h>

#define SEC 1000000000LL
#define SHA "0000000000000000000000000000000000000000000000000000000000000000"

static struct ft_shm *shm;
static struct ft_conf conf = { .workers = 25, .ready_timeout_s = 60,
    .proto = FT_TCP };
static int64_t now;

static void
fresh(unsigned workers, unsigned group_size)
{
	if (shm != NULL)
		ft_shm_destroy(shm);
	if ((shm = ft_shm_create()) == NULL)
		bail("ft_shm_create: %s", strerror(errno));
	conf.workers = workers;
	shm->config.group_size = group_size;
	now = ft_mono_ns();
}

/* A GET from a run (0: no run id), as connection `client` of `group`. */
static struct sched_verdict
ask_as(int slot, uint64_t run, unsigned group, unsigned client,
    const char *ip, const char *file)
{
	struct sched_verdict v;
	struct sched_request r = { .run = run, .group = group, .client = client,
	    .proto = FT_TCP, .client_ip = ip, .file = file, .size = 10,
	    .sha256 = SHA };

	sched_admit(shm, &conf, slot, &r, now, &v);
	return v;
}

static struct sched_verdict
ask(int slot, uint64_t run, unsigned group, unsigned client)
{
	return ask_as(slot, run, group, client, "10.0.0.1", "a.bin");
}

static unsigned
free_seats(void)
{
	unsigned used, queued;

	sched_counts(shm, &conf, &used, &queued);
	return conf.workers - used;
}

/* Every member of a seated run says READY; then they finish. */
static void
run_through(struct sched_seat *seat, unsigned n, bool done)
{
	char why[SCHED_WHY_MAX];
	unsigned i;

	for (i = 0; i < n; i++)
		if (sched_ready(shm, &seat[i], why, sizeof(why)) != 0)
			bail("ready %u: %s", i, why);
	for (i = 0; i < n; i++)
		sched_leave(shm, (int)i, &seat[i], done, NULL);
}

static void
check_interleaved_runs(void)
{
	struct sched_seat a[20], b[20];
	struct sched_verdict v;
	struct ft_test t;
	static struct ft_xfer x[FT_MAX_WORKERS];
	size_t n;
	unsigned i, ka = 0, queued = 0;

	fresh(25, 0);
	/* 13 of A and 12 of B, interleaved, then the rest of A. */
	for (i = 0; i < 25; i++) {
		if (i % 2 == 0) {
			v = ask((int)ka, 0xa, 20, ka + 1);
			if (v.answer == SCHED_SEATED)
				a[ka++] = v.seat;
		} else {
			v = ask(20, 0xb, 20, i / 2 + 1);
			queued += v.answer == SCHED_QUEUED;
			if (i == 1)
				ok(v.ahead == 0 && v.need == 20 && v.free == 5,
				    "B's first GET: QUEUED ahead=0 need=20 free=5 "
				    "(got %u %u %u)", v.ahead, v.need, v.free);
		}
	}
	is_uint(13, ka, "interleaved runs of 20 on 25 workers: A's 13 seated");
	is_uint(12, queued, "...B's 12 told QUEUED, holding no seat");
	while (ka < 20 && (v = ask((int)ka, 0xa, 20, ka + 1)).answer ==
	    SCHED_SEATED)
		a[ka++] = v.seat;
	is_uint(20, ka, "...A's last 7 seated in the seats promised to A");
	is_uint(5, free_seats(), "...20 of 25 seats promised");
	v = ask(20, 0xb, 20, 1);
	is_int(SCHED_QUEUED, v.answer, "B asks again while A runs: still QUEUED");
	run_through(a, 20, true);
	ok(sched_take_complete(shm, &conf, &t, x, &n) && n == 20,
	    "A ran: its test is complete, 20 outcomes to log");
	is_uint(25, free_seats(), "...and its seats are free");
	for (i = 0; i < 20; i++) {
		v = ask((int)i, 0xb, 20, i + 1);
		if (v.answer != SCHED_SEATED)
			break;
		b[i] = v.seat;
	}
	is_uint(20, i, "B comes back: all 20 seated, in one test");
	ok(b[0].test == b[19].test && b[0].expected == 20,
	    "...the same test, of 20");
}

static void
check_first_come(void)
{
	struct sched_verdict v, c;
	struct sched_seat s[25];
	unsigned i;

	fresh(25, 0);
	for (i = 0; i < 20; i++)
		s[i] = ask((int)i, 0x1, 20, i + 1).seat;
	c = ask(21, 0xc, 10, 1);
	ok(c.answer == SCHED_QUEUED && c.ahead == 0, "C needs 10 of 5 free: "
	    "queued first");
	v = ask(22, 0xd, 1, 1);
	ok(v.answer == SCHED_QUEUED && v.ahead == 1, "D needs 1, which is "
	    "free, but C came first: QUEUED ahead=1 (%u)", v.ahead);
	run_through(s, 20, true);
	v = ask(22, 0xd, 1, 1);
	ok(v.answer == SCHED_QUEUED && v.ahead == 1, "the seats are free, D "
	    "asks before C: still behind C");
	c = ask(21, 0xc, 10, 1);
	is_int(SCHED_SEATED, c.answer, "C asks: seated");
	v = ask(22, 0xd, 1, 1);
	ok(v.answer == SCHED_SEATED, "then D: seated (nobody ahead)");

	fresh(2, 0);
	s[0] = ask(0, 0x1, 2, 1).seat;
	c = ask(1, 0xc, 2, 1);
	is_int(SCHED_QUEUED, c.answer, "a queued run...");
	now += SCHED_TICKET_TTL_NS + SEC;
	v = ask(1, 0xd, 1, 1);
	is_int(SCHED_QUEUED, v.answer, "...that does not ask again within the "
	    "TTL loses its place: the next one is first");
	is_uint(0, v.ahead, "...with nobody ahead");
}

static void
check_bounds(void)
{
	struct sched_verdict v;
	unsigned i, busy = 0;
	char ip[32];

	fresh(4, 0);
	ask(0, 0x1, 4, 1);
	for (i = 0; i < FT_QUEUE_PER_ADDR; i++)
		is_int(SCHED_QUEUED, ask(1, 0x100 + i, 2, 1).answer,
		    "run %u from one address: queued", i + 1);
	v = ask(1, 0x200, 2, 1);
	is_int(SCHED_REFUSED, v.answer, "one more from that address: refused");
	is_int(FT_ERR_BUSY, v.code, "...503");
	is_string("busy: 4 runs from 10.0.0.1 are already waiting for seats",
	    v.why, "...saying why");
	for (i = 0; i < FT_QUEUE_MAX; i++) {
		snprintf(ip, sizeof(ip), "10.1.0.%u", i);
		busy += ask_as(1, 0x300 + i, 2, 1, ip, "a.bin").answer ==
		    SCHED_REFUSED;
	}
	is_uint(FT_QUEUE_PER_ADDR, busy, "at most %d runs queued in all: the "
	    "last %d are refused", FT_QUEUE_MAX, FT_QUEUE_PER_ADDR);
	v = ask(1, 0, 2, 1);
	ok(v.answer == SCHED_REFUSED && v.code == FT_ERR_BUSY,
	    "no run id and no seat: 503 at once (%s)", v.why);
	v = ask(1, 0x9, 5, 1);
	ok(v.answer == SCHED_REFUSED && v.code == FT_ERR_TOO_LARGE,
	    "a test larger than the workers: 413 (%s)", v.why);
	fresh(4, 0);
	ask_as(0, 0x1, 2, 1, "10.0.0.1", "a.bin");
	v = ask_as(1, 0x1, 2, 2, "10.0.0.1", "b.bin");
	ok(v.answer == SCHED_REFUSED && v.code == FT_ERR_CONFLICT,
	    "another file for the open test: 409 (%s)", v.why);
}

/* -n 3: a test gathers arrivals from three runs; one never says READY. */
static void
check_deadline_drops_silent(void)
{
	struct sched_unstarted u;
	struct sched_seat s[3];
	struct ft_test t;
	static struct ft_xfer x[FT_MAX_WORKERS];
	char why[SCHED_WHY_MAX];
	size_t n;
	unsigned i;

	fresh(4, 3);
	for (i = 0; i < 3; i++)
		s[i] = ask((int)i, 0x10 + i, 1, 1).seat;
	ok(s[0].test == s[2].test && s[2].member == 3 && s[2].expected == 3,
	    "-n 3: three runs' connections form one test, members 1..3");
	is_int(0, sched_ready(shm, &s[0], why, sizeof(why)), "member 1 READY");
	is_int(0, sched_ready(shm, &s[1], why, sizeof(why)), "member 2 READY");
	sched_expire(shm, &conf, s[0].test, now + SEC);
	is_int(FT_TEST_GATHERING, shm->tests[s[0].test].state,
	    "before the deadline: nothing happens");
	sched_expire(shm, &conf, s[0].test, now + 61 * SEC);
	is_int(FT_TEST_RUNNING, shm->tests[s[0].test].state,
	    "at the deadline: the test starts with the two ready ones");
	is_int(FT_ERR_TIMEOUT, sched_ready(shm, &s[2], why, sizeof(why)),
	    "the silent one's READY, too late: dropped (408)");
	is_int(0, sched_wait_start(shm, &conf, &s[0], NULL, why, sizeof(why)),
	    "member 1 leaves the barrier: released");
	is_int(0, sched_wait_start(shm, &conf, &s[1], NULL, why, sizeof(why)),
	    "member 2 too");
	sched_leave(shm, 2, &s[2], false, &u);
	sched_leave(shm, 0, &s[0], true, &u);
	sched_leave(shm, 1, &s[1], true, &u);
	ok(!u.freed, "a test that started is not freed by its members...");
	ok(sched_take_complete(shm, &conf, &t, x, &n) && n == 3,
	    "...but logged: 3 outcomes");
	for (i = 0; i < n && x[i].client_no != 3; i++)
		;
	ok(i < n && strstr(x[i].reason, "never confirmed ready") != NULL,
	    "member 3's outcome says it never confirmed ready (%s)",
	    i < n ? x[i].reason : "?");
}

/* -n: a run is seated whole in one test, never split across two. */
static void
check_runs_whole_by_arrival(void)
{
	struct sched_verdict a1, a2, b1, b2, c1, v;

	fresh(8, 4);
	a1 = ask(0, 0xa, 3, 1);
	b1 = ask(1, 0xb, 3, 1);
	a2 = ask(2, 0xa, 3, 2);
	b2 = ask(3, 0xb, 3, 2);
	ok(a1.answer == SCHED_SEATED && b1.answer == SCHED_SEATED,
	    "-n 4, two runs of 3 interleaved: both seated");
	ok(a1.seat.test == a2.seat.test && b1.seat.test == b2.seat.test &&
	    a1.seat.test != b1.seat.test, "...each whole in its own test (3 "
	    "and 3 do not fit one test of 4)");
	v = ask(4, 0xc, 1, 1);
	ok(v.answer == SCHED_SEATED && v.seat.test == a1.seat.test,
	    "a run of 1 takes the room left in the first test");
	v = ask(5, 0xd, 5, 1);
	ok(v.answer == SCHED_REFUSED && v.code == FT_ERR_TOO_LARGE,
	    "a run of 5 against tests of 4: 413 (%s)", v.why);

	fresh(6, 4);
	a1 = ask(0, 0xa, 2, 1);
	b1 = ask(1, 0xb, 4, 1);
	ok(a1.answer == SCHED_SEATED && b1.answer == SCHED_QUEUED,
	    "-n 4 on 6 workers: a run of 2 seated, a run of 4 queued (a new "
	    "test needs 4, 2 are free)");
	c1 = ask(2, 0xc, 2, 1);
	ok(c1.answer == SCHED_SEATED && c1.seat.test == a1.seat.test,
	    "a run of 2 behind it fills the open test's room, queue or not "
	    "(those seats are the test's already)");
	v = ask(3, 0xa, 2, 2);
	ok(v.answer == SCHED_SEATED && v.seat.test == a1.seat.test,
	    "the first run's second connection finds its test");
	v = ask(4, 0xc, 2, 2);
	ok(v.answer == SCHED_SEATED && v.seat.test == a1.seat.test &&
	    v.seat.member == 4, "...and so does the other's: the test is whole, "
	    "members 1..4");
}

/* The console's "group N" while tests are open changes only the tests
 * opened after it: a test never takes more members than its size. */
static void
check_group_size_changes(void)
{
	struct sched_verdict v;
	unsigned i, seated = 0;
	int t;

	fresh(8, 0);
	v = ask(0, 0, 2, 0);
	t = v.seat.test;
	ask(1, 0, 2, 0);
	shm->config.group_size = 4;
	v = ask(2, 0, 2, 0);
	ok(v.answer == SCHED_SEATED && v.seat.test != t && v.seat.expected == 4,
	    "group 4 set while a test of 2 (no run id) is full: the next "
	    "arrival opens a test of 4");
	for (i = 3; i < 8; i++)
		seated += ask((int)i, 0, 2, 0).answer == SCHED_SEATED;
	is_uint(2, shm->tests[t].joined, "...the test of 2 keeps its 2 members");
	is_uint(3, seated, "...the new test takes 3 more, and no more");

	fresh(8, 4);
	v = ask(0, 0, 1, 0);
	t = v.seat.test;
	shm->config.group_size = 0;
	v = ask(1, 0, 2, 0);
	ok(v.answer == SCHED_SEATED && v.seat.test != t,
	    "group 0 set while a test of 4 by arrival gathers: a GET without "
	    "run id opens its own test");
	is_uint(1, shm->tests[t].joined, "...the test by arrival keeps its "
	    "one member");
	shm->config.group_size = 4;
	for (i = 2; i < 8; i++)
		ask((int)i, 0, 1, 0);
	ok(shm->tests[t].joined <= shm->tests[t].expected,
	    "group 4 again: the test by arrival fills to 4 at most (%u)",
	    shm->tests[t].joined);
}

/* Findings of the review: each a way to get a wrong seat. */
static void
check_hostile_requests(void)
{
	struct sched_verdict v, w;
	struct sched_unstarted u;

	fresh(8, 4);
	ask_as(0, 0xa, 2, 1, "10.0.0.1", "a.bin");
	v = ask_as(1, 0xb, 4, 1, "10.0.0.2", "b.bin");
	ok(v.answer == SCHED_SEATED && v.seat.expected == 4,
	    "-n: a run asking for another file than the open test's goes to a "
	    "new test (%s)", v.answer == SCHED_REFUSED ? v.why : "seated");

	fresh(8, 0);
	ask(0, 0xa, 3, 1);
	v = ask(1, 0xa, 3, 1);
	ok(v.answer == SCHED_REFUSED && v.code == FT_ERR_CONFLICT,
	    "a second client=1 in one run: refused (%s)", v.why);

	fresh(8, 0);
	v = ask_as(0, 0xa, 2, 1, "10.0.0.1", "a.bin");
	w = ask_as(1, 0xa, 2, 2, "10.0.0.9", "a.bin");
	ok(w.answer != SCHED_SEATED || w.seat.test != v.seat.test,
	    "another address with the same run id does not join that run's "
	    "test");

	fresh(4, 0);
	v = ask(0, 0xa, 2, 1);
	sched_member_died(shm, 0, "killed", &u);
	ok(shm->totals.transfers_failed == 1, "a member lost with its worker "
	    "counts as a failed transfer");

	fresh(6, 4);
	ask(0, 0xa, 4, 1);
	v = ask(1, 0xb, 2, 1);
	is_int(SCHED_QUEUED, v.answer, "-n: a run of 2 queued (no room, no "
	    "seats for a new test)");
	shm->tests[0].promised = 2;	/* room appears in the open test */
	v = ask(1, 0xb, 2, 1);
	is_int(SCHED_SEATED, v.answer, "...seated in the room that appeared");
	v = ask(2, 0xc, 1, 1);
	is_uint(0, v.ahead, "...and its ticket is gone: nobody is ahead of "
	    "the next run");
}

/* A run's connections come together: the rest must arrive within
 * SCHED_ARRIVAL_NS, or the seats they hold for it are given back (one
 * connection could otherwise hold N seats for the whole -t). */
static void
check_arrival(void)
{
	struct sched_seat s[3];
	char why[SCHED_WHY_MAX];

	fresh(8, 0);
	s[0] = ask(0, 0xa, 3, 1).seat;
	sched_expire(shm, &conf, s[0].test, now + SCHED_ARRIVAL_NS - SEC);
	ok(!shm->tests[s[0].test].aborted, "1 of a run's 3 connections: "
	    "still gathering before the arrival deadline");
	ok(sched_start_deadline(shm, &s[0]) == now + SCHED_ARRIVAL_NS,
	    "...its members wait until the arrival deadline first");
	sched_expire(shm, &conf, s[0].test, now + SCHED_ARRIVAL_NS + SEC);
	is_string("only 1 of 3 connections arrived within 10 s",
	    shm->tests[s[0].test].abort_reason, "...after it: aborted, saying so");
	is_uint(8 - 1, free_seats(), "...its other seats are free again");

	fresh(8, 0);
	s[0] = ask(0, 0xa, 3, 1).seat;
	s[1] = ask(1, 0xa, 3, 2).seat;
	s[2] = ask(2, 0xa, 3, 3).seat;
	sched_expire(shm, &conf, s[0].test, now + SCHED_ARRIVAL_NS + SEC);
	ok(!shm->tests[s[0].test].aborted, "the whole run arrived: the arrival "
	    "deadline does not apply");
	ok(sched_start_deadline(shm, &s[0]) == now + 60 * SEC,
	    "...READY is awaited until the start deadline (-t)");
	is_int(0, sched_ready(shm, &s[0], why, sizeof(why)), "...and READY works");
}

static void
check_deadline_aborts(void)
{
	struct sched_unstarted u;
	struct sched_seat s[2];
	char why[SCHED_WHY_MAX];

	fresh(4, 3);
	s[0] = ask(0, 0x10, 1, 1).seat;
	s[1] = ask(1, 0x11, 1, 1).seat;
	sched_ready(shm, &s[0], why, sizeof(why));
	is_uint(1, free_seats(), "a test of 3 gathering holds 3 seats");
	sched_expire(shm, &conf, s[0].test, now + 61 * SEC);
	ok(shm->tests[s[0].test].aborted, "only 2 of 3 came by the deadline: "
	    "aborted");
	is_string("only 2 of 3 connections arrived within 60 s",
	    shm->tests[s[0].test].abort_reason, "...saying so");
	is_int(-1, sched_wait_start(shm, &conf, &s[0], NULL, why, sizeof(why)),
	    "the ready one leaves the barrier: not released");
	is_string("only 2 of 3 connections arrived within 60 s", why,
	    "...with that reason");
	sched_leave(shm, 0, &s[0], false, &u);
	ok(!u.freed, "one member still attached: not freed yet");
	sched_leave(shm, 1, &s[1], false, &u);
	ok(u.freed && u.joined == 2 && u.expected == 3, "the last leaves: freed "
	    "without a log, with what to say (%u of %u)", u.joined, u.expected);
	is_string("only 2 of 3 connections arrived within 60 s", u.reason,
	    "...and why");
	is_int(FT_TEST_FREE, shm->tests[s[0].test].state, "...its entry free");
	is_uint(4, free_seats(), "...and its seats");
	ok(shm->totals.tests_unstarted == 1, "counted as never started");
}

static void
check_unstarted_and_death(void)
{
	struct sched_unstarted u;
	struct sched_verdict v;
	struct sched_seat s;
	char why[SCHED_WHY_MAX];
	unsigned used = 0;
	int r;

	fresh(2, 0);
	s = ask(0, 0x1, 1, 1).seat;
	sched_leave(shm, 0, &s, false, &u);
	ok(u.freed, "GET, then gone: freed at once, no log");
	is_string("every connection left before the start", u.reason,
	    "...because every connection left before the start");
	for (r = 0; r < FT_MAX_OUTCOMES; r++)
		used += shm->outcomes[r].used;
	is_uint(0, used, "...its outcome freed");
	sched_leave(shm, 0, &s, false, &u);
	ok(!u.freed, "a second leave with the stale seat changes nothing");

	v = ask(1, 0x2, 2, 1);
	s = v.seat;
	sched_member_died(shm, 1, "worker 2 (pid 7) killed by signal 9", &u);
	ok(u.freed, "the only member's worker dies: freed");
	is_string("worker 2 (pid 7) killed by signal 9", u.last,
	    "...the death is the last one's reason");
	is_int(-1, shm->slots[1].test, "...and the slot holds no test");

	s = ask(0, 0x3, 1, 1).seat;
	static volatile sig_atomic_t stop = 1;
	sched_ready(shm, &s, why, sizeof(why));
	/* A test of 1 is released by its own READY, before any wait. */
	is_int(0, sched_wait_start(shm, &conf, &s, &stop, why, sizeof(why)),
	    "a test of one starts at its READY, stop or not");
	sched_leave(shm, 0, &s, true, &u);
	v = ask(0, 0x4, 2, 1);
	sched_ready(shm, &v.seat, why, sizeof(why));
	is_int(-1, sched_wait_start(shm, &conf, &v.seat, &stop, why,
	    sizeof(why)), "waiting for a partner when the server stops: not "
	    "released");
	is_string("the server is shutting down", why, "...because it stops");
}

/* The barrier for real: two members in one process; the second's READY
 * posts the first. And a deadline a second away. */
static void
check_barrier(void)
{
	struct sched_seat s[2];
	char why[SCHED_WHY_MAX];
	int64_t t0;

	fresh(4, 0);
	conf.ready_timeout_s = 1;
	s[0] = ask(0, 0x1, 2, 1).seat;
	s[1] = ask(1, 0x1, 2, 2).seat;
	sched_ready(shm, &s[0], why, sizeof(why));
	sched_ready(shm, &s[1], why, sizeof(why));
	is_int(0, sched_wait_start(shm, &conf, &s[0], NULL, why, sizeof(why)),
	    "both READY: the first leaves the barrier at once");
	is_int(0, sched_wait_start(shm, &conf, &s[1], NULL, why, sizeof(why)),
	    "...and the second");

	fresh(4, 0);
	now = ft_mono_ns();
	s[0] = ask(0, 0x1, 2, 1).seat;
	s[1] = ask(1, 0x1, 2, 2).seat;
	sched_ready(shm, &s[0], why, sizeof(why));
	t0 = ft_mono_ns();
	is_int(0, sched_wait_start(shm, &conf, &s[0], NULL, why, sizeof(why)),
	    "a silent partner: the ready one is released at the deadline");
	ok(ft_mono_ns() - t0 > SEC / 2 && ft_mono_ns() - t0 < 5 * SEC,
	    "...a second later");
	conf.ready_timeout_s = 60;
}

/* The lobby (every worker busy) answers a GET without a run id, which
 * cannot be queued: with seats free, it must not say there are none
 * (it once said "no free seats for a test of 1 (1 free)"). */
static void
check_lobby_refusal(void)
{
	struct sched_verdict v;
	struct sched_request r = { .run = 0, .group = 1, .client = 1,
	    .proto = FT_TCP, .client_ip = "10.0.0.1", .file = "a.bin",
	    .size = 10, .sha256 = SHA };

	fresh(1, 0);
	sched_lobby_admit(shm, &conf, &r, now, &v);
	is_int(SCHED_REFUSED, v.answer, "lobby, no run id, a seat free: refused");
	ok(strncmp(v.why, "busy: every worker is still busy", 32) == 0,
	    "...saying the workers are busy, not the seats (%s)", v.why);
}

static void
check_handshakes(void)
{
	fresh(8, 0);
	is_uint(0, sched_handshake_begin(shm, 0, "10.0.0.1"),
	    "first connection from an address: no other in its handshake");
	is_uint(1, sched_handshake_begin(shm, 1, "10.0.0.1"), "the second: one");
	is_uint(0, sched_handshake_begin(shm, 2, "10.0.0.2"),
	    "another address: counted apart");
	shm->slots[0].state = FT_SLOT_GATHERING;
	is_uint(1, sched_handshake_begin(shm, 3, "10.0.0.1"),
	    "one that has sent its request no longer counts");
}

int
main(void)
{
	check_interleaved_runs();
	check_first_come();
	check_bounds();
	check_deadline_drops_silent();
	check_runs_whole_by_arrival();
	check_group_size_changes();
	check_hostile_requests();
	check_arrival();
	check_deadline_aborts();
	check_unstarted_and_death();
	check_barrier();
	check_handshakes();
	check_lobby_refusal();
	ft_shm_destroy(shm);
	return done_testing();
}
