/* ft_shm.h: the server's shared-memory segment, the one place where the
 * master and its workers meet. Created by the master with mmap(MAP_SHARED |
 * MAP_ANONYMOUS) before the first fork, so every worker inherits it at the
 * same address; nothing in it is a pointer all the same (indexes only),
 * so the layout could move to a named segment unchanged.
 *
 * Who writes what, and when:
 *
 *   lock        process-shared, robust mutex. Guards groups[], records[],
 *               config and catalogue. Held for microseconds, never across
 *               I/O. Robust: a worker killed while holding it does not
 *               wedge the others (the next locker repairs the state).
 *   hash_lock   process-shared, robust mutex. Guards hash_cache[]; held
 *               while a worker hashes a file, so one worker computes a
 *               SHA-256 and the others waiting for it reuse the result.
 *   config      master (start, console) writes; workers read under lock.
 *   catalogue   master writes at start and on SIGHUP; workers read under
 *               lock. Names only: workers open files themselves.
 *   hash_cache  workers, under hash_lock. An entry is valid for a name
 *               while the file's size and mtime equal its key.
 *   slots[k]    worker k writes its own slot, without a lock (single
 *               writer; fields are word-sized so a reader sees each one
 *               whole). The master writes slot k only before forking its
 *               worker and after reaping it. Readers (SIGUSR1 dump) copy a
 *               slot before printing it.
 *   groups[g]   one test: N connections that start together. Members
 *               join, change their member state and leave under lock; the
 *               member that completes the group's start condition moves
 *               it to RUNNING and posts `start` once per waiting member,
 *               so they all leave sem_wait() at the same instant. The last
 *               member to leave moves it to COMPLETE and wakes the master,
 *               who writes the test's log and frees the group (FREE).
 *               `start` is (re)initialised only while the group is FREE,
 *               when no process can be waiting on it.
 *   records[r]  one connection's outcome (struct ft_xfer). A worker takes a
 *               free record when it joins a group and fills it while it
 *               serves that connection; it is then the group's, and the
 *               master frees it after the log is written. A worker's slot
 *               is reused for its next client at once: the record is what
 *               outlives it.
 *   totals      any process, with __atomic_fetch_add only; on its own cache
 *               line so the counters do not share one with a slot.
 */
#ifndef FT_SHM_H
#define FT_SHM_H

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ft_hash.h"
#include "ft_log.h"
#include "ft_proto.h"

#define FT_MAX_WORKERS	128
#define FT_MAX_GROUPS	(2 * FT_MAX_WORKERS)
#define FT_MAX_RECORDS	(4 * FT_MAX_WORKERS)
#define FT_MAX_FILES	256
#define FT_NO_INDEX	(-1)
#define FT_CACHELINE	64

enum ft_slot_state {
	FT_SLOT_EMPTY,		/* no process (not forked yet, or reaped) */
	FT_SLOT_IDLE,		/* in accept() */
	FT_SLOT_HANDSHAKE,	/* reading the client's request */
	FT_SLOT_GATHERING,	/* joined a group, waiting for READY/start */
	FT_SLOT_SENDING,
	FT_SLOT_CONFIRMING,	/* all sent, waiting for the client's DONE */
	FT_SLOT_EXITING,
};

/* Per-member state inside a group. */
enum ft_member_state {
	FT_MEMBER_JOINED,	/* OK sent, waiting for the client's READY */
	FT_MEMBER_READY,	/* in sem_wait(), waiting for the start */
	FT_MEMBER_RUNNING,	/* released, transferring */
	FT_MEMBER_DONE,		/* finished, its record holds the outcome */
	FT_MEMBER_GONE,		/* left before finishing (record says why) */
};

enum ft_group_state {
	FT_GROUP_FREE,
	FT_GROUP_GATHERING,
	FT_GROUP_RUNNING,
	FT_GROUP_COMPLETE,	/* every member done or gone: log it */
};

struct ft_slot {
	pid_t pid;			/* master, at fork */
	uint32_t state;			/* enum ft_slot_state */
	int32_t group, record;		/* FT_NO_INDEX when none */
	uint32_t member;		/* 1-based, within group */
	char client_ip[FT_ADDR_MAX];
	uint16_t client_port, server_port;
	char file[FT_NAME_MAX + 1];
	uint64_t bytes, size;		/* progress of the current transfer */
	int64_t last_ns;		/* time of the last transfer */
	uint64_t transfers, failures;	/* since the worker started */
} __attribute__((aligned(FT_CACHELINE)));

struct ft_group {
	sem_t start;
	uint32_t state;			/* enum ft_group_state */
	uint32_t test_no;		/* increasing, for logs and stats */
	uint64_t run;			/* client run id, 0 = by arrival */
	uint32_t expected, joined;
	uint32_t aborted;
	char abort_reason[FT_REASON_MAX];
	enum ft_proto_kind proto;
	char file[FT_NAME_MAX + 1];
	uint64_t size;
	char sha256[FT_SHA256_HEX];
	struct timespec start_wall;
	int64_t start_mono;
	uint8_t member_state[FT_MAX_WORKERS];	/* enum ft_member_state */
	int16_t member_record[FT_MAX_WORKERS];
	int16_t member_slot[FT_MAX_WORKERS];
};

struct ft_record {
	uint32_t used;
	struct ft_xfer xfer;
};

struct ft_config {
	char selected[FT_NAME_MAX + 1];	/* the file for the next tests */
	uint32_t group_size;		/* -n; 0 = the client run says */
	uint32_t workers;
	enum ft_proto_kind proto;
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
};

struct ft_totals {
	uint64_t tests;
	uint64_t transfers_ok, transfers_failed;
	uint64_t bytes_sent;
	uint64_t connections;
} __attribute__((aligned(FT_CACHELINE)));

struct ft_shm {
	uint32_t magic, layout_version;
	pthread_mutex_t lock;
	pthread_mutex_t hash_lock;
	uint32_t next_test_no;
	struct ft_config config;
	uint32_t catalogue_count;
	struct ft_catalogue_entry catalogue[FT_MAX_FILES];
	struct ft_hash_entry hash_cache[FT_MAX_FILES];
	struct ft_totals totals;
	struct ft_slot slots[FT_MAX_WORKERS];
	struct ft_group groups[FT_MAX_GROUPS];
	struct ft_record records[FT_MAX_RECORDS];
};

#define FT_SHM_MAGIC 0x66747368u	/* "ftsh" */
#define FT_SHM_LAYOUT 1

/* Creates and initialises the segment (master, before fork). */
struct ft_shm *ft_shm_create(void);
void ft_shm_destroy(struct ft_shm *shm);
/* Locks a robust mutex; a dead owner's lock is taken over and marked
 * consistent (the protected state is kept valid at every step). */
void ft_shm_lock(pthread_mutex_t *m);
void ft_shm_unlock(pthread_mutex_t *m);
const char *ft_slot_state_name(uint32_t state);

#endif
