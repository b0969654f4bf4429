/* delayq.h: the delay line's queue, with no system call in it (so that
 * t/unit-delay.t tests its ordering alone): packet ids in arrival order,
 * each with the time it is due, in a bounded ring.
 *
 * Every packet gets the same delay, and arrival times come from a
 * monotonic clock, so due times never decrease: a FIFO *is* the queue
 * ordered by due time, with O(1) push and pop and no heap or wheel.
 * delayq_push still clamps a due time to the last one, so the order
 * holds even if a caller's clock stepped back: ftdelay's batch verdict
 * ("accept every id up to this one") relies on it. */
#ifndef FT_DELAYQ_H
#define FT_DELAYQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct delayq_entry {
	uint32_t id;		/* the kernel's packet id (NFQUEUE) */
	uint64_t due_ns;	/* when it may leave, monotonic ns */
};

struct delayq {
	struct delayq_entry *ring;
	size_t cap, head, len;
	uint64_t delay_ns, last_due_ns;
	/* counters ftdelay prints at exit */
	uint64_t queued, released, refused;
	size_t peak;
};

/* cap entries (>= 1) of delay_ns each; false when out of memory. */
bool delayq_init(struct delayq *q, size_t cap, uint64_t delay_ns);
void delayq_free(struct delayq *q);

/* Queue ID, arrived at NOW; false (and counted as refused) when the
 * queue is full: the caller drops that packet. */
bool delayq_push(struct delayq *q, uint32_t id, uint64_t now_ns);

/* Takes every entry due at NOW from the front; returns how many and,
 * when any, the last one's id in *last_id (every id released is at or
 * before it in arrival order). */
size_t delayq_pop_due(struct delayq *q, uint64_t now_ns, uint32_t *last_id);

/* The front entry's due time; false when the queue is empty. */
bool delayq_next_due(const struct delayq *q, uint64_t *due_ns);

/* Takes every entry whatever its due time (at exit); as delayq_pop_due. */
size_t delayq_pop_all(struct delayq *q, uint32_t *last_id);

#endif
