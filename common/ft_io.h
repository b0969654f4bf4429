/* ft_io.h: the one choke point for system calls on the data path. Every
 * call here retries EINTR, finishes short reads and writes, and waits only
 * until a deadline, so the rest of the code never repeats that logic and
 * no peer can hold a process by trickling or by not reading.
 *
 * Deadlines are absolute, in monotonic ns (ft_time.h: ft_deadline_ms),
 * so a slow trickle cannot extend them; 0 means "no deadline" and is only
 * used where a human or a bounded peer is on the other side. */
#ifndef FT_IO_H
#define FT_IO_H

#include <stdbool.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Line reader over a socket: lines end in '\n' (a '\r' before it is
 * dropped), are at most FT_LINE_MAX bytes, and what follows the last line
 * stays buffered for ft_reader_take(). */
#define FT_LINE_MAX 1024

enum ft_line_result {
	FT_LINE_OK = 1,
	FT_LINE_EOF = 0,	/* peer closed before a full line */
	FT_LINE_ERR = -1,	/* errno says why */
	FT_LINE_TIMEOUT = -2,	/* the deadline passed (or, for
				 * ft_poll_line, no whole line yet) */
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
 * the newline. Waits until deadline_ns; once it has passed, returns
 * FT_LINE_TIMEOUT even when lines are buffered, so a peer that pipelines
 * requests cannot stretch a phase past its deadline. When stop is not
 * NULL and becomes non-zero while waiting, returns FT_LINE_INTR. */
int ft_read_line(struct ft_reader *r, char *line, int64_t deadline_ns,
    volatile sig_atomic_t *stop);
/* A line already buffered or readable right now, without waiting:
 * FT_LINE_OK, FT_LINE_TIMEOUT when there is no whole line yet, or EOF,
 * ERR, TOO_LONG as ft_read_line. */
int ft_poll_line(struct ft_reader *r, char *line);
/* Why a read_line failed, for messages; on_eof names who closed. An
 * interrupted read only happens when the server stops. */
const char *ft_line_problem(int rc, const char *on_eof);
/* Moves up to len already-buffered bytes out of the reader. */
size_t ft_reader_take(struct ft_reader *r, void *dst, size_t len);

/* Sends all of buf on a socket, blocking or not, waiting for room until
 * the deadline (MSG_NOSIGNAL: a dead peer is an error, not a SIGPIPE).
 * 0, or -1 with errno (ETIMEDOUT when the deadline passed). */
int ft_send_all(int fd, const void *buf, size_t len, int64_t deadline_ns);
/* printf into a line and send it; the format must end in "\n". */
int ft_send_line(int fd, int64_t deadline_ns, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The outcome of a transfer that has both a stall limit and an overall
 * deadline, so callers can say which one ended it. */
enum ft_io_result {
	FT_IO_OK = 0,
	FT_IO_ERR = -1,		/* errno says why (EIO: the file shrank) */
	FT_IO_STALLED = -2,	/* no progress for stall_ns */
	FT_IO_LATE = -3,	/* the overall deadline passed */
	FT_IO_INTR = -4,	/* *stop was set */
};
/* sendfile(2) of the first size bytes of file to sock. *sent counts the
 * bytes sent so far (readers in other processes may watch it). */
int ft_sendfile_all(int sock, int file, uint64_t size, int64_t deadline_ns,
    int64_t stall_ns, volatile uint64_t *sent);

/* sendmmsg(2) of all n datagrams: a full local queue (ENOBUFS, EAGAIN)
 * is waited out, a little at a time, until the deadline. 0, or -1 with
 * errno (ETIMEDOUT at the deadline). */
struct mmsghdr;
int ft_sendmmsg_all(int fd, struct mmsghdr *msgs, unsigned n,
    int64_t deadline_ns);

/* UDP segmentation offload (Linux 4.18+: UDP_SEGMENT) and its receive
 * side (5.0+: UDP_GRO): whether the kernel has it, asked at run time. A
 * sender with GSO hands the kernel up to FT_GSO_SEGMENTS datagrams of
 * one size in one send; a receiver with GRO may get that many in one
 * read, each gso_size long but the last (ft_gro_size says how long). */
#define FT_GSO_SEGMENTS 64
bool ft_udp_gso_probe(int fd);
bool ft_udp_gro_enable(int fd);
/* The segment size of a read with GRO, from its control messages; 0 when
 * the read is one datagram. */
struct msghdr;
unsigned ft_gro_size(struct msghdr *m);

/* write(2)/pwrite(2) until done. Returns 0 or -1 with errno. */
int ft_write_all(int fd, const void *buf, size_t len);
int ft_pwrite_all(int fd, const void *buf, size_t len, off_t off);
/* pread(2) of exactly len bytes; -1 with errno (EIO at end of file). */
int ft_pread_all(int fd, void *buf, size_t len, off_t off);
/* Waits until fd is ready for events (POLLIN, POLLOUT) or the deadline
 * passes; 1, 0 on timeout, -1 on error (EINTR included: the caller
 * decides whether a signal matters). */
int ft_wait_fd(int fd, short events, int64_t deadline_ns);
int ft_wait_readable(int fd, int64_t deadline_ns);

/* sem_wait on CLOCK_MONOTONIC until the deadline: 0 when posted,
 * FT_IO_LATE at the deadline, FT_IO_INTR when a signal set *stop,
 * FT_IO_ERR with errno. */
int ft_sem_wait_until(sem_t *sem, int64_t deadline_ns,
    volatile sig_atomic_t *stop);

/* mkdir -p, mode 0755. 0 or -1 with errno. */
int ft_make_dirs(const char *path);

#endif
