/* ft_log.h: the per-test logs both programs write.
 *
 * One test gives one pair of files in the logs folder, named from the
 * test's exact start time:
 *   YYYY-MM-DD-HH-MM-SS-<role>-<proto>-log.txt   for people
 *   YYYY-MM-DD-HH-MM-SS-<role>-<proto>-log.tsv   for the report tools
 * An existing log is never overwritten: a second test that starts in the
 * same second gets "-log-2.txt", then "-log-3.txt", and so on.
 *
 * The .tsv form has one header line (the column names below, tab
 * separated) and one line per connection; every line repeats the test's
 * fields so each one stands alone. Columns, in order:
 *   role proto mode test_start file size sha256 clients client
 *   client_ip client_port server_port bytes seconds mb_per_s ok reason
 *   datagrams datagrams_resent datagrams_lost datagrams_dup
 *   datagrams_bad wire_bytes confirm_seconds sockbuf_asked sockbuf_got
 *   datagram_size run test run_clients ctl_client_port ctl_server_port
 *   copy
 * test_start is ISO 8601 UTC with microseconds, the server's release of
 * the test on both sides; seconds and mb_per_s (10^6 bytes per second)
 * follow SPEC.md's timing rules; ok is yes/no; reason is "-" on success;
 * datagram columns are 0 over TCP; datagram_size is the UDP payload per
 * datagram. The logs of one test pair by test_start, test (the server's
 * test number) and run (the client run's id, 16 hex digits, "-" when the
 * client gave none); clients is the whole test's size and run_clients
 * this run's share of it. client_port and server_port are the data's (the
 * UDP ports over UDP, 0 while unknown), ctl_* the TCP control
 * connection's. New columns are only ever appended, so readers that go by
 * name or position keep working. */
#ifndef FT_LOG_H
#define FT_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ft_hash.h"
#include "ft_proto.h"

#define FT_REASON_MAX 120
/* ClienteK-Prueba-N-999-failed.txt for K, N up to 10 digits each. */
#define FT_COPY_MAX 64
#define FT_ADDR_MAX 48
/* The longest logs folder path: its log names must fit in a path of
 * 4096 bytes. Both programs refuse a longer -L at start. */
#define FT_LOGS_DIR_MAX 3900

/* One connection's outcome. Fixed size and pointer-free: the server
 * keeps these in shared memory. */
struct ft_xfer {
	uint32_t client_no;
	uint16_t client_port, server_port;
	char client_ip[FT_ADDR_MAX];
	uint64_t bytes;		/* sent (server) or received (client) */
	int64_t ns;		/* transfer time, SPEC.md timing rules */
	int64_t confirm_ns;	/* UDP: until the receiver's confirmation */
	uint8_t ok;
	char reason[FT_REASON_MAX];
	uint64_t dgrams, dgrams_resent, dgrams_lost, dgrams_dup, dgrams_bad;
	uint64_t wire_bytes;
	uint32_t sockbuf_asked, sockbuf_got;
	uint32_t dgram_size;
	uint64_t run;		/* the client run's id, 0: none given */
	uint32_t test_no;	/* the server's test number, 0: none yet */
	uint32_t run_clients;	/* this run's connections in the test */
	uint16_t ctl_client_port, ctl_server_port;
	char copy[FT_COPY_MAX];	/* client: the copy's name in its folder,
				 * kept too when failed; "": none */
};

struct ft_test {
	const char *role;		/* "server" or "client" */
	enum ft_proto_kind proto;
	const char *mode;		/* "raw", "reliable", or "-" over TCP */
	char file[FT_NAME_MAX + 1];
	uint64_t size;
	char sha256[FT_SHA256_HEX];
	struct timespec start;		/* wall clock at the synchronized start */
	unsigned clients;
	const char *copies_dir;		/* client: where the copies went */
};

/* The path stem (without ".txt"/".tsv") for attempt seq (1, 2, ...). */
int ft_log_stem(char *buf, size_t len, const char *dir,
    const struct ft_test *t, unsigned seq);
/* Writes both files; the path of the .txt goes to path. 0, or -1 with
 * errno, and then neither file is left (nor is path set). */
int ft_log_write(const char *dir, const struct ft_test *t,
    const struct ft_xfer *x, size_t n, char *path, size_t pathlen);
/* Copies src into a reason field, truncating cleanly. */
void ft_set_reason(struct ft_xfer *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ft_set_reasonv(struct ft_xfer *x, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
