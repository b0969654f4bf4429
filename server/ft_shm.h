/* ft_shm.h: the server's shared-memory segment, the one place where the
 * master and its workers meet. Created by the master with mmap(MAP_SHARED |
 * MAP_ANONYMOUS) before the first fork, so every worker inherits it at the
 * same address; nothing in it is a pointer all the same (indexes only),
 * so the layout could move to a named segment unchanged.
 *
 * Glossary (one name per thing, in the code and in messages):
 *   test        the connections that start together (a group of N
 *               members), from the first GET that opens it to its log.
 *   run         one ftclient invocation: its connections carry one run id.
 *               Without -n a run is one test; with -n a test gathers
 *               connections by arrival, from any runs.
 *   member      one connection of a test, numbered 1..N.
 *   seat        a worker promised to a test. A test is seated whole: it
 *               opens only when all N of its seats are free, and holds
 *               them until its members leave.
 *   ticket      a run waiting for its seats, in arrival order (queue[]).
 *   slot        a worker's index, 0..workers-1 (shown 1-based).
 *   outcome     one connection's record (struct ft_xfer): what the log
 *               row says.
 *   transfer id the 32-bit id UDP datagrams carry (ft_dgram.h).
 *
 * Who writes what, and when:
 *
 *   lock        process-shared, robust mutex. Guards tests[], outcomes[],
 *               queue[], config and catalogue. Held for microseconds,
 *               never across I/O. Robust: a worker killed while holding it
 *               does not wedge the others (the next locker repairs the
 *               state).
 *   hash_lock   process-shared, robust mutex. Guards hash_cache[]. Held
 *               only to look up or claim an entry: a worker hashes with
 *               the entry marked hashing_by its pid, the lock released, so
 *               GETs for other files go on; one for the same file waits
 *               for that hash (it is computed once).
 *   wake_fd     the write end of the master's self-pipe, set before fork;
 *               the scheduler writes a byte when a test needs its log.
 *   config      master (start, console) writes; workers read under lock.
 *   catalogue   master writes at start and on SIGHUP; workers read under
 *               lock. Names only, plus the folder's identity (dev, ino):
 *               a worker whose folder handle differs reopens the folder.
 *   hash_cache  workers, under hash_lock. An entry is valid for a name
 *               while the file's size and mtime equal its key.
 *   slots[k]    worker k writes its own slot, without a lock (single
 *               writer; fields are word-sized so a reader sees each one
 *               whole), except state and client_ip while it is in the
 *               handshake, which it writes under lock so the per-address
 *               count is exact. The master writes slot k only before
 *               forking its worker and after reaping it. Readers (the
 *               stats dump) copy a slot before printing it.
 *   tests[t]    members join, change their member state and leave under
 *               lock (server/sched.c); the member that completes the start
 *               condition moves the test to RUNNING and posts `start` once
 *               per waiting member, so they all leave their wait at the
 *               same instant. When the last member leaves, a test that
 *               started becomes COMPLETE and wakes the master, who writes
 *               its log and frees it; one that never started is freed
 *               there and then (no log pair; the worker says so in the
 *               event log). `start` is (re)initialised only while the test
 *               is FREE, when no process can be waiting on it.
 *   outcomes[r] a worker takes a free outcome when its client joins a test
 *               and fills it while it serves that connection; it is then
 *               the test's, freed with the test. A worker's slot is reused
 *               for its next client at once: the outcome is what outlives
 *               it.
 *   queue[q]    tickets, under lock, by the workers whose clients ask.
 *   admissions  with -n: runs seated in a test by arrival, under lock, by
 *               the workers whose clients ask; an entry lapses when all
 *               of its run's connections joined or its test is gone.
 *   totals      any process, with __atomic_fetch_add only; on its own cache
 *               line so the counters do not share one with a slot.
 *               Readers (the stats dump, the status endpoint) copy them
 *               word by word; each counter only grows.
 *   events      the event log's shared rate budget (common/ft_event.h),
 *               atomics only.
 */
#ifndef FT_SHM_H
#define FT_SHM_H

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ft_event.h"
#include "ft_hash.h"
#include "ft_log.h"
#include "ft_proto.h"

