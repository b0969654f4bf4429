/* unit-log.c: common/ft_log.c. Log names follow the test's start time
 * with -2, -3... for tests that start in the same second; writing never
 * overwrites; the .tsv has exactly the columns ft_log.h documents and
 * every row has as many fields as the header. Runs in a temp folder with
 * TZ=UTC so the names are predictable. */
#include "ft_log.h"
#include "ft_time.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEX64 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* The columns every reader may rely on, in order. ft_log.h promises that
 * new columns are only appended, so these stay a prefix of the header;
 * the whole header must equal the list ft_log.h documents. */
static const char *const columns[] = {
	"role", "proto", "mode", "test_start", "file", "size", "sha256",
	"clients", "client", "client_ip", "client_port", "server_port",
	"bytes", "seconds", "mb_per_s", "ok", "reason", "datagrams",
	"datagrams_resent", "datagrams_lost", "datagrams_dup",
	"datagrams_bad", "wire_bytes", "confirm_seconds", "sockbuf_asked",
	"sockbuf_got", "datagram_size", "run", "test", "run_clients",
	"ctl_client_port", "ctl_server_port", "copy",
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* The column list from ft_log.h's comment, space separated ("" if the
 * header cannot be read), and the header the writer produced. */
static char documented[2048];
static size_t header_fields;

static char dir[256];

static struct timespec
at(int y, int mo, int d, int h, int mi, int s, long ns)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi, .tm_sec = s };
	struct timespec ts = { .tv_sec = timegm(&tm), .tv_nsec = ns };

	return ts;
}

struct stem_case {
	const char *role;
	enum ft_proto_kind proto;
	unsigned seq;
	const char *want;
};

static const struct stem_case stems[] = {
	{ "server", FT_TCP, 1, "D/2024-03-05-07-08-09-server-tcp-log" },
	{ "server", FT_TCP, 2, "D/2024-03-05-07-08-09-server-tcp-log-2" },
	{ "server", FT_TCP, 3, "D/2024-03-05-07-08-09-server-tcp-log-3" },
	{ "client", FT_TCP, 1, "D/2024-03-05-07-08-09-client-tcp-log" },
	{ "client", FT_UDP, 1, "D/2024-03-05-07-08-09-client-udp-log" },
	{ "server", FT_UDP, 12, "D/2024-03-05-07-08-09-server-udp-log-12" },
};

static void
check_stems(void)
{
	struct ft_test t = { .start = at(2024, 3, 5, 7, 8, 9, 999999999) };
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(stems) / sizeof(stems[0]); i++) {
		t.role = stems[i].role;
		t.proto = stems[i].proto;
		if (is_int(0, ft_log_stem(buf, sizeof(buf), "D", &t, stems[i].seq),
		    "stem for %s %s attempt %u", t.role, ft_proto_name(t.proto),
		    stems[i].seq))
			is_string(stems[i].want, buf, "...is %s", stems[i].want);
	}
	t.role = "server";
	t.proto = FT_TCP;
	t.start = at(1999, 12, 31, 23, 59, 59, 0);
	ft_log_stem(buf, sizeof(buf), "Logs", &t, 1);
	is_string("Logs/1999-12-31-23-59-59-server-tcp-log", buf,
	    "the last second of a year");
	is_int(-1, ft_log_stem(buf, 20, "Logs", &t, 1),
	    "a buffer too small is an error, not a truncated name");
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = '\0';
	fclose(f);
	return s;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		bail("cannot write %s: %s", path, strerror(errno));
}

static struct ft_test
sample_test(void)
{
	struct ft_test t = { .role = "server", .proto = FT_TCP, .mode = "-",
	    .file = "a.bin", .size = 1000003, .sha256 = HEX64,
	    .start = at(2024, 3, 5, 7, 8, 9, 123456789), .clients = 3 };

	return t;
}

