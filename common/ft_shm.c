/* ft_shm.c: creating the shared segment and its process-shared locks. */
#include "ft_shm.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

_Static_assert(sizeof(struct ft_slot) % FT_CACHELINE == 0,
    "slots must not share cache lines");
_Static_assert(sizeof(struct ft_shm) < 4 * 1024 * 1024,
    "the segment should stay small");

static int
init_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int rc;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
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
	if (init_mutex(&shm->lock) != 0 || init_mutex(&shm->hash_lock) != 0)
		goto fail;
	for (i = 0; i < FT_MAX_WORKERS; i++) {
		shm->slots[i].group = FT_NO_INDEX;
		shm->slots[i].record = FT_NO_INDEX;
	}
	for (i = 0; i < FT_MAX_GROUPS; i++)
		if (sem_init(&shm->groups[i].start, 1, 0) != 0)
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

	for (i = 0; i < FT_MAX_GROUPS; i++)
		sem_destroy(&shm->groups[i].start);
	pthread_mutex_destroy(&shm->lock);
	pthread_mutex_destroy(&shm->hash_lock);
	munmap(shm, sizeof(*shm));
}

void
ft_shm_lock(pthread_mutex_t *m)
{
	int rc = pthread_mutex_lock(m);

	if (rc == EOWNERDEAD)
		pthread_mutex_consistent(m);
}

void
ft_shm_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

const char *
ft_slot_state_name(uint32_t state)
{
	static const char *names[] = { "empty", "idle", "handshake",
	    "gathering", "sending", "confirming", "exiting" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}
