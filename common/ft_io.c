/* ft_io.c: EINTR-safe, short-count-safe, deadline-bounded I/O. */
#include "ft_io.h"
#include "ft_time.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SENDFILE_CHUNK (1u << 20)	/* progress is published per chunk */
#define QUEUE_FULL_PAUSE_NS 100000	/* 0.1 ms: a full device queue drains */

static bool
deadline_passed(int64_t deadline_ns)
{
	return deadline_ns != 0 && ft_mono_ns() >= deadline_ns;
}

void
ft_reader_init(struct ft_reader *r, int fd)
{
	r->fd = fd;
	r->off = r->len = 0;
}

/* Returns the length of a complete buffered line (with its '\n'), or 0. */
static size_t
buffered_line(const struct ft_reader *r)
{
	const char *start = r->buf + r->off;
	const char *nl = memchr(start, '\n', r->len);

	return nl ? (size_t)(nl - start) + 1 : 0;
}

static void
compact(struct ft_reader *r)
{
	if (r->off > 0 && r->len > 0)
		memmove(r->buf, r->buf + r->off, r->len);
	r->off = 0;
}

/* One read into the buffer, waiting for the deadline. */
static int
fill(struct ft_reader *r, int64_t deadline_ns, volatile sig_atomic_t *stop)
{
	ssize_t n;

	for (;;) {
		if (stop != NULL && *stop)
			return FT_LINE_INTR;
		int w = ft_wait_readable(r->fd, deadline_ns);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return FT_LINE_ERR;
		if (w == 0)
			return FT_LINE_TIMEOUT;
		n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len,
		    MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return FT_LINE_ERR;
		if (n == 0)
			return FT_LINE_EOF;
		r->len += (size_t)n;
		return FT_LINE_OK;
	}
}

/* Moves the buffered line of n bytes (with its '\n') into line. */
static int
take_line(struct ft_reader *r, char *line, size_t n)
{
	if (n - 1 > FT_LINE_MAX)
		return FT_LINE_TOO_LONG;
	memcpy(line, r->buf + r->off, n - 1);
	line[n - 1] = '\0';
	if (n >= 2 && line[n - 2] == '\r')
		line[n - 2] = '\0';
	r->off += n;
	r->len -= n;
	return FT_LINE_OK;
}

int
ft_read_line(struct ft_reader *r, char *line, int64_t deadline_ns,
    volatile sig_atomic_t *stop)
{
	size_t n;
	int rc;

	if (deadline_passed(deadline_ns))
		return FT_LINE_TIMEOUT;
	while ((n = buffered_line(r)) == 0) {
		if (r->len > FT_LINE_MAX)
			return FT_LINE_TOO_LONG;
		compact(r);
		rc = fill(r, deadline_ns, stop);
		if (rc != FT_LINE_OK)
			return rc;
	}
	return take_line(r, line, n);
}

int
ft_poll_line(struct ft_reader *r, char *line)
{
	size_t n;
	int rc;

	while ((n = buffered_line(r)) == 0) {
		if (r->len > FT_LINE_MAX)
			return FT_LINE_TOO_LONG;
		compact(r);
		/* A deadline of "now": one look, no wait. */
		rc = fill(r, ft_mono_ns(), NULL);
		if (rc != FT_LINE_OK)
			return rc;
	}
	return take_line(r, line, n);
}

const char *
ft_line_problem(int rc, const char *on_eof)
{
	switch (rc) {
	case FT_LINE_EOF: return on_eof;
	case FT_LINE_TIMEOUT: return "timed out";
	case FT_LINE_TOO_LONG: return "line too long";
	case FT_LINE_INTR: return "the server is shutting down";
	default: return strerror(errno);
	}
}

size_t
ft_reader_take(struct ft_reader *r, void *dst, size_t len)
{
	if (len > r->len)
		len = r->len;
	memcpy(dst, r->buf + r->off, len);
	r->off += len;
	r->len -= len;
	return len;
}

