/* report.h: what the master writes for people: the dated log of each
 * test that started, and the stats dump. */
#ifndef REPORT_H
#define REPORT_H

#include "conf.h"
#include "ft_shm.h"

/* Master, at start: what the logs folder already holds, for the quota
 * (--logs-quota). */
void report_init(const struct ft_conf *conf);
/* Writes the logs of the tests that are complete, and frees them. */
void report_complete_tests(struct ft_shm *shm, const struct ft_conf *conf);
/* The stats dump as text (the caller frees it): a row per worker, then
 * totals, seats and queue. */
char *report_stats_text(struct ft_shm *shm, const struct ft_conf *conf);

#endif
