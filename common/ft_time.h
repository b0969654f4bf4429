/* ft_time.h: clocks and time formatting shared by server and client.
 * Durations use CLOCK_MONOTONIC (immune to NTP steps); log names and
 * "test started" lines use CLOCK_REALTIME. */
#ifndef FT_TIME_H
#define FT_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

int64_t ft_mono_ns(void);
struct timespec ft_wall_now(void);
/* The wall clock ms from now: an absolute time for
 * pthread_cond_timedwait, whose default clock is CLOCK_REALTIME. */
struct timespec ft_wall_after_ms(int ms);
/* "YYYY-MM-DD-HH-MM-SS" in local time, as the log names want. */
void ft_stamp_for_name(struct timespec ts, char *buf, size_t len);
/* "YYYY-MM-DD HH:MM:SS.mmm TZ" for humans. */
void ft_stamp_human(struct timespec ts, char *buf, size_t len);
/* Bytes per second as MB/s (10^6), 0 when the time is not positive. */
double ft_rate_mbs(uint64_t bytes, int64_t ns);
/* A deadline in monotonic ns from a timeout in ms; remaining ms to it. */
int64_t ft_deadline_ms(int timeout_ms);
int ft_ms_left(int64_t deadline_ns);

#endif