int
ft_send_all(int fd, const void *buf, size_t len, int64_t deadline_ns)
{
	const char *p = buf;
	ssize_t n;
	int w;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			w = ft_wait_fd(fd, POLLOUT, deadline_ns);
			if (w == 0)
				return errno = ETIMEDOUT, -1;
			if (w < 0 && errno != EINTR)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ft_send_line(int fd, int64_t deadline_ns, const char *fmt, ...)
{
	char line[FT_LINE_MAX + 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		errno = EMSGSIZE;
		return -1;
	}
	return ft_send_all(fd, line, (size_t)n, deadline_ns);
}

/* The sooner of the overall deadline and the end of the allowed stall. */
static int64_t
next_limit(int64_t deadline_ns, int64_t stall_end_ns, bool *stall_first)
{
	*stall_first = deadline_ns == 0 || stall_end_ns < deadline_ns;
	return *stall_first ? stall_end_ns : deadline_ns;
}

int
ft_sendfile_all(int sock, int file, uint64_t size, int64_t deadline_ns,
    int64_t stall_ns, volatile uint64_t *sent)
{
	int64_t stall_end = ft_mono_ns() + stall_ns;
	off_t off = 0;
	bool stall_first;
	ssize_t n;
	int w;

	*sent = 0;
	while ((uint64_t)off < size) {
		size_t want = size - (uint64_t)off;
		n = sendfile(sock, file, &off, want > SENDFILE_CHUNK ?
		    SENDFILE_CHUNK : want);
		if (n > 0) {
			*sent = (uint64_t)off;
			stall_end = ft_mono_ns() + stall_ns;
			if (deadline_passed(deadline_ns))
				return FT_IO_LATE;
			continue;
		}
		if (n == 0)
			return errno = EIO, FT_IO_ERR;	/* the file shrank */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return FT_IO_ERR;
		w = ft_wait_fd(sock, POLLOUT, next_limit(deadline_ns, stall_end,
		    &stall_first));
		if (w == 0)
			return stall_first ? FT_IO_STALLED : FT_IO_LATE;
		if (w < 0 && errno != EINTR)
			return FT_IO_ERR;
	}
	return FT_IO_OK;
}

int
ft_sendmmsg_all(int fd, struct mmsghdr *msgs, unsigned n,
    int64_t deadline_ns)
{
	const struct timespec pause = { 0, QUEUE_FULL_PAUSE_NS };
	unsigned i;
	int sent;

	for (i = 0; i < n; i += (unsigned)sent) {
		sent = sendmmsg(fd, msgs + i, n - i, 0);
		if (sent >= 0)
			continue;
		if (errno != EINTR && errno != ENOBUFS && errno != EAGAIN)
			return -1;
		if (ft_mono_ns() >= deadline_ns) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* The device's queue is full (ENOBUFS): poll cannot say when
		 * it drains, so a short pause instead of spinning. */
		if (errno != EINTR)
			(void)nanosleep(&pause, NULL);
		sent = 0;
	}
	return 0;
}

int
ft_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ft_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ft_pread_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ft_wait_fd(int fd, short events, int64_t deadline_ns)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int timeout = deadline_ns == 0 ? -1 : ft_ms_left(deadline_ns);
	int n;

	n = poll(&pfd, 1, timeout);
	if (n < 0)
		return -1;
	return n > 0;
}

int
ft_wait_readable(int fd, int64_t deadline_ns)
{
	return ft_wait_fd(fd, POLLIN, deadline_ns);
}

int
ft_sem_wait_until(sem_t *sem, int64_t deadline_ns,
    volatile sig_atomic_t *stop)
{
	struct timespec at = { .tv_sec = deadline_ns / 1000000000,
	    .tv_nsec = deadline_ns % 1000000000 };

	for (;;) {
		if (stop != NULL && *stop)
			return FT_IO_INTR;
		if (sem_clockwait(sem, CLOCK_MONOTONIC, &at) == 0)
			return FT_IO_OK;
		if (errno == ETIMEDOUT)
			return FT_IO_LATE;
		if (errno != EINTR)
			return FT_IO_ERR;
	}
}

int
ft_make_dirs(const char *path)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return errno = ENAMETOOLONG, -1;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* ---------------------------------------------------------------- GSO/GRO */

bool
ft_udp_gso_probe(int fd)
{
#ifdef UDP_SEGMENT
	/* 0 switches it off for plain sends; the size travels per send. */
	return setsockopt(fd, SOL_UDP, UDP_SEGMENT, &(int){ 0 }, sizeof(int))
	    == 0;
#else
	(void)fd;
	return false;
#endif
}

bool
ft_udp_gro_enable(int fd)
{
#ifdef UDP_GRO
	return setsockopt(fd, SOL_UDP, UDP_GRO, &(int){ 1 }, sizeof(int)) == 0;
#else
	(void)fd;
	return false;
#endif
}

unsigned
ft_gro_size(struct msghdr *m)
{
#ifdef UDP_GRO
	struct cmsghdr *cm;
	int size;

	for (cm = CMSG_FIRSTHDR(m); cm != NULL; cm = CMSG_NXTHDR(m, cm))
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
			memcpy(&size, CMSG_DATA(cm), sizeof(size));
			return size > 0 ? (unsigned)size : 0;
		}
#else
	(void)m;
#endif
	return 0;
}
