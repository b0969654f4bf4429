/* ft_sys_win.c: the platform layer on Windows (ft_sys.h), for ftclient
 * cross-compiled with mingw-w64 (make windows). Threads are the POSIX
 * ones (winpthreads, linked statically), and the clocks with them
 * (CLOCK_MONOTONIC is QueryPerformanceCounter: the best clock Windows
 * has). Here: Winsock with its errors mapped to errno, files by handle
 * (CreateFileW, MoveFileExW), the console's virtual-terminal mode, Ctrl-C,
 * SHA-256 and random numbers from CNG (bcrypt.dll, part of Windows: no
 * DLL to ship), and the few BSD functions mingw lacks (err.h, strlcpy,
 * strtonum: common/win/). */
#include "ft_sys.h"
#include "ft_time.h"
#include "ft_hash.h"

#include <windows.h>
#include <bcrypt.h>
#include <mswsock.h>

#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <err.h>
#include <bsd/stdlib.h>
#include <bsd/string.h>

static bool console_live;

/* ---------------------------------------------------------------- errors */

/* Winsock's errors as errno values, with glibc's words for those the C
 * library does not name (its strerror knows only the classic ones), so
 * reasons in logs read as on Linux. */
static const struct {
	int wsa, err;
	const char *text;
} socket_errors[] = {
	{ WSAEINTR, EINTR, NULL },
	{ WSAEWOULDBLOCK, EAGAIN, "Resource temporarily unavailable" },
	{ WSAEINPROGRESS, EINPROGRESS, "Operation now in progress" },
	{ WSAEMSGSIZE, EMSGSIZE, "Message too long" },
	{ WSAEADDRINUSE, EADDRINUSE, "Address already in use" },
	{ WSAEADDRNOTAVAIL, EADDRNOTAVAIL, "Cannot assign requested address" },
	{ WSAENETDOWN, ENETDOWN, "Network is down" },
	{ WSAENETUNREACH, ENETUNREACH, "Network is unreachable" },
	{ WSAECONNABORTED, ECONNABORTED, "Software caused connection abort" },
	{ WSAECONNRESET, ECONNRESET, "Connection reset by peer" },
	{ WSAENOBUFS, ENOBUFS, "No buffer space available" },
	{ WSAENOTCONN, ENOTCONN, "Transport endpoint is not connected" },
	{ WSAESHUTDOWN, EPIPE, NULL },
	{ WSAETIMEDOUT, ETIMEDOUT, "Connection timed out" },
	{ WSAECONNREFUSED, ECONNREFUSED, "Connection refused" },
	{ WSAEHOSTUNREACH, EHOSTUNREACH, "No route to host" },
	{ WSAEAFNOSUPPORT, EAFNOSUPPORT, "Address family not supported by protocol" },
	{ WSAENOTSOCK, EBADF, NULL },
	{ WSAEACCES, EACCES, NULL },
	{ WSAEINVAL, EINVAL, NULL },
	{ 0, ECANCELED, "Operation canceled" },
	{ 0, EOPNOTSUPP, "Operation not supported" },
};

#define N_SOCKET_ERRORS (sizeof(socket_errors) / sizeof(socket_errors[0]))

static int
set_errno_wsa(void)
{
	int wsa = WSAGetLastError();
	size_t i;

	errno = EIO;
	for (i = 0; i < N_SOCKET_ERRORS; i++)
		if (socket_errors[i].wsa == wsa && wsa != 0)
			errno = socket_errors[i].err;
	return -1;
}

/* GetLastError's file errors as errno values. */
static int
set_errno_win(void)
{
	switch (GetLastError()) {
	case ERROR_FILE_EXISTS:
	case ERROR_ALREADY_EXISTS: errno = EEXIST; break;
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND: errno = ENOENT; break;
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION: errno = EACCES; break;
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL: errno = ENOSPC; break;
	case ERROR_INVALID_PARAMETER: errno = EINVAL; break;
	case ERROR_NOT_SUPPORTED:
	case ERROR_INVALID_FUNCTION: errno = EOPNOTSUPP; break;
	case ERROR_FILENAME_EXCED_RANGE: errno = ENAMETOOLONG; break;
	default: errno = EIO; break;
	}
	return -1;
}

