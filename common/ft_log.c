/* ft_log.c: writing the per-test logs (text and TSV). */
#include "ft_log.h"
#include "ft_sys.h"
#include "ft_text.h"
#include "ft_time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
ft_log_stem(char *buf, size_t len, const char *dir, const struct ft_test *t,
    unsigned seq)
{
	if (strlen(dir) > FT_LOGS_DIR_MAX)
		return errno = ENAMETOOLONG, -1;
	char stamp[32], suffix[16] = "";
	int n;

	ft_stamp_for_name(t->start, stamp, sizeof(stamp));
	if (seq > 1)
		snprintf(suffix, sizeof(suffix), "-%u", seq);
	n = snprintf(buf, len, "%s%c%s-%s-%s-log%s", dir, FT_PATH_SEP, stamp,
	    t->role, ft_proto_name(t->proto), suffix);
	if (n < 0 || (size_t)n >= len)
		return errno = ENAMETOOLONG, -1;
	return 0;
}

void
ft_set_reason(struct ft_xfer *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ft_set_reasonv(x, fmt, ap);
	va_end(ap);
}

void
ft_set_reasonv(struct ft_xfer *x, const char *fmt, va_list ap)
{
	char raw[FT_REASON_MAX * 2];

	/* A reason may quote the peer, and goes to the terminal and into a
	 * TSV field: escaped, it can neither act on a terminal nor break a
	 * field or a line. */
	vsnprintf(raw, sizeof(raw), fmt, ap);
	ft_text_escape(x->reason, sizeof(x->reason), raw);
}

static unsigned
count_ok(const struct ft_xfer *x, size_t n)
{
	unsigned ok = 0;
	size_t i;

	for (i = 0; i < n; i++)
		ok += x[i].ok != 0;
	return ok;
}

static void
text_header(FILE *f, const struct ft_test *t, const struct ft_xfer *x,
    size_t n)
{
	char when[64];

	ft_stamp_human(t->start, when, sizeof(when));
	fprintf(f, "ft %s log\n\n", t->role);
	fprintf(f, "test started    %s\n", when);
	fprintf(f, "protocol        %s%s%s\n", ft_proto_name(t->proto),
	    t->proto == FT_UDP ? ", mode " : "",
	    t->proto == FT_UDP ? t->mode : "");
	fprintf(f, "file            %s\n", t->file);
	fprintf(f, "size            %llu bytes\n", (unsigned long long)t->size);
	fprintf(f, "sha256          %s\n", t->sha256);
	/* The client's share of a gathered test; the server's log holds
	 * every run's rows (each with its run and run_clients in the TSV). */
	if (t->role[0] == 'c' && n > 0 && x[0].run_clients != 0 &&
	    x[0].run_clients < t->clients)
		fprintf(f, "connections     %u in the test, %u of them this run's\n",
		    t->clients, x[0].run_clients);
	else
		fprintf(f, "connections     %u\n", t->clients);
	if (n > 0 && x[0].test_no != 0)
		fprintf(f, "server test     %u\n", x[0].test_no);
	if (n > 0 && x[0].run != 0 && t->role[0] == 'c')
		fprintf(f, "run             %016llx\n",
		    (unsigned long long)x[0].run);
	if (t->copies_dir != NULL) {
		char dir[3 * 4096];

		ft_text_escape(dir, sizeof(dir), t->copies_dir);
		fprintf(f, "copies in       %s\n", dir);
	}
	fprintf(f, "succeeded       %u of %zu\n\n", count_ok(x, n), n);
	fprintf(f, "%-6s  %-28s  %-6s  %12s  %9s  %10s  %-3s  %s\n", "client",
	    "client address", "server", t->role[0] == 's' ? "bytes sent" :
	    "bytes recv", "time (s)", "rate MB/s", "ok",
	    t->role[0] == 's' ? "reason" : "copy or reason");
}