/* Three connections: two fine (one over IPv6), one failed. */
static void
sample_rows(struct ft_xfer x[3])
{
	memset(x, 0, 3 * sizeof(*x));
	x[0] = (struct ft_xfer){ .client_no = 1, .client_port = 40001,
	    .server_port = 5005, .client_ip = "127.0.0.1", .bytes = 1000003,
	    .ns = 500000000, .ok = 1 };
	x[1] = (struct ft_xfer){ .client_no = 2, .client_port = 40002,
	    .server_port = 5005, .client_ip = "::1", .bytes = 1000003,
	    .ns = 250000000, .ok = 1 };
	x[2] = (struct ft_xfer){ .client_no = 3, .client_port = 40003,
	    .server_port = 5005, .client_ip = "127.0.0.1", .bytes = 4096,
	    .ns = 1000000, .ok = 0 };
	ft_set_reason(&x[2], "the client disconnected after 4096 bytes");
	strcpy(x[1].copy, "Cliente2-Prueba-3-2.txt");
}

/* Splits a line on tabs in place; returns the field count. */
static size_t
split_tabs(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		if (n < max)
			fields[n] = p;
		n++;
		p = strchr(p, '\t');
		if (p == NULL)
			return n;
		*p++ = '\0';
	}
}

static void
check_header(char *header)
{
	char *f[64], joined[2048] = "";
	size_t n = split_tabs(header, f, 64), i;
	bool prefix = n >= NCOLUMNS;

	header_fields = n;
	for (i = 0; prefix && i < NCOLUMNS; i++)
		if (strcmp(f[i], columns[i]) != 0) {
			diag("column %zu is '%s', expected '%s'", i + 1, f[i],
			    columns[i]);
			prefix = false;
		}
	ok(prefix, "the tsv header starts with the %zu known columns, in order",
	    NCOLUMNS);
	for (i = 0; i < n && i < 64; i++) {
		strncat(joined, i ? " " : "", sizeof(joined) - strlen(joined) - 1);
		strncat(joined, f[i], sizeof(joined) - strlen(joined) - 1);
	}
	if (documented[0] == '\0')
		skip(1, "common/ft_log.h not readable (run from the top folder)");
	else
		is_string(documented, joined,
		    "the tsv header is exactly the column list ft_log.h documents");
}

/* Checks one row's fields by name against what was logged. */
static void
check_row(char *line, const struct ft_xfer *x)
{
	char *f[64], port[16], bytes[32];
	size_t n = split_tabs(line, f, 64);

	if (!is_uint(header_fields, n, "row of client %u has as many fields "
	    "as the header", x->client_no))
		return;
	snprintf(port, sizeof(port), "%u", x->client_port);
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)x->bytes);
	ok(strcmp(f[0], "server") == 0 && strcmp(f[1], "tcp") == 0 &&
	    strcmp(f[2], "-") == 0, "row %u: role, proto, mode", x->client_no);
	is_string("2024-03-05T07:08:09.123456Z", f[3], "row %u: test_start",
	    x->client_no);
	ok(strcmp(f[4], "a.bin") == 0 && strcmp(f[5], "1000003") == 0 &&
	    strcmp(f[6], HEX64) == 0 && strcmp(f[7], "3") == 0,
	    "row %u: file, size, sha256, clients", x->client_no);
	is_int(x->client_no, atoi(f[8]), "row %u: client number", x->client_no);
	ok(strcmp(f[9], x->client_ip) == 0 && strcmp(f[10], port) == 0 &&
	    strcmp(f[11], "5005") == 0, "row %u: client ip, port, server port",
	    x->client_no);
	is_string(bytes, f[12], "row %u: bytes", x->client_no);
	ok(atof(f[13]) * 1e9 > (double)x->ns - 1000 &&
	    atof(f[13]) * 1e9 < (double)x->ns + 1000, "row %u: seconds %s",
	    x->client_no, f[13]);
	is_string(x->ok ? "yes" : "no", f[15], "row %u: ok", x->client_no);
	is_string(x->ok ? "-" : x->reason, f[16], "row %u: reason",
	    x->client_no);
	is_string(x->copy[0] ? x->copy : "-", f[32], "row %u: copy",
	    x->client_no);
}