const char *
ft_strerror(int err)
{
	size_t i;

	for (i = 0; i < N_SOCKET_ERRORS; i++)
		if (socket_errors[i].err == err && socket_errors[i].text != NULL)
			return socket_errors[i].text;
	return strerror(err);
}

bool
ft_is_path_sep(char c)
{
	return c == '/' || c == '\\';
}

/* ---------------------------------------------------------------- start */

/* Windows Terminal, and the classic console of Windows 10 and later, draw
 * VT sequences once asked to; an older console, a pipe or a file get the
 * plain lines. (Wine's console says yes and prints them literally:
 * FT_PLAIN=1 there.) */
static bool
enable_vt(void)
{
	HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
	DWORD mode;

	if (out == INVALID_HANDLE_VALUE || out == NULL ||
	    !GetConsoleMode(out, &mode))
		return false;
	return SetConsoleMode(out, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING |
	    ENABLE_PROCESSED_OUTPUT) != 0;
}

int
ft_sys_init(void)
{
	WSADATA wsa;

	/* Files are bytes, as on Linux: received copies and logs alike. */
	_fmode = _O_BINARY;
	console_live = enable_vt();
	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- sockets */

int
ft_socket(int family, int type)
{
	SOCKET s = socket(family, type, 0);

	if (s == INVALID_SOCKET)
		return set_errno_wsa();
	/* Not inherited by children, as SOCK_CLOEXEC. */
	(void)SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
	return (int)s;
}

int
ft_connect(int fd, const struct sockaddr *a, socklen_t len)
{
	return connect((SOCKET)fd, a, len) == 0 ? 0 : set_errno_wsa();
}

int
ft_sock_close(int fd)
{
	return closesocket((SOCKET)fd) == 0 ? 0 : set_errno_wsa();
}

int
ft_sock_shutdown(int fd)
{
	return shutdown((SOCKET)fd, SD_BOTH) == 0 ? 0 : set_errno_wsa();
}

static int
clamp_len(size_t len)
{
	return len > INT_MAX ? INT_MAX : (int)len;
}

ssize_t
ft_recv(int fd, void *buf, size_t len, int flags)
{
	int n = recv((SOCKET)fd, buf, clamp_len(len), flags);

	if (n != SOCKET_ERROR)
		return n;
	/* SO_RCVTIMEO expired: EAGAIN, as on Linux. */
	if (WSAGetLastError() == WSAETIMEDOUT)
		return errno = EAGAIN, -1;
	return set_errno_wsa();
}

/* poll said readable: a plain recv does not wait. */
ssize_t
ft_recv_nowait(int fd, void *buf, size_t len)
{
	return ft_recv(fd, buf, len, 0);
}

/* No per-call MSG_DONTWAIT in Winsock, and no SIGPIPE either: control
 * lines are short, the socket's send buffer takes them. */
ssize_t
ft_send_nowait(int fd, const void *buf, size_t len)
{
	int n = send((SOCKET)fd, buf, clamp_len(len), 0);

	return n == SOCKET_ERROR ? set_errno_wsa() : n;
}

ssize_t
ft_sendto(int fd, const void *buf, size_t len,
    const struct sockaddr_storage *to)
{
	int tolen = to->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	int n = sendto((SOCKET)fd, buf, clamp_len(len), 0,
	    (const struct sockaddr *)to, tolen);

	return n == SOCKET_ERROR ? set_errno_wsa() : n;
}

int
ft_poll(struct pollfd *p, unsigned n, int ms)
{
	int rc = WSAPoll(p, n, ms);

	return rc == SOCKET_ERROR ? set_errno_wsa() : rc;
}

int
ft_set_recv_timeout(int fd, int seconds)
{
	DWORD ms = (DWORD)seconds * 1000;

	return setsockopt((SOCKET)fd, SOL_SOCKET, SO_RCVTIMEO,
	    (const char *)&ms, sizeof(ms)) == 0 ? 0 : set_errno_wsa();
}

int
ft_udp_open(const struct sockaddr_storage *local, uint32_t *asked,
    uint32_t *got, bool *gro)
{
	int fd, size = 16 << 20, blen = sizeof(*got);
	u_long nonblocking = 1;
	BOOL no_reset = FALSE;
	DWORD ret;

	fd = ft_socket(local->ss_family, SOCK_DGRAM);
	if (fd < 0)
		return -1;
	if (bind((SOCKET)fd, (const struct sockaddr *)local,
	    local->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in)) != 0 ||
	    ioctlsocket((SOCKET)fd, FIONBIO, &nonblocking) != 0) {
		set_errno_wsa();
		closesocket((SOCKET)fd);
		return -1;
	}
	/* An ICMP port unreachable (the server's port closed early) must
	 * not fail the next read with WSAECONNRESET. */
	(void)WSAIoctl((SOCKET)fd, SIO_UDP_CONNRESET, &no_reset,
	    sizeof(no_reset), NULL, 0, &ret, NULL, NULL);
	/* A smaller buffer only slows the sender (its window follows it). */
	(void)setsockopt((SOCKET)fd, SOL_SOCKET, SO_RCVBUF,
	    (const char *)&size, sizeof(size));
	if (getsockopt((SOCKET)fd, SOL_SOCKET, SO_RCVBUF, (char *)got,
	    &blen) != 0)
		*got = 0;
	*asked = (uint32_t)size;
	*gro = false;
	return fd;
}

