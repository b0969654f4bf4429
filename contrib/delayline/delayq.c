/* delayq.c: the delay line's FIFO of (packet id, due time); see delayq.h. */
#include "delayq.h"

#include <stdlib.h>

bool
delayq_init(struct delayq *q, size_t cap, uint64_t delay_ns)
{
	*q = (struct delayq){ .cap = cap, .delay_ns = delay_ns };
	if (cap == 0)
		return false;
	q->ring = calloc(cap, sizeof(*q->ring));
	return q->ring != NULL;
}

void
delayq_free(struct delayq *q)
{
	free(q->ring);
	q->ring = NULL;
	q->len = 0;
}

bool
delayq_push(struct delayq *q, uint32_t id, uint64_t now_ns)
{
	uint64_t due = now_ns + q->delay_ns;

	if (q->len == q->cap) {
		q->refused++;
		return false;
	}
	if (due < q->last_due_ns)
		due = q->last_due_ns;	/* keep FIFO order == due order */
	q->last_due_ns = due;
	q->ring[(q->head + q->len) % q->cap] = (struct delayq_entry){ id, due };
	q->len++;
	q->queued++;
	if (q->len > q->peak)
		q->peak = q->len;
	return true;
}

/* Pops from the front while FRONT is due at NOW (every entry when ALL). */
static size_t
pop_front(struct delayq *q, uint64_t now_ns, bool all, uint32_t *last_id)
{
	size_t n = 0;

	while (q->len > 0 && (all || q->ring[q->head].due_ns <= now_ns)) {
		*last_id = q->ring[q->head].id;
		q->head = (q->head + 1) % q->cap;
		q->len--;
		n++;
	}
	q->released += n;
	return n;
}

size_t
delayq_pop_due(struct delayq *q, uint64_t now_ns, uint32_t *last_id)
{
	return pop_front(q, now_ns, false, last_id);
}

size_t
delayq_pop_all(struct delayq *q, uint32_t *last_id)
{
	return pop_front(q, 0, true, last_id);
}

bool
delayq_next_due(const struct delayq *q, uint64_t *due_ns)
{
	if (q->len == 0)
		return false;
	*due_ns = q->ring[q->head].due_ns;
	return true;
}
