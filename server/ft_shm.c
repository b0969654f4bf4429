/* ft_shm.c: creating the shared segment and its process-shared locks. */
#include "ft_shm.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

_Static_assert(sizeof(struct ft_slot) % FT_CACHELINE == 0,
    "slots must not share cache lines");
_Static_assert(sizeof(struct ft_shm) < 4 * 1024 * 1024,
    "the segment should stay small");
_Static_assert(FT_MAX_OUTCOMES < INT16_MAX && FT_MAX_WORKERS < INT16_MAX,
    "member arrays hold indexes as int16_t");

static int
init_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int rc;

	if ((rc = pthread_mutexattr_init(&a)) != 0)
		return rc;
	if ((rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) ==
	    0 && (rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST))
	    == 0)
		rc = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return rc;
}

struct ft_shm *
ft_shm_create(void)
{
	struct ft_shm *shm;
	int i;

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		return NULL;
	memset(shm, 0, sizeof(*shm));
	shm->magic = FT_SHM_MAGIC;
	shm->layout_version = FT_SHM_LAYOUT;
	shm->next_test_no = 1;
	shm->next_ticket_seq = 1;
	shm->wake_fd = -1;
	if ((errno = init_mutex(&shm->lock)) != 0 ||
	    (errno = init_mutex(&shm->hash_lock)) != 0)
		goto fail;
	for (i = 0; i < FT_MAX_WORKERS; i++) {
		shm->slots[i].test = FT_NO_INDEX;
		shm->slots[i].outcome = FT_NO_INDEX;
	}
	for (i = 0; i < FT_MAX_TESTS; i++)
		if (sem_init(&shm->tests[i].start, 1, 0) != 0)
			goto fail;
	return shm;
fail:
	munmap(shm, sizeof(*shm));
	return NULL;
}

void
ft_shm_destroy(struct ft_shm *shm)
{
	int i;

	for (i = 0; i < FT_MAX_TESTS; i++)
		sem_destroy(&shm->tests[i].start);
	pthread_mutex_destroy(&shm->lock);
	pthread_mutex_destroy(&shm->hash_lock);
	munmap(shm, sizeof(*shm));
}

void
ft_shm_lock(pthread_mutex_t *m)
{
	int rc = pthread_mutex_lock(m);

	/* The owner died holding it: every update under the lock keeps the
	 * state valid at each step, so it can be taken over as it is. */
	if (rc == EOWNERDEAD)
		pthread_mutex_consistent(m);
}

void
ft_shm_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

const int ft_refusal_code[FT_REFUSAL_CODES] = {
	FT_ERR_BAD_REQUEST, FT_ERR_BAD_NAME, FT_ERR_NO_FILE, FT_ERR_TIMEOUT,
	FT_ERR_CONFLICT, FT_ERR_TOO_LARGE, FT_ERR_LINE, FT_ERR_INTERNAL,
	FT_ERR_BUSY, 0,		/* 0: any other */
};

void
ft_shm_count_refusal(struct ft_shm *shm, int code)
{
	unsigned i;

	for (i = 0; i < FT_REFUSAL_CODES - 1; i++)
		if (ft_refusal_code[i] == code)
			break;
	__atomic_fetch_add(&shm->totals.refused, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&shm->totals.refused_by_code[i], 1,
	    __ATOMIC_RELAXED);
}

const char *
ft_slot_state_name(uint32_t state)
{
	static const char *names[] = { "empty", "idle", "handshake",
	    "admitting", "gathering", "sending", "confirming", "closing",
	    "exiting" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}
