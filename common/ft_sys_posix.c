/* ft_sys_posix.c: the platform layer on Linux and other POSIX systems
 * (ft_sys.h). Mostly the calls themselves; where Linux has a better one
 * (O_TMPFILE, renameat2, recvmmsg, fallocate, getrandom), a portable
 * fallback follows it. SHA-256 through OpenSSL's EVP interface (the
 * digest it accelerates with SHA-NI or AVX2 where the CPU has them). */
#include "ft_sys.h"
#include "ft_hash.h"
#include "ft_io.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

int
ft_sys_init(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };

	/* A dead peer or a full disk must be an error return, not a kill. */
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGPIPE, &ign, NULL) < 0 ||
	    sigaction(SIGXFSZ, &ign, NULL) < 0)
		return -1;
	return 0;
}

const char *
ft_strerror(int err)
{
	return strerror(err);
}

bool
ft_is_path_sep(char c)
{
	return c == '/';
}

/* ---------------------------------------------------------------- sockets */

int
ft_socket(int family, int type)
{
#ifdef SOCK_CLOEXEC
	return socket(family, type | SOCK_CLOEXEC, 0);
#else
	int fd = socket(family, type, 0);

	if (fd >= 0)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
#endif
}

int
ft_connect(int fd, const struct sockaddr *a, socklen_t len)
{
	return connect(fd, a, len);
}

int
ft_sock_close(int fd)
{
	return close(fd);
}

int
ft_sock_shutdown(int fd)
{
	return shutdown(fd, SHUT_RDWR);
}

ssize_t
ft_recv(int fd, void *buf, size_t len, int flags)
{
	return recv(fd, buf, len, flags);
}

ssize_t
ft_recv_nowait(int fd, void *buf, size_t len)
{
	return recv(fd, buf, len, MSG_DONTWAIT);
}

ssize_t
ft_send_nowait(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

ssize_t
ft_sendto(int fd, const void *buf, size_t len,
    const struct sockaddr_storage *to)
{
	return sendto(fd, buf, len, 0, (const struct sockaddr *)to,
	    to->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in));
}

int
ft_poll(struct pollfd *p, unsigned n, int ms)
{
	return poll(p, n, ms);
}

int
ft_set_recv_timeout(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int
ft_udp_open(const struct sockaddr_storage *local, uint32_t *asked,
    uint32_t *got, bool *gro)
{
	socklen_t blen = sizeof(*got);
	int fd, size = 16 << 20;

	fd = ft_socket(local->ss_family, SOCK_DGRAM);
	if (fd < 0 || bind(fd, (const struct sockaddr *)local,
	    local->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* A smaller buffer only slows the sender (its window follows it). */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, got, &blen) < 0)
		*got = 0;
	*asked = (uint32_t)size;
	*gro = ft_udp_gro_enable(fd);
#ifdef SO_TIMESTAMPNS
	/* Without stamps, arrival is when we read: the time counted grows
	 * by the reading's delays, nothing worse. */
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 },
	    sizeof(int));
#endif
	return fd;
}

/* recvmmsg's headers, and per read the kernel's stamp and with GRO the
 * segment size. */
struct ft_udp_batch {
	unsigned n;
	struct mmsghdr *msgs;
	struct iovec *iov;
	uint8_t (*ctl)[CMSG_SPACE(sizeof(struct timespec)) +
	    CMSG_SPACE(sizeof(int))];
};

struct ft_udp_batch *
ft_udp_batch_new(unsigned n)
{
	struct ft_udp_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->n = n;
	b->msgs = calloc(n, sizeof(*b->msgs));
	b->iov = calloc(n, sizeof(*b->iov));
	b->ctl = calloc(n, sizeof(*b->ctl));
	if (b->msgs == NULL || b->iov == NULL || b->ctl == NULL) {
		ft_udp_batch_free(b);
		return NULL;
	}
	return b;
}

void
ft_udp_batch_free(struct ft_udp_batch *b)
{
	if (b == NULL)
		return;
	free(b->msgs);
	free(b->iov);
	free(b->ctl);
	free(b);
}

static int64_t
stamp_of(struct msghdr *m)
{
#ifdef SCM_TIMESTAMPNS
	struct cmsghdr *cm;
	struct timespec ts;

	for (cm = CMSG_FIRSTHDR(m); cm != NULL; cm = CMSG_NXTHDR(m, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
#else
	(void)m;
#endif
	return 0;
}

int
ft_udp_read_batch(int fd, struct ft_udp_batch *b, struct ft_udp_read *r,
    unsigned n)
{
	unsigned i;
	int got;

	if (n > b->n)
		n = b->n;
	for (i = 0; i < n; i++) {
		b->iov[i] = (struct iovec){ r[i].buf, r[i].cap };
		b->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &r[i].from,
		    .msg_namelen = sizeof(r[i].from), .msg_iov = &b->iov[i],
		    .msg_iovlen = 1, .msg_control = b->ctl[i],
		    .msg_controllen = sizeof(b->ctl[i]) };
	}
	got = recvmmsg(fd, b->msgs, n, MSG_DONTWAIT, NULL);
	if (got <= 0)
		return 0;
	for (i = 0; i < (unsigned)got; i++) {
		struct msghdr *m = &b->msgs[i].msg_hdr;
		r[i].len = b->msgs[i].msg_len;
		r[i].truncated = (m->msg_flags & MSG_TRUNC) != 0;
		r[i].seg = ft_gro_size(m);
		r[i].stamp_ns = stamp_of(m);
	}
	return got;
}

/* ---------------------------------------------------------------- files */

ssize_t
ft_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off);
}

