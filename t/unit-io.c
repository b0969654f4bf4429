/* unit-io.c: common/ft_io.c, the one place that reads protocol lines
 * and writes whole buffers. Over a socketpair: CRLF and LF lines, lines
 * split across writes or sharing one, the 1024-byte limit, EOF, the
 * deadline, the stop flag, and the bytes after a line (the start of the
 * file after "DATA n") staying buffered for ft_reader_take(). */
#include "ft_io.h"
#include "ft_time.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
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
	is_int(0, ft_send_line(sv[1], "OK %s=%d\n", "member", 1), "ft_send_line");
	is_int(12, (int)read(sv[0], buf, sizeof(buf) - 1), "...sends the line");
	is_string("OK member=1\n", buf, "...as formatted");
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	errno = 0;
	is_int(-1, ft_send_line(sv[1], "%s\n", big), "a line too long to send");
	is_int(EMSGSIZE, errno, "...is EMSGSIZE, and nothing is sent");
	close(sv[0]);
	sv[0] = -1;
	errno = 0;
	is_int(-1, ft_send_all(sv[1], "x", 1), "sending to a closed peer fails");
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

int
main(void)
{
	check_lines();
	check_limits();
	check_ends();
	check_take();
	check_writes();
	return done_testing();
}
