/* ft_io_linux.c: the data path's calls only Linux has: sendfile(2),
 * sendmmsg(2), UDP segmentation offload (GSO) and its receive side (GRO),
 * and the semaphore's wait on CLOCK_MONOTONIC. The server's, and the
 * Linux client's GRO; the Windows client does not build it. */
#include "ft_io.h"
#include "ft_time.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <time.h>

#define SENDFILE_CHUNK (1u << 20)	/* progress is published per chunk */
#define QUEUE_FULL_PAUSE_NS 100000	/* 0.1 ms: a full device queue drains */

static bool
deadline_passed(int64_t deadline_ns)
{
	return deadline_ns != 0 && ft_mono_ns() >= deadline_ns;
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
