/* report.c: what the master tells the operator: the dated log of each
 * test that started, and the stats dump. */
#include "report.h"
#include "sched.h"

#include "ft_event.h"
#include "ft_time.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define QUOTA_WARN_EVERY_NS (60 * 1000000000LL)
#define QUOTA_REMEASURE_NS (10 * 1000000000LL)

/* Bytes of test logs in the logs folder: what was there at start, plus
 * what this master wrote. A flood of tests that start and fail at once
 * cannot fill the disk: past the quota, no more logs are written. */
static uint64_t logs_bytes;
static int64_t quota_warned_ns, measured_ns, write_warned_ns;
static uint64_t write_failures;

static bool
is_test_log(const char *name)
{
	size_t n = strlen(name);

	return strstr(name, "-log") != NULL && n > 4 &&
	    (strcmp(name + n - 4, ".txt") == 0 || strcmp(name + n - 4, ".tsv") ==
	    0);
}

void
report_init(const struct ft_conf *conf)
{
	DIR *d = opendir(conf->logs_dir);
	struct dirent *de;
	struct stat st;

	logs_bytes = 0;
	measured_ns = ft_mono_ns();
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (is_test_log(de->d_name) && fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			logs_bytes += (uint64_t)st.st_size;
	closedir(d);
}

static uint64_t
size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The pair just written at path (the .txt; the .tsv beside it). */
static void
count_written(const char *path)
{
	char tsv[4200];
	size_t n = strlen(path);

	logs_bytes += size_of(path);
	if (n > 4 && n < sizeof(tsv)) {
		memcpy(tsv, path, n - 4);
		strcpy(tsv + n - 4, ".tsv");
		logs_bytes += size_of(tsv);
	}
}

static bool
over_quota(struct ft_shm *shm, const struct ft_conf *conf,
    const struct ft_test *t)
{
	int64_t now = ft_mono_ns();

	if (conf->logs_quota == 0 || logs_bytes < conf->logs_quota)
		return false;
	/* Over it: measure again (at most every 10 s), so removing old logs,
	 * as the warning says, takes effect without a restart. */
	if (now - measured_ns > QUOTA_REMEASURE_NS) {
		report_init(conf);
		if (logs_bytes < conf->logs_quota)
			return false;
	}
	__atomic_fetch_add(&shm->totals.logs_unwritten, 1, __ATOMIC_RELAXED);
	if (quota_warned_ns == 0 || now - quota_warned_ns > QUOTA_WARN_EVERY_NS) {
		quota_warned_ns = now;
		log_warn("the logs folder %s holds %llu MB of test logs, its "
		    "quota (--logs-quota): the log of a test of %s and those "
		    "after it are not written; remove old logs (measured again "
		    "every 10 s, and on SIGHUP)", conf->logs_dir,
		    (unsigned long long)(logs_bytes >> 20), t->file);
	}
	return true;
}

static int
by_client_no(const void *a, const void *b)
{
	const struct ft_xfer *x = a, *y = b;

	return (x->client_no > y->client_no) - (x->client_no < y->client_no);
}

/* A test log that cannot be written: counted with the tests not logged,
 * said at most once a minute (a client can make tests fail fast). */
static void
say_write_failure(struct ft_shm *shm, const struct ft_conf *conf,
    const struct ft_test *t)
{
	int64_t now = ft_mono_ns();
	int saved = errno;

	__atomic_fetch_add(&shm->totals.logs_unwritten, 1, __ATOMIC_RELAXED);
	write_failures++;
	if (write_warned_ns != 0 && now - write_warned_ns < QUOTA_WARN_EVERY_NS)
		return;
	write_warned_ns = now;
	log_warn("cannot write the log of a test of %s in %s: %s (%llu test "
	    "logs not written since the start)", t->file, conf->logs_dir,
	    strerror(saved), (unsigned long long)write_failures);
}

void
report_complete_tests(struct ft_shm *shm, const struct ft_conf *conf)
{
	static struct ft_xfer x[FT_MAX_WORKERS];
	struct ft_test t;
	char path[4200];
	size_t n, i;
	unsigned ok;

	/* The test is copied out and freed first, so writing the files
	 * runs without the lock. */
	while (sched_take_complete(shm, conf, &t, x, &n)) {
		qsort(x, n, sizeof(x[0]), by_client_no);
		for (i = 0, ok = 0; i < n; i++)
			ok += x[i].ok;
		__atomic_fetch_add(&shm->totals.tests, 1, __ATOMIC_RELAXED);
		if (over_quota(shm, conf, &t))
			continue;
		if (ft_log_write(conf->logs_dir, &t, x, n, path, sizeof(path)) < 0) {
			say_write_failure(shm, conf, &t);
			continue;
		}
		count_written(path);
		ft_out("ftserver: test done: %s to %zu connection%s, %u ok; "
		    "log %s\n", t.file, n, n == 1 ? "" : "s", ok, path);
	}
}

static void
slot_rows(FILE *out, struct ft_shm *shm, const struct ft_conf *conf)
{
	struct ft_slot c;
	unsigned k;

	fprintf(out, "%-4s %-7s %-10s %-28s %-16s %12s %12s %9s %6s\n", "slot",
	    "pid", "state", "client", "file", "bytes", "size", "last s",
	    "xfers");
	for (k = 0; k < conf->workers; k++) {
		char who[FT_ADDR_MAX + 8] = "-";
		memcpy(&c, &shm->slots[k], sizeof(c));	/* copy, then print */
		c.client_ip[sizeof(c.client_ip) - 1] = '\0';
		c.file[sizeof(c.file) - 1] = '\0';
		if (c.state >= FT_SLOT_HANDSHAKE && c.state <= FT_SLOT_CONFIRMING)
			snprintf(who, sizeof(who), "%s:%u", c.client_ip,
			    c.client_port);
		fprintf(out, "%-4u %-7d %-10s %-28s %-16s %12llu %12llu %9.3f "
		    "%6llu\n", k + 1, (int)c.pid, ft_slot_state_name(c.state), who,
		    c.file[0] ? c.file : "-", (unsigned long long)c.bytes,
		    (unsigned long long)c.size, (double)c.last_ns / 1e9,
		    (unsigned long long)c.transfers);
	}
}

char *
report_stats_text(struct ft_shm *shm, const struct ft_conf *conf)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct ft_totals t;
	uint64_t over_rate, blocked;
	unsigned seats, queued;

	if (out == NULL)
		return NULL;
	slot_rows(out, shm, conf);
	memcpy(&t, &shm->totals, sizeof(t));
	sched_counts(shm, conf, &seats, &queued);
	ft_event_dropped(&over_rate, &blocked);
	fprintf(out, "seats: %u of %u promised to tests; %u runs queued\n",
	    seats, conf->workers, queued);
	fprintf(out, "admission: %llu tests never started, %llu queued "
	    "answers, %llu refusals\n", (unsigned long long)t.tests_unstarted,
	    (unsigned long long)t.queued, (unsigned long long)t.refused);
	fprintf(out, "logs: %llu MB of test logs in %s (quota %llu MB), %llu "
	    "tests not logged (over it, or a failed write)\n", (unsigned long long)(logs_bytes >> 20),
	    conf->logs_dir, (unsigned long long)(conf->logs_quota >> 20),
	    (unsigned long long)t.logs_unwritten);
	fprintf(out, "messages dropped: %llu over the rate, %llu not read in "
	    "time\n", (unsigned long long)over_rate,
	    (unsigned long long)blocked);
	/* Last, and in this form: scripts look for it. */
	fprintf(out, "totals: %llu tests, %llu connections, %llu transfers ok, "
	    "%llu failed, %llu bytes sent\n", (unsigned long long)t.tests,
	    (unsigned long long)t.connections,
	    (unsigned long long)t.transfers_ok,
	    (unsigned long long)t.transfers_failed,
	    (unsigned long long)t.bytes_sent);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
