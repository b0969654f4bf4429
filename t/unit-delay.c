/* unit-delay.c: the delay line's queue (contrib/delayline/delayq.c), the
 * part of ftdelay with no system call: nothing leaves before its due
 * time, everything due leaves in arrival order, a full queue refuses
 * (and counts), the ring wraps, and due times never go backwards (the
 * batch verdict "accept every id up to this one" depends on that). */
#include "../contrib/delayline/delayq.h"
#include "tap.h"

#define MS 1000000ull

/* A step of a scenario: push ID at T, or (id == 0) pop what is due at T
 * and expect N released, the last being LAST. */
struct step {
	uint64_t t;
	uint32_t id;
	size_t n;
	uint32_t last;
};

/* Delay 10 ms, room for 3. */
static const struct step scenario[] = {
	{ 0 * MS, 101, 0, 0 },
	{ 1 * MS, 102, 0, 0 },
	{ 9 * MS, 0, 0, 0 },		/* nothing is due before 10 ms */
	{ 10 * MS, 0, 1, 101 },		/* exactly at its due time */
	{ 10 * MS, 103, 0, 0 },
	{ 11 * MS, 104, 0, 0 },		/* 3 queued: 102 103 104 */
	{ 11 * MS, 105, 0, 0 },		/* full: refused */
	{ 30 * MS, 0, 3, 104 },		/* a late wake-up releases all due */
	{ 30 * MS, 0, 0, 0 },
};

static void
run_scenario(void)
{
	struct delayq q;
	size_t i;

	if (!delayq_init(&q, 3, 10 * MS))
		bail("delayq_init");
	for (i = 0; i < sizeof(scenario) / sizeof(scenario[0]); i++) {
		const struct step *s = &scenario[i];
		uint32_t last = 0;

		if (s->id != 0) {
			bool want = s->id != 105;

			ok(delayq_push(&q, s->id, s->t) == want, "step %zu: push %u %s",
			    i, s->id, want ? "queued" : "refused (full)");
			continue;
		}
		is_uint(s->n, delayq_pop_due(&q, s->t, &last),
		    "step %zu: released at %llu ms", i,
		    (unsigned long long)(s->t / MS));
		if (s->n > 0)
			is_uint(s->last, last, "step %zu: the last released", i);
	}
	is_uint(4, q.queued, "4 queued");
	is_uint(4, q.released, "4 released");
	is_uint(1, q.refused, "1 refused");
	is_uint(3, q.peak, "peak 3");
	delayq_free(&q);
}

/* Many more packets than slots: the ring wraps many times, order holds. */
static void
wraps_in_order(void)
{
	struct delayq q;
	uint32_t id, next = 1, last = 0;
	bool order = true;
	uint64_t due;

	if (!delayq_init(&q, 7, 5))
		bail("delayq_init");
	for (id = 1; id <= 1000; id++) {
		if (!delayq_push(&q, id, id)) {
			order = false;
			break;
		}
		/* one step later than the newest push: all but it are due */
		if (delayq_pop_due(&q, id + 4, &last) > 0) {
			order = order && last >= next;
			next = last + 1;
		}
	}
	ok(order, "1000 packets through 7 slots: released in arrival order");
	ok(delayq_next_due(&q, &due), "the last ones are still queued");
	is_uint(1005, due, "... the front one due at its arrival + 5");
	is_uint(1, delayq_pop_all(&q, &last), "pop_all takes what is left");
	is_uint(1000, last, "... up to the newest");
	ok(!delayq_next_due(&q, &due), "then the queue is empty");
	delayq_free(&q);
}

/* A clock that steps back must not put a packet before an older one. */
static void
due_times_never_go_back(void)
{
	struct delayq q;
	uint32_t last = 0;

	if (!delayq_init(&q, 4, 10))
		bail("delayq_init");
	ok(delayq_push(&q, 1, 100) && delayq_push(&q, 2, 50), "pushed at 100 then 50");
	is_uint(0, delayq_pop_due(&q, 60, &last), "the second waits for the first");
	is_uint(2, delayq_pop_due(&q, 110, &last), "both leave at 110");
	is_uint(2, last, "in arrival order");
	ok(!delayq_init(&q, 0, 10), "a queue of 0 slots is refused");
	delayq_free(&q);
}

int
main(void)
{
	run_scenario();
	wraps_in_order();
	due_times_never_go_back();
	return done_testing();
}