/* No recvmmsg: nothing to keep between batches. */
struct ft_udp_batch {
	unsigned n;
};

struct ft_udp_batch *
ft_udp_batch_new(unsigned n)
{
	struct ft_udp_batch *b = calloc(1, sizeof(*b));

	if (b != NULL)
		b->n = n;
	return b;
}

void
ft_udp_batch_free(struct ft_udp_batch *b)
{
	free(b);
}

/* recvfrom until the socket is drained or the batch full. A datagram
 * larger than the buffer is read cut (WSAEMSGSIZE), as MSG_TRUNC says on
 * Linux; a stray WSAECONNRESET is skipped, a bounded number of times. */
int
ft_udp_read_batch(int fd, struct ft_udp_batch *b, struct ft_udp_read *r,
    unsigned n)
{
	unsigned got = 0, resets = 0;
	int len, fromlen, wsa;

	if (n > b->n)
		n = b->n;
	while (got < n && resets < n) {
		struct ft_udp_read *d = &r[got];
		fromlen = sizeof(d->from);
		len = recvfrom((SOCKET)fd, (char *)d->buf, clamp_len(d->cap), 0,
		    (struct sockaddr *)&d->from, &fromlen);
		d->truncated = false;
		if (len == SOCKET_ERROR) {
			wsa = WSAGetLastError();
			if (wsa == WSAECONNRESET) {
				resets++;
				continue;
			}
			if (wsa != WSAEMSGSIZE)
				break;
			len = clamp_len(d->cap);
			d->truncated = true;
		}
		d->len = (size_t)len;
		d->seg = 0;
		d->stamp_ns = 0;	/* the caller reads the clock */
		got++;
	}
	return (int)got;
}

/* ---------------------------------------------------------------- files */

static HANDLE
handle_of(int fd)
{
	return (HANDLE)_get_osfhandle(fd);
}

static OVERLAPPED
at_offset(off_t off)
{
	OVERLAPPED o = { 0 };

	o.Offset = (DWORD)((uint64_t)off & 0xffffffffu);
	o.OffsetHigh = (DWORD)((uint64_t)off >> 32);
	return o;
}

/* Positional writes and reads through the handle: the fd's own position
 * (what write() uses over TCP) is another matter only when the two mix,
 * and they never do on one copy. */
ssize_t
ft_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	OVERLAPPED o = at_offset(off);
	DWORD done = 0;

	if (!WriteFile(handle_of(fd), buf, len > (1u << 30) ? 1u << 30 :
	    (DWORD)len, &done, &o))
		return set_errno_win();
	return (ssize_t)done;
}

ssize_t
ft_pread(int fd, void *buf, size_t len, off_t off)
{
	OVERLAPPED o = at_offset(off);
	DWORD done = 0;

	if (!ReadFile(handle_of(fd), buf, len > (1u << 30) ? 1u << 30 :
	    (DWORD)len, &done, &o)) {
		if (GetLastError() == ERROR_HANDLE_EOF)
			return 0;
		return set_errno_win();
	}
	return (ssize_t)done;
}