static void
text_row(FILE *f, const struct ft_xfer *x)
{
	char addr[FT_ADDR_MAX + 16];

	snprintf(addr, sizeof(addr), strchr(x->client_ip, ':') ? "[%s]:%u" :
	    "%s:%u", x->client_ip[0] ? x->client_ip : "-", x->client_port);
	/* A verified row shows its copy; a failed one its reason, and the
	 * copy kept for inspection (--keep-failed) after it. */
	fprintf(f, "%-6u  %-28s  %-6u  %12llu  %9.3f  %10.1f  %-3s  %s%s%s\n",
	    x->client_no, addr, x->server_port, (unsigned long long)x->bytes,
	    (double)x->ns / 1e9, ft_rate_mbs(x->bytes, x->ns),
	    x->ok ? "yes" : "no",
	    x->ok ? (x->copy[0] ? x->copy : "-") : x->reason,
	    !x->ok && x->copy[0] ? "; kept as " : "", x->ok ? "" : x->copy);
}

static void
text_udp_rows(FILE *f, const struct ft_xfer *x, size_t n)
{
	size_t i;

	fprintf(f, "\n%-6s  %8s  %10s  %8s  %8s  %8s  %8s  %12s  %10s  %s\n",
	    "client", "size", "datagrams", "re-sent", "lost", "dup", "bad",
	    "wire bytes", "confirm s", "sockbuf asked/got");
	for (i = 0; i < n; i++)
		fprintf(f, "%-6u  %8u  %10llu  %8llu  %8llu  %8llu  %8llu  %12llu  "
		    "%10.3f  %u/%u\n", x[i].client_no, x[i].dgram_size,
		    (unsigned long long)x[i].dgrams,
		    (unsigned long long)x[i].dgrams_resent,
		    (unsigned long long)x[i].dgrams_lost,
		    (unsigned long long)x[i].dgrams_dup,
		    (unsigned long long)x[i].dgrams_bad,
		    (unsigned long long)x[i].wire_bytes,
		    (double)x[i].confirm_ns / 1e9, x[i].sockbuf_asked,
		    x[i].sockbuf_got);
}

static void
write_text(FILE *f, const struct ft_test *t, const struct ft_xfer *x,
    size_t n)
{
	size_t i;

	text_header(f, t, x, n);
	for (i = 0; i < n; i++)
		text_row(f, &x[i]);
	if (t->proto == FT_UDP)
		text_udp_rows(f, x, n);
}

static const char tsv_columns[] =
    "role\tproto\tmode\ttest_start\tfile\tsize\tsha256\tclients\tclient\t"
    "client_ip\tclient_port\tserver_port\tbytes\tseconds\tmb_per_s\tok\t"
    "reason\tdatagrams\tdatagrams_resent\tdatagrams_lost\tdatagrams_dup\t"
    "datagrams_bad\twire_bytes\tconfirm_seconds\tsockbuf_asked\t"
    "sockbuf_got\tdatagram_size\trun\ttest\trun_clients\t"
    "ctl_client_port\tctl_server_port\tcopy\n";