ssize_t
ft_pread(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off);
}

ssize_t
ft_pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	return pwritev(fd, iov, n, off);
}

int
ft_mkdir(const char *path)
{
	return mkdir(path, 0755);
}

int
ft_sync(int fd)
{
	return fsync(fd);
}

int
ft_truncate(int fd, uint64_t size)
{
	return ftruncate(fd, (off_t)size);
}

int
ft_reserve(int fd, uint64_t size)
{
#ifdef __linux__
	if (fallocate(fd, 0, 0, (off_t)size) == 0)
		return 0;
	return errno == EOPNOTSUPP || errno == ENOSYS ? 0 : -1;
#else
	int rc = posix_fallocate(fd, 0, (off_t)size);

	if (rc == 0 || rc == EOPNOTSUPP || rc == EINVAL)
		return 0;
	errno = rc;
	return -1;
#endif
}

int
ft_dir_open(const char *dir)
{
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void
ft_dir_close(int dirfd)
{
	if (dirfd >= 0)
		close(dirfd);
}

static void
self_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* An anonymous file gets its name through /proc/self/fd (linkat with
 * AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH): without /proc (a
 * chroot, a minimal container) it could never be published, every
 * verified copy would be lost, so it is checked before it is used. */
static bool
nameable(int fd)
{
	char self[64];
	struct stat mine, named;

	self_path(self, sizeof(self), fd);
	return fstat(fd, &mine) == 0 && stat(self, &named) == 0 &&
	    mine.st_dev == named.st_dev && mine.st_ino == named.st_ino;
}

int
ft_open_anonymous(int dirfd)
{
#ifdef O_TMPFILE
	/* A copy is a file like any the user creates: the umask decides. */
	int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);

	if (fd >= 0 && nameable(fd))
		return fd;
	if (fd >= 0) {
		close(fd);
		errno = EOPNOTSUPP;
	} else if (errno == EISDIR || errno == ENOENT || errno == EINVAL)
		errno = EOPNOTSUPP;
	return -1;
#else
	(void)dirfd;
	errno = EOPNOTSUPP;
	return -1;
#endif
}

int
ft_link_anonymous(int fd, int dirfd, const char *name)
{
	char self[64];

	self_path(self, sizeof(self), fd);
	return linkat(AT_FDCWD, self, dirfd, name, AT_SYMLINK_FOLLOW);
}

int
ft_create_new(int dirfd, const char *dir, const char *name)
{
	(void)dir;
	return openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0666);
}

int
ft_rename_noreplace(int dirfd, const char *dir, const char *from,
    const char *to)
{
	(void)dir;
#ifdef RENAME_NOREPLACE
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	/* No RENAME_NOREPLACE here: a hard link never replaces either. */
	if (linkat(dirfd, from, dirfd, to, 0) < 0)
		return -1;
	unlinkat(dirfd, from, 0);
	return 0;
}

bool
ft_name_taken(int dirfd, const char *dir, const char *name)
{
	(void)dir;
	return !(faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT);
}

int
ft_unlink_at(int dirfd, const char *dir, const char *name)
{
	(void)dir;
	return unlinkat(dirfd, name, 0);
}

unsigned
ft_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

int
ft_random(void *buf, size_t len)
{
	return getrandom(buf, len, GRND_NONBLOCK) == (ssize_t)len ? 0 : -1;
}

/* ---------------------------------------------------------------- console */

bool
ft_console_live(void)
{
	return isatty(STDOUT_FILENO);
}

/* Readable (a line, or its end), then fgets says which. */
int
ft_stdin_line(char *line, size_t len, int ms)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	int n = poll(&p, 1, ms);

	if (n == 0 || (n < 0 && errno == EINTR))
		return 0;
	return n > 0 && fgets(line, (int)len, stdin) != NULL ? 1 : -1;
}

int
ft_catch_interrupts(void (*handler)(int))
{
	/* No SA_RESTART: the prompt's read must return to see it. The
	 * others are blocked while it runs, so a second one is only
	 * delivered once they are reset to the default. */
	struct sigaction sa = { .sa_handler = handler };

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -1;
	return 0;
}

void
ft_interrupts_default(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	sigemptyset(&dfl.sa_mask);
	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGTERM, &dfl, NULL);
	sigaction(SIGHUP, &dfl, NULL);
}

static sigset_t interrupts_before;	/* the main thread's, while held */

int
ft_interrupts_hold(void)
{
	sigset_t stops;

	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	return pthread_sigmask(SIG_BLOCK, &stops, &interrupts_before);
}

int
ft_interrupts_release(void)
{
	return pthread_sigmask(SIG_SETMASK, &interrupts_before, NULL);
}

/* ---------------------------------------------------------------- SHA-256 */

struct ft_sha256 {
	EVP_MD_CTX *ctx;
};

struct ft_sha256 *
ft_sha256_new(void)
{
	struct ft_sha256 *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		ft_sha256_free(h);
		return NULL;
	}
	return h;
}

int
ft_sha256_update(struct ft_sha256 *h, const void *data, size_t len)
{
	return EVP_DigestUpdate(h->ctx, data, len) == 1 ? 0 : -1;
}

int
ft_sha256_digest(struct ft_sha256 *h, unsigned char md[32])
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(h->ctx, out, &len) != 1 || len != 32)
		return -1;
	memcpy(md, out, 32);
	return 0;
}

void
ft_sha256_free(struct ft_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}
