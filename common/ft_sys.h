/* ft_sys.h: the platform layer, what differs between the systems ftclient
 * runs on, behind one interface: sockets and their errors, the received
 * files' creation, reservation and publication, UDP batch reads, the
 * console and the interrupt signals. Two implementations: ft_sys_posix.c
 * (Linux, and whatever POSIX system has the calls; Linux-only ones have a
 * fallback) and ft_sys_win.c (Windows, cross-compiled with mingw-w64 by
 * `make windows`). SHA-256 is the platform's too (ft_hash.h).
 *
 * Sockets stay plain ints on both: a Winsock SOCKET is a kernel handle
 * that fits one, and -1 is INVALID_SOCKET. Every call here that fails
 * sets errno (on Windows mapped from WSAGetLastError or GetLastError),
 * and ft_strerror names it, so the messages and the logs read the same
 * on both systems. Nothing outside this header and its two .c files
 * tests _WIN32. */
#ifndef FT_SYS_H
#define FT_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>

#include <fcntl.h>

#define SHUT_RDWR SD_BOTH
#define FT_PATH_SEP '\\'
#define O_CLOEXEC _O_NOINHERIT	/* a log's fd is not inherited */
#define IOV_MAX 1024
struct iovec {
	void *iov_base;
	size_t iov_len;
};
#else
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define FT_PATH_SEP '/'
#endif

/* Once, first thing in ftclient's main: Winsock, binary files, the
 * console; on POSIX, SIGPIPE and SIGXFSZ ignored (a dead peer or a full
 * disk is an error return, not a kill). */
int ft_sys_init(void);
/* strerror, knowing the socket errors Windows' C library does not. */
const char *ft_strerror(int err);
/* A separator of path components ('/', and '\\' on Windows). */
bool ft_is_path_sep(char c);

/* ---------------------------------------------------------------- sockets */

/* A socket not inherited by children (SOCK_CLOEXEC where there is one). */
int ft_socket(int family, int type);
int ft_connect(int fd, const struct sockaddr *a, socklen_t len);
int ft_sock_close(int fd);
int ft_sock_shutdown(int fd);
ssize_t ft_recv(int fd, void *buf, size_t len, int flags);
/* A send that never raises SIGPIPE and never blocks where the system can
 * say so per call (elsewhere the socket's own mode decides). */
ssize_t ft_send_nowait(int fd, const void *buf, size_t len);
/* recv without waiting, on a socket that poll said is readable. */
ssize_t ft_recv_nowait(int fd, void *buf, size_t len);
ssize_t ft_sendto(int fd, const void *buf, size_t len,
    const struct sockaddr_storage *to);
int ft_poll(struct pollfd *p, unsigned n, int ms);
/* A receive that waits at most this long fails with EAGAIN. */
int ft_set_recv_timeout(int fd, int seconds);

/* A UDP socket bound to local (any port), ready for ft_udp_read_batch:
 * receive buffer asked (*asked) and got (*got), kernel receive stamps
 * and GRO where the system has them (*gro). -1 with errno. */
int ft_udp_open(const struct sockaddr_storage *local, uint32_t *asked,
    uint32_t *got, bool *gro);

/* One datagram read: the caller's buffer in; what arrived out. */
struct ft_udp_read {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool truncated;			/* larger than cap */
	unsigned seg;			/* GRO: the segment size; 0 one datagram */
	int64_t stamp_ns;		/* arrival (CLOCK_REALTIME), 0 unknown */
	struct sockaddr_storage from;
};
/* The platform's state for a batch of n reads (recvmmsg's headers). */
struct ft_udp_batch;
struct ft_udp_batch *ft_udp_batch_new(unsigned n);
void ft_udp_batch_free(struct ft_udp_batch *b);
/* Reads up to n datagrams already waiting, without blocking: how many
 * (0: none). One system call where there is recvmmsg; else one each. */
int ft_udp_read_batch(int fd, struct ft_udp_batch *b, struct ft_udp_read *r,
    unsigned n);

/* ---------------------------------------------------------------- files */

ssize_t ft_pwrite(int fd, const void *buf, size_t len, off_t off);
ssize_t ft_pread(int fd, void *buf, size_t len, off_t off);
ssize_t ft_pwritev(int fd, const struct iovec *iov, int n, off_t off);
int ft_mkdir(const char *path);
int ft_sync(int fd);
int ft_truncate(int fd, uint64_t size);
/* Reserves size bytes for the file (its size becomes size): ENOSPC is
 * said now, not in the middle of a transfer. A file system that cannot
 * reserve is no error. */
int ft_reserve(int fd, uint64_t size);

/* A folder opened for the *at calls below (dir is its path: Windows
 * works by path). -1 with errno. */
int ft_dir_open(const char *dir);
void ft_dir_close(int dirfd);
/* A file only this process can reach by name, never linked: O_TMPFILE
 * where the system has it and /proc can name it later; -1 with
 * EOPNOTSUPP where not (then ft_create_new). */
int ft_open_anonymous(int dirfd);
/* Gives an anonymous file its name in the folder, never replacing
 * anything (EEXIST). */
int ft_link_anonymous(int fd, int dirfd, const char *name);
/* Creates name (hidden where the system has such a thing) for reading
 * and writing, failing with EEXIST when anything has the name, a link
 * included (never followed). Mode 0666 less the umask. */
int ft_create_new(int dirfd, const char *dir, const char *name);
/* Renames from to to in the folder, never replacing: EEXIST when to is
 * taken. The file may be open. */
int ft_rename_noreplace(int dirfd, const char *dir, const char *from,
    const char *to);
/* Whether anything has this name in the folder (a dangling link too). */
bool ft_name_taken(int dirfd, const char *dir, const char *name);
int ft_unlink_at(int dirfd, const char *dir, const char *name);

/* Random bytes from the system; -1 when it has none to give now. */
int ft_random(void *buf, size_t len);
/* Processors online, at least 1. */
unsigned ft_cpus(void);

/* ---------------------------------------------------------------- console */

/* Whether stdout is a terminal that redraws in place (VT sequences):
 * a Unix terminal, Windows Terminal or the classic console in
 * virtual-terminal mode. */
bool ft_console_live(void);
/* A line from stdin, waiting up to ms for it: 1 read (line holds it), 0
 * not yet (call again: nothing is lost), -1 its end or an error. */
int ft_stdin_line(char *line, size_t len, int ms);

/* Ctrl-C, TERM and HUP (where they exist) call handler; a second one is
 * the system's default (ft_interrupts_default, from the handler). */
int ft_catch_interrupts(void (*handler)(int));
void ft_interrupts_default(void);
/* From the main thread: the interrupt signals blocked (hold) until
 * release, so threads started between the two never run the handler
 * (they inherit the mask). 0 or an error number. Windows runs the
 * handler in a thread of its own: nothing to hold there. */
int ft_interrupts_hold(void);
int ft_interrupts_release(void);

#endif
