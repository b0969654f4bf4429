/* unit-shm.c: common/ft_shm.c, the segment the master and its workers
 * share. Slots sit on their own cache lines; the mutexes are
 * process-shared and robust (a worker that dies holding one does not
 * wedge the others); a test's start semaphore is process-shared, so a
 * process blocked in sem_wait() is released by another's sem_post().
 * Each cross-process case forks real children, as the server does. */
#include "ft_shm.h"
#include "tap.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct ft_shm *shm;

static void
on_alarm(int sig)
{
	static const char msg[] = "Bail out! unit-shm: a lock or wait hung\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(255);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The child's exit status, or -1 if it is not done within ms (then it
 * is killed, so no test leaves a process behind). */
static int
wait_child(pid_t pid, long ms)
{
	int status;

	for (; ms > 0; ms -= 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
			    WTERMSIG(status);
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static pid_t
fork_or_bail(void)
{
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) < 0)
		bail("fork: %s", strerror(errno));
	return pid;
}

static void
check_layout(void)
{
	bool aligned = true, empty = true;
	int k, value, zero = 1;

	is_uint(FT_SHM_MAGIC, shm->magic, "the segment carries its magic");
	is_uint(FT_SHM_LAYOUT, shm->layout_version, "...and its layout version");
	is_uint(0, sizeof(struct ft_slot) % FT_CACHELINE,
	    "a slot is a whole number of cache lines (%zu bytes)",
	    sizeof(struct ft_slot));
	for (k = 0; k < FT_MAX_WORKERS; k++) {
		if ((uintptr_t)&shm->slots[k] % FT_CACHELINE != 0)
			aligned = false;
		if (shm->slots[k].test != FT_NO_INDEX ||
		    shm->slots[k].outcome != FT_NO_INDEX || shm->slots[k].pid != 0)
			empty = false;
	}
	ok(aligned, "all %d slots start on a cache line", FT_MAX_WORKERS);
	ok(empty, "every slot starts without a test, outcome or pid");
	is_uint(0, (uintptr_t)&shm->totals % FT_CACHELINE,
	    "the totals start on their own cache line");
	is_uint(0, sizeof(struct ft_totals) % FT_CACHELINE,
	    "the totals fill whole cache lines: nothing shares theirs");
	is_uint(1, shm->next_test_no, "test numbers start at 1");
	for (k = 0; k < FT_MAX_TESTS; k++)
		if (sem_getvalue(&shm->tests[k].start, &value) != 0 || value != 0)
			zero = 0;
	ok(zero, "every test's start semaphore starts at 0");
}

/* A write in one process is seen by the other: the mapping is shared. */
static void
check_shared(void)
{
	pid_t pid = fork_or_bail();

	if (pid == 0) {
		shm->slots[2].bytes = 12345;
		__atomic_fetch_add(&shm->totals.connections, 1, __ATOMIC_RELAXED);
		_exit(0);
	}
	is_int(0, wait_child(pid, 5000), "a child writes its slot");
	is_uint(12345, shm->slots[2].bytes, "the parent reads what it wrote");
	is_uint(1, shm->totals.connections, "...and its atomic increment");
}

/* What a child gets from pthread_mutex_trylock (then it unlocks). */
static int
child_trylock(pthread_mutex_t *m)
{
	pid_t pid = fork_or_bail();
	int rc;

	if (pid == 0) {
		rc = pthread_mutex_trylock(m);
		if (rc == 0 || rc == EOWNERDEAD)
			pthread_mutex_unlock(m);
		_exit(rc);
	}
	return wait_child(pid, 5000);
}

static void
check_mutex(pthread_mutex_t *m, const char *name)
{
	pid_t pid;

	ft_shm_lock(m);
	is_int(EBUSY, child_trylock(m), "%s: held by the parent, busy for a "
	    "child", name);
	ft_shm_unlock(m);
	is_int(0, child_trylock(m), "%s: free again once unlocked", name);

	/* A worker killed while holding the lock. */
	pid = fork_or_bail();
	if (pid == 0) {
		ft_shm_lock(m);
		_exit(0);
	}
	is_int(0, wait_child(pid, 5000), "%s: a child locks it and dies", name);
	ft_shm_lock(m);		/* hangs here if not robust (alarm bails) */
	ok(true, "%s: the parent still gets the lock", name);
	is_int(0, pthread_mutex_unlock(m), "%s: ...and unlocks it", name);
	is_int(0, child_trylock(m), "%s: consistent again for everyone "
	    "(not EOWNERDEAD, not ENOTRECOVERABLE)", name);
}

/* n children block on the semaphore; they must still be waiting until
 * the parent posts n times, and then all of them leave. */
static void
check_semaphore(int g, int n)
{
	sem_t *start = &shm->tests[g].start;
	pid_t pids[8];
	int i, blocked = 0, released = 0, value = -1;

	for (i = 0; i < n; i++) {
		if ((pids[i] = fork_or_bail()) == 0) {
			struct timespec deadline;
			clock_gettime(CLOCK_REALTIME, &deadline);
			deadline.tv_sec += 10;
			while (sem_timedwait(start, &deadline) < 0)
				if (errno != EINTR)
					_exit(1);
			_exit(0);
		}
	}
	sleep_ms(200);
	for (i = 0; i < n; i++)
		blocked += waitpid(pids[i], NULL, WNOHANG) == 0;
	is_int(n, blocked, "test %d: %d children wait in sem_wait", g, n);
	for (i = 0; i < n; i++)
		sem_post(start);
	for (i = 0; i < n; i++)
		released += wait_child(pids[i], 5000) == 0;
	is_int(n, released, "test %d: %d posts from the parent release all "
	    "%d", g, n, n);
	sem_getvalue(start, &value);
	is_int(0, value, "test %d: no post is left over", g);
}

static void
check_post_first(void)
{
	sem_t *start = &shm->tests[7].start;
	pid_t pid;

	sem_post(start);
	pid = fork_or_bail();
	if (pid == 0)
		_exit(sem_trywait(start) == 0 ? 0 : 1);
	is_int(0, wait_child(pid, 5000), "a post made before the wait is not "
	    "lost");
}

static void
check_state_names(void)
{
	static const char *names[] = { "empty", "idle", "handshake",
	    "admitting", "gathering", "sending", "confirming", "closing",
	    "exiting" };
	uint32_t s;

	for (s = 0; s < sizeof(names) / sizeof(names[0]); s++)
		is_string(names[s], ft_slot_state_name(s), "slot state %u", s);
	is_string("?", ft_slot_state_name(99), "an unknown slot state");
}

int
main(void)
{
	signal(SIGALRM, on_alarm);
	alarm(60);
	if ((shm = ft_shm_create()) == NULL)
		bail("ft_shm_create: %s", strerror(errno));
	ok(true, "ft_shm_create maps the segment (%zu bytes)", sizeof(*shm));
	check_layout();
	check_shared();
	check_mutex(&shm->lock, "lock");
	check_mutex(&shm->hash_lock, "hash_lock");
	check_semaphore(0, 1);
	check_semaphore(FT_MAX_TESTS - 1, 4);
	check_post_first();
	check_state_names();
	ft_shm_destroy(shm);
	return done_testing();
}