#define FT_MAX_WORKERS	128
#define FT_MAX_TESTS	(2 * FT_MAX_WORKERS)
#define FT_MAX_OUTCOMES	(4 * FT_MAX_WORKERS)
#define FT_MAX_FILES	256
#define FT_QUEUE_MAX	32	/* runs waiting for seats, in all */
#define FT_QUEUE_PER_ADDR 4	/* ... from one client address */
#define FT_NO_INDEX	(-1)
#define FT_CACHELINE	64

enum ft_slot_state {
	FT_SLOT_EMPTY,		/* no process (not forked yet, or reaped) */
	FT_SLOT_IDLE,		/* in accept() */
	FT_SLOT_HANDSHAKE,	/* waiting for the client's request */
	FT_SLOT_ADMITTING,	/* has the request: file, hash, seat */
	FT_SLOT_GATHERING,	/* seated, waiting for READY/start */
	FT_SLOT_SENDING,
	FT_SLOT_CONFIRMING,	/* all sent, waiting for the client's DONE */
	FT_SLOT_CLOSING,	/* last words sent, waiting for the close */
	FT_SLOT_EXITING,
};

/* Per-member state inside a test. */
enum ft_member_state {
	FT_MEMBER_JOINED,	/* OK sent, waiting for the client's READY */
	FT_MEMBER_READY,	/* waiting for the start */
	FT_MEMBER_RUNNING,	/* released, transferring */
	FT_MEMBER_DROPPED,	/* no READY by the deadline: its worker is
				 * telling the client and will leave */
	FT_MEMBER_DONE,		/* finished, its outcome is filled */
	FT_MEMBER_GONE,		/* left before finishing (outcome says why) */
};

enum ft_test_state {
	FT_TEST_FREE,
	FT_TEST_GATHERING,
	FT_TEST_RUNNING,
	FT_TEST_COMPLETE,	/* started, every member done or gone: log it */
};

struct ft_slot {
	pid_t pid;			/* master, at fork */
	uint32_t state;			/* enum ft_slot_state */
	int32_t test, outcome;		/* FT_NO_INDEX when none */
	uint32_t member;		/* 1-based, within the test */
	char client_ip[FT_ADDR_MAX];
	uint16_t client_port, server_port;
	char file[FT_NAME_MAX + 1];
	uint64_t bytes, size;		/* progress of the current transfer */
	int64_t last_ns;		/* time of the last transfer */
	uint64_t transfers, failures;	/* since the worker started */
} __attribute__((aligned(FT_CACHELINE)));

struct ft_shm_test {
	sem_t start;
	uint32_t state;			/* enum ft_test_state */
	uint32_t test_no;		/* increasing, for logs and stats */
	uint64_t run;			/* client run id, 0 = by arrival */
	char run_ip[FT_ADDR_MAX];	/* the address that opened the run */
	uint32_t expected, joined;
	uint32_t promised;		/* seats promised to runs (-n) */
	uint32_t by_arrival;		/* opened under -n: gathers any runs */
	uint32_t aborted;
	char abort_reason[FT_REASON_MAX];
	enum ft_proto_kind proto;
	char file[FT_NAME_MAX + 1];
	uint64_t size;
	char sha256[FT_SHA256_HEX];
	int64_t start_deadline;		/* monotonic ns: READY from all by then */
	int64_t arrival_deadline;	/* a run's test: all joined by then (0:
					 * by arrival, no such deadline) */
	struct timespec start_wall;
	int64_t start_mono;		/* 0 until it starts */
	uint8_t member_state[FT_MAX_WORKERS];	/* enum ft_member_state */
	int16_t member_outcome[FT_MAX_WORKERS];
	int16_t member_slot[FT_MAX_WORKERS];
};

struct ft_shm_outcome {
	uint32_t used;
	struct ft_xfer xfer;
};

/* With -n, where a run's connections are seated: all in one test, whose
 * seats were promised to the whole run when its first connection came. */
