/* sched.h: tests and seats. Admission (a test is seated whole or not at
 * all, first come first served between runs), the start barrier (one
 * deadline per test) and the outcomes, all under the segment's lock,
 * with no socket in sight: the session does the talking. See ft_shm.h
 * for the words (test, run, member, seat, ticket, outcome). */
#ifndef SCHED_H
#define SCHED_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ft_shm.h"

#define SCHED_TICKET_TTL_NS (3 * 1000000000LL)	/* a queued run must
						 * ask again within */
#define SCHED_ARRIVAL_NS (10 * 1000000000LL)	/* a run's connections all
						 * join within, from its first */
#define SCHED_WHY_MAX 160

/* A GET, as admission needs it. */
struct sched_request {
	uint64_t run;			/* 0: no run id (grouped by arrival) */
	unsigned group, client;		/* as the GET says; 0 = not said */
	enum ft_proto_kind proto;
	const char *client_ip;
	const char *file;		/* opened and hashed by the caller */
	uint64_t size;
	const char *sha256;
};

/* Where a seated connection sits. */
struct sched_seat {
	int test;			/* index in tests[] */
	uint32_t test_no;		/* which test it was (tests[] reuse) */
	unsigned index;			/* in the member arrays */
	unsigned member, expected;	/* its number, the test's size */
	int outcome;			/* index in outcomes[] */
};

enum sched_answer { SCHED_SEATED, SCHED_QUEUED, SCHED_REFUSED };

struct sched_verdict {
	enum sched_answer answer;
	struct sched_seat seat;		/* SEATED */
	unsigned ahead, need, free;	/* QUEUED: runs before it, seats */
	int code;			/* REFUSED: FT_ERR_* */
	char why[SCHED_WHY_MAX];
};

/* A test freed without having started: the event log's line. */
struct sched_unstarted {
	bool freed;
	unsigned test_no, joined, expected;
	char file[FT_NAME_MAX + 1];
	char reason[FT_REASON_MAX];
	char last[FT_REASON_MAX];	/* why the last connection left */
};

/* The file a GET would get: the open test's, or the requested one, or
 * the server's selection. 0, or an FT_ERR_* code with why. */
int sched_choose_file(struct ft_shm *shm, const struct ft_conf *conf,
    const struct ft_request *req, const char *client_ip, char *name,
    char *why, size_t whylen);

/* A new connection from client_ip starts its handshake: returns how many
 * other connections from that address are in theirs. */
unsigned sched_handshake_begin(struct ft_shm *shm, int slot,
    const char *client_ip);

/* Seats the request's connection (joining its open test, or opening a
 * test whose seats are all free when no run is queued before it), or
 * queues its run, or refuses it. now: monotonic ns. */
void sched_admit(struct ft_shm *shm, const struct ft_conf *conf, int slot,
    const struct sched_request *req, int64_t now, struct sched_verdict *v);

/* The master, when every worker is busy: what sched_admit would answer a
 * GET that it cannot seat now, without seating anyone: QUEUED with the
 * run's place (its ticket taken or renewed; ahead 0 for a run whose test
 * is open already), or REFUSED. */
void sched_lobby_admit(struct ft_shm *shm, const struct ft_conf *conf,
    const struct sched_request *req, int64_t now, struct sched_verdict *v);
/* Workers in accept() now. */
unsigned sched_idle_workers(struct ft_shm *shm, const struct ft_conf *conf);

/* The test's start deadline (monotonic ns): READY from every member. */
int64_t sched_start_deadline(struct ft_shm *shm, const struct sched_seat *s);
/* The test's release, wall clock (once it started). */
struct timespec sched_start_wall(struct ft_shm *shm, const struct sched_seat *s);
/* After a deadline: 0 while the member still waits for its READY,
 * FT_ERR_TIMEOUT when it was dropped, FT_ERR_CONFLICT when the test was
 * aborted (why says so). */
int sched_status(struct ft_shm *shm, const struct sched_seat *s, char *why,
    size_t whylen);
/* READY: 0; FT_ERR_TIMEOUT when the member was already dropped at the
 * deadline, FT_ERR_CONFLICT when the test was aborted (why says so). */
int sched_ready(struct ft_shm *shm, const struct sched_seat *s, char *why,
    size_t whylen);
/* Waits for the start: 0 when released; -1 when the test was aborted or
 * the member dropped (why says so), or *stop was set. */
int sched_wait_start(struct ft_shm *shm, const struct ft_conf *conf,
    const struct sched_seat *s, volatile sig_atomic_t *stop, char *why,
    size_t whylen);
/* The start deadline has passed (now >= it): members that have not said
 * READY are dropped; the test starts with the ready ones when every seat
 * was taken, or is aborted. Safe to call more than once. */
void sched_expire(struct ft_shm *shm, const struct ft_conf *conf, int test,
    int64_t now);
/* The member leaves: done (transfer attempted, outcome filled) or gone.
 * When that frees a test that never started, *u says so. */
void sched_leave(struct ft_shm *shm, int slot, const struct sched_seat *s,
    bool done, struct sched_unstarted *u);
/* Master, after reaping a worker that held a seat. */
void sched_member_died(struct ft_shm *shm, int slot, const char *reason,
    struct sched_unstarted *u);
struct ft_xfer *sched_outcome(struct ft_shm *shm, int outcome);

/* Master: a complete test's log header and outcomes, copied out (the
 * test is freed); false when there is none. */
bool sched_take_complete(struct ft_shm *shm, const struct ft_conf *conf,
    struct ft_test *t, struct ft_xfer *x, size_t *n);
/* For the stats dump: seats promised to tests, runs queued. */
void sched_counts(struct ft_shm *shm, const struct ft_conf *conf,
    unsigned *seats_used, unsigned *queued);

#endif