ssize_t
ft_pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	ssize_t total = 0, w;
	int i;

	for (i = 0; i < n; i++) {
		w = ft_pwrite(fd, iov[i].iov_base, iov[i].iov_len, off);
		if (w < 0)
			return total > 0 ? total : -1;
		total += w;
		off += w;
		if ((size_t)w < iov[i].iov_len)
			break;
	}
	return total;
}

int
ft_mkdir(const char *path)
{
	return _mkdir(path);
}

int
ft_sync(int fd)
{
	return FlushFileBuffers(handle_of(fd)) ? 0 : set_errno_win();
}

/* The end of the file at size, the handle's position back at 0 (where
 * write() goes on from: nothing was written yet when reserving). */
static int
set_end(int fd, uint64_t size, bool rewind)
{
	HANDLE h = handle_of(fd);
	LARGE_INTEGER at = { .QuadPart = (LONGLONG)size }, zero = { 0 };

	if (!SetFilePointerEx(h, at, NULL, FILE_BEGIN) || !SetEndOfFile(h))
		return set_errno_win();
	if (rewind && !SetFilePointerEx(h, zero, NULL, FILE_BEGIN))
		return set_errno_win();
	return 0;
}

int
ft_truncate(int fd, uint64_t size)
{
	return set_end(fd, size, false);
}

/* The clusters first (FileAllocationInfo: no zeros written), then the
 * size, as fallocate leaves it on Linux. Where the allocation is refused
 * (Wine, FAT), setting the end of the file still claims the space on
 * NTFS; only a full disk is an error. */
int
ft_reserve(int fd, uint64_t size)
{
	FILE_ALLOCATION_INFO fa = { .AllocationSize.QuadPart = (LONGLONG)size };

	if (!SetFileInformationByHandle(handle_of(fd), FileAllocationInfo, &fa,
	    sizeof(fa)) && (GetLastError() == ERROR_DISK_FULL ||
	    GetLastError() == ERROR_HANDLE_DISK_FULL))
		return set_errno_win();
	return set_end(fd, size, true);
}

/* dir + '\\' + name as a wide string for the W calls; the names come from
 * the command line, in the ANSI code page, as argv has them. */