static void
check_tsv(const char *path, const struct ft_xfer *x, size_t n)
{
	char *text = slurp(path), *line, *save = NULL;
	size_t rows = 0;

	if (!ok(text != NULL, "%s is readable", path))
		return;
	ok(text[strlen(text) - 1] == '\n', "the tsv ends in a newline");
	line = strtok_r(text, "\n", &save);
	check_header(line);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (rows < n)
			check_row(line, &x[rows]);
		rows++;
	}
	is_uint(n, rows, "one tsv row per connection");
	free(text);
}

static void
check_text(const char *path)
{
	char *text = slurp(path);

	if (!ok(text != NULL, "%s is readable", path))
		return;
	ok(strstr(text, "file            a.bin\n") != NULL, "text: file name");
	ok(strstr(text, "size            1000003 bytes\n") != NULL, "text: size");
	ok(strstr(text, "sha256          " HEX64 "\n") != NULL, "text: sha256");
	ok(strstr(text, "succeeded       2 of 3\n") != NULL, "text: succeeded");
	ok(strstr(text, "  yes  Cliente2-Prueba-3-2.txt\n") != NULL,
	    "text: a verified row names its copy");
	ok(strstr(text, "127.0.0.1:40001") && strstr(text, "[::1]:40002"),
	    "text: client addresses, IPv6 in brackets");
	ok(strstr(text, "  yes  -\n") != NULL, "text: a successful row");
	ok(strstr(text, "  no   the client disconnected after 4096 bytes\n")
	    != NULL, "text: the failed row with its reason");
	free(text);
}

static void
path_of(char *buf, size_t len, const char *suffix, const char *ext)
{
	snprintf(buf, len, "%s/2024-03-05-07-08-09-server-tcp-log%s.%s", dir,
	    suffix, ext);
}

/* Writes one more log of the same test; returns its .txt path. */
static const char *
write_again(const struct ft_test *t, const struct ft_xfer *x)
{
	static char path[4200];

	path[0] = '\0';
	if (ft_log_write(dir, t, x, 3, path, sizeof(path)) < 0)
		diag("ft_log_write: %s", strerror(errno));
	return path;
}

static void
check_write(void)
{
	struct ft_test t = sample_test();
	struct ft_xfer x[3];
	char want[4200], other[4200], *first;

	sample_rows(x);
	path_of(want, sizeof(want), "", "txt");
	is_string(want, write_again(&t, x), "the first log takes the plain name");
	path_of(other, sizeof(other), "", "tsv");
	ok(exists(want) && exists(other), "both .txt and .tsv exist");
	check_tsv(other, x, 3);
	check_text(want);
	first = slurp(want);

	path_of(want, sizeof(want), "-2", "txt");
	is_string(want, write_again(&t, x), "the same second again: -2");
	path_of(want, sizeof(want), "-3", "txt");
	is_string(want, write_again(&t, x), "and again: -3");

	/* A stray .tsv (or .txt) alone still blocks its name, and is kept. */
	path_of(other, sizeof(other), "-4", "tsv");
	put(other, "keep me\n");
	path_of(want, sizeof(want), "-5", "txt");
	is_string(want, write_again(&t, x), "a lone -4.tsv moves the log to -5");
	path_of(want, sizeof(want), "-4", "txt");
	ok(!exists(want), "no half pair left at -4");
	is_string("keep me\n", slurp(other), "the existing -4.tsv is untouched");
	path_of(other, sizeof(other), "-6", "txt");
	put(other, "mine\n");
	path_of(want, sizeof(want), "-7", "txt");
	is_string(want, write_again(&t, x), "a lone -6.txt moves the log to -7");
	is_string("mine\n", slurp(other), "the existing -6.txt is untouched");

	path_of(want, sizeof(want), "", "txt");
	is_string(first, slurp(want), "the first log was never overwritten");
	free(first);
}