struct ft_admission {
	uint64_t run;			/* 0: the entry is free */
	int32_t test;
	uint32_t test_no;		/* which test it was (tests[] reuse) */
	uint32_t count, joined;		/* the run's connections, seated so far */
	char client_ip[FT_ADDR_MAX];	/* the run's address */
};

/* A run waiting for its seats. */
struct ft_ticket {
	uint64_t run;			/* 0: the entry is free */
	uint64_t seq;			/* arrival order */
	uint32_t seats;			/* what its test needs */
	char client_ip[FT_ADDR_MAX];
	int64_t last_seen;		/* monotonic ns of its last GET */
};

struct ft_config {
	char selected[FT_NAME_MAX + 1];	/* the file for the next tests */
	uint32_t group_size;		/* -n; 0 = the client run says */
};

struct ft_catalogue_entry {
	char name[FT_NAME_MAX + 1];
	uint64_t size;
};

struct ft_hash_entry {
	char name[FT_NAME_MAX + 1];
	uint64_t size;			/* cache key: size and mtime */
	int64_t mtime_ns;
	char sha256[FT_SHA256_HEX];
	uint32_t valid;			/* sha256 is the key's, set last */
	pid_t hashing_by;		/* a worker hashing it now, 0: none */
};

/* The codes a refusal can carry (enum ft_err), in the order of
 * ft_totals.refused_by_code; the last counts any other. */
#define FT_REFUSAL_CODES 10
extern const int ft_refusal_code[FT_REFUSAL_CODES];

struct ft_totals {
	uint64_t tests, tests_unstarted;
	uint64_t transfers_ok, transfers_failed;
	uint64_t bytes_sent;
	uint64_t connections;
	uint64_t queued, refused;	/* GETs answered QUEUED, or ERR */
	uint64_t refused_by_code[FT_REFUSAL_CODES];	/* refused, by code */
	uint64_t logs_unwritten;	/* tests not logged: over the quota */
	uint64_t worker_restarts;	/* workers respawned after a death */
	/* UDP, added as each transfer ends: DATA datagrams sent (repairs
	 * included), of which re-sent, and transmissions reported lost. */
	uint64_t dgrams_sent, dgrams_resent, dgrams_lost;
} __attribute__((aligned(FT_CACHELINE)));

struct ft_shm {
	uint32_t magic, layout_version;
	pthread_mutex_t lock;
	pthread_mutex_t hash_lock;
	int wake_fd;
	uint32_t next_test_no;
	uint64_t next_ticket_seq;
	struct ft_config config;
	uint32_t catalogue_count;
	uint64_t catalogue_dev, catalogue_ino;
	struct ft_catalogue_entry catalogue[FT_MAX_FILES];
	struct ft_hash_entry hash_cache[FT_MAX_FILES];
	struct ft_totals totals;
	struct ft_event_budget events;
	struct ft_slot slots[FT_MAX_WORKERS];
	struct ft_shm_test tests[FT_MAX_TESTS];
	struct ft_shm_outcome outcomes[FT_MAX_OUTCOMES];
	struct ft_ticket queue[FT_QUEUE_MAX];
	struct ft_admission admissions[FT_MAX_WORKERS];
};

#define FT_SHM_MAGIC 0x66747368u	/* "ftsh" */
#define FT_SHM_LAYOUT 3

/* Creates and initialises the segment (master, before fork). */
struct ft_shm *ft_shm_create(void);
void ft_shm_destroy(struct ft_shm *shm);
/* Locks a robust mutex; a dead owner's lock is taken over and marked
 * consistent (the protected state is kept valid at every step). */
void ft_shm_lock(pthread_mutex_t *m);
void ft_shm_unlock(pthread_mutex_t *m);
const char *ft_slot_state_name(uint32_t state);
/* A connection refused with an ERR line of this code (enum ft_err):
 * counted in totals.refused and by code. Any process, atomics only. */
void ft_shm_count_refusal(struct ft_shm *shm, int code);
/* The slot states, 0..FT_SLOT_STATES-1, for readers listing them all. */
#define FT_SLOT_STATES (FT_SLOT_EXITING + 1)

#endif