static void
write_tsv(FILE *f, const struct ft_test *t, const struct ft_xfer *x,
    size_t n)
{
	char start[40];
	struct tm tm;
	size_t i;

	gmtime_r(&t->start.tv_sec, &tm);
	strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%S", &tm);
	fputs(tsv_columns, f);
	for (i = 0; i < n; i++) {
		char run[20] = "-";
		if (x[i].run != 0)
			snprintf(run, sizeof(run), "%016llx",
			    (unsigned long long)x[i].run);
		fprintf(f, "%s\t%s\t%s\t%s.%06ldZ\t%s\t%llu\t%s\t%u\t%u\t%s\t%u\t"
		    "%u\t%llu\t%.6f\t%.3f\t%s\t%s\t%llu\t%llu\t%llu\t%llu\t%llu\t"
		    "%llu\t%.6f\t%u\t%u\t%u\t%s\t%u\t%u\t%u\t%u\t%s\n", t->role,
		    ft_proto_name(t->proto),
		    t->mode, start, t->start.tv_nsec / 1000, t->file,
		    (unsigned long long)t->size, t->sha256, t->clients,
		    x[i].client_no, x[i].client_ip[0] ? x[i].client_ip : "-",
		    x[i].client_port, x[i].server_port,
		    (unsigned long long)x[i].bytes, (double)x[i].ns / 1e9,
		    ft_rate_mbs(x[i].bytes, x[i].ns), x[i].ok ? "yes" : "no",
		    x[i].ok ? "-" : x[i].reason,
		    (unsigned long long)x[i].dgrams,
		    (unsigned long long)x[i].dgrams_resent,
		    (unsigned long long)x[i].dgrams_lost,
		    (unsigned long long)x[i].dgrams_dup,
		    (unsigned long long)x[i].dgrams_bad,
		    (unsigned long long)x[i].wire_bytes,
		    (double)x[i].confirm_ns / 1e9, x[i].sockbuf_asked,
		    x[i].sockbuf_got, x[i].dgram_size, run, x[i].test_no,
		    x[i].run_clients, x[i].ctl_client_port, x[i].ctl_server_port,
		    x[i].copy[0] ? x[i].copy : "-");
	}
}

static void
remove_pair(const char *stem)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s.txt", stem);
	unlink(path);
	snprintf(path, sizeof(path), "%s.tsv", stem);
	unlink(path);
}

/* Creates "<stem>.txt" and "<stem>.tsv" exclusively, trying the next
 * suffix while either exists. */
static int
open_pair(const char *dir, const struct ft_test *t, char *stem, size_t len,
    FILE **txt, FILE **tsv)
{
	char path[4200];
	unsigned seq;
	int fd_txt, fd_tsv;

	for (seq = 1; seq < 1000; seq++) {
		if (ft_log_stem(stem, len, dir, t, seq) < 0)
			return -1;
		snprintf(path, sizeof(path), "%s.txt", stem);
		fd_txt = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd_txt < 0 && errno == EEXIST)
			continue;
		if (fd_txt < 0)
			return -1;
		snprintf(path, sizeof(path), "%s.tsv", stem);
		fd_tsv = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd_tsv < 0) {
			int saved = errno;
			close(fd_txt);
			snprintf(path, sizeof(path), "%s.txt", stem);
			unlink(path);
			if (saved == EEXIST)
				continue;
			errno = saved;
			return -1;
		}
		*txt = fdopen(fd_txt, "w");
		*tsv = fdopen(fd_tsv, "w");
		if (*txt != NULL && *tsv != NULL)
			return 0;
		if (*txt != NULL)
			fclose(*txt);
		else
			close(fd_txt);
		if (*tsv != NULL)
			fclose(*tsv);
		else
			close(fd_tsv);
		remove_pair(stem);
		return -1;
	}
	errno = EEXIST;
	return -1;
}

int
ft_log_write(const char *dir, const struct ft_test *t,
    const struct ft_xfer *x, size_t n, char *path, size_t pathlen)
{
	char stem[4096];
	FILE *txt = NULL, *tsv = NULL;
	int rc = 0;

	if (path != NULL && pathlen > 0)
		path[0] = '\0';
	if (open_pair(dir, t, stem, sizeof(stem), &txt, &tsv) < 0)
		return -1;
	write_text(txt, t, x, n);
	write_tsv(tsv, t, x, n);
	if (ferror(txt) || ferror(tsv))
		rc = -1;
	if (fclose(txt) != 0)
		rc = -1;
	if (fclose(tsv) != 0)
		rc = -1;
	if (rc < 0) {
		/* A log cut short (a full disk) is no log: neither file stays,
		 * empty or truncated. */
		int saved = errno;
		remove_pair(stem);
		errno = saved;
		return -1;
	}
	if (path != NULL)
		snprintf(path, pathlen, "%s.txt", stem);
	return 0;
}
