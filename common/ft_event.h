/* ft_event.h: the event log, for what happens outside the test logs:
 * start and stop, refusals, workers that die, tests that never started.
 * One line per event on stderr (the journal under systemd), after the
 * model of OpenBSD's log.c: a severity, and for warnings and errors the
 * function that saw them. Also the lines meant for stdout (the listening
 * line, "test done", the stats dump, the console's answers).
 *
 * Nothing here ever blocks: a server whose stdout or stderr is a pipe
 * nobody reads must go on serving. ft_event_setup() gives this process
 * (and the workers it forks) its own non-blocking open file description
 * of those pipes or terminals, so the shell's is untouched; a line that
 * does not fit is dropped and counted. Events that the network can cause
 * (severity info: refusals, tests that never started) also share a budget
 * of FT_EVENT_RATE lines a second across all processes; past it they are
 * counted, and the first line of the next second says how many were
 * suppressed. Notices (the server's own: stopping, rescans), warnings and
 * errors are never held back by the budget. */
#ifndef FT_EVENT_H
#define FT_EVENT_H

#include <stdint.h>

#define FT_EVENT_RATE 20	/* info lines a second, in all */

enum ft_severity { FT_SEV_ERROR, FT_SEV_WARN, FT_SEV_NOTICE, FT_SEV_INFO };

/* Shared by every process of a server (it lives in the shared segment);
 * touched only with atomics. */
struct ft_event_budget {
	int64_t second;		/* the monotonic second `used` counts */
	uint32_t used;
	uint32_t suppressed;	/* over the rate since the last report */
	uint64_t over_rate;	/* totals, for the stats dump */
	uint64_t blocked;	/* lines a full pipe or terminal refused */
};

/* Once, before forking: prog prefixes every line; budget may be NULL
 * (no rate limit, as in a test). */
void ft_event_setup(const char *prog, struct ft_event_budget *budget);
/* Who this process is, e.g. "master" or "worker 3" (after fork). */
void ft_event_who(const char *who);
void ft_event(enum ft_severity sev, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Lines for stdout; fmt may hold several lines, each written whole or
 * dropped whole. */
void ft_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Lines not written so far (over the rate, and refused by a full pipe). */
void ft_event_dropped(uint64_t *over_rate, uint64_t *blocked);

#define log_error(...)	ft_event(FT_SEV_ERROR, __func__, __VA_ARGS__)
#define log_warn(...)	ft_event(FT_SEV_WARN, __func__, __VA_ARGS__)
#define log_notice(...)	ft_event(FT_SEV_NOTICE, NULL, __VA_ARGS__)
#define log_info(...)	ft_event(FT_SEV_INFO, NULL, __VA_ARGS__)

#endif