static wchar_t *
wide_path(const char *dir, const char *name)
{
	char joined[4400];
	wchar_t *w;
	int n;

	if (snprintf(joined, sizeof(joined), "%s%s%s", dir, name ? "\\" : "",
	    name ? name : "") >= (int)sizeof(joined)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	n = MultiByteToWideChar(CP_ACP, 0, joined, -1, NULL, 0);
	if (n <= 0 || (w = malloc((size_t)n * sizeof(*w))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	MultiByteToWideChar(CP_ACP, 0, joined, -1, w, n);
	return w;
}

/* Windows works by path: the folder's "descriptor" only says it is one. */
int
ft_dir_open(const char *dir)
{
	wchar_t *w = wide_path(dir, NULL);
	DWORD attr;

	if (w == NULL)
		return -1;
	attr = GetFileAttributesW(w);
	free(w);
	if (attr == INVALID_FILE_ATTRIBUTES)
		return set_errno_win();
	if (!(attr & FILE_ATTRIBUTE_DIRECTORY))
		return errno = ENOTDIR, -1;
	return 0;
}

void
ft_dir_close(int dirfd)
{
	(void)dirfd;
}

int
ft_open_anonymous(int dirfd)
{
	(void)dirfd;
	errno = EOPNOTSUPP;
	return -1;
}

int
ft_link_anonymous(int fd, int dirfd, const char *name)
{
	(void)fd, (void)dirfd, (void)name;
	errno = EOPNOTSUPP;
	return -1;
}

/* CREATE_NEW fails on any name taken, a link included (never followed).
 * No other process may open it for writing while it is ours (no
 * FILE_SHARE_WRITE); shared for deletion: it is renamed while open. */
int
ft_create_new(int dirfd, const char *dir, const char *name)
{
	wchar_t *w = wide_path(dir, name);
	HANDLE h;
	int fd;

	(void)dirfd;
	if (w == NULL)
		return -1;
	h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ |
	    FILE_SHARE_DELETE, NULL, CREATE_NEW,
	    FILE_ATTRIBUTE_HIDDEN, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return set_errno_win();
	fd = _open_osfhandle((intptr_t)h, _O_RDWR | _O_BINARY);
	if (fd < 0) {
		CloseHandle(h);
		errno = EMFILE;
	}
	return fd;
}

/* MoveFileExW without MOVEFILE_REPLACE_EXISTING never replaces; the copy
 * then stops being hidden. */
int
ft_rename_noreplace(int dirfd, const char *dir, const char *from,
    const char *to)
{
	wchar_t *wf = wide_path(dir, from), *wt = wide_path(dir, to);
	int rc = -1;

	(void)dirfd;
	if (wf != NULL && wt != NULL) {
		if (MoveFileExW(wf, wt, 0)) {
			(void)SetFileAttributesW(wt, FILE_ATTRIBUTE_NORMAL);
			rc = 0;
		} else
			set_errno_win();
	}
	free(wf);
	free(wt);
	return rc;
}

bool
ft_name_taken(int dirfd, const char *dir, const char *name)
{
	wchar_t *w = wide_path(dir, name);
	DWORD attr, e;

	(void)dirfd;
	if (w == NULL)
		return true;
	attr = GetFileAttributesW(w);
	e = GetLastError();
	free(w);
	return attr != INVALID_FILE_ATTRIBUTES ||
	    (e != ERROR_FILE_NOT_FOUND && e != ERROR_PATH_NOT_FOUND);
}

int
ft_unlink_at(int dirfd, const char *dir, const char *name)
{
	wchar_t *w = wide_path(dir, name);
	BOOL ok;

	(void)dirfd;
	if (w == NULL)
		return -1;
	ok = DeleteFileW(w);
	free(w);
	return ok ? 0 : set_errno_win();
}

unsigned
ft_cpus(void)
{
	SYSTEM_INFO si;

	GetSystemInfo(&si);
	return si.dwNumberOfProcessors > 0 ? (unsigned)si.dwNumberOfProcessors : 1;
}

int
ft_random(void *buf, size_t len)
{
	return BCRYPT_SUCCESS(BCryptGenRandom(NULL, buf, (ULONG)len,
	    BCRYPT_USE_SYSTEM_PREFERRED_RNG)) ? 0 : -1;
}

/* ---------------------------------------------------------------- console */

bool
ft_console_live(void)
{
	return console_live;
}

/* stdin is read by a thread of its own, the caller waiting for it with
 * a deadline: no Windows call says whether a line is there on every kind
 * of stdin (a console's handle is signalled by any key or mouse event,
 * PeekNamedPipe fails on Wine's pipes), and a Ctrl-C must be seen while
 * the read blocks. One read at a time; the line is kept until taken. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started;
	int result;		/* 0 reading, 1 line, -1 end */
	char line[256];
} stdin_reader = { .mu = PTHREAD_MUTEX_INITIALIZER,
    .cv = PTHREAD_COND_INITIALIZER };

static void *
read_stdin(void *arg)
{
	char line[sizeof(stdin_reader.line)];
	int rc = fgets(line, sizeof(line), stdin) != NULL ? 1 : -1;

	(void)arg;
	pthread_mutex_lock(&stdin_reader.mu);
	memcpy(stdin_reader.line, line, sizeof(line));
	stdin_reader.result = rc;
	pthread_cond_broadcast(&stdin_reader.cv);
	pthread_mutex_unlock(&stdin_reader.mu);
	return NULL;
}

int
ft_stdin_line(char *line, size_t len, int ms)
{
	struct timespec until;
	pthread_t t;
	int rc;

	until = ft_wall_after_ms(ms);
	pthread_mutex_lock(&stdin_reader.mu);
	if (!stdin_reader.started) {
		stdin_reader.result = 0;
		if (pthread_create(&t, NULL, read_stdin, NULL) != 0) {
			pthread_mutex_unlock(&stdin_reader.mu);
			return -1;
		}
		pthread_detach(t);
		stdin_reader.started = true;
	}
	while (stdin_reader.result == 0 && pthread_cond_timedwait(
	    &stdin_reader.cv, &stdin_reader.mu, &until) != ETIMEDOUT)
		;
	rc = stdin_reader.result;
	if (rc != 0) {
		snprintf(line, len, "%s", stdin_reader.line);
		stdin_reader.started = false;	/* the next call reads again */
	}
	pthread_mutex_unlock(&stdin_reader.mu);
	return rc;
}

/* The C library runs a SIGINT handler (Ctrl-C) or SIGBREAK (Ctrl-Break,
 * the console closing) in a thread of its own, and resets it to the
 * default first, as the second signal wants. */
int
ft_catch_interrupts(void (*handler)(int))
{
	if (signal(SIGINT, handler) == SIG_ERR ||
	    signal(SIGBREAK, handler) == SIG_ERR ||
	    signal(SIGTERM, handler) == SIG_ERR)
		return -1;
	return 0;
}

void
ft_interrupts_default(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGBREAK, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/* The handler runs in a thread of the C library's own, never in a
 * connection's: nothing to block. */
int
ft_interrupts_hold(void)
{
	return 0;
}

int
ft_interrupts_release(void)
{
	return 0;
}

/* ---------------------------------------------------------------- SHA-256 */

struct ft_sha256 {
	BCRYPT_ALG_HANDLE alg;
	BCRYPT_HASH_HANDLE hash;
};

struct ft_sha256 *
ft_sha256_new(void)
{
	struct ft_sha256 *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	/* The hash object's memory is CNG's own (Windows 7 and later). */
	if (!BCRYPT_SUCCESS(BCryptOpenAlgorithmProvider(&h->alg,
	    BCRYPT_SHA256_ALGORITHM, NULL, 0)) ||
	    !BCRYPT_SUCCESS(BCryptCreateHash(h->alg, &h->hash, NULL, 0, NULL,
	    0, 0))) {
		ft_sha256_free(h);
		return NULL;
	}
	return h;
}

int
ft_sha256_update(struct ft_sha256 *h, const void *data, size_t len)
{
	const uint8_t *p = data;
	ULONG n;

	while (len > 0) {
		n = len > (1u << 30) ? 1u << 30 : (ULONG)len;
		if (!BCRYPT_SUCCESS(BCryptHashData(h->hash, (PUCHAR)p, n, 0)))
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int
ft_sha256_digest(struct ft_sha256 *h, unsigned char md[32])
{
	return BCRYPT_SUCCESS(BCryptFinishHash(h->hash, md, 32, 0)) ? 0 : -1;
}

void
ft_sha256_free(struct ft_sha256 *h)
{
	if (h == NULL)
		return;
	if (h->hash != NULL)
		BCryptDestroyHash(h->hash);
	if (h->alg != NULL)
		BCryptCloseAlgorithmProvider(h->alg, 0);
	free(h);
}

/* ---------------------------------------------------------------- BSD */

static void
vwarn_errno(int code, bool with_errno, const char *fmt, va_list ap)
{
	fputs("ftclient: ", stderr);
	if (fmt != NULL)
		vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, "%s%s", fmt != NULL ? ": " : "",
		    ft_strerror(code));
	fputc('\n', stderr);
}

void
warn(const char *fmt, ...)
{
	int code = errno;
	va_list ap;

	va_start(ap, fmt);
	vwarn_errno(code, true, fmt, ap);
	va_end(ap);
}

void
warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_errno(0, false, fmt, ap);
	va_end(ap);
}

void
err(int status, const char *fmt, ...)
{
	int code = errno;
	va_list ap;

	va_start(ap, fmt);
	vwarn_errno(code, true, fmt, ap);
	va_end(ap);
	exit(status);
}

void
errx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_errno(0, false, fmt, ap);
	va_end(ap);
	exit(status);
}

size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

long long
strtonum(const char *s, long long min, long long max, const char **errstr)
{
	char *end;
	long long n;

	*errstr = NULL;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (min > max || *s == '\0' || *end != '\0')
		*errstr = "invalid";
	else if ((n == LLONG_MIN && errno == ERANGE) || n < min)
		*errstr = "too small";
	else if ((n == LLONG_MAX && errno == ERANGE) || n > max)
		*errstr = "too large";
	return *errstr != NULL ? 0 : n;
}
