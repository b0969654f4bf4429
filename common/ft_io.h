/* ft_io.h: the one choke point for socket and file I/O. Every call here
 * retries EINTR and finishes short reads and writes, so the rest of the
 * code never repeats that logic. Timeouts are deadlines in monotonic ns
 * (see ft_time.h) so a slow trickle cannot extend them forever. */
#ifndef FT_IO_H
#define FT_IO_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

/* Line reader over a socket: lines end in '\n' (a '\r' before it is
 * dropped), are at most FT_LINE_MAX bytes, and what follows the last line
 * stays buffered for ft_reader_take(). */
#define FT_LINE_MAX 1024

enum ft_line_result {
	FT_LINE_OK = 1,
	FT_LINE_EOF = 0,	/* peer closed before a full line */
	FT_LINE_ERR = -1,	/* errno says why */
	FT_LINE_TIMEOUT = -2,
	FT_LINE_TOO_LONG = -3,
	FT_LINE_INTR = -4,	/* a signal arrived and *stop was set */
};

struct ft_reader {
	int fd;
	size_t off, len;
	char buf[FT_LINE_MAX * 4];
};

void ft_reader_init(struct ft_reader *r, int fd);
/* Reads one line into line[FT_LINE_MAX + 1], NUL-terminated, without
 * the newline. Waits until deadline_ns (0: forever). When stop is not
 * NULL and becomes non-zero while waiting, returns FT_LINE_INTR. */
int ft_read_line(struct ft_reader *r, char *line, int64_t deadline_ns,
    volatile sig_atomic_t *stop);
/* Why a read_line failed, for messages; on_eof names who closed. An
 * interrupted read only happens when the server stops. */
const char *ft_line_problem(int rc, const char *on_eof);
/* Moves up to len already-buffered bytes out of the reader. */
size_t ft_reader_take(struct ft_reader *r, void *dst, size_t len);

/* Sends all of buf on a socket (MSG_NOSIGNAL: a dead peer is an error,
 * not a SIGPIPE). Returns 0 or -1 with errno. */
int ft_send_all(int fd, const void *buf, size_t len);
/* printf into a line and send it; the format must end in "\n". */
int ft_send_line(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* write(2)/pwrite(2) until done. Returns 0 or -1 with errno. */
int ft_write_all(int fd, const void *buf, size_t len);
int ft_pwrite_all(int fd, const void *buf, size_t len, off_t off);
/* pread(2) of exactly len bytes; -1 with errno (EIO at end of file). */
int ft_pread_all(int fd, void *buf, size_t len, off_t off);
/* Waits until fd is readable (POLLIN) or the deadline passes; 1, 0 on
 * timeout, -1 on error. */
int ft_wait_readable(int fd, int64_t deadline_ns);

#endif
