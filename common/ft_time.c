/* ft_time.c: clocks and time formatting. */
#include "ft_time.h"

#include <stdio.h>

int64_t
ft_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct timespec
ft_wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

struct timespec
ft_wall_after_ms(int ms)
{
	struct timespec t = ft_wall_now();

	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L)
		t.tv_sec++, t.tv_nsec -= 1000000000L;
	return t;
}

void
ft_stamp_for_name(struct timespec ts, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%d-%H-%M-%S", &tm);
}

void
ft_stamp_human(struct timespec ts, char *buf, size_t len)
{
	struct tm tm;
	char day[32], zone[16];

	localtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%Z", &tm);
	snprintf(buf, len, "%s.%03ld %s", day, ts.tv_nsec / 1000000, zone);
}

double
ft_rate_mbs(uint64_t bytes, int64_t ns)
{
	if (ns <= 0)
		return 0.0;
	return (double)bytes / ((double)ns / 1e9) / 1e6;
}

int64_t
ft_deadline_ms(int timeout_ms)
{
	return ft_mono_ns() + (int64_t)timeout_ms * 1000000;
}

int
ft_ms_left(int64_t deadline_ns)
{
	int64_t left = deadline_ns - ft_mono_ns();

	if (left <= 0)
		return 0;
	return (int)((left + 999999) / 1000000);
}