static void
check_reasons(void)
{
	struct ft_xfer x;
	char longer[400];

	ft_set_reason(&x, "tab\there, newline\nthere, cr\rtoo");
	is_string("tab\\x09here, newline\\x0athere, cr\\x0dtoo", x.reason,
	    "tabs, newlines and CRs in a reason are escaped: one TSV field");
	ft_set_reason(&x, "server: %s", "\033]0;PWNED\007\033[2J\177\303\251");
	is_string("server: \\x1b]0;PWNED\\x07\\x1b[2J\\x7f\\xc3\\xa9", x.reason,
	    "escapes, BEL, DEL and bytes from 0x80 on are shown as \\xNN");
	ft_set_reason(&x, "server: %s", "\033[2J and \\x1b[2J, C:\\dir");
	is_string("server: \\x1b[2J and \\\\x1b[2J, C:\\\\dir", x.reason,
	    "a backslash is escaped too (\\\\): a forged \"\\x1b\" is not an "
	    "escaped ESC");
	ft_set_reason(&x, "%s", "plain text: a/b (c) [d] 100%");
	is_string("plain text: a/b (c) [d] 100%", x.reason,
	    "printable ASCII passes as it is");
	memset(longer, 'r', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	ft_set_reason(&x, "%s", longer);
	is_uint(FT_REASON_MAX - 1, strlen(x.reason),
	    "a long reason is cut to fit, and terminated");
	memset(longer, 0x1b, sizeof(longer) - 1);
	ft_set_reason(&x, "%s", longer);
	ok(strlen(x.reason) < FT_REASON_MAX && strlen(x.reason) % 4 == 0,
	    "escapes are never cut in the middle (%zu bytes)", strlen(x.reason));
	memset(longer, '\\', sizeof(longer) - 1);
	ft_set_reason(&x, "%s", longer);
	ok(strlen(x.reason) < FT_REASON_MAX && strlen(x.reason) % 2 == 0,
	    "nor an escaped backslash (%zu bytes)", strlen(x.reason));
}

/* The mb_per_s column: 10^6 bytes per second, 0 for no time at all. */
static void
check_rates(void)
{
	ok(ft_rate_mbs(1000000, 1000000000) == 1.0, "1 MB in 1 s is 1 MB/s");
	ok(ft_rate_mbs(262144000, 500000000) == 524.288,
	    "250 MiB in 0.5 s is 524.288 MB/s (10^6, not 2^20)");
	ok(ft_rate_mbs(12345, 0) == 0.0, "no time: rate 0, not infinity");
	ok(ft_rate_mbs(12345, -5) == 0.0, "negative time: rate 0");
}

static void
check_errors(void)
{
	struct ft_test t = sample_test();
	struct ft_xfer x[3];
	char missing[300];

	sample_rows(x);
	snprintf(missing, sizeof(missing), "%s/no/such/folder", dir);
	is_int(-1, ft_log_write(missing, &t, x, 3, NULL, 0),
	    "a missing folder is an error");
	t.start = at(2030, 1, 1, 0, 0, 0, 0);
	is_int(0, ft_log_write(dir, &t, x, 0, NULL, 0),
	    "a test without connections still gets a log");
}

/* Reads the column list from ft_log.h's comment, so the test holds the
 * writer to its documentation. */
static void
read_documentation(void)
{
	char *h = slurp("common/ft_log.h"), *p, *end, *tok, *save = NULL;

	if (h == NULL)
		return;
	p = strstr(h, "Columns, in order:");
	end = p ? strstr(p, "test_start is") : NULL;
	if (!ok(p && end, "ft_log.h documents the tsv columns")) {
		free(h);
		return;
	}
	*end = '\0';
	p += strlen("Columns, in order:");
	for (tok = strtok_r(p, " \t\n*", &save); tok;
	    tok = strtok_r(NULL, " \t\n*", &save)) {
		strncat(documented, documented[0] ? " " : "",
		    sizeof(documented) - strlen(documented) - 1);
		strncat(documented, tok, sizeof(documented) - strlen(documented) - 1);
	}
	free(h);
}

static void
remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[600];

	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(dir, sizeof(dir), "%s/ft-unit-log.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		bail("mkdtemp %s: %s", dir, strerror(errno));
	read_documentation();
	check_stems();
	check_write();
	check_reasons();
	check_rates();
	check_errors();
	remove_dir();
	return done_testing();
}
