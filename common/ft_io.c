/* ft_io.c: EINTR-safe, short-count-safe, deadline-bounded I/O, on any
 * system ft_sys.h covers; what only Linux has (sendfile, sendmmsg,
 * GSO/GRO, the semaphore's wait) is in ft_io_linux.c. */
#include "ft_io.h"
#include "ft_time.h"

#include "ft_sys.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
		n = ft_recv_nowait(r->fd, r->buf + r->len,
		    sizeof(r->buf) - r->len);
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
	default: return ft_strerror(errno);
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
		n = ft_send_nowait(fd, p, len);
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
		n = ft_pwrite(fd, p, len, off);
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
		n = ft_pread(fd, p, len, off);
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

	n = ft_poll(&pfd, 1, timeout);
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
ft_make_dirs(const char *path)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return errno = ENAMETOOLONG, -1;
	for (p = buf + 1; *p; p++) {
		char sep = *p;
		if (!ft_is_path_sep(sep))
			continue;
		*p = '\0';
		if (ft_mkdir(buf) < 0 && errno != EEXIST)
			return -1;
		*p = sep;
	}
	return ft_mkdir(buf) < 0 && errno != EEXIST ? -1 : 0;
}
