/* unit-io.c: common/ft_io.c, the one place that reads protocol lines
 * and writes whole buffers. Over a socketpair: CRLF and LF lines, lines
 * split across writes or sharing one, the 1024-byte limit, EOF, the
 * deadline (also when lines are already buffered: pipelined requests must
 * not outlive it), a look without waiting, the stop flag, the bytes after
 * a line (the start of the file after "DATA n") staying buffered for
 * ft_reader_take(); sends that wait only until a deadline; sendfile with
 * a stall limit and an overall deadline; a semaphore wait on the
 * monotonic clock; mkdir -p. */
#include "ft_io.h"
#include "ft_time.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int sv[2];		/* sv[0]: the reader's end, sv[1]: the peer */

static void
reopen(void)
{
	if (sv[0] > 0) {
		close(sv[0]);
		close(sv[1]);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		bail("socketpair: %s", strerror(errno));
}

static void
peer_writes(const char *s, size_t n)
{
	if (write(sv[1], s, n) != (ssize_t)n)
		bail("write: %s", strerror(errno));
}

/* A deadline far enough away that only a bug reaches it. */
static int64_t
soon(void)
{
	return ft_deadline_ms(5000);
}

static void
check_lines(void)
{
	struct ft_reader r;
	char line[FT_LINE_MAX + 1];

	reopen();
	ft_reader_init(&r, sv[0]);
	peer_writes("GET a.bin\r\nREADY\nLI", 19);
	is_int(FT_LINE_OK, ft_read_line(&r, line, soon(), NULL), "a CRLF line");
	is_string("GET a.bin", line, "...without its CR LF");
	is_int(FT_LINE_OK, ft_read_line(&r, line, soon(), NULL),
	    "a second line from the same write");
	is_string("READY", line, "...read whole");
	peer_writes("ST\n", 3);
	is_int(FT_LINE_OK, ft_read_line(&r, line, soon(), NULL),
	    "a line split across two writes");
	is_string("LIST", line, "...joined");
	peer_writes("\n", 1);
	is_int(FT_LINE_OK, ft_read_line(&r, line, soon(), NULL), "an empty line");
	is_string("", line, "...is empty");
}

static void
check_limits(void)
{
	struct ft_reader r;
	char line[FT_LINE_MAX + 1], big[FT_LINE_MAX + 2];

	reopen();
	ft_reader_init(&r, sv[0]);
	memset(big, 'x', sizeof(big));
	big[FT_LINE_MAX] = '\n';
	peer_writes(big, FT_LINE_MAX + 1);
	is_int(FT_LINE_OK, ft_read_line(&r, line, soon(), NULL),
	    "a line of exactly %d bytes", FT_LINE_MAX);
	is_uint(FT_LINE_MAX, strlen(line), "...is read whole");

	big[FT_LINE_MAX] = 'x';
	big[FT_LINE_MAX + 1] = '\n';
	peer_writes(big, FT_LINE_MAX + 2);
	is_int(FT_LINE_TOO_LONG, ft_read_line(&r, line, soon(), NULL),
	    "a line of %d bytes is too long", FT_LINE_MAX + 1);

	reopen();
	ft_reader_init(&r, sv[0]);
	memset(big, 'y', sizeof(big));
	peer_writes(big, sizeof(big));
	peer_writes(big, sizeof(big));
	is_int(FT_LINE_TOO_LONG, ft_read_line(&r, line, soon(), NULL),
	    "2 KiB without a newline is too long, without waiting for more");
}

static void
check_ends(void)
{
	static volatile sig_atomic_t stop;
	struct ft_reader r;
	char line[FT_LINE_MAX + 1];
	int64_t t0;

	reopen();
	ft_reader_init(&r, sv[0]);
	peer_writes("GET a", 5);
	shutdown(sv[1], SHUT_WR);
	is_int(FT_LINE_EOF, ft_read_line(&r, line, soon(), NULL),
	    "the peer closes in the middle of a line: EOF");

	reopen();
	ft_reader_init(&r, sv[0]);
	t0 = ft_mono_ns();
	is_int(FT_LINE_TIMEOUT, ft_read_line(&r, line, ft_deadline_ms(100), NULL),
	    "nothing comes: the deadline ends the wait");
	ok(ft_mono_ns() - t0 < 4000000000LL, "...not much later than it");

	stop = 1;
	is_int(FT_LINE_INTR, ft_read_line(&r, line, soon(), &stop),
	    "the stop flag is set: INTR");
	stop = 0;
	peer_writes("QUIT\n", 5);
	is_int(FT_LINE_OK, ft_read_line(&r, line, soon(), &stop),
	    "a clear stop flag does not get in the way");
}

static void
check_take(void)
{
	struct ft_reader r;
	char line[FT_LINE_MAX + 1], body[16] = "";

	reopen();
	ft_reader_init(&r, sv[0]);
	peer_writes("DATA 11\nhello world", 19);
	is_int(FT_LINE_OK, ft_read_line(&r, line, soon(), NULL), "DATA line");
	is_string("DATA 11", line, "...read");
	is_uint(5, ft_reader_take(&r, body, 5), "the bytes after it are buffered");
	is_uint(6, ft_reader_take(&r, body + 5, sizeof(body) - 6),
	    "...and taken out in parts");
	is_string("hello world", body, "...in order, nothing lost");
	is_uint(0, ft_reader_take(&r, body, sizeof(body)),
	    "...and then the buffer is empty");
}

static void
check_writes(void)
{
	char big[FT_LINE_MAX + 10], buf[32] = "", path[] = "/tmp/ft-unit-io.XXXXXX";
	int fd;

	reopen();
	is_int(0, ft_send_line(sv[1], soon(), "OK %s=%d\n", "member", 1), "ft_send_line");
	is_int(12, (int)read(sv[0], buf, sizeof(buf) - 1), "...sends the line");
	is_string("OK member=1\n", buf, "...as formatted");
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	errno = 0;
	is_int(-1, ft_send_line(sv[1], soon(), "%s\n", big), "a line too long to send");
	is_int(EMSGSIZE, errno, "...is EMSGSIZE, and nothing is sent");
	close(sv[0]);
	sv[0] = -1;
	errno = 0;
	is_int(-1, ft_send_all(sv[1], "x", 1, soon()), "sending to a closed peer fails");
	is_int(EPIPE, errno, "...with EPIPE (and no SIGPIPE kills us)");
	close(sv[1]);
	sv[1] = -1;

	if ((fd = mkstemp(path)) < 0)
		bail("mkstemp: %s", strerror(errno));
	is_int(0, ft_write_all(fd, "0123456789", 10), "ft_write_all to a file");
	is_int(0, ft_pwrite_all(fd, "ab", 2, 4), "ft_pwrite_all at an offset");
	memset(buf, 0, sizeof(buf));
	is_int(10, (int)pread(fd, buf, sizeof(buf), 0), "the file has 10 bytes");
	is_string("0123ab6789", buf, "...with the pwrite in its place");
	close(fd);
	unlink(path);
}

/* Pipelined requests are all buffered at once; the deadline still holds
 * for each of them. */
static void
check_buffered_deadline(void)
{
	struct ft_reader r;
	char line[FT_LINE_MAX + 1];
	int64_t deadline;

	reopen();
	ft_reader_init(&r, sv[0]);
	peer_writes("LIST\nLIST\nLIST\n", 15);
	deadline = ft_deadline_ms(200);
	is_int(FT_LINE_OK, ft_read_line(&r, line, deadline, NULL),
	    "pipelined lines: the first, before the deadline");
	usleep(250000);
	is_int(FT_LINE_TIMEOUT, ft_read_line(&r, line, deadline, NULL),
	    "...the next, buffered, after it: TIMEOUT, not the line");
	is_int(FT_LINE_OK, ft_poll_line(&r, line),
	    "ft_poll_line takes a buffered line at once");
	is_string("LIST", line, "...whole");
	is_int(FT_LINE_OK, ft_poll_line(&r, line), "...and the next");
	is_int(FT_LINE_TIMEOUT, ft_poll_line(&r, line),
	    "...and says TIMEOUT when there is no whole line, without waiting");
	peer_writes("QUIT\n", 5);
	is_int(FT_LINE_OK, ft_poll_line(&r, line),
	    "...and reads what arrived in the meantime");
}

/* A peer that never reads: the send waits until its deadline only. */
static void
check_send_deadline(void)
{
	char chunk[65536];
	int64_t t0;
	int rc = 0, i;

	reopen();
	memset(chunk, 'x', sizeof(chunk));
	t0 = ft_mono_ns();
	for (i = 0; i < 256 && rc == 0; i++)
		rc = ft_send_all(sv[1], chunk, sizeof(chunk), ft_deadline_ms(200));
	is_int(-1, rc, "a peer that never reads: the send fails at last");
	is_int(ETIMEDOUT, errno, "...with ETIMEDOUT");
	ok(ft_mono_ns() - t0 < 3000000000LL, "...soon after its deadline");
	errno = 0;
	is_int(-1, ft_send_line(sv[1], ft_mono_ns(), "ERR 408 late\n"),
	    "a last word to a full socket with a past deadline: not sent");
	is_int(ETIMEDOUT, errno, "...at once (ETIMEDOUT), never blocking");
}

static int
temp_file(const char *fill, size_t len)
{
	char path[] = "/tmp/ft-unit-io.XXXXXX";
	int fd = mkstemp(path);
	size_t done;

	if (fd < 0)
		bail("mkstemp: %s", strerror(errno));
	unlink(path);
	for (done = 0; done < len; done += 4096)
		if (ft_write_all(fd, fill, len - done < 4096 ? len - done : 4096) < 0)
			bail("write: %s", strerror(errno));
	return fd;
}

/* sendfile: whole; stopped by a stall; stopped by the overall deadline
 * although progress never stops. */
static void
check_sendfile(void)
{
	static char page[4096];
	volatile uint64_t sent = 0;
	char sink[65536];
	int fd = temp_file(page, 100000), rc, i;
	int64_t t0;

	reopen();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	is_int(FT_IO_OK, ft_sendfile_all(sv[1], fd, 100000, soon(), 1000000000,
	    &sent), "sendfile: a file that fits the socket buffer");
	is_uint(100000, sent, "...all of it counted");
	close(fd);

	fd = temp_file(page, 8 << 20);
	reopen();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	t0 = ft_mono_ns();
	rc = ft_sendfile_all(sv[1], fd, 8 << 20, soon(), 200000000, &sent);
	is_int(FT_IO_STALLED, rc, "a reader that stops: STALLED");
	ok(ft_mono_ns() - t0 < 3000000000LL, "...after the stall limit");
	ok(sent > 0 && sent < (8 << 20), "...with the bytes sent so far "
	    "(%llu)", (unsigned long long)sent);

	reopen();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	t0 = ft_mono_ns();
	rc = FT_IO_OK;
	/* A slow reader: a little every 20 ms, so it never stalls. */
	if (fork() == 0) {
		close(sv[1]);
		for (i = 0; i < 100; i++) {
			if (read(sv[0], sink, 4096) <= 0)
				break;
			usleep(20000);
		}
		_exit(0);
	}
	close(sv[0]);
	sv[0] = -1;
	rc = ft_sendfile_all(sv[1], fd, 8 << 20, ft_deadline_ms(300), 1000000000,
	    &sent);
	is_int(FT_IO_LATE, rc, "a slow reader that never stalls: LATE at the "
	    "overall deadline");
	ok(ft_mono_ns() - t0 < 3000000000LL, "...soon after it");
	close(sv[1]);
	sv[1] = -1;
	while (wait(NULL) > 0)
		;
	close(fd);

	fd = temp_file(page, 1000);
	reopen();
	errno = 0;
	is_int(FT_IO_ERR, ft_sendfile_all(sv[1], fd, 2000, soon(), 1000000000,
	    &sent), "a file shorter than said: an error");
	is_int(EIO, errno, "...EIO");
	close(fd);
}

static void *
post_later(void *sem)
{
	usleep(100000);
	sem_post(sem);
	return NULL;
}

static void
check_sem(void)
{
	static volatile sig_atomic_t stop;
	pthread_t t;
	sem_t sem;
	int64_t t0 = ft_mono_ns();

	if (sem_init(&sem, 0, 0) < 0)
		bail("sem_init: %s", strerror(errno));
	is_int(FT_IO_LATE, ft_sem_wait_until(&sem, ft_deadline_ms(100), NULL),
	    "a semaphore nobody posts: LATE at the deadline");
	ok(ft_mono_ns() - t0 >= 90000000, "...not before it");
	if (pthread_create(&t, NULL, post_later, &sem) != 0)
		bail("pthread_create");
	is_int(FT_IO_OK, ft_sem_wait_until(&sem, soon(), NULL),
	    "posted while waiting: OK");
	pthread_join(t, NULL);
	stop = 1;
	is_int(FT_IO_INTR, ft_sem_wait_until(&sem, soon(), &stop),
	    "the stop flag set: INTR");
	sem_destroy(&sem);
}

static void
check_make_dirs(void)
{
	char dir[] = "/tmp/ft-unit-dirs.XXXXXX", path[128];
	struct stat st;

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	is_int(0, ft_make_dirs(path), "mkdir -p of three new levels");
	ok(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "...all there");
	is_int(0, ft_make_dirs(path), "...and again: already there is fine");
	snprintf(path, sizeof(path), "%s/a/b/c/f", dir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	snprintf(path, sizeof(path), "%s/a/b/c/f/g", dir);
	is_int(-1, ft_make_dirs(path), "under a file: an error");
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
}

int
main(void)
{
	check_lines();
	check_limits();
	check_ends();
	check_take();
	check_writes();
	check_buffered_deadline();
	check_send_deadline();
	check_sendfile();
	check_sem();
	check_make_dirs();
	return done_testing();
}
